package ingestbench

import (
	"context"
	"testing"
)

// TestBenchSmall runs the whole benchmark path on a small workload: every
// batch acknowledged once, rows equal batches, resends recognised.
func TestBenchSmall(t *testing.T) {
	r, err := Run(context.Background(), Options{Samples: 30_000, Sessions: 8, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", r)
	if r.Samples < 30_000 || r.RowsStored != int64(r.Batches) || r.DuplicatesAcked != 8 || r.SamplesPerS <= 0 || r.RawSamplesPerS <= 0 {
		t.Errorf("result %+v", r)
	}
}

func BenchmarkIngest(b *testing.B) {
	for b.Loop() {
		r, err := Run(context.Background(), Options{Samples: 200_000, Sessions: 50, Dir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(r.SamplesPerS, "samples/s")
		b.ReportMetric(r.RawSamplesPerS, "raw_samples/s")
		b.ReportMetric(r.Ratio, "ratio")
	}
}
