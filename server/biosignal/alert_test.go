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
	if _, err := NewEvaluator(nil, 300); err == nil {
		t.Error("age 300 accepted")
	}
}
