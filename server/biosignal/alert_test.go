package biosignal

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

func TestCoherenceSynthetic(t *testing.T) {
	t.Parallel()
	beats := func(f func(t float64) float64) ([]float64, []int64) {
		var rr []float64
		var ts []int64
		tm := 0.0
		for tm < 70_000 {
			v := f(tm)
			tm += v
			rr, ts = append(rr, v), append(ts, int64(tm))
		}
		return rr, ts
	}
	rr, ts := beats(func(tm float64) float64 { return 900 + 80*math.Sin(2*math.Pi*0.1*tm/1000) })
	c, err := Coherence(rr, ts)
	if err != nil || c.Score < 0.9 || math.Abs(c.PeakHz-0.1) > 0.016 {
		t.Errorf("pure 0.1 Hz RSA: %+v %v", c, err)
	}
	// Two equal components (0.06 and 0.22 Hz) split the power: about half each.
	rr, ts = beats(func(tm float64) float64 {
		return 900 + 50*math.Sin(2*math.Pi*0.06*tm/1000) + 50*math.Sin(2*math.Pi*0.22*tm/1000)
	})
	if c, _ := Coherence(rr, ts); c.Score < 0.3 || c.Score > 0.7 {
		t.Errorf("two components: %+v", c)
	}
	if _, err := Coherence(rr[:5], ts[:5]); !errors.Is(err, &Error{Code: CodeEmpty}) {
		t.Errorf("too short: %v", err)
	}
	if _, err := Coherence(rr[len(rr)-40:], ts[len(ts)-40:]); !errors.Is(err, &Error{Code: CodeEmpty}) {
		t.Errorf("under 64 s: %v", err)
	}
}

func f64(v float64) *float64 { return &v }

func TestEvaluatorEpisodes(t *testing.T) {
	t.Parallel()
	rules := DefaultAlertRules()
	for i := range rules {
		rules[i].ClearS = -1 // clear at once; hysteresis has its own test
	}
	ev, err := NewEvaluator(rules, 40) // max 180, 85 % = 153 bpm
	if err != nil {
		t.Fatal(err)
	}
	type step struct {
		s      int64
		m      Metrics
		events []string // code:fired|cleared
	}
	ok := func(hr float64) Metrics { return Metrics{HR: f64(hr), LastSampleT: 0, Contact: ContactOK} }
	steps := []step{
		{0, ok(150), nil},
		{5, ok(160), nil},
		{24, ok(160), nil},                          // 19 s above: not yet
		{25, ok(161), []string{"hr_ceiling:fired"}}, // 20 s
		{30, ok(170), nil},                          // once per episode
		{31, ok(140), []string{"hr_ceiling:cleared"}},
		{32, ok(160), nil}, // a new episode restarts the 20 s
		{51, ok(160), nil},
		{52, ok(160), []string{"hr_ceiling:fired"}},
		{53, Metrics{HR: f64(100), Contact: ContactLost}, []string{"hr_ceiling:cleared"}},
		{58, Metrics{HR: f64(100), Contact: ContactLost}, []string{"contact_lost:fired"}},
		{59, ok(100), []string{"contact_lost:cleared"}},
		{70, Metrics{HR: f64(100), LastSampleT: 61_000}, nil},
		{71, Metrics{HR: f64(100), LastSampleT: 61_000}, []string{"no_data:fired"}},
		{72, Metrics{HR: f64(100), LastSampleT: 72_000}, []string{"no_data:cleared"}},
		{80, Metrics{HR: f64(100), HRZ: f64(4), EDAZ: f64(1), LastSampleT: 80_000}, nil},
		{110, Metrics{HR: f64(100), HRZ: f64(4), EDAZ: f64(5), LastSampleT: 110_000}, []string{"hr_high:fired"}},
		{140, Metrics{HR: f64(100), HRZ: f64(4), EDAZ: f64(5), LastSampleT: 140_000}, []string{"eda_high:fired"}},
	}
	for _, st := range steps {
		now := st.s * 1000
		if st.m.LastSampleT == 0 {
			st.m.LastSampleT = now
		}
		got := ev.Evaluate(now, st.m)
		var codes []string
		for _, e := range got {
			state := "cleared"
			if e.Fired {
				state = "fired"
			}
			codes = append(codes, e.Code+":"+state)
			if e.MessageID == "" {
				t.Errorf("t=%d: event without message id", st.s)
			}
		}
		if len(codes) != len(st.events) || (len(codes) > 0 && codes[0] != st.events[0]) {
			t.Errorf("t=%ds: events %v, want %v", st.s, codes, st.events)
		}
	}
}

