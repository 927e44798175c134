package groupbench

import (
	"context"
	"testing"
	"time"
)

// BenchmarkFanout runs a small room (20 members, 20 msg/s, 2 s) once per
// iteration and reports its percentiles; `haven bench groups` is the full run.
func BenchmarkFanout(b *testing.B) {
	for i := 0; i < b.N; i++ {
		res, err := Run(context.Background(), Options{Members: 20, Rate: 20, Duration: 2 * time.Second, DataDir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		if res.Lost != 0 {
			b.Fatalf("lost %d of %d deliveries", res.Lost, res.Expected)
		}
		b.ReportMetric(res.P50us, "p50_us")
		b.ReportMetric(res.P99us, "p99_us")
		b.ReportMetric(float64(res.Delivered), "delivered")
	}
}

func TestSmallRoomDeliversEverything(t *testing.T) {
	res, err := Run(context.Background(), Options{Members: 6, Rate: 12, Duration: time.Second, DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if res.Messages < 8 || res.Delivered != res.Messages*6 || res.Lost != 0 || res.P99us <= 0 {
		t.Fatalf("result = %+v", res)
	}
}

func TestLetters(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for i := 0; i < 5000; i++ {
		s := letters(i)
		if seen[s] {
			t.Fatalf("letters(%d) = %q repeats", i, s)
		}
		seen[s] = true
	}
}
