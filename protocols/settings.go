package protocols

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/havenvr/haven/environments"
)

// Settings are the configurable clinical defaults. Zero means "use the
// default" (CLINICAL.md marks each as a default a clinic may change); a
// patient's settings are merged over the protocol's with Merge.
type Settings struct {
	// SUDSIntervalMin: ask SUDS every N minutes, 1–15 (§2, default 5).
	SUDSIntervalMin int `json:"suds_interval_min,omitempty"`
	// MinDwellMin: minimum time on a step before advance is suggested (default 5).
	MinDwellMin float64 `json:"min_dwell_min,omitempty"`
	// MaxDwellMin: at this dwell the therapist decides (sources 30–45, default 30).
	MaxDwellMin float64 `json:"max_dwell_min,omitempty"`
	// AdvanceRatio: advance when SUDS ≤ ratio × step peak (Foa & Kozak, default 0.5).
	AdvanceRatio float64 `json:"advance_ratio,omitempty"`
	// StepBackSUDS: suggest a step back at or above this SUDS (default 90).
	StepBackSUDS int `json:"step_back_suds,omitempty"`
	// UnansweredLimit: consecutive unanswered SUDS prompts → soft pause (§5, default 2).
	UnansweredLimit int `json:"unanswered_limit,omitempty"`
	// SUDSAnswerS: a prompt counts as unanswered after this many seconds (default 60).
	SUDSAnswerS int `json:"suds_answer_s,omitempty"`
	// HRCeilingShare of age-predicted maximum 220−age (§5, default 0.85).
	HRCeilingShare float64 `json:"hr_ceiling_share,omitempty"`
	// HRCeilingSustainS: the ceiling must hold this long (default 20).
	HRCeilingSustainS int `json:"hr_ceiling_sustain_s,omitempty"`
	// HRCeilingOff switches the ceiling off (interoceptive exposure; or one
	// patient, e.g. on beta-blockers or with a pacemaker — with a reason).
	HRCeilingOff bool `json:"hr_ceiling_off,omitempty"`
	// HRCeilingBPM is an absolute ceiling in bpm, replacing the share of the
	// age-predicted maximum (CLINICAL.md §5: "set in bpm by the therapist,
	// with a reason"). 0: the share applies.
	HRCeilingBPM float64 `json:"hr_ceiling_bpm,omitempty"`
	// HRCeilingReason is why the ceiling differs from the default for this
	// patient; required on a patient's off switch or bpm ceiling.
	HRCeilingReason string `json:"hr_ceiling_reason,omitempty"`
	// Adaptive enables Bălan-style fear-level suggestions (§6, suggest-only).
	Adaptive bool `json:"adaptive,omitempty"`
	// AdaptiveHoldS: a fear level must hold this long before a suggestion (default 30).
	AdaptiveHoldS int `json:"adaptive_hold_s,omitempty"`
	// AvoidSharePct: with Adaptive on, a step whose stimulus was within 30°
	// of the gaze less than this share of a minute or more of head pose, or
	// with three looking-away episodes, brings the suggestion to stay
	// (default 25; docs/domain.md, "Avoidance").
	AvoidSharePct int `json:"avoid_share_pct,omitempty"`
	// Cybersickness (CLINICAL.md §5): short first exposures, lengthened in
	// 2–3 min increments. FirstExposureMin is the first session's time in
	// exposure scenes before the cool-down is suggested (default 10); each
	// later session may run ExposureStepMin longer than the patient's last
	// (default 3). Suggest-only: the therapist decides.
	FirstExposureMin float64 `json:"first_exposure_min,omitempty"`
	ExposureStepMin  float64 `json:"exposure_step_min,omitempty"`
}

