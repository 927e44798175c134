package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/havenvr/haven/server/rtc"
)

func TestPercentile(t *testing.T) {
	t.Parallel()
	hundred := make([]int64, 100)
	for i := range hundred {
		hundred[i] = int64(i + 1)
	}
	for _, tc := range []struct {
		name   string
		sorted []int64
		p      float64
		want   int64
	}{
		{"empty", nil, 50, 0},
		{"single", []int64{7}, 99, 7},
		{"median of 1..100", hundred, 50, 50},
		{"p99 of 1..100", hundred, 99, 99},
		{"p100 is the max", hundred, 100, 100},
		{"p0 is the min", hundred, 0, 1},
		{"nearest rank rounds up", []int64{10, 20, 30}, 50, 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := Percentile(tc.sorted, tc.p); got != tc.want {
				t.Errorf("Percentile(%v) = %d, want %d", tc.p, got, tc.want)
			}
		})
	}
}

func TestRecorderSummary(t *testing.T) {
	t.Parallel()
	var r Recorder
	for i := 1; i <= 1000; i++ {
		r.Add(time.Duration(i) * time.Microsecond)
	}
	r.Add(-time.Second) // ignored
	s := r.Summary()
	if s.Count != 1000 || s.P50 != 500 || s.P99 != 990 || s.Max != 1000 {
		t.Errorf("summary %+v, want count 1000, p50 500, p99 990, max 1000 µs", s)
	}
	if (&Recorder{}).Summary() != (Summary{}) {
		t.Error("empty recorder has a non-zero summary")
	}
}

func TestParseProc(t *testing.T) {
	t.Parallel()
	status := "Name:\thaven\nVmPeak:\t  900 kB\nVmRSS:\t  123456 kB\nThreads:\t17\n"
	if rss, err := parseStatusKB(status, "VmRSS:"); err != nil || rss != 123456*1024 {
		t.Errorf("VmRSS = %d, %v", rss, err)
	}
	if _, err := parseStatusKB("Name: x\n", "VmRSS:"); err == nil {
		t.Error("missing VmRSS accepted")
	}
	// The command name may hold spaces and ')' — fields count from the last ')'.
	stat := "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 12 0 100 0 0"
	if cpu, err := parseStatCPU(stat); err != nil || cpu != 3.25 {
		t.Errorf("cpu = %v, %v; want 3.25 s (325 ticks)", cpu, err)
	}
	for _, bad := range []string{"", "1 (x) S 1 2", "1 (x) S 1 2 3 4 5 6 7 8 9 x y"} {
		if _, err := parseStatCPU(bad); err == nil {
			t.Errorf("parseStatCPU(%q) accepted", bad)
		}
	}
}

func TestReadProcSelf(t *testing.T) {
	t.Parallel()
	p, err := ReadProc(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if p.RSSBytes < 1<<20 || p.Threads < 1 {
		t.Errorf("own process: %+v, want RSS ≥ 1 MiB and ≥ 1 thread", p)
	}
	if _, err := ReadProc(-1); err == nil {
		t.Error("ReadProc(-1) succeeded")
	}
	if s := ReadSelf(true); s.Goroutines < 1 || s.HeapInuse == 0 {
		t.Errorf("ReadSelf: %+v", s)
	}
}

func TestWriteResult(t *testing.T) {
	t.Parallel()
	type res struct {
		A      int     `json:"a"`
		B      float64 `json:"b_us"`
		Series []Point `json:"series,omitempty"`
		hidden int
	}
	v := res{A: 3, B: 1.5, Series: []Point{{AtS: 1}}, hidden: 9}
	var js, txt bytes.Buffer
	if err := WriteResult(&js, v, true); err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back["a"] != 3.0 || back["b_us"] != 1.5 {
		t.Errorf("JSON %s: %v", js.String(), err)
	}
	if err := WriteResult(&txt, v, false); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"a:", "3", "b_us:", "1.5", "series:", "1 points"} {
		if !strings.Contains(txt.String(), want) {
			t.Errorf("text output lacks %q:\n%s", want, txt.String())
		}
	}
}

func TestEchoMeasuresRoundTrips(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var rec Recorder
	e, err := NewEcho(ctx, rtc.NewClientAPI(), &rec)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	run, stop := context.WithTimeout(ctx, 600*time.Millisecond)
	defer stop()
	if err := e.Run(run, 50, 100); err != nil {
		t.Fatal(err)
	}
	// The last echoes may still be in flight on a busy machine: wait for them.
	for deadline := time.Now().Add(10 * time.Second); rec.Summary().Count < 10 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	s := rec.Summary()
	if s.Count < 10 || s.P50 <= 0 || s.P99 < s.P50 {
		t.Errorf("echo summary %+v: want ≥ 10 round trips at 50/s for 0.6 s", s)
	}
	if err := e.Run(ctx, 0, 10); err == nil {
		t.Error("rate 0 accepted")
	}
}

func TestSamplerAndProgress(t *testing.T) {
	t.Parallel()
	s := StartSampler(context.Background(), 20*time.Millisecond)
	var buf syncBuffer
	stop := Progress(context.Background(), &buf, 20*time.Millisecond, func() string { return "tick" })
	// Wait for three progress lines (a busy machine may delay the ticker), then stop.
	for deadline := time.Now().Add(10 * time.Second); strings.Count(buf.String(), "tick") < 3 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	stop()
	for deadline := time.Now().Add(10 * time.Second); s.Len() < 3 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	pts := s.Stop()
	if len(pts) < 3 || pts[0].RSSMB <= 0 || pts[0].Goroutines < 1 || pts[len(pts)-1].AtS <= pts[0].AtS {
		t.Errorf("series %+v", pts)
	}
	if n := strings.Count(buf.String(), "tick"); n < 3 {
		t.Errorf("%d progress lines, want ≥ 3:\n%s", n, buf.String())
	}
	if pts := StartSampler(context.Background(), 0).Stop(); len(pts) != 0 {
		t.Errorf("disabled sampler recorded %d points", len(pts))
	}
}

func TestRoundRatio(t *testing.T) {
	t.Parallel()
	if Round(1.2345, 2) != 1.23 || Ratio(3, 2) != 1.5 || Ratio(1, 0) != 0 || MB(3<<20) != 3 {
		t.Error("Round/Ratio/MB arithmetic is off")
	}
}