// With the default 10 s clear hysteresis, a value dipping under the
// threshold briefly stays one episode.
func TestEvaluatorHysteresis(t *testing.T) {
	t.Parallel()
	ev, _ := NewEvaluator([]AlertRule{{Code: "c", Kind: AlertHRMax, Share: 0.85, ForS: 20}}, 40)
	hr := func(s int64) float64 {
		switch {
		case s < 30:
			return 160
		case s < 35: // a 5 s dip
			return 150
		case s < 45:
			return 160
		}
		return 120
	}
	var got []string
	for s := int64(0); s <= 60; s++ {
		for _, e := range ev.Evaluate(s*1000, Metrics{HR: f64(hr(s)), LastSampleT: s * 1000}) {
			got = append(got, fmt.Sprintf("%t@%d", e.Fired, s))
		}
	}
	if strings.Join(got, " ") != "true@20 false@55" {
		t.Errorf("events %v, want fired at 20 s and cleared 10 s after the last high value", got)
	}
}

func TestAlertRulesJSON(t *testing.T) {
	t.Parallel()
	rules, err := ParseAlertRules([]byte(`[{"code":"ceiling","kind":"hr_max_share","share":0.8,"for_s":10},
		{"code":"quiet","kind":"no_data","for_s":15},{"code":"off","kind":"hr_z","z":2,"for_s":5,"off":true}]`))
	if err != nil || len(rules) != 3 || rules[0].Share != 0.8 || !rules[2].Off {
		t.Fatalf("rules %+v %v", rules, err)
	}
	ev, _ := NewEvaluator(rules, 60) // 80 % of 160 = 128
	if got := ev.Evaluate(0, Metrics{HR: f64(130), HRZ: f64(9)}); len(got) != 0 {
		t.Errorf("fired before for_s: %+v", got)
	}
	if got := ev.Evaluate(10_000, Metrics{HR: f64(130), HRZ: f64(9), LastSampleT: 10_000}); len(got) != 1 || got[0].Threshold != 128 {
		t.Errorf("ceiling at 80 %%: %+v", got)
	}
	for _, bad := range []string{`{}`, `[{"kind":"hr_z","z":2}]`, `[{"code":"x","kind":"hr_z","z":-1}]`,
		`[{"code":"x","kind":"bogus"}]`, `[{"code":"x","kind":"hr_max_share","share":5}]`, `[{"code":"x","kind":"no_data","for_s":-1}]`} {
		if _, err := ParseAlertRules([]byte(bad)); !errors.Is(err, &Error{Code: CodeBadRule}) {
			t.Errorf("%s: %v", bad, err)
		}
	}
	if ev, err := NewEvaluator(nil, 300); err != nil || ev == nil {
		t.Errorf("age 300 (clamped, not an error): %v", err)
	}
}

// An age outside 5–110 (an unknown or mistyped birth year) is clamped for
// 220 − age and reported; it never costs the patient the other rules.
func TestEvaluatorAgeClamped(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		age, used int
		clamped   bool
	}{
		{40, 40, false}, {5, 5, false}, {110, 110, false},
		{4, 5, true}, {0, 5, true}, {-3, 5, true}, // birth year this year or in the future
		{111, 110, true}, {2026, 110, true}, // birth year 1900 or missing (0)
	} {
		t.Run(fmt.Sprint(c.age), func(t *testing.T) {
			rules := DefaultAlertRules()
			ev, err := NewEvaluator(rules, c.age)
			if err != nil || ev == nil {
				t.Fatalf("NewEvaluator: %v", err)
			}
			if used, clamped := ev.HRMaxAge(); used != c.used || clamped != c.clamped {
				t.Fatalf("HRMaxAge() = %d, %t; want %d, %t", used, clamped, c.used, c.clamped)
			}
			th := 0.85 * float64(220-c.used)
			m := Metrics{HR: f64(th + 1), Contact: ContactLost}
			fired := map[string]float64{}
			for s := int64(0); s <= 20; s++ {
				m.LastSampleT = s * 1000
				for _, a := range ev.Evaluate(s*1000, m) {
					fired[a.Code] = a.Threshold
				}
			}
			if got, ok := fired["hr_ceiling"]; !ok || got != th {
				t.Errorf("hr_ceiling %v (fired %t), want threshold %v", got, ok, th)
			}
			if _, ok := fired["contact_lost"]; !ok {
				t.Errorf("contact_lost did not fire: %v", fired)
			}
		})
	}
}

