// Package protocols holds Haven's exposure ladders and calming protocols
// (embedded JSON plus clinic-authored ones), their validation, and the
// engine: a deterministic state machine that turns session events into the
// commands that drive a live session, following CLINICAL.md.
package protocols

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/havenvr/haven/environments"
)

// MaxProtocolBytes bounds one protocol document.
const MaxProtocolBytes = 256 << 10

// Protocol kinds and exposure progression modes (CLINICAL.md §2).
const (
	KindExposure = "exposure"
	KindCalming  = "calming"

	ModeHabituation = "habituation"
	ModeInhibitory  = "inhibitory"
)

// Protocol is an exposure ladder or a calming script with its session frame.
type Protocol struct {
	ID       string `json:"id"`
	Kind     string `json:"kind"`
	TitleKey string `json:"title_key"`
	// Name is the clinic's own name for its protocol ("Balcony ladder for
	// P-001"); the title key names library protocols and is the fallback.
	Name     string    `json:"name,omitempty"`
	Template string    `json:"template"`
	Mode     string    `json:"mode,omitempty"`
	Settings Settings  `json:"settings"`
	Session  Session   `json:"session"`
	Steps    []Step    `json:"steps,omitempty"`
	Script   []Segment `json:"script,omitempty"`
}

// Session frames the block: a baseline in a calm or neutral scene (3–5 min,
// CLINICAL.md §5, Diemer et al. 2016) and a cool-down.
type Session struct {
	Baseline Phase `json:"baseline"`
	Cooldown Phase `json:"cooldown"`
}

// Phase is a timed stretch in one calming scene.
type Phase struct {
	Template  string `json:"template"`
	DurationS int    `json:"duration_s"`
}

// Step is one item of a fear hierarchy (CLINICAL.md §1): a scene at an
// intensity (Params override the template's mapping), the expected SUDS, the
// feared outcome and its likelihood, and safety behaviours to drop.
type Step struct {
	ID           string               `json:"id"`
	Intensity    int                  `json:"intensity"`
	ExpectedSUDS int                  `json:"expected_suds"`
	Params       environments.Params  `json:"params,omitempty"`
	Layers       *environments.Layers `json:"layers,omitempty"`
	// Description says what the patient faces at this step, in the
	// therapist's words ("Stand at the railing on the 10th floor").
	Description      string   `json:"description,omitempty"`
	FearedOutcome    string   `json:"feared_outcome,omitempty"`
	FearedOutcomeKey string   `json:"feared_outcome_key,omitempty"`
	Likelihood       *int     `json:"likelihood,omitempty"`
	SafetyBehaviours []string `json:"safety_behaviours,omitempty"`
	Requires         []string `json:"requires,omitempty"`
}

// Decode parses a protocol strictly: unknown fields rejected, size bounded.
func Decode(data []byte) (*Protocol, error) {
	if len(data) > MaxProtocolBytes {
		return nil, verr("$", "too_large", fmt.Sprintf("document is %d bytes, above the limit %d", len(data), MaxProtocolBytes), nil)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var p Protocol
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("protocols: decoding protocol: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("protocols: decoding protocol: trailing data")
	}
	return &p, nil
}

// Composition returns the validated scene of step i: the template's mapping
// at the step's intensity, overridden by the step's own params and layers.
func (p *Protocol) Composition(cat *environments.Catalog, i int) (environments.Composition, error) {
	t, ok := cat.Get(p.Template)
	if !ok {
		return environments.Composition{}, verr("template", "unknown_template", fmt.Sprintf("unknown template %q", p.Template), nil)
	}
	s := p.Steps[i]
	params := t.ParamsAt(s.Intensity)
	for k, v := range s.Params {
		params[k] = v
	}
	c := environments.Composition{Template: p.Template, Params: params}
	if s.Layers != nil {
		c.Layers = *s.Layers
	}
	return c.Validate(cat)
}

// Hash is the content hash of the protocol's canonical JSON; a session
// records it to reference the exact revision it ran.
func (p *Protocol) Hash() string {
	b, _ := json.Marshal(p)
	return environments.ContentHash(b)
}

func verr(field, rule, msg string, args map[string]any) environments.ValidationErrors {
	return environments.ValidationErrors{{Field: field, Rule: rule, MessageID: "proto.error." + rule, Args: args, Msg: msg}}
}
