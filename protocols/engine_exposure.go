package protocols

import (
	"fmt"

	"github.com/havenvr/haven/environments"
)

type exposureState struct {
	step        int
	stepStart   int64
	params      environments.Params
	layers      environments.Layers
	peak, last  int
	nextPrompt  int64
	promptOpen  bool
	promptAt    int64
	unanswered  int
	lastSuggest string
	dwellMet    bool // min dwell reached on this step (a timer: re-evaluate then)
	capFlagged  bool
	before      *int
	done        map[string]bool
	// cybersickness budget (CLINICAL.md §5): time spent in exposure steps,
	// not paused, and the time after which the cool-down is suggested
	exposedMs, budgetMs int64
	budgetSaid          bool
	budgetDismissed     bool // the therapist dismissed the budget's cool-down suggestion
}

// enterStep loads step i; only a therapist command calls it (CLINICAL.md §2:
// the engine suggests, the therapist confirms).
func (e *Engine) enterStep(i int, context environments.Params) error {
	comp, err := e.p.Composition(e.cat, i)
	if err != nil {
		return err
	}
	if len(context) > 0 {
		for k, v := range context {
			comp.Params[k] = v
		}
		if comp, err = comp.Validate(e.cat); err != nil {
			return err
		}
	}
	s := e.p.Steps[i]
	e.ex.step, e.ex.stepStart, e.ex.params, e.ex.layers = i, e.now, comp.Params, comp.Layers
	e.ex.peak, e.ex.last, e.ex.lastSuggest, e.ex.capFlagged, e.ex.before = -1, -1, "", false, nil
	e.ex.dwellMet = false
	e.emit(StepEnter{StepID: s.ID, Index: i, Intensity: s.Intensity, ExpectedSUDS: s.ExpectedSUDS, SafetyBehaviours: s.SafetyBehaviours})
	e.loadStepScene("step")
	e.promptSUDS("step_entry")
	if e.p.Mode == ModeInhibitory {
		// Record the feared outcome and its likelihood before the trial (Craske et al. 2014).
		e.emit(ExpectancyPrompt{Phase: "before", StepID: s.ID, FearedOutcomeKey: s.FearedOutcomeKey, ExpectedLikelihood: s.Likelihood})
	}
	return nil
}

func (e *Engine) exitStep(prompt bool) {
	s := e.p.Steps[e.ex.step]
	if prompt {
		e.promptSUDS("step_exit")
	}
	e.emit(StepExit{StepID: s.ID, DwellMs: e.now - e.ex.stepStart, PeakSUDS: e.ex.peak, LastSUDS: e.ex.last})
	if e.ex.done == nil {
		e.ex.done = map[string]bool{}
	}
	e.ex.done[s.ID] = true
}

func (e *Engine) loadStepScene(reason string) {
	layers := e.ex.layers
	e.emit(SceneLoad{Template: e.p.Template, Params: cloneParams(e.ex.params), Layers: &layers, Reason: reason, StepID: e.stepID()})
}

func cloneParams(p environments.Params) environments.Params {
	out := make(environments.Params, len(p))
	for k, v := range p {
		out[k] = v
	}
	return out
}

// promptSUDS asks for a rating (every interval, on parameter change, at step
// entry and exit — CLINICAL.md §2) and restarts the interval.
func (e *Engine) promptSUDS(reason string) {
	e.emit(SUDSPrompt{Reason: reason, StepID: e.stepID()})
	e.ex.promptOpen, e.ex.promptAt = true, e.now
	e.ex.nextPrompt = e.now + int64(e.s.SUDSIntervalMin)*60_000
}

// exposureTimers reports the running timers of an exposure step: the open
// prompt's answer deadline, the next interval prompt, min and max dwell, the
// cybersickness budget and the adaptive hysteresis.
func (e *Engine) exposureTimers(at func(int64)) {
	x := &e.ex
	if x.promptOpen {
		at(x.promptAt + int64(e.s.SUDSAnswerS)*1000)
	}
	at(x.nextPrompt)
	if !x.dwellMet {
		at(x.stepStart + int64(e.s.MinDwellMin*60_000))
	}
	if !x.capFlagged {
		at(x.stepStart + int64(e.s.MaxDwellMin*60_000))
	}
	if !x.budgetSaid && x.budgetMs > 0 {
		at(e.now + x.budgetMs - x.exposedMs)
	}
	if e.adaptivePending() {
		at(e.ad.since + int64(e.s.AdaptiveHoldS)*1000)
	}
}

