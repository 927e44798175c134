package live_test

import (
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/havenvr/haven/server/biosignal"
	"github.com/havenvr/haven/server/ingest"
	"github.com/havenvr/haven/server/store"
)

type reportSeries struct {
	StepMs   int64      `json:"step_ms"`
	T        []int64    `json:"t"`
	HR       []*float64 `json:"hr_bpm"`
	RMSSD    []*float64 `json:"rmssd_ms"`
	EDATonic []*float64 `json:"eda_tonic_us"`
}

// storeSamples writes samples as chunks of one stream name, 10 s a chunk.
func storeSamples(t *testing.T, f *fixture, session string, stream biosignal.Stream, samples []biosignal.Sample) {
	t.Helper()
	var seq uint64
	for len(samples) > 0 {
		n := 0
		for n < len(samples) && samples[n].T < samples[0].T+10_000 {
			n++
		}
		seq++
		row, err := ingest.Chunk{SessionID: session, Stream: stream, Seq: seq, Samples: samples[:n]}.Row()
		if err != nil {
			t.Fatal(err)
		}
		if err := f.srv.App.Store.DB.Create(&row).Error; err != nil {
			t.Fatal(err)
		}
		samples = samples[n:]
	}
}

func near(p *float64, want, tol float64) bool { return p != nil && math.Abs(*p-want) <= tol }

// TestReportSeries stores three minutes of known signals — heart rate 70 bpm,
// RR alternating 800/900 ms (RMSSD exactly 100 ms), EDA at 4 Hz stepping
// from 2 to 4 µS at 90 s — and reads them back as the report's series: a
// 1 s grid, the live calculator's numbers, the tonic level following the
// step through the 0.05 Hz low-pass. Another clinic gets 404; a session
// without samples gets empty arrays.
func TestReportSeries(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	const t0 = int64(1_700_000_000_000)
	var hr, rr, eda []biosignal.Sample
	for s := int64(0); s < 180; s++ {
		hr = append(hr, biosignal.Sample{Stream: biosignal.HR, T: t0 + s*1000, V: 70})
	}
	for at, k := t0, 0; at < t0+180_000; k++ {
		v := 800.0
		if k%2 == 1 {
			v = 900
		}
		at += int64(v)
		rr = append(rr, biosignal.Sample{Stream: biosignal.RR, T: at, V: v})
	}
	for k := int64(0); k < 180*4; k++ {
		v := 2.0
		if k >= 90*4 {
			v = 4
		}
		eda = append(eda, biosignal.Sample{Stream: biosignal.EDA, T: t0 + k*250, V: v})
	}
	storeSamples(t, f, f.session, biosignal.HR, hr)
	storeSamples(t, f, f.session, biosignal.BLEHRS, rr) // a chest strap's beats are stored under ble_hrs
	storeSamples(t, f, f.session, biosignal.EDA, eda)

	var got reportSeries
	if st := f.th.Do(http.MethodGet, "/api/sessions/"+f.session+"/report/series", nil, &got); st != http.StatusOK {
		t.Fatalf("series: status %d", st)
	}
	n := len(got.T)
	if got.StepMs != 1000 || n < 179 || n > 182 || len(got.HR) != n || len(got.RMSSD) != n || len(got.EDATonic) != n {
		t.Fatalf("series: step %d, %d times, %d/%d/%d values", got.StepMs, n, len(got.HR), len(got.RMSSD), len(got.EDATonic))
	}
	for i := range got.T {
		if got.T[i]%1000 != 0 || i > 0 && got.T[i]-got.T[i-1] != 1000 {
			t.Fatalf("series times not on a 1 s grid at %d: %v", i, got.T[max(0, i-1):i+1])
		}
		if !near(got.HR[i], 70, 0.05) {
			t.Fatalf("heart rate at %d = %v, want 70", i, got.HR[i])
		}
	}
	at := func(ms int64) int { return int((t0 + ms - got.T[0]) / 1000) }
	if i := at(60_000); !near(got.RMSSD[i], 100, 0.05) {
		t.Errorf("RMSSD at 60 s = %v, want 100", got.RMSSD[i])
	}
	if i := at(85_000); !near(got.EDATonic[i], 2, 0.001) {
		t.Errorf("EDA tonic at 85 s = %v, want 2 (steady)", got.EDATonic[i])
	}
	if i := at(95_000); got.EDATonic[i] == nil || *got.EDATonic[i] < 2.05 || *got.EDATonic[i] > 3.9 {
		t.Errorf("EDA tonic 5 s after the step = %v, want rising between 2 and 4", got.EDATonic[i])
	}
	if !near(got.EDATonic[n-1], 4, 0.02) {
		t.Errorf("EDA tonic at the end = %v, want 4", got.EDATonic[n-1])
	}

	// A long session is sampled more coarsely: at most 1200 steps.
	long := f.schedule(nil)
	var sparse []biosignal.Sample
	for s := int64(0); s <= 3*3600; s += 10 {
		sparse = append(sparse, biosignal.Sample{Stream: biosignal.HR, T: t0 + s*1000, V: 65})
	}
	storeSamples(t, f, long, biosignal.HR, sparse)
	if st := f.th.Do(http.MethodGet, "/api/sessions/"+long+"/report/series", nil, &got); st != http.StatusOK || got.StepMs != 10_000 || len(got.T) > 1202 || !near(got.HR[len(got.HR)-1], 65, 0) {
		t.Fatalf("3 h series: status %d, step %d ms, %d points", st, got.StepMs, len(got.T))
	}

	empty := f.schedule(nil)
	if st, body := f.th.Raw(http.MethodGet, "/api/sessions/"+empty+"/report/series", nil); st != http.StatusOK ||
		string(body) != `{"step_ms":1000,"t":[],"hr_bpm":[],"rmssd_ms":[],"eda_tonic_us":[]}`+"\n" {
		t.Fatalf("series without samples: %d %s", st, body)
	}
	other := f.srv.SignIn(t, f.srv.NewClinic(t, "Other").ID, store.RoleTherapist)
	if st := other.Do(http.MethodGet, "/api/sessions/"+f.session+"/report/series", nil, nil); st != http.StatusNotFound {
		t.Fatalf("another clinic reads the series: %d", st)
	}
}

