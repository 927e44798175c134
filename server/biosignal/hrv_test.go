package biosignal

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func relClose(t *testing.T, name string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol*math.Max(math.Abs(want), 1e-300) {
		t.Errorf("%s = %.17g, want %.17g (rel tol %g)", name, got, want, tol)
	}
}

func TestTimeDomainFourBeats(t *testing.T) {
	t.Parallel()
	h, err := TimeDomain([]float64{800, 810, 815, 750})
	if err != nil {
		t.Fatal(err)
	}
	// The README quotes these truncated (not rounded) to 2 dp: 38.0789 → 38.07.
	r2 := func(v float64) float64 { return math.Trunc(v*100) / 100 }
	if r2(h.RMSSD) != 38.07 || r2(h.SDNN) != 29.82 || h.NN50 != 1 || h.PNN50 != 25 ||
		h.MeanNN != 793.75 || r2(h.MeanHR) != 75.67 {
		t.Errorf("four-beat vector: %+v", h)
	}
}

func TestTimeDomainTooShort(t *testing.T) {
	t.Parallel()
	if _, err := TimeDomain([]float64{800}); !errors.Is(err, &Error{Code: CodeEmpty}) {
		t.Errorf("1 interval: err %v, want CodeEmpty", err)
	}
}

func TestTimeDomainRestWhole(t *testing.T) {
	t.Parallel()
	h, err := TimeDomain(readRR(t, "hrv_rest_rri.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if h.N != 910 || h.NN50 != 321 || h.MinNN != 783 || h.MaxNN != 1210 {
		t.Errorf("counts: %+v", h)
	}
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"meanNN", h.MeanNN, 1058.7186813186813}, {"SDNN", h.SDNN, 57.81817771970009},
		{"RMSSD", h.RMSSD, 55.13744203126742}, {"pNN50", h.PNN50, 35.27472527472528},
		{"meanHR", h.MeanHR, 56.85278105637358},
	} {
		relClose(t, c.name, c.got, c.want, 1e-9)
	}
}

func TestTimeDomainRestWindows(t *testing.T) {
	t.Parallel()
	rr := readRR(t, "hrv_rest_rri.txt")
	for _, w := range []struct {
		a, b             float64
		n, nn50          int
		sdnn, rmssd, pnn float64
	}{
		{0, 10, 9, 4, 44.596649101822784, 69.20350424653364, 44.44444444444444},
		{0, 30, 27, 16, 66.51176448429868, 84.11027560018135, 59.25925925925926},
		{0, 60, 55, 35, 71.44182253228152, 91.59886381310552, 63.63636363636363},
		{0, 120, 111, 55, 65.8710762747861, 75.98708024155398, 49.549549549549546},
		{0, 300, 284, 128, 64.10726947625666, 65.30864476676946, 45.070422535211264},
		{300, 600, 282, 75, 49.37148455373507, 47.482306125732705, 26.595744680851062},
	} {
		h, err := TimeDomain(Window(rr, w.a, w.b))
		if err != nil {
			t.Fatalf("window %v–%v: %v", w.a, w.b, err)
		}
		if h.N != w.n || h.NN50 != w.nn50 {
			t.Errorf("window %v–%v: N %d NN50 %d, want %d %d", w.a, w.b, h.N, h.NN50, w.n, w.nn50)
		}
		relClose(t, "SDNN", h.SDNN, w.sdnn, 1e-9)
		relClose(t, "RMSSD", h.RMSSD, w.rmssd, 1e-9)
		relClose(t, "pNN50", h.PNN50, w.pnn, 1e-9)
	}
}

