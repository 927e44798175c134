package biosignal

import (
	"encoding/json"
	"errors"
	"math"
	"math/cmplx"
	"os"
	"strings"
	"testing"
)

func TestButterworthReferenceCoefficients(t *testing.T) {
	t.Parallel()
	a := [3]float64{1, -1.8890330793945245, 0.8948743446166354}
	for _, c := range []struct {
		hp bool
		b  [3]float64
	}{
		{true, [3]float64{0.9459768560027902, -1.8919537120055805, 0.9459768560027902}},
		{false, [3]float64{0.0014603163055277345, 0.002920632611055469, 0.0014603163055277345}},
	} {
		q, err := Butterworth2(0.05, 4, c.hp)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			relClose(t, "b", q.B[i], c.b[i], 1e-12)
			relClose(t, "a", q.A[i], a[i], 1e-12)
		}
	}
}

// gain evaluates |H(e^{jω})| at f Hz.
func gain(q Biquad, f, fs float64) float64 {
	z := cmplx.Exp(complex(0, -2*math.Pi*f/fs))
	num := complex(q.B[0], 0) + complex(q.B[1], 0)*z + complex(q.B[2], 0)*z*z
	den := complex(q.A[0], 0) + complex(q.A[1], 0)*z + complex(q.A[2], 0)*z*z
	return cmplx.Abs(num / den)
}

// Any rate: unit DC gain (low-pass) or zero (high-pass), −3 dB exactly at the
// cutoff thanks to prewarping, unit Nyquist gain for the high-pass.
func TestButterworthAnyRate(t *testing.T) {
	t.Parallel()
	for _, fs := range []float64{1, 4, 15.5, 32, 64, 700} {
		for _, fc := range []float64{0.05, 0.1, fs / 5} {
			lp, err1 := Butterworth2(fc, fs, false)
			hp, err2 := Butterworth2(fc, fs, true)
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			relClose(t, "LP DC", gain(lp, 0, fs), 1, 1e-9)
			relClose(t, "LP fc", gain(lp, fc, fs), 1/math.Sqrt2, 1e-9)
			relClose(t, "HP fc", gain(hp, fc, fs), 1/math.Sqrt2, 1e-9)
			relClose(t, "HP Nyquist", gain(hp, fs/2, fs), 1, 1e-9)
			if g := gain(hp, 0, fs); g > 1e-12 {
				t.Errorf("HP DC gain %g", g)
			}
		}
	}
	if _, err := Butterworth2(3, 4, false); !errors.Is(err, &Error{Code: CodeBadRule}) {
		t.Errorf("cutoff above Nyquist: %v", err)
	}
}