// TestCSVExportReadsChestStrapChunks: a chest strap's measurements are
// stored as ble_hrs chunks of decoded hr and rr samples; the hr and rr CSV
// files carry them (each only its own stream), so a strap session's
// heart rate is never missing from the export.
func TestCSVExportReadsChestStrapChunks(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	const t0 = int64(1_700_000_000_000)
	storeSamples(t, f, f.session, biosignal.BLEHRS, []biosignal.Sample{
		{Stream: biosignal.HR, T: t0, V: 72}, {Stream: biosignal.RR, T: t0, V: 830},
		{Stream: biosignal.HR, T: t0 + 1000, V: 74}, {Stream: biosignal.RR, T: t0 + 830, V: 810},
	})
	for _, tc := range []struct {
		stream string
		want   []string
		// hr is stored in its canonical UCUM unit, /min (server/biosignal/stream.go; bpm is accepted on input)
	}{{"hr", []string{",72,/min,", ",74,/min,"}}, {"rr", []string{",830,ms,", ",810,ms,"}}} {
		st, raw := f.th.Raw(http.MethodGet, "/api/sessions/"+f.session+"/export/csv?stream="+tc.stream, nil)
		if st != http.StatusOK {
			t.Fatalf("%s CSV: %d %.200s", tc.stream, st, raw)
		}
		lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
		if len(lines) != 1+len(tc.want) {
			t.Fatalf("%s CSV has %d lines, want a header and %d rows:\n%s", tc.stream, len(lines), len(tc.want), raw)
		}
		for i, w := range tc.want {
			if !strings.Contains(lines[1+i], w) {
				t.Fatalf("%s CSV row %d %q, want %q", tc.stream, i+1, lines[1+i], w)
			}
		}
	}
}
