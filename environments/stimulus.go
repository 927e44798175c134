package environments

import (
	"fmt"
	"math"
)

// Stimulus is one anchor of a template's feared stimulus in scene
// coordinates (metres; y up, the patient at the origin looking down −z): a
// point, or a segment From–To (an edge, a row of seats, an aisle). Along
// moves it with a parameter (the spiders' distance, the edge's). Approach
// marks a stimulus the patient can walk or lean towards. The scene code in
// clients/webxr/src/scenes draws the stimulus where its anchor says; the
// server measures gaze and approach against it (server/avoidance).
type Stimulus struct {
	ID       string      `json:"id"`
	LabelKey string      `json:"label_key"`
	From     [3]float64  `json:"from"`
	To       *[3]float64 `json:"to,omitempty"`
	Along    *Along      `json:"along,omitempty"`
	Approach bool        `json:"approach,omitempty"`
}

// Along displaces an anchor by Axis × max(Min, value of Param); a bool
// parameter counts as 1 when true (the window seat moves the window closer).
type Along struct {
	Param string     `json:"param"`
	Axis  [3]float64 `json:"axis"`
	Min   float64    `json:"min,omitempty"`
}

// At returns the anchor's ends for the scene's parameters (a point has
// from == to). A parameter missing from p takes its default.
func (s Stimulus) At(t *Template, p Params) (from, to [3]float64) {
	from, to = s.From, s.From
	if s.To != nil {
		to = *s.To
	}
	if s.Along == nil {
		return from, to
	}
	val, ok := p[s.Along.Param]
	if !ok {
		if pr, found := t.Param(s.Along.Param); found {
			val = pr.Default
		}
	}
	v, _ := number(val)
	if b, isBool := val.(bool); isBool && b {
		v = 1 // a switch: the anchor moves by Axis when it is on
	}
	k := math.Max(s.Along.Min, v)
	for i := range 3 {
		from[i] += s.Along.Axis[i] * k
		to[i] += s.Along.Axis[i] * k
	}
	return from, to
}

func (t *Template) checkStimulus(errs *ValidationErrors) {
	seen := map[string]bool{}
	for i, s := range t.Stimulus {
		f := fmt.Sprintf("stimulus[%d]", i)
		if !idPattern.MatchString(s.ID) || seen[s.ID] {
			addf(errs, f+".id", "unique_id", nil, "%q is not a unique lower_snake id", s.ID)
		}
		seen[s.ID] = true
		checkKey(errs, f+".label_key", s.LabelKey)
		if s.Along == nil {
			continue
		}
		if p, ok := t.Param(s.Along.Param); !ok || p.Type == TypeEnum {
			addf(errs, f+".along.param", "unknown_param", map[string]any{"Name": s.Along.Param}, "%q is not a number or bool parameter of the template", s.Along.Param)
		}
	}
}
