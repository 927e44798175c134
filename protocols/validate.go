package protocols

import (
	"fmt"
	"regexp"
	"unicode"
	"unicode/utf8"

	"github.com/havenvr/haven/environments"
)

// Ladder and script bounds (CLINICAL.md §1: 8–15 items).
const (
	MinSteps    = 8
	MaxSteps    = 15
	MaxSegments = 200
	MaxScriptMs = 2 * 60 * 60 * 1000
	// MaxSUDSGap is the adjacent expected-SUDS difference above which a
	// ladder gets a warning (§1: adjacent items differ by at most 10–15).
	MaxSUDSGap = 15
)

var (
	idRe  = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	keyRe = regexp.MustCompile(`^[a-z][a-zA-Z0-9_.-]{0,127}$`)
)

type errList struct{ environments.ValidationErrors }

func (e *errList) add(field, rule, msg string, args map[string]any) {
	e.ValidationErrors = append(e.ValidationErrors, &environments.FieldError{
		Field: field, Rule: rule, MessageID: "proto.error." + rule, Args: args, Msg: msg})
}

// Validate checks a protocol against the template catalog; the error is an
// environments.ValidationErrors naming every offending field.
func (p *Protocol) Validate(cat *environments.Catalog) error {
	var errs errList
	if !idRe.MatchString(p.ID) {
		errs.add("id", "pattern", fmt.Sprintf("%q is not a lower-case id", p.ID), nil)
	}
	if !keyRe.MatchString(p.TitleKey) {
		errs.add("title_key", "key", fmt.Sprintf("%q is not a message id", p.TitleKey), nil)
	}
	checkText(&errs, "name", p.Name, MaxNameChars)
	p.Settings.check(&errs)
	p.checkSession(cat, &errs)
	t, ok := cat.Get(p.Template)
	switch {
	case !ok:
		errs.add("template", "unknown_template", fmt.Sprintf("unknown template %q", p.Template), map[string]any{"Value": p.Template})
	case p.Kind == KindExposure:
		if t.Kind != environments.KindExposure {
			errs.add("template", "template_kind", fmt.Sprintf("%q is not an exposure template", p.Template), nil)
		}
		p.checkLadder(cat, &errs)
	case p.Kind == KindCalming:
		if t.Kind != environments.KindCalming {
			errs.add("template", "template_kind", fmt.Sprintf("%q is not a calming template", p.Template), nil)
		}
		p.checkScript(&errs)
	default:
		errs.add("kind", "choice", fmt.Sprintf("%q is not exposure or calming", p.Kind), map[string]any{"Value": p.Kind})
	}
	return errs.OrNil()
}

func (p *Protocol) checkSession(cat *environments.Catalog, errs *errList) {
	for _, ph := range []struct {
		name   string
		ph     Phase
		lo, hi int
	}{{"baseline", p.Session.Baseline, 180, 300}, {"cooldown", p.Session.Cooldown, 0, 900}} {
		f := "session." + ph.name
		if t, ok := cat.Get(ph.ph.Template); !ok || t.Kind != environments.KindCalming {
			errs.add(f+".template", "template_kind", fmt.Sprintf("%q is not a calming or neutral template", ph.ph.Template), nil)
		}
		if ph.ph.DurationS < ph.lo || ph.ph.DurationS > ph.hi {
			errs.add(f+".duration_s", "range", fmt.Sprintf("%d is outside %d–%d", ph.ph.DurationS, ph.lo, ph.hi),
				map[string]any{"Value": ph.ph.DurationS, "Min": ph.lo, "Max": ph.hi})
		}
	}
}

