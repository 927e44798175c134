package biosignal

import (
	"encoding/json"
	"errors"
	"fmt"
)

// AlertKind is what an alert rule watches.
type AlertKind string

// Alert kinds.
const (
	// AlertHRMax: HR above Share of the age-predicted maximum 220 − age
	// (CLINICAL.md §5: default 85 % for ≥ 20 s).
	AlertHRMax AlertKind = "hr_max_share"
	// AlertHRAbove: HR above BPM, an absolute ceiling a therapist set for one
	// patient (CLINICAL.md §5: "set in bpm by the therapist, with a reason").
	AlertHRAbove AlertKind = "hr_above"
	// AlertHRZ / AlertEDAZ: baseline z-score above Z.
	AlertHRZ  AlertKind = "hr_z"
	AlertEDAZ AlertKind = "eda_z"
	// AlertContactLost: the chest strap reports no skin contact.
	AlertContactLost AlertKind = "contact_lost"
	// AlertNoData: no sample of any stream for ForS seconds, counted from
	// the last sample or, when none has arrived since, from Evaluator.Start.
	AlertNoData AlertKind = "no_data"
)

// AlertRule is one rule, decodable from protocol or patient JSON, e.g.
// {"code":"hr_ceiling","kind":"hr_max_share","share":0.85,"for_s":20}.
type AlertRule struct {
	Code  string    `json:"code"`
	Kind  AlertKind `json:"kind"`
	Share float64   `json:"share,omitempty"`
	BPM   float64   `json:"bpm,omitempty"`
	Z     float64   `json:"z,omitempty"`
	ForS  float64   `json:"for_s"`
	// ClearS: the condition must stay false this long before the episode
	// ends (hysteresis: a value hovering at the threshold must not make the
	// alert flap). Default 10 s; negative means clear at once.
	ClearS float64 `json:"clear_s,omitempty"`
	Off    bool    `json:"off,omitempty"` // e.g. HR ceiling off for interoceptive exposure
}

// DefaultAlertRules are the engineering defaults (CLINICAL.md §5 marks them
// configurable per protocol and patient).
func DefaultAlertRules() []AlertRule {
	return []AlertRule{
		{Code: "hr_ceiling", Kind: AlertHRMax, Share: 0.85, ForS: 20},
		{Code: "hr_high", Kind: AlertHRZ, Z: 3, ForS: 30},
		{Code: "eda_high", Kind: AlertEDAZ, Z: 3, ForS: 30},
		{Code: "contact_lost", Kind: AlertContactLost, ForS: 5},
		{Code: "no_data", Kind: AlertNoData, ForS: 10},
	}
}

// ParseAlertRules decodes and validates a JSON array of rules.
func ParseAlertRules(data []byte) ([]AlertRule, error) {
	var rules []AlertRule
	if err := json.Unmarshal(data, &rules); err != nil {
		return nil, errf(CodeBadRule, -1, "decoding alert rules: %v", err)
	}
	for i, r := range rules {
		if err := r.validate(); err != nil {
			return nil, errf(CodeBadRule, i, "%v", err)
		}
	}
	return rules, nil
}

func (r AlertRule) validate() error {
	if r.Code == "" {
		return fmt.Errorf("rule without code")
	}
	if !(r.ForS >= 0 && r.ForS <= 3600) || !(r.ClearS <= 3600) {
		return fmt.Errorf("for_s %v or clear_s %v outside 0–3600", r.ForS, r.ClearS)
	}
	switch r.Kind {
	case AlertHRMax:
		if !(r.Share > 0.3 && r.Share <= 1.2) {
			return fmt.Errorf("share %v outside (0.3, 1.2]", r.Share)
		}
	case AlertHRAbove:
		if !(r.BPM >= 40 && r.BPM <= 250) {
			return fmt.Errorf("bpm %v outside 40–250", r.BPM)
		}
	case AlertHRZ, AlertEDAZ:
		if !(r.Z > 0 && r.Z < 20) {
			return fmt.Errorf("z %v outside (0, 20)", r.Z)
		}
	case AlertContactLost, AlertNoData:
	default:
		return fmt.Errorf("unknown kind %q", r.Kind)
	}
	return nil
}

// AlertEvent is emitted when a rule fires (condition held ForS) and when it
// clears. MessageID localizes it (bio.alert.<kind>, bio.alert.cleared).
type AlertEvent struct {
	Code      string    `json:"code"`
	Kind      AlertKind `json:"kind"`
	Fired     bool      `json:"fired"` // false: cleared
	T         int64     `json:"t"`
	Since     int64     `json:"since"`
	Value     float64   `json:"value"`
	Threshold float64   `json:"threshold"`
	MessageID string    `json:"message_id"`
}

// Evaluator applies rules to successive Metrics. Deterministic: time comes
// only from its arguments. Each rule fires once per episode and clears when
// its condition stops holding. Not safe for concurrent use.
type Evaluator struct {
	rules   []AlertRule
	age     int   // for 220 − age, within MinHRMaxAge–MaxHRMaxAge
	clamped bool  // the age given was outside that range
	start   int64 // see Start…
	started bool  // …if it was called
	first   int64 // time of the first Evaluate…
	seen    bool  // …once there was one
	state   []ruleState
}

