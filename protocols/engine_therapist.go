package protocols

// escalating lists commands refused while paused: they would raise exposure
// or change the scene while the patient is resting in calm.
var escalating = map[string]bool{TAdvance: true, TSetParams: true, TFireEvent: true}

// refusal is the reason the engine would refuse therapist command c (without
// a step id or parameters) right now, "" when it would carry it out. It is
// the one place these rules live: onTherapist applies them, and suggest uses
// them so that nothing is suggested that would then be refused.
func (e *Engine) refusal(c string) string {
	if e.phase == phaseEnded {
		return "session_ended"
	}
	if e.paused && escalating[c] {
		return "paused"
	}
	switch c {
	case TNote, TStop, TEnd, TPause, TCalmNow, TStay:
		return ""
	case TResume:
		if !e.paused {
			return "not_paused"
		}
		return ""
	case TAckScreen:
		if len(e.blocked) == 0 {
			return "nothing_to_acknowledge"
		}
		return ""
	}
	switch {
	case e.phase == phaseBaseline:
		return "baseline_running"
	case e.phase != phaseBlock:
		return "not_in_block"
	case e.p.Kind == KindCalming && c != TAdvance:
		return "not_exposure"
	case e.p.Kind == KindCalming:
		return ""
	case len(e.blocked) > 0:
		return "screening_unacknowledged"
	}
	switch c {
	case TAdvance:
		return ""
	case TStepBack:
		if e.ex.step <= 0 {
			return "no_lower_step"
		}
		return ""
	case TSetParams, TFireEvent:
		if e.ex.step < 0 {
			return "no_step"
		}
		return ""
	}
	return "unknown_command"
}

// onTherapist applies a therapist command. Only these commands change the
// exposure step (CLINICAL.md §2: the engine suggests, the therapist confirms).
func (e *Engine) onTherapist(ev Event) {
	c := ev.Command
	if r := e.refusal(c); r != "" {
		e.refuse(c, r)
		return
	}
	switch c {
	case TNote:
		step := e.stepID()
		e.emit(NoteEntry{Note: ev.Note, StepID: &step})
	case TStop:
		e.hardStop("therapist_stop")
	case TEnd:
		if e.phase == phaseCooldown || e.phase == phaseIdle {
			e.endSession("therapist_end")
		} else {
			e.finishBlock("therapist_end")
		}
	case TPause:
		e.pause("therapist_pause", false)
	case TCalmNow:
		e.softPause("therapist_calm")
	case TResume:
		e.resume()
	case TAckScreen:
		e.acknowledgeScreening()
	case TStay:
		// "Stay" is also how the console dismisses a suggestion; dismissing
		// the budget's cool-down lets the SUDS-based suggestions continue.
		e.emit(DecisionEntry{Action: TStay, StepID: e.stepID()})
		e.ex.lastSuggest = ""
		if e.ex.budgetSaid {
			e.ex.budgetDismissed = true
		}
	case TAdvance:
		if e.p.Kind == KindCalming {
			e.nextSegment("therapist")
		} else {
			e.therapistAdvance(ev)
		}
	case TStepBack:
		e.stepBack()
	case TSetParams:
		e.setParams(ev)
	case TFireEvent:
		if !e.tpl.HasEvent(ev.EventID) {
			e.refuse(c, "unknown_scene_event")
		} else {
			e.emit(SceneEvent{Event: ev.EventID, StepID: e.stepID()})
		}
	}
}

// stepBack goes one item down the ladder. While paused the scene stays calm:
// the lower step is loaded when the therapist resumes.
func (e *Engine) stepBack() {
	e.exitStep(!e.paused)
	if e.paused {
		e.ex.step--
		comp, err := e.p.Composition(e.cat, e.ex.step)
		if err == nil {
			e.ex.params, e.ex.layers = comp.Params, comp.Layers
		}
		e.ex.stepStart, e.ex.peak, e.ex.last, e.ex.lastSuggest = e.pausedAt, -1, -1, ""
		e.emit(StepPending{StepID: e.stepID(), Reason: "loads_on_resume"})
		return
	}
	if err := e.enterStep(e.ex.step-1, nil); err != nil {
		e.emit(Refused{Command: TStepBack, Reason: "invalid_params", Detail: err.Error()})
	}
}

func (e *Engine) acknowledgeScreening() {
	e.emit(ScreeningAck{Flags: e.blocked})
	e.blocked = nil
	if e.phase == phaseBlock && e.p.Kind == KindExposure && e.ex.step < 0 {
		e.suggest(TAdvance, "baseline_done")
	}
}