func (p *Protocol) checkLadder(cat *environments.Catalog, errs *errList) {
	if p.Mode != ModeHabituation && p.Mode != ModeInhibitory {
		errs.add("mode", "choice", fmt.Sprintf("%q is not habituation or inhibitory", p.Mode), map[string]any{"Value": p.Mode})
	}
	if n := len(p.Steps); n < MinSteps || n > MaxSteps {
		errs.add("steps", "step_count", fmt.Sprintf("has %d steps, needs %d–%d", n, MinSteps, MaxSteps),
			map[string]any{"Count": n, "Min": MinSteps, "Max": MaxSteps})
		if n > 4*MaxSteps {
			return
		}
	}
	if len(p.Script) > 0 {
		errs.add("script", "not_allowed", "an exposure protocol has steps, not a script", nil)
	}
	index := map[string]int{}
	for i, s := range p.Steps {
		f := fmt.Sprintf("steps[%d]", i)
		if _, dup := index[s.ID]; dup || !idRe.MatchString(s.ID) {
			errs.add(f+".id", "duplicate_id", fmt.Sprintf("%q is missing, malformed or used twice", s.ID), map[string]any{"Value": s.ID})
		}
		index[s.ID] = i
		checkText(errs, f+".description", s.Description, MaxDescriptionChars)
		pct := func(name string, v int) {
			if v < 0 || v > 100 {
				errs.add(f+"."+name, "range", fmt.Sprintf("%d is outside 0–100", v), map[string]any{"Value": v, "Min": 0, "Max": 100})
			}
		}
		pct("intensity", s.Intensity)
		pct("expected_suds", s.ExpectedSUDS)
		if s.Likelihood != nil {
			pct("likelihood", *s.Likelihood)
		}
		if s.FearedOutcomeKey != "" && !keyRe.MatchString(s.FearedOutcomeKey) {
			errs.add(f+".feared_outcome_key", "key", "is not a message id", nil)
		}
		if _, err := p.Composition(cat, i); err != nil {
			if ve, ok := err.(environments.ValidationErrors); ok {
				for _, e := range ve {
					errs.add(f+"."+e.Field, e.Rule, e.Msg, e.Args)
				}
			}
		}
	}
	p.checkRequires(index, errs)
}

// checkRequires rejects unknown prerequisites and cycles (depth-first search
// with three colours).
func (p *Protocol) checkRequires(index map[string]int, errs *errList) {
	colour := make([]int, len(p.Steps))
	var visit func(i int) bool
	visit = func(i int) bool {
		colour[i] = 1
		for _, r := range p.Steps[i].Requires {
			j, ok := index[r]
			if !ok {
				continue
			}
			if colour[j] == 1 || (colour[j] == 0 && !visit(j)) {
				return false
			}
		}
		colour[i] = 2
		return true
	}
	for i, s := range p.Steps {
		for k, r := range s.Requires {
			if _, ok := index[r]; !ok {
				errs.add(fmt.Sprintf("steps[%d].requires[%d]", i, k), "unknown_step", fmt.Sprintf("no step %q", r), map[string]any{"Value": r})
			}
		}
		if colour[i] == 0 && !visit(i) {
			errs.add(fmt.Sprintf("steps[%d].requires", i), "cycle", fmt.Sprintf("step %q is part of a requirement cycle", s.ID), nil)
			return
		}
	}
}

func (p *Protocol) checkScript(errs *errList) {
	if p.Mode != "" || len(p.Steps) > 0 {
		errs.add("steps", "not_allowed", "a calming protocol has a script, not steps or a mode", nil)
	}
	if n := len(p.Script); n == 0 || n > MaxSegments {
		errs.add("script", "segment_count", fmt.Sprintf("has %d segments, needs 1–%d", n, MaxSegments), map[string]any{"Count": n})
		return
	}
	seen := map[string]bool{}
	for i, s := range p.Script {
		f := fmt.Sprintf("script[%d]", i)
		if seen[s.ID] || !idRe.MatchString(s.ID) {
			errs.add(f+".id", "duplicate_id", fmt.Sprintf("%q is missing, malformed or used twice", s.ID), map[string]any{"Value": s.ID})
		}
		seen[s.ID] = true
		if !keyRe.MatchString(s.TextKey) {
			errs.add(f+".text_key", "key", fmt.Sprintf("%q is not a message id", s.TextKey), nil)
		}
		if s.DurationMs < 0 || s.Cycles < 0 {
			errs.add(f+".duration_ms", "negative", "durations and cycles cannot be negative", nil)
		} else if s.Ms() == 0 && !s.PatientPaced {
			errs.add(f+".duration_ms", "required", "needs a duration, pacer cycles or patient_paced", nil)
		}
		if s.Pacer != nil {
			checkPacer(f+".pacer", *s.Pacer, errs)
		}
	}
	if p.ScriptMs() > MaxScriptMs {
		errs.add("script", "too_long", "the script is longer than 2 hours", nil)
	}
}