// Defaults returns s with every zero field set to its clinical default.
func (s Settings) Defaults() Settings {
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	defi := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	defi(&s.SUDSIntervalMin, 5)
	def(&s.MinDwellMin, 5)
	def(&s.MaxDwellMin, 30)
	def(&s.AdvanceRatio, 0.5)
	defi(&s.StepBackSUDS, 90)
	defi(&s.UnansweredLimit, 2)
	defi(&s.SUDSAnswerS, 60)
	def(&s.HRCeilingShare, 0.85)
	defi(&s.HRCeilingSustainS, 20)
	defi(&s.AdaptiveHoldS, 30)
	defi(&s.AvoidSharePct, 25)
	def(&s.FirstExposureMin, 10)
	def(&s.ExposureStepMin, 3)
	return s
}

// Merge returns s with every non-zero field of over applied on top.
func (s Settings) Merge(over Settings) Settings {
	pick := func(a, b float64) float64 {
		if b != 0 {
			return b
		}
		return a
	}
	picki := func(a, b int) int {
		if b != 0 {
			return b
		}
		return a
	}
	// The ceiling is one choice — off, a share or a bpm value — taken whole
	// from the layer that makes it; a protocol's off switch (interoceptive
	// exposure) stays off.
	ceil := s
	if over.HRCeilingOff || over.HRCeilingBPM != 0 || over.HRCeilingShare != 0 {
		ceil = over
		ceil.HRCeilingOff = s.HRCeilingOff || over.HRCeilingOff
	}
	return Settings{
		HRCeilingBPM: ceil.HRCeilingBPM, HRCeilingReason: ceil.HRCeilingReason,
		SUDSIntervalMin: picki(s.SUDSIntervalMin, over.SUDSIntervalMin), MinDwellMin: pick(s.MinDwellMin, over.MinDwellMin),
		MaxDwellMin: pick(s.MaxDwellMin, over.MaxDwellMin), AdvanceRatio: pick(s.AdvanceRatio, over.AdvanceRatio),
		StepBackSUDS: picki(s.StepBackSUDS, over.StepBackSUDS), UnansweredLimit: picki(s.UnansweredLimit, over.UnansweredLimit),
		SUDSAnswerS: picki(s.SUDSAnswerS, over.SUDSAnswerS), HRCeilingShare: ceil.HRCeilingShare,
		HRCeilingSustainS: picki(s.HRCeilingSustainS, over.HRCeilingSustainS), HRCeilingOff: ceil.HRCeilingOff,
		Adaptive: s.Adaptive || over.Adaptive, AdaptiveHoldS: picki(s.AdaptiveHoldS, over.AdaptiveHoldS), AvoidSharePct: picki(s.AvoidSharePct, over.AvoidSharePct),
		FirstExposureMin: pick(s.FirstExposureMin, over.FirstExposureMin), ExposureStepMin: pick(s.ExposureStepMin, over.ExposureStepMin),
	}
}

// HRCeilingBPM is the soft-pause heart-rate ceiling: share × (220 − age)
// (CLINICAL.md §5 default 85 % of age-predicted maximum).
func HRCeilingBPM(age int, share float64) float64 { return share * float64(220-age) }

// Ceiling is the effective heart-rate ceiling in bpm for a patient of age
// (after Defaults): the absolute value when set, else the share of 220 − age.
// ok is false when the ceiling is off, or when it is a share and the age is
// unknown (0). (The biosignal evaluator clamps an implausible age; an alert
// carries the threshold it used.)
func (s Settings) Ceiling(age int) (bpm float64, ok bool) {
	switch {
	case s.HRCeilingOff:
		return 0, false
	case s.HRCeilingBPM > 0:
		return s.HRCeilingBPM, true
	case age <= 0:
		return 0, false
	}
	return HRCeilingBPM(age, s.HRCeilingShare), true
}

// MaxReasonLen bounds a settings reason (a sentence or two).
const MaxReasonLen = 500