func readE4(t *testing.T) (float64, []float64) {
	t.Helper()
	f, err := os.Open(refPath(t, "flirt_e4_EDA.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	start, fs, x, err := ParseE4(f)
	if err != nil {
		t.Fatal(err)
	}
	if start != 1560279825 || len(x) != 9998 {
		t.Fatalf("start %v, %d samples", start, len(x))
	}
	return fs, x
}

func TestEDAReference(t *testing.T) {
	t.Parallel()
	fs, x := readE4(t)
	r, err := AnalyzeEDA(x, fs, 0.01)
	if err != nil {
		t.Fatal(err)
	}
	near := func(name string, got, want, tol float64) {
		t.Helper()
		if math.Abs(got-want) > tol {
			t.Errorf("%s = %.10g, want %.10g ± %g", name, got, want, tol)
		}
	}
	near("mean", r.Mean, 0.08234049, 5e-9)
	near("median", r.Median, 0.085839, 5e-7)
	near("max", r.Max, 0.115306, 5e-7)
	near("sd", r.SD, 0.0140296, 5e-8)
	// Tolerance: half a unit in the last printed digit (7 dp, then 8 dp).
	for i, want := range map[int]float64{0: 0, 1: 0.0193916, 2: 0.0439031, 3: 0.0425534} {
		near("phasic[0:4]", r.Phasic[i], want, 5e-8)
	}
	for i, want := range map[int]float64{1000: -0.00110838, 2000: -0.00108057, 5000: 0.00116285, 9000: -0.00082271} {
		near("phasic", r.Phasic[i], want, 5e-9)
	}
	if r.SCRCount != 38 || math.Round(r.SCRPerMin*1000) != 912 {
		t.Errorf("SCRs at 0.01 µS: %d (%.4f/min), want 38 (0.912/min)", r.SCRCount, r.SCRPerMin)
	}
	r5, _ := AnalyzeEDA(x, fs, 0.05)
	if r5.SCRCount != 0 {
		t.Errorf("SCRs at 0.05 µS: %d, want 0", r5.SCRCount)
	}
	if j, _ := json.Marshal(r5); !strings.Contains(string(j), `"scrs":[]`) {
		t.Errorf("no SCRs must encode as an empty list: %s", j)
	}
	for _, s := range r.SCRs {
		if s.Onset >= s.Peak || s.Amplitude < 0.01 || math.Abs(r.Phasic[s.Peak]-r.Phasic[s.Onset]-s.Amplitude) > 1e-15 {
			t.Fatalf("inconsistent SCR %+v", s)
		}
	}
}

// The filter is causal: appending future samples never changes past outputs.
func TestEDACausal(t *testing.T) {
	t.Parallel()
	fs, x := readE4(t)
	full, _ := AnalyzeEDA(x, fs, 0.01)
	part, _ := AnalyzeEDA(x[:3000], fs, 0.01)
	for i := range part.Phasic {
		if part.Phasic[i] != full.Phasic[i] || part.Tonic[i] != full.Tonic[i] {
			t.Fatalf("sample %d differs", i)
		}
	}
}

func TestFilterSteadyStateStart(t *testing.T) {
	t.Parallel()
	lp, _ := Butterworth2(0.05, 32, false)
	hp, _ := Butterworth2(0.05, 32, true)
	l, h := NewFilter(lp), NewFilter(hp)
	for range 100 {
		if y := l.Step(5); math.Abs(y-5) > 1e-9 {
			t.Fatalf("low-pass of constant 5 = %v", y)
		}
		if y := h.Step(5); math.Abs(y) > 1e-9 {
			t.Fatalf("high-pass of constant 5 = %v", y)
		}
	}
}

func TestParseE4Errors(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "1560279825\n", "1560279825\n4\nx\n", "1560279825\n0\n1\n", "1\n4\nNaN\n"} {
		if _, _, _, err := ParseE4(strings.NewReader(in)); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

// TestEDALevelZFloorOnRealRecording: the Empatica E4 recording
// (flirt_e4_EDA.csv, mean 0.082 µS, SD 0.014 µS over 42 min — a calm,
// low-signal wrist; 0 SCRs ≥ 0.05 µS, the data README) is fed live at its
// own 4 Hz. Baseline minutes 1–4 (after the device start-up sample), then
// the default eda_high rule (z > 3 for 30 s) over minutes 4–20 must stay
// silent: without a floor under the baseline spread, a tonic level that
// drifts by a few hundredths of a µS scored z in the tens.
func TestEDALevelZFloorOnRealRecording(t *testing.T) {
	t.Parallel()
	fs, x := readE4(t)
	const start = int64(1_600_000_000_000)
	live := NewLive(LiveConfig{})
	live.MarkBaseline(start+60_000, start+240_000)
	var rule []AlertRule
	for _, r := range DefaultAlertRules() {
		if r.Kind == AlertEDAZ {
			rule = append(rule, r)
		}
	}
	ev, err := NewEvaluator(rule, 40)
	if err != nil {
		t.Fatal(err)
	}
	per := int(fs) // one batch a second
	maxZ := 0.0
	for sec := 0; (sec+1)*per <= len(x) && sec < 20*60; sec++ {
		b := Batch{Stream: EDA, Unit: "uS", RateHz: fs, T0: start + int64(sec)*1000, Values: x[sec*per : (sec+1)*per]}
		if _, err := live.AddBatch(&b); err != nil {
			t.Fatal(err)
		}
		now := start + int64(sec+1)*1000
		m := live.Snapshot(now)
		if sec < 240 {
			continue
		}
		if m.EDAZ == nil {
			t.Fatalf("no EDA z-score at %d s", sec)
		}
		maxZ = max(maxZ, *m.EDAZ)
		for _, a := range ev.Evaluate(now, m) {
			t.Errorf("%s at %d s: z %.2f on a calm recording", a.Code, sec, a.Value)
		}
	}
	t.Logf("largest EDA-level z over minutes 4–20: %.2f", maxZ)
}

// TestEDALevelZFloorKeepsRealRises: the floor does not silence a real rise.
// A tonic level of 2.0 µS that steps to 2.5 µS — ten times the 0.05 µS
// floor, a z of 10 — raises eda_high 30 s after the z first exceeds 3
// (DefaultAlertRules: z > 3 for 30 s).
func TestEDALevelZFloorKeepsRealRises(t *testing.T) {
	t.Parallel()
	const fs, start = 4.0, int64(1_600_000_000_000)
	live := NewLive(LiveConfig{})
	live.MarkBaseline(start+60_000, start+240_000)
	ev, _ := NewEvaluator([]AlertRule{{Code: "eda_high", Kind: AlertEDAZ, Z: 3, ForS: 30}}, 40)
	var firstZ, fired int64
	for sec := 0; sec < 420; sec++ {
		v := 2.0
		if sec >= 300 {
			v = 2.5
		}
		b := Batch{Stream: EDA, Unit: "uS", RateHz: fs, T0: start + int64(sec)*1000, Values: []float64{v, v, v, v}}
		if _, err := live.AddBatch(&b); err != nil {
			t.Fatal(err)
		}
		now := start + int64(sec+1)*1000
		m := live.Snapshot(now)
		if m.EDAZ != nil && *m.EDAZ > 3 && firstZ == 0 {
			firstZ = now
		}
		for _, a := range ev.Evaluate(now, m) {
			if a.Fired && fired == 0 {
				fired = now
			}
		}
	}
	if firstZ == 0 || fired-firstZ != 30_000 {
		t.Fatalf("z > 3 from %d, alert at %d: want the alert 30 s after", firstZ-start, fired-start)
	}
}