// Ages for which the age-predicted maximum 220 − age is used as is
// (CLINICAL.md §5). The formula was never meant for infants or the very old,
// and an age outside this range usually means a mistyped or unknown birth
// year: NewEvaluator clamps it rather than losing the HR ceiling.
const (
	MinHRMaxAge = 5
	MaxHRMaxAge = 110
)

type ruleState struct {
	active   bool  // condition currently true
	since    int64 // since when
	firing   bool
	off      bool  // firing, but the condition is false…
	offSince int64 // …since then
}

func (r AlertRule) clearMs() float64 {
	switch {
	case r.ClearS < 0:
		return 0
	case r.ClearS == 0:
		return 10_000
	}
	return r.ClearS * 1000
}

// NewEvaluator returns an evaluator for rules; age (years) sets the HR
// maximum 220 − age. It never returns nil and nothing it is given disables
// alerting as a whole. An invalid rule is left out and reported in err
// (CodeBadRule, Index = the rule's position; several are joined) while every
// other rule runs. An age outside MinHRMaxAge–MaxHRMaxAge is clamped into
// that range, not an error: HRMaxAge reports it, for the caller to tell the
// therapist.
func NewEvaluator(rules []AlertRule, age int) (*Evaluator, error) {
	e := &Evaluator{}
	e.age, e.clamped = clampAge(age)
	var errs []error
	for i, r := range rules {
		if err := r.validate(); err != nil {
			errs = append(errs, errf(CodeBadRule, i, "rule %q left out: %v", r.Code, err))
			continue
		}
		e.rules = append(e.rules, r)
	}
	e.state = make([]ruleState, len(e.rules))
	if len(errs) == 1 {
		return e, errs[0]
	}
	return e, errors.Join(errs...)
}

func clampAge(age int) (int, bool) {
	c := min(max(age, MinHRMaxAge), MaxHRMaxAge)
	return c, c != age
}

// HRMaxAge returns the age the HR ceiling uses (220 − age) and whether it
// was clamped from the age given to NewEvaluator.
func (e *Evaluator) HRMaxAge() (age int, clamped bool) { return e.age, e.clamped }

// Start marks when monitoring began (unix ms): the session going live, or
// the start of the baseline. no_data counts silence from the later of Start
// and the last sample, so it fires ForS after Start when no sample has ever
// arrived. Without Start, the first Evaluate call stands in for it.
func (e *Evaluator) Start(t int64) { e.start, e.started = t, true }

// silenceFrom is when the current silence began (see Start).
func (e *Evaluator) silenceFrom(m Metrics) int64 {
	switch {
	case e.started:
		return max(m.LastSampleT, e.start)
	case m.LastSampleT == 0:
		return e.first
	}
	return m.LastSampleT
}

// Evaluate checks every rule against m at now (unix ms) and returns the
// events that happened at this step. Call it on every tick, also before any
// sample has arrived (m.LastSampleT == 0), or no_data cannot fire.
func (e *Evaluator) Evaluate(now int64, m Metrics) []AlertEvent {
	if !e.seen {
		e.seen, e.first = true, now
	}
	var out []AlertEvent
	for i, r := range e.rules {
		if r.Off {
			continue
		}
		on, v, th := e.condition(r, now, m)
		hold, since := r.ForS*1000, now
		if r.Kind == AlertNoData {
			// The condition already measures the silence, and the episode
			// starts where the silence did, not at the evaluation noticing it.
			hold, since = 0, e.silenceFrom(m)
		}
		st := &e.state[i]
		ev := AlertEvent{Code: r.Code, Kind: r.Kind, T: now, Since: st.since, Value: v, Threshold: th}
		switch {
		case on && st.firing:
			st.off = false
		case on:
			if !st.active {
				st.active, st.since = true, since
			}
			if float64(now-st.since) >= hold {
				st.firing, st.off = true, false
				ev.Fired, ev.Since, ev.MessageID = true, st.since, "bio.alert."+string(r.Kind)
				out = append(out, ev)
			}
		case st.firing:
			if !st.off {
				st.off, st.offSince = true, now
			}
			if float64(now-st.offSince) >= r.clearMs() {
				ev.MessageID = "bio.alert.cleared"
				out = append(out, ev)
				*st = ruleState{}
			}
		default:
			st.active = false
		}
	}
	return out
}

// condition reports whether r's condition holds, with the value and threshold.
func (e *Evaluator) condition(r AlertRule, now int64, m Metrics) (bool, float64, float64) {
	switch r.Kind {
	case AlertHRMax:
		th := r.Share * float64(220-e.age)
		return m.HR != nil && *m.HR > th, deref(m.HR), th
	case AlertHRAbove:
		return m.HR != nil && *m.HR > r.BPM, deref(m.HR), r.BPM
	case AlertHRZ:
		return m.HRZ != nil && *m.HRZ > r.Z, deref(m.HRZ), r.Z
	case AlertEDAZ:
		return m.EDAZ != nil && *m.EDAZ > r.Z, deref(m.EDAZ), r.Z
	case AlertContactLost:
		return m.Contact == ContactLost, 0, 0
	case AlertNoData:
		// ForS is the gap itself; the value is the gap in seconds.
		gap := float64(now - e.silenceFrom(m))
		return gap >= r.ForS*1000, gap / 1000, r.ForS
	}
	return false, 0, 0
}

func deref(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}
