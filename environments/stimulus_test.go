package environments

import (
	"math"
	"testing"
)

func near(a, b [3]float64) bool {
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-9 {
			return false
		}
	}
	return true
}

// TestStimulusAnchors: the built-in templates' anchors follow their
// parameters as the scene code places the stimulus (clients/webxr/src/scenes):
// the spiders' bowl at −max(0.3, distance_m) on the table (spiders.js
// `center`), the balcony edge at −edge_distance_m (heights.js `rail`), the
// door at −room_size_m / 2 (enclosed_space.js `dz`), the window 1 m nearer
// from the window seat (flying.js: seats XS[0] = −1.45 and XS[2] = −0.45).
func TestStimulusAnchors(t *testing.T) {
	cat, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		template string
		params   Params
		from, to [3]float64
	}{
		{"spiders", Params{"distance_m": 2.0}, [3]float64{0, 0.85, -2}, [3]float64{0, 0.85, -2}},
		{"spiders", Params{"distance_m": 0.2}, [3]float64{0, 0.85, -0.3}, [3]float64{0, 0.85, -0.3}},
		{"spiders", Params{}, [3]float64{0, 0.85, -3}, [3]float64{0, 0.85, -3}}, // default 3 m
		{"heights", Params{"edge_distance_m": 1.5}, [3]float64{-2, 0, -1.5}, [3]float64{2, 0, -1.5}},
		{"enclosed_space", Params{"room_size_m": 2.0}, [3]float64{0, 1.05, -1}, [3]float64{0, 1.05, -1}},
		{"flying", Params{"window_seat": true}, [3]float64{-0.45, 1.25, -3}, [3]float64{-0.45, 1.25, 3}},
		{"flying", Params{"window_seat": false}, [3]float64{-1.45, 1.25, -3}, [3]float64{-1.45, 1.25, 3}},
	}
	for _, c := range cases {
		tpl, _ := cat.Get(c.template)
		from, to := tpl.Stimulus[0].At(tpl, c.params)
		if !near(from, c.from) || !near(to, c.to) {
			t.Errorf("%s %v: anchor %v–%v, want %v–%v", c.template, c.params, from, to, c.from, c.to)
		}
	}
	for _, tpl := range cat.List() {
		if tpl.Kind == KindExposure && len(tpl.Stimulus) == 0 {
			t.Errorf("exposure template %s declares no stimulus", tpl.ID)
		}
	}
}

// TestStimulusChecked: an anchor moved by an unknown or enum parameter, or
// with a repeated id, is refused with the field named.
func TestStimulusChecked(t *testing.T) {
	tpl := &Template{ID: "x", Kind: KindExposure, Purpose: "p", LabelKey: "a.b", HelpKey: "a.c",
		Params: []Param{{Name: "mode", Type: TypeEnum, Choices: []string{"a", "b"}, Default: "a", LabelKey: "a.d", HelpKey: "a.e"}},
		Stimulus: []Stimulus{
			{ID: "s", LabelKey: "a.f", Along: &Along{Param: "mode"}},
			{ID: "s", LabelKey: "a.f", Along: &Along{Param: "nope"}},
		}}
	got := map[string]bool{}
	for _, e := range tpl.Check() {
		got[e.Field] = true
	}
	for _, f := range []string{"stimulus[0].along.param", "stimulus[1].id", "stimulus[1].along.param"} {
		if !got[f] {
			t.Errorf("no error on %s; got %v", f, got)
		}
	}
}
