package protocols

import "math"

// AlertHRCeiling is the biosignal alert rule id for the heart-rate ceiling;
// the biosignals package evaluates it and sends the sustained duration.
const AlertHRCeiling = "hr_ceiling"

// onAlert reacts to a biosignal alert. HR above the ceiling for at least the
// sustain time → soft pause (CLINICAL.md §5 default: 85 % × (220 − age), 20 s).
// The timeline entry carries the alert's own inputs: the value and limit it
// was raised on, and for the HR ceiling the ceiling in force and where it
// comes from — nothing of one rule on another's alert.
func (e *Engine) onAlert(ev Event) {
	entry := AlertEntry{Alert: ev.Alert, SustainedMs: ev.SustainedMs, Value: ev.Value, Threshold: ev.Threshold}
	if ev.Alert == AlertHRCeiling {
		if bpm, ok := e.s.Ceiling(e.pat.Age); ok {
			if ev.Threshold != nil {
				bpm = *ev.Threshold // the evaluator's, its age clamped
			}
			bpm = math.Round(bpm)
			entry.CeilingBPM = &bpm
		}
		switch {
		case e.s.HRCeilingOff:
			entry.Ceiling = "off"
		case e.s.HRCeilingBPM > 0:
			entry.Ceiling = "bpm"
		default:
			share := e.s.HRCeilingShare
			entry.Ceiling, entry.CeilingShare = "share", &share
		}
		entry.CeilingReason = e.s.HRCeilingReason
	}
	e.emit(entry)
	if ev.Alert != AlertHRCeiling || e.s.HRCeilingOff {
		return
	}
	if ev.SustainedMs >= int64(e.s.HRCeilingSustainS)*1000 {
		e.softPause("hr_ceiling")
	}
}

type adaptiveState struct {
	level     int
	since     int64
	suggested bool
	metrics   Metrics
}

// SUDSFearLevel maps SUDS 0–100 to Bălan et al. (2020) fear levels via the
// 0–10 scale: 0 relaxed, 1–3 low, 4–7 medium, 8–10 high.
func SUDSFearLevel(suds int) int {
	s := int(math.Round(float64(suds) / 10))
	switch {
	case s == 0:
		return 0
	case s <= 3:
		return 1
	case s <= 7:
		return 2
	}
	return 3
}

// PhysioFearLevel maps the mean of the available baseline-normalised
// arousal z-scores (HR, EDA slope, SCR rate up; RMSSD down) onto 0–3 with
// cut-offs 0.5, 1.5 and 2.5 SD. ok is false without any metric.
func PhysioFearLevel(m Metrics) (level int, ok bool) {
	var sum float64
	n := 0
	for _, z := range []*float64{m.HRZ, m.EDASlopeZ, m.SCRRateZ} {
		if z != nil {
			sum += *z
			n++
		}
	}
	if m.RMSSDZ != nil {
		sum -= *m.RMSSDZ // vagal withdrawal: lower RMSSD means more arousal
		n++
	}
	if n == 0 {
		return 0, false
	}
	a := sum / float64(n)
	switch {
	case a < 0.5:
		return 0, true
	case a < 1.5:
		return 1, true
	case a < 2.5:
		return 2, true
	}
	return 3, true
}

// FearLevel combines SUDS (weight 2) with physiology (weight 1) when
// physiology is available: self-report leads because physiology rises in VR
// even without fear (Diemer et al. 2016).
func FearLevel(suds int, m Metrics) int {
	s := SUDSFearLevel(suds)
	p, ok := PhysioFearLevel(m)
	if !ok {
		return s
	}
	return int(math.Round(float64(2*s+p) / 3))
}

func (e *Engine) onMetrics(ev Event) {
	if ev.Metrics == nil {
		e.emit(Rejected{Type: EvMetrics, Reason: "metrics_missing"})
		return
	}
	m := *ev.Metrics
	if m.HRZ == nil && m.EDASlopeZ == nil && m.SCRRateZ == nil && m.RMSSDZ == nil {
		return // alert inputs only (Simulate runs the rules on them)
	}
	e.ad.metrics = m
	e.updateFearLevel()
	if e.isExposureBlock() && !e.paused && e.adaptivePending() && e.now-e.ad.since >= int64(e.s.AdaptiveHoldS)*1000 {
		e.adaptiveTick()
	}
}