// An invalid rule is left out and reported; the evaluator still runs the rest.
func TestEvaluatorBadRuleLeftOut(t *testing.T) {
	t.Parallel()
	rules := []AlertRule{
		{Code: "hr_high", Kind: AlertHRZ, Z: 3, ForS: 30},
		{Code: "bad", Kind: AlertHRMax, Share: 5, ForS: 20},
		{Code: "contact_lost", Kind: AlertContactLost, ForS: 5},
		{Code: "", Kind: AlertNoData, ForS: 10},
	}
	ev, err := NewEvaluator(rules, 40)
	if ev == nil || !errors.Is(err, &Error{Code: CodeBadRule}) ||
		!strings.Contains(err.Error(), "sample 1") || !strings.Contains(err.Error(), "sample 3") {
		t.Fatalf("evaluator %v, err %v: want both bad rules reported", ev, err)
	}
	var got []string
	for s := int64(0); s <= 5; s++ {
		for _, a := range ev.Evaluate(s*1000, Metrics{Contact: ContactLost, LastSampleT: s * 1000}) {
			got = append(got, a.Code)
		}
	}
	if strings.Join(got, " ") != "contact_lost" {
		t.Errorf("events %v, want contact_lost from the valid rules", got)
	}
}

// no_data fires ForS after the session started when no sample ever arrived
// (LastSampleT 0), and otherwise counts from the later of start and last sample.
func TestEvaluatorNoDataFromStart(t *testing.T) {
	t.Parallel()
	type step struct {
		s, last int64  // evaluation time and LastSampleT, seconds (0: nothing yet)
		event   string // "", "fired" or "cleared"
		since   int64  // episode start of a fired event, seconds
	}
	for _, c := range []struct {
		name  string
		start int64 // Start(start·1000); −1: never called
		steps []step
	}{
		{"nothing ever arrives", 100, []step{{100, 0, "", 0}, {105, 0, "", 0}, {109, 0, "", 0}, {110, 0, "fired", 100}, {111, 0, "", 0}, {112, 112, "cleared", 0}}},
		{"first sample late", 100, []step{{104, 0, "", 0}, {108, 108, "", 0}, {117, 108, "", 0}, {118, 108, "fired", 108}}},
		{"samples before start", 100, []step{{100, 95, "", 0}, {109, 95, "", 0}, {110, 95, "fired", 100}}},
		{"no Start: first evaluation", -1, []step{{50, 0, "", 0}, {59, 0, "", 0}, {60, 0, "fired", 50}}},
		{"no Start: last sample", -1, []step{{50, 45, "", 0}, {54, 45, "", 0}, {55, 45, "fired", 45}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ev, err := NewEvaluator([]AlertRule{{Code: "no_data", Kind: AlertNoData, ForS: 10, ClearS: -1}}, 40)
			if err != nil {
				t.Fatal(err)
			}
			if c.start >= 0 {
				ev.Start(c.start * 1000)
			}
			for _, st := range c.steps {
				got := ev.Evaluate(st.s*1000, Metrics{LastSampleT: st.last * 1000})
				var event string
				var since int64
				for _, a := range got {
					event, since = "cleared", 0
					if a.Fired {
						event, since = "fired", a.Since/1000
					}
				}
				if len(got) > 1 || event != st.event || since != st.since {
					t.Errorf("t=%ds: %+v, want %q since %ds", st.s, got, st.event, st.since)
				}
			}
		})
	}
}