// Reference values for every rule on the two real recordings, from
// testdata/rr_reference.py, a standard-library Python script written from the
// papers (Malik 1989; Kamath & Fallen 1995; Karlsson 2012; Acar 2000;
// Piskorski & Guzik 2005) — not from Haven's output. corrected = beats the
// rule (after the 300–2000 ms gate) replaced by linear interpolation.
var rrReference = []struct {
	file      string
	rule      Rule
	corrected int
	rmssd     float64
}{
	{"hrv_noisy_rri.hrm", RuleMalik, 42, 36.9861479430449},
	{"hrv_noisy_rri.hrm", RuleKamath, 19, 38.57072031411066},
	{"hrv_noisy_rri.hrm", RuleKarlsson, 23, 38.761933646297884},
	{"hrv_noisy_rri.hrm", RuleAcar, 145, 31.57749838881915},
	{"hrv_noisy_rri.hrm", RuleQuotient, 43, 36.93570902920043},
	{"hrv_rest_rri.txt", RuleMalik, 7, 53.14057575976391},
	{"hrv_rest_rri.txt", RuleKamath, 1, 54.67452450971144},
	{"hrv_rest_rri.txt", RuleKarlsson, 0, 55.13744203126742},
	{"hrv_rest_rri.txt", RuleAcar, 2, 53.844088984695986},
	{"hrv_rest_rri.txt", RuleQuotient, 10, 51.27782813490144},
}

// TestCorrectionMatchesReference: every rule reproduces the independent
// script's count and RMSSD on the real recordings.
func TestCorrectionMatchesReference(t *testing.T) {
	t.Parallel()
	files := map[string][]float64{}
	for _, c := range rrReference {
		t.Run(c.file+"/"+string(c.rule), func(t *testing.T) {
			rr, ok := files[c.file]
			if !ok {
				rr = readRR(t, c.file)
				files[c.file] = rr
			}
			got, err := Correct(rr, c.rule)
			if err != nil {
				t.Fatal(err)
			}
			h, _ := TimeDomain(got.RR)
			if got.Count != c.corrected || got.Count != countTrue(got.Rejected) {
				t.Errorf("corrected %d beats, reference %d", got.Count, c.corrected)
			}
			relClose(t, "RMSSD", h.RMSSD, c.rmssd, 1e-9)
		})
	}
}

// TestNoisyCorrectionAgreesWithLibraries: on hrv_noisy_rri.hrm the live
// default lands inside the range two maintained implementations give on the
// same file. Their outputs, reproduced by transcribing their code into
// testdata/rr_reference.py (no numpy/pandas available here):
//   - hrvanalysis (Aura-healthcare/hrv-analysis @316b646a, get_nn_intervals):
//     malik 35 beats → RMSSD 37.3835; kamath 13 → 38.6321; karlsson 23 → 38.7619
//   - hrv (rhenanbartels/hrv @14807c8c, filters.quotient): 43 deleted → 41.8577
//
// acar (145 beats, 31.58 ms) is left out of the band: on this recording, with
// rest → cycling → recovery, its 9-beat mean lags the change of rate.
// Uncorrected RMSSD is 58.66 (the data README).
func TestNoisyCorrectionAgreesWithLibraries(t *testing.T) {
	t.Parallel()
	rr := readRR(t, "hrv_noisy_rri.hrm")
	if len(rr) != 3581 {
		t.Fatalf("parsed %d beats, want 3581", len(rr))
	}
	raw, _ := TimeDomain(rr)
	if math.Abs(raw.RMSSD-58.66) > 0.005 {
		t.Errorf("uncorrected RMSSD %.4f, want ≈58.66", raw.RMSSD)
	}
	const lo, hi = 37.3835, 41.8577 // hrvanalysis malik … hrv quotient
	c, err := Correct(rr, DefaultRule)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := TimeDomain(c.RR)
	if h.RMSSD < lo || h.RMSSD > hi {
		t.Errorf("%s: RMSSD %.4f outside the libraries' %.4f–%.4f", DefaultRule, h.RMSSD, lo, hi)
	}
	if c.Count < 13 || c.Count > 43 {
		t.Errorf("%s corrected %d beats; the libraries flag 13–43", DefaultRule, c.Count)
	}
	none, _ := Correct(rr, RuleNone)
	if none.Count != 0 {
		t.Errorf("none corrected %d beats", none.Count)
	}
}

func countTrue(b []bool) int {
	n := 0
	for _, v := range b {
		if v {
			n++
		}
	}
	return n
}

