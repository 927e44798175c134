package gctune

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestParseLimit(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		bad  bool
	}{
		{"off", 0, false},
		{"0", 0, false},
		{"2GiB", 2 << 30, false},
		{"1536MiB", 1536 << 20, false},
		{"1.5 GiB", 3 << 29, false},
		{"2GB", 2e9, false},
		{"123456789", 123456789, false},
		{"-1GiB", 0, true},
		{"lots", 0, true},
		{"GiB", 0, true},
	}
	for _, tc := range tests {
		got, err := ParseLimit(tc.in)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("ParseLimit(%q) = %d, %v; want %d (error %v)", tc.in, got, err, tc.want, tc.bad)
		}
	}
	if auto, err := ParseLimit("auto"); err != nil || (auto != 0 && auto < minAutoLimit) {
		t.Errorf("auto = %d, %v; want ≥ 1 GiB (or 0 where memory cannot be read)", auto, err)
	}
}

func TestMemTotal(t *testing.T) {
	in := "MemTotal:       24576000 kB\nMemFree:         1000 kB\n"
	if got := memTotal(strings.NewReader(in)); got != 24576000<<10 {
		t.Fatalf("memTotal = %d", got)
	}
	if got := memTotal(strings.NewReader("garbage\n")); got != 0 {
		t.Fatalf("memTotal of garbage = %d", got)
	}
}

// TestApplyKeepsTheEnvironment: an operator's GOGC / GOMEMLIMIT win.
func TestApplyKeepsTheEnvironment(t *testing.T) {
	oldPct, oldLim := debug.SetGCPercent(100), debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetGCPercent(oldPct); debug.SetMemoryLimit(oldLim) })
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

	got := Apply(Policy{Percent: 400, LimitBytes: 3 << 30}, env(nil))
	if got.Percent != 400 || debug.SetGCPercent(400) != 400 || debug.SetMemoryLimit(-1) != 3<<30 || len(got.FromEnv) != 0 {
		t.Fatalf("applied %+v", got)
	}
	debug.SetGCPercent(150) // as if the runtime had read GOGC=150
	got = Apply(Policy{Percent: 400, LimitBytes: 3 << 30}, env(map[string]string{"GOGC": "150", "GOMEMLIMIT": "5GiB"}))
	if got.Percent != 150 || debug.SetGCPercent(150) != 150 || got.LimitBytes != 3<<30 || !strings.Contains(got.String(), "GOGC, GOMEMLIMIT from the environment") {
		t.Fatalf("with the environment set: %+v (%s)", got, got)
	}
}
