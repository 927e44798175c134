package ratelimit

import (
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1_700_000_000, 0)
	tests := []struct {
		name      string
		perMinute float64
		burst     int
		calls     []time.Duration // offsets from t0
		want      []bool
	}{
		{"burst then refuse", 60, 3, []time.Duration{0, 0, 0, 0}, []bool{true, true, true, false}},
		{"refills at rate", 60, 1, []time.Duration{0, 0, time.Second, time.Second}, []bool{true, false, true, false}},
		{"never exceeds burst", 600, 2, []time.Duration{0, time.Hour, time.Hour, time.Hour}, []bool{true, true, true, false}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := New(tc.perMinute, tc.burst)
			for i, off := range tc.calls {
				got, wait := l.Allow("k", t0.Add(off))
				if got != tc.want[i] {
					t.Fatalf("call %d: got %v, want %v", i, got, tc.want[i])
				}
				if !got && wait <= 0 {
					t.Fatalf("call %d: refused without a wait", i)
				}
			}
		})
	}
}

func TestKeysAreIndependentAndResettable(t *testing.T) {
	t.Parallel()
	l := New(1, 1)
	now := time.Now()
	if ok, _ := l.Allow("a", now); !ok {
		t.Fatal("first call refused")
	}
	if ok, _ := l.Allow("a", now); ok {
		t.Fatal("second call allowed")
	}
	if ok, _ := l.Allow("b", now); !ok {
		t.Fatal("other key refused")
	}
	l.Reset("a")
	if ok, _ := l.Allow("a", now); !ok {
		t.Fatal("reset key refused")
	}
}

func TestEvictionBoundsMemory(t *testing.T) {
	t.Parallel()
	l := New(60, 1)
	l.max = 10
	now := time.Now()
	for i := 0; i < 100; i++ {
		l.Allow(string(rune('a'+i%26))+string(rune(i)), now)
	}
	if n := len(l.buckets); n > 10 {
		t.Fatalf("kept %d buckets, want ≤ 10", n)
	}
}