// CheckPatient validates a patient's own settings: the ranges of a
// protocol's, an absolute ceiling of 60–220 bpm, not together with a share
// or the off switch, and a reason whenever the patient's ceiling is off or
// in bpm. The error lists every field at fault.
func (s Settings) CheckPatient() error {
	var errs errList
	s.check(&errs)
	if s.HRCeilingBPM != 0 && s.HRCeilingShare != 0 {
		errs.add("settings.hr_ceiling_bpm", "conflict", "a ceiling in bpm and a share of the maximum exclude each other", nil)
	}
	if s.HRCeilingBPM != 0 && s.HRCeilingOff {
		errs.add("settings.hr_ceiling_bpm", "conflict", "a ceiling in bpm and the off switch exclude each other", nil)
	}
	if (s.HRCeilingOff || s.HRCeilingBPM != 0) && strings.TrimSpace(s.HRCeilingReason) == "" {
		errs.add("settings.hr_ceiling_reason", "required", "a patient's ceiling off or in bpm needs a reason", nil)
	}
	return errs.OrNil()
}

func (s Settings) check(errs *errList) {
	rng := func(field string, v, lo, hi float64) {
		if v != 0 && (v < lo || v > hi) {
			errs.add("settings."+field, "range", fmt.Sprintf("%g is outside %g–%g", v, lo, hi),
				map[string]any{"Value": v, "Min": lo, "Max": hi})
		}
	}
	rng("suds_interval_min", float64(s.SUDSIntervalMin), 1, 15)
	rng("min_dwell_min", s.MinDwellMin, 0.5, 120)
	rng("max_dwell_min", s.MaxDwellMin, 1, 180)
	rng("advance_ratio", s.AdvanceRatio, 0.05, 1)
	rng("step_back_suds", float64(s.StepBackSUDS), 10, 100)
	rng("unanswered_limit", float64(s.UnansweredLimit), 1, 10)
	rng("suds_answer_s", float64(s.SUDSAnswerS), 10, 600)
	rng("hr_ceiling_share", s.HRCeilingShare, 0.5, 1)
	rng("hr_ceiling_bpm", s.HRCeilingBPM, 60, 220)
	if len(s.HRCeilingReason) > MaxReasonLen {
		errs.add("settings.hr_ceiling_reason", "reason_too_long", fmt.Sprintf("over %d bytes", MaxReasonLen), map[string]any{"Max": MaxReasonLen})
	}
	rng("hr_ceiling_sustain_s", float64(s.HRCeilingSustainS), 1, 300)
	rng("adaptive_hold_s", float64(s.AdaptiveHoldS), 1, 600)
	rng("avoid_share_pct", float64(s.AvoidSharePct), 1, 100)
	rng("first_exposure_min", s.FirstExposureMin, 1, 120)
	rng("exposure_step_min", s.ExposureStepMin, 0.5, 15)
	d := s.Defaults()
	if d.MinDwellMin > d.MaxDwellMin {
		errs.add("settings.min_dwell_min", "range", "is above max_dwell_min", nil)
	}
}

// MaxPatientBytes bounds a patient settings document.
const MaxPatientBytes = 64 << 10

// DecodePatient parses a patient document ({"age", "flags", "acknowledged",
// "settings"}, as `haven protocols simulate --patient` reads it) strictly
// and checks it: an age of 0 (unknown) to 130 and valid patient settings
// (CheckPatient).
func DecodePatient(data []byte) (Patient, error) {
	var p Patient
	if len(data) > MaxPatientBytes {
		return p, fmt.Errorf("protocols: patient document over %d bytes", MaxPatientBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return Patient{}, fmt.Errorf("protocols: patient document: %w", err)
	}
	if dec.More() {
		return Patient{}, fmt.Errorf("protocols: patient document: trailing data")
	}
	var errs errList
	if p.Age < 0 || p.Age > 130 {
		errs.add("age", "range", fmt.Sprintf("%d is outside 0–130", p.Age), map[string]any{"Value": p.Age, "Min": 0, "Max": 130})
	}
	if err := p.Settings.CheckPatient(); err != nil {
		var ve environments.ValidationErrors
		if errors.As(err, &ve) {
			errs.ValidationErrors = append(errs.ValidationErrors, ve...)
		}
	}
	if err := errs.OrNil(); err != nil {
		return Patient{}, err
	}
	return p, nil
}
