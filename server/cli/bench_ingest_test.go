package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strconv"
	"testing"
)

func TestBenchIngestJSON(t *testing.T) {
	n := 20_000
	if s := os.Getenv("HAVEN_BENCH_INGEST_SAMPLES"); s != "" { // for recording figures
		n, _ = strconv.Atoi(s)
	}
	var out, errb bytes.Buffer
	code := BenchIngest(context.Background(), []string{"--samples", strconv.Itoa(n), "--json", "--data", t.TempDir()}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	t.Logf("%s", out.String())
	var r struct {
		Samples, SamplesPerS, RawSamplesPerS, Ratio float64
	}
	raw := map[string]json.RawMessage{}
	if err := json.Unmarshal(out.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	for k, p := range map[string]*float64{"samples": &r.Samples, "samples_per_s": &r.SamplesPerS, "raw_samples_per_s": &r.RawSamplesPerS, "ratio": &r.Ratio} {
		if err := json.Unmarshal(raw[k], p); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
	}
	if r.Samples < float64(n) || r.SamplesPerS <= 0 || r.RawSamplesPerS <= 0 ||
		r.Ratio != r.SamplesPerS/r.RawSamplesPerS || errb.Len() == 0 {
		t.Errorf("result %v, progress %q", r, errb.String())
	}
	if BenchIngest(context.Background(), []string{"--samples", "0"}, &out, &errb) != 2 {
		t.Error("--samples 0 accepted")
	}
}