func checkPacer(f string, pc Pacer, errs *errList) {
	for _, ph := range []struct {
		n string
		v int64
	}{{"inhale_ms", pc.InhaleMs}, {"top_up_ms", pc.TopUpMs}, {"hold_in_ms", pc.HoldInMs}, {"exhale_ms", pc.ExhaleMs}, {"hold_out_ms", pc.HoldOutMs}} {
		if ph.v < 0 || ph.v > 60000 {
			errs.add(f+"."+ph.n, "negative", fmt.Sprintf("%d ms is outside 0–60000", ph.v), nil)
		}
	}
	if pc.InhaleMs <= 0 || pc.ExhaleMs <= 0 {
		errs.add(f, "required", "a breath needs an inhale and an exhale", nil)
	}
	if pc.BreathsPerMin != 0 {
		want := 60000 / pc.BreathsPerMin
		if pc.BreathsPerMin < 2 || pc.BreathsPerMin > 20 || abs(float64(pc.CycleMs())-want) > 1 {
			errs.add(f+".breaths_per_min", "pacer_rate", fmt.Sprintf("%g/min needs a %.0f ms cycle, phases sum to %d", pc.BreathsPerMin, want, pc.CycleMs()), nil)
		}
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// Warning is advice that does not block saving (e.g. a large SUDS gap).
type Warning struct {
	Field     string         `json:"field"`
	Rule      string         `json:"rule"`
	MessageID string         `json:"message_id"`
	Args      map[string]any `json:"args,omitempty"`
}

// Warnings lists adjacent steps whose expected SUDS differ by more than
// MaxSUDSGap (CLINICAL.md §1) and a first step far from the suggested ~40.
func (p *Protocol) Warnings() []Warning {
	var w []Warning
	if len(p.Steps) > 0 && (p.Steps[0].ExpectedSUDS < 25 || p.Steps[0].ExpectedSUDS > 55) {
		w = append(w, Warning{Field: "steps[0].expected_suds", Rule: "start_suds", MessageID: "proto.warn.start_suds",
			Args: map[string]any{"Value": p.Steps[0].ExpectedSUDS}})
	}
	for i := 1; i < len(p.Steps); i++ {
		gap := p.Steps[i].ExpectedSUDS - p.Steps[i-1].ExpectedSUDS
		if gap < 0 {
			gap = -gap // the message speaks of a distance between steps
		}
		if gap > MaxSUDSGap {
			w = append(w, Warning{Field: fmt.Sprintf("steps[%d].expected_suds", i), Rule: "suds_gap",
				MessageID: "proto.warn.suds_gap", Args: map[string]any{"Gap": gap, "Max": MaxSUDSGap}})
		}
	}
	return w
}

// Lengths of a protocol's free texts, in characters.
const (
	MaxNameChars        = 120
	MaxDescriptionChars = 300
)

// checkText refuses a name or description that is too long or not one line
// of visible text (control and bidirectional-override characters would
// garble every list that shows it).
func checkText(errs *errList, field, v string, maxChars int) {
	bad := !utf8.ValidString(v) || utf8.RuneCountInString(v) > maxChars
	for _, r := range v {
		bad = bad || unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r)
	}
	if bad {
		errs.add(field, "text_length", fmt.Sprintf("at most %d characters on one line", maxChars), map[string]any{"Max": maxChars})
	}
}
