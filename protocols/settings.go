package protocols

import "fmt"

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
	// HRCeilingOff switches the ceiling off (interoceptive exposure).
	HRCeilingOff bool `json:"hr_ceiling_off,omitempty"`
	// Adaptive enables Bălan-style fear-level suggestions (§6, suggest-only).
	Adaptive bool `json:"adaptive,omitempty"`
	// AdaptiveHoldS: a fear level must hold this long before a suggestion (default 30).
	AdaptiveHoldS int `json:"adaptive_hold_s,omitempty"`
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
	return Settings{
		SUDSIntervalMin: picki(s.SUDSIntervalMin, over.SUDSIntervalMin), MinDwellMin: pick(s.MinDwellMin, over.MinDwellMin),
		MaxDwellMin: pick(s.MaxDwellMin, over.MaxDwellMin), AdvanceRatio: pick(s.AdvanceRatio, over.AdvanceRatio),
		StepBackSUDS: picki(s.StepBackSUDS, over.StepBackSUDS), UnansweredLimit: picki(s.UnansweredLimit, over.UnansweredLimit),
		SUDSAnswerS: picki(s.SUDSAnswerS, over.SUDSAnswerS), HRCeilingShare: pick(s.HRCeilingShare, over.HRCeilingShare),
		HRCeilingSustainS: picki(s.HRCeilingSustainS, over.HRCeilingSustainS), HRCeilingOff: s.HRCeilingOff || over.HRCeilingOff,
		Adaptive: s.Adaptive || over.Adaptive, AdaptiveHoldS: picki(s.AdaptiveHoldS, over.AdaptiveHoldS),
		FirstExposureMin: pick(s.FirstExposureMin, over.FirstExposureMin), ExposureStepMin: pick(s.ExposureStepMin, over.ExposureStepMin),
	}
}

// HRCeilingBPM is the soft-pause heart-rate ceiling: share × (220 − age)
// (CLINICAL.md §5 default 85 % of age-predicted maximum).
func HRCeilingBPM(age int, share float64) float64 { return share * float64(220-age) }

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
	rng("hr_ceiling_sustain_s", float64(s.HRCeilingSustainS), 1, 300)
	rng("adaptive_hold_s", float64(s.AdaptiveHoldS), 1, 600)
	rng("first_exposure_min", s.FirstExposureMin, 1, 120)
	rng("exposure_step_min", s.ExposureStepMin, 0.5, 15)
	d := s.Defaults()
	if d.MinDwellMin > d.MaxDwellMin {
		errs.add("settings.min_dwell_min", "range", "is above max_dwell_min", nil)
	}
}