// adaptivePending: a fear level waits for its hysteresis to pass.
func (e *Engine) adaptivePending() bool {
	return e.s.Adaptive && e.ad.level >= 0 && !e.ad.suggested
}

func (e *Engine) updateFearLevel() {
	if !e.s.Adaptive || !e.isExposureBlock() || e.ex.last < 0 {
		return
	}
	l := FearLevel(e.ex.last, e.ad.metrics)
	if l != e.ad.level {
		since := e.now
		if e.paused {
			since = e.pausedAt // resume adds the pause to it: accounted once
		}
		e.ad.level, e.ad.since, e.ad.suggested = l, since, false
		e.emit(FearLevelEntry{Level: l, StepID: e.stepID()})
	}
}

// adaptiveTick suggests (never applies) the Bălan move once a level has held
// for the hysteresis time: 0–1 → one step up, 2 → stay, 3 → one step down.
// On the lowest step "one step down" is calm (the engine never suggests what
// it would refuse).
func (e *Engine) adaptiveTick() {
	e.ad.suggested = true
	action := map[int]string{0: TAdvance, 1: TAdvance, 2: TStay, 3: TStepBack}[e.ad.level]
	if action == TStepBack && e.ex.step <= 0 {
		action = TCalmNow
	}
	if e.refusal(action) != "" {
		return
	}
	level := e.ad.level
	e.emit(Suggest{Action: action, Reason: "adaptive_fear_level", Level: &level, StepID: e.stepID()})
}

// avoidMinObservedMs is how much head pose a step needs before its
// avoidance measures say anything: a minute (a glance away in the first
// seconds of a step is not avoidance).
const avoidMinObservedMs = 60_000

// onAvoidance suggests staying on a step the patient is avoiding — the
// stimulus seldom looked at, or looked away from again and again — with
// Adaptive on (suggest-only: the measures inform, never decide; CLINICAL.md
// §9). Avoidance keeps fear from habituating, so moving up would come early.
func (e *Engine) onAvoidance(ev Event) {
	a := ev.Avoidance
	if a == nil || a.Share < 0 || a.Share > 1 || a.AwayEpisodes < 0 || a.ObservedMs < 0 {
		e.emit(Rejected{Type: EvAvoidance, Reason: "avoidance_invalid"})
		return
	}
	if !e.s.Adaptive || !e.isExposureBlock() || e.paused || a.ObservedMs < avoidMinObservedMs {
		return
	}
	if a.Share*100 < float64(e.s.AvoidSharePct) || a.AwayEpisodes >= 3 {
		e.suggest(TStay, "avoiding")
	}
}

// onQuestionnaire scores SSQ and PCL-5 from items, or stores a total the
// therapist entered.
func (e *Engine) onQuestionnaire(ev Event) {
	entry := QuestionnaireEntry{Questionnaire: ev.Questionnaire}
	invalid := Rejected{Type: EvQuestionnaire, Reason: "questionnaire_invalid"}
	switch {
	case ev.Questionnaire == "ssq" && ev.Items != nil:
		s, err := ScoreSSQ(ev.Items)
		if err != nil {
			e.emit(invalid)
			return
		}
		entry.Scores = Scores{Nausea: &s.Nausea, Oculomotor: &s.Oculomotor, Disorientation: &s.Disorientation, Total: s.Total}
	case ev.Questionnaire == "pcl5" && ev.Items != nil:
		t, err := ScorePCL5(ev.Items)
		if err != nil {
			e.emit(invalid)
			return
		}
		entry.Scores.Total = float64(t)
	case ev.Score != nil && ev.Questionnaire != "" && validEntered(ev.Questionnaire, *ev.Score):
		entry.Scores.Total, entry.Entered = *ev.Score, true
	default:
		e.emit(invalid)
		return
	}
	e.emit(entry)
}

func validEntered(name string, v float64) bool {
	if math.IsNaN(v) || v < 0 || len(name) > 32 {
		return false
	}
	r, ok := EnteredScoreRange[name]
	return !ok || (v >= r[0] && v <= r[1])
}