func TestCorrectCases(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		rule Rule
		in   []float64
		want []float64
	}{
		{"range gate interpolates", RuleMalik, []float64{800, 250, 820}, []float64{800, 810, 820}},
		{"premature+compensatory", RuleMalik, []float64{800, 800, 560, 1040, 800}, []float64{800, 800, 800, 800, 800}},
		{"leading reject takes neighbour", RuleMedian, []float64{2500, 800, 800, 800}, []float64{800, 800, 800, 800}},
		{"karlsson single ectopic", RuleKarlsson, []float64{800, 800, 500, 800, 800}, []float64{800, 800, 800, 800, 800}},
		// Malik 1989 compares with the previous interval as recorded: after
		// one long interval only that interval and the next (which differs
		// from it by > 20 %) go, and the run of normal beats stays.
		{"malik one long interval", RuleMalik, []float64{800, 800, 1200, 800, 800, 800}, []float64{800, 800, 800, 800, 800, 800}},
		// Kamath & Fallen 1995: +32.5 % / −24.5 %. 1050 is +31.25 % (kept),
		// 790 after 1050 is −24.76 % (rejected).
		{"kamath asymmetric limits", RuleKamath, []float64{800, 1050, 790, 800}, []float64{800, 1050, 925, 800}},
		// Piskorski & Guzik 2005: 0.8–1.2 both ways; 950/800 = 1.1875 kept.
		{"quotient within 20 %", RuleQuotient, []float64{800, 950, 800}, []float64{800, 950, 800}},
		// Acar 2000: first nine taken as they are; the tenth compared with
		// their mean 800: 1000 is +25 % → rejected (trailing: last accepted).
		{"acar mean of nine", RuleAcar, []float64{800, 800, 800, 800, 800, 800, 800, 800, 800, 1000}, []float64{800, 800, 800, 800, 800, 800, 800, 800, 800, 800}},
		{"clean untouched", RuleMedian, []float64{800, 810, 790, 805}, []float64{800, 810, 790, 805}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := Correct(c.in, c.rule)
			if err != nil {
				t.Fatal(err)
			}
			for i := range c.want {
				if math.Abs(got.RR[i]-c.want[i]) > 1e-9 {
					t.Fatalf("got %v, want %v", got.RR, c.want)
				}
			}
		})
	}
	if _, err := Correct([]float64{800}, "bogus"); !errors.Is(err, &Error{Code: CodeBadRule}) {
		t.Errorf("unknown rule: %v", err)
	}
}

func TestMalikStepChangeDoesNotCascade(t *testing.T) {
	t.Parallel()
	rr := make([]float64, 40)
	for i := range rr {
		rr[i] = 1000
		if i >= 10 {
			rr[i] = 600 // sudden, sustained exercise onset
		}
	}
	c, _ := Correct(rr, RuleMalik)
	if c.Count > 6 {
		t.Errorf("step change rejected %d beats", c.Count)
	}
}

func TestParseRR(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, in string
		want     []float64
		code     Code
	}{
		{"crlf", "1114\r\n1113\r\n\r\n1066\r\n", []float64{1114, 1113, 1066}, ""},
		{"hrm", "[Params]\r\nVersion=106\r\n[HRData]\r\n904\r\n913\r\n", []float64{904, 913}, ""},
		{"hrm multi-column", "[HRData]\n904\t120\n913\t121\n[Other]\n5\n", []float64{904, 913}, ""},
		{"garbage", "800\nabc\n", nil, CodeMalformed},
		{"negative", "800\n-5\n", nil, CodeMalformed},
		{"hrm without data", "[Params]\nX=1\n", nil, CodeMalformed},
		{"empty", "\r\n", nil, CodeEmpty},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseRR(strings.NewReader(c.in))
			if c.code != "" {
				if !errors.Is(err, &Error{Code: c.code}) {
					t.Fatalf("err %v, want %s", err, c.code)
				}
				return
			}
			if err != nil || len(got) != len(c.want) {
				t.Fatalf("got %v %v, want %v", got, err, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Fatalf("got %v, want %v", got, c.want)
				}
			}
		})
	}
}