// fireExposure fires the exposure timers due at e.now, in a fixed order.
func (e *Engine) fireExposure() {
	x := &e.ex
	if x.promptOpen && e.now-x.promptAt >= int64(e.s.SUDSAnswerS)*1000 {
		x.promptOpen = false
		x.unanswered++
		e.emit(UnansweredEntry{Count: x.unanswered, Limit: e.s.UnansweredLimit, StepID: e.stepID()})
		if x.unanswered >= e.s.UnansweredLimit {
			e.pauseWith("suds_unanswered", true, x.unanswered)
			return
		}
	}
	if e.now >= x.nextPrompt {
		e.promptSUDS("interval")
	}
	if !x.dwellMet && e.now-x.stepStart >= int64(e.s.MinDwellMin*60_000) {
		x.dwellMet = true
		e.evaluate()
	}
	// The cap is a safety rule: both models, with or without a rating.
	if dwell := e.now - x.stepStart; !x.capFlagged && dwell >= int64(e.s.MaxDwellMin*60_000) {
		x.capFlagged = true
		e.emit(DecisionRequired{Reason: "max_dwell", StepID: e.stepID(), DwellMs: dwell})
	}
	e.budgetCheck()
	if e.adaptivePending() && e.now-e.ad.since >= int64(e.s.AdaptiveHoldS)*1000 {
		e.adaptiveTick()
	}
}

// exposureBudget is this session's time in exposure before the cool-down
// is suggested: FirstExposureMin for a patient without one, else the last
// session's exposure plus ExposureStepMin. A prior outside 0–24 h is
// treated as none.
func (e *Engine) exposureBudget(priorMs int64) int64 {
	if priorMs <= 0 || priorMs > MaxTickMs {
		return int64(e.s.FirstExposureMin * 60_000)
	}
	return priorMs + int64(e.s.ExposureStepMin*60_000)
}

// budgetCheck suggests ending the block once the exposure time reaches the
// budget: suggest-only, once a session.
func (e *Engine) budgetCheck() {
	if e.ex.budgetSaid || e.ex.budgetMs <= 0 || e.ex.exposedMs < e.ex.budgetMs {
		return
	}
	e.ex.budgetSaid = true
	e.emit(BudgetEntry{BudgetMs: e.ex.budgetMs, ExposedMs: e.ex.exposedMs})
	e.suggest(TEnd, "exposure_budget")
}

func (e *Engine) onSUDS(ev Event) {
	if ev.SUDS == nil || *ev.SUDS < 0 || *ev.SUDS > 100 {
		e.emit(Rejected{Type: EvSUDS, Reason: "suds_range"})
		return
	}
	v := *ev.SUDS
	e.ex.promptOpen, e.ex.unanswered = false, 0
	step := e.stepID()
	e.emit(SUDSEntry{SUDS: v, StepID: &step, Phase: e.phase})
	if e.ex.step < 0 || e.phase != phaseBlock {
		return
	}
	e.ex.last = v
	e.ex.peak = max(e.ex.peak, v)
	e.updateFearLevel()
	if !e.paused {
		e.evaluate()
	}
}

// evaluate applies the safety rule, then the progression rules of the
// protocol's mode, to the latest rating. It runs when a rating arrives and
// when the step's min dwell is reached — not on every tick, so a dismissed
// suggestion stays dismissed until there is something new to go on.
func (e *Engine) evaluate() {
	if e.ex.last < 0 {
		return
	}
	// Safety (CLINICAL.md §2, §5: both models): SUDS ≥ 90 → one item down,
	// or calm on the lowest step.
	if e.ex.last >= e.s.StepBackSUDS {
		if e.ex.step > 0 {
			e.suggest(TStepBack, "suds_high")
		} else {
			e.suggest(TCalmNow, "suds_high_lowest_step")
		}
		return
	}
	if e.p.Mode != ModeHabituation {
		return // Inhibitory learning: SUDS is logged but never gates (Craske et al. 2014).
	}
	dwell := e.now - e.ex.stepStart
	minDwell := int64(e.s.MinDwellMin * 60_000)
	switch {
	case float64(e.ex.last) <= e.s.AdvanceRatio*float64(e.ex.peak) && dwell >= minDwell:
		// Foa & Kozak 1986: advance once SUDS has fallen to half the step's peak.
		e.suggest(TAdvance, "suds_halved")
	case dwell < minDwell:
		e.suggest(TStay, "dwell_short")
	default:
		e.suggest(TStay, "suds_not_halved")
	}
}

// onExpectancy records the feared-outcome likelihood before and after a trial
// and the prediction error (before − after); the tested expectancy ends the
// trial, whatever SUDS says.
func (e *Engine) onExpectancy(ev Event) {
	if ev.Likelihood == nil || *ev.Likelihood < 0 || *ev.Likelihood > 100 || (ev.Phase != "before" && ev.Phase != "after") {
		e.emit(Rejected{Type: EvExpectancy, Reason: "expectancy_invalid"})
		return
	}
	v := *ev.Likelihood
	entry := ExpectancyEntry{Phase: ev.Phase, Likelihood: v, StepID: e.stepID()}
	if ev.Phase == "before" {
		e.ex.before = &v
		e.emit(entry)
		return
	}
	if e.ex.before != nil {
		pe := *e.ex.before - v
		entry.PredictionError = &pe
	}
	e.emit(entry)
	if e.isExposureBlock() && e.p.Mode == ModeInhibitory && !e.paused {
		e.suggest(TAdvance, "expectancy_tested")
	}
}

// therapistAdvance enters the next step (habituation) or any available step
// (inhibitory: variability and context swap, Craske et al. 2014).
func (e *Engine) therapistAdvance(ev Event) {
	next := e.ex.step + 1
	if ev.StepID != "" {
		i := e.stepIndex(ev.StepID)
		switch {
		case i < 0:
			e.refuse(TAdvance, "unknown_step")
			return
		case e.p.Mode == ModeHabituation && i != next:
			e.refuse(TAdvance, "out_of_order_habituation")
			return
		}
		for _, r := range e.p.Steps[i].Requires {
			if !e.ex.done[r] {
				e.refuse(TAdvance, "requires_unmet")
				return
			}
		}
		next = i
	}
	if len(ev.Params) > 0 && e.p.Mode != ModeInhibitory {
		e.refuse(TAdvance, "context_swap_inhibitory_only")
		return
	}
	if next >= len(e.p.Steps) {
		e.finishBlock("ladder_complete")
		return
	}
	if e.ex.step >= 0 {
		e.exitStep(true)
	}
	if err := e.enterStep(next, ev.Params); err != nil {
		e.emit(Refused{Command: TAdvance, Reason: "invalid_params", Detail: err.Error()})
	}
}

func (e *Engine) stepIndex(id string) int {
	for i, s := range e.p.Steps {
		if s.ID == id {
			return i
		}
	}
	return -1
}

func (e *Engine) setParams(ev Event) {
	merged := cloneParams(e.ex.params)
	for k, v := range ev.Params {
		merged[k] = v
	}
	comp, err := environments.Composition{Template: e.p.Template, Params: merged, Layers: e.ex.layers}.Validate(e.cat)
	if err != nil || len(ev.Params) == 0 {
		e.emit(Refused{Command: TSetParams, Reason: "invalid_params", Detail: fmt.Sprint(err)})
		return
	}
	changed := environments.Params{}
	for k := range ev.Params {
		changed[k] = comp.Params[k]
	}
	e.ex.params = comp.Params
	e.emit(SceneSet{Params: changed, StepID: e.stepID()})
	e.promptSUDS("param_change")
}
