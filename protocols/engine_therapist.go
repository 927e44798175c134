package protocols

// escalating lists commands refused while paused: they would raise exposure
// or change the scene while the patient is resting in calm.
var escalating = map[string]bool{TAdvance: true, TSetParams: true, TFireEvent: true}

// onTherapist applies a therapist command. Only these commands change the
// exposure step (CLINICAL.md §2: the engine suggests, the therapist confirms).
func (e *Engine) onTherapist(ev Event) {
	c := ev.Command
	if e.paused && escalating[c] {
		e.refuse(c, "paused")
		return
	}
	switch c {
	case TNote:
		e.emit("timeline.note", map[string]any{"note": ev.Note, "step_id": e.stepID()})
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
		e.emit("timeline.decision", map[string]any{"action": TStay, "step_id": e.stepID()})
		e.ex.lastSuggest = ""
	default:
		e.onSceneCommand(ev)
	}
}

// onSceneCommand handles the commands that act on the exposure scene or the
// calming script.
func (e *Engine) onSceneCommand(ev Event) {
	c := ev.Command
	if e.phase != phaseBlock {
		reason := "not_in_block"
		if e.phase == phaseBaseline {
			reason = "baseline_running"
		}
		e.refuse(c, reason)
		return
	}
	if e.p.Kind == KindCalming {
		if c == TAdvance {
			e.nextSegment("therapist")
		} else {
			e.refuse(c, "not_exposure")
		}
		return
	}
	if len(e.blocked) > 0 {
		e.refuse(c, "screening_unacknowledged")
		return
	}
	switch c {
	case TAdvance:
		e.therapistAdvance(ev)
	case TStepBack:
		e.stepBack()
	case TSetParams, TFireEvent:
		if e.ex.step < 0 {
			e.refuse(c, "no_step")
		} else if c == TSetParams {
			e.setParams(ev)
		} else if !e.tpl.HasEvent(ev.EventID) {
			e.refuse(c, "unknown_scene_event")
		} else {
			e.emit("scene.event", map[string]any{"event": ev.EventID, "step_id": e.stepID()})
		}
	default:
		e.refuse(c, "unknown_command")
	}
}

// stepBack goes one item down the ladder. While paused the scene stays calm:
// the lower step is loaded when the therapist resumes.
func (e *Engine) stepBack() {
	if e.ex.step <= 0 {
		e.refuse(TStepBack, "no_lower_step")
		return
	}
	e.exitStep(!e.paused)
	if e.paused {
		e.ex.step--
		comp, err := e.p.Composition(e.cat, e.ex.step)
		if err == nil {
			e.ex.params, e.ex.layers = comp.Params, comp.Layers
		}
		e.ex.stepStart, e.ex.peak, e.ex.last, e.ex.lastSuggest = e.pausedAt, -1, -1, ""
		e.emit("step.pending", map[string]any{"step_id": e.stepID(), "reason": "loads_on_resume"})
		return
	}
	if err := e.enterStep(e.ex.step-1, nil); err != nil {
		e.emit("command.refused", map[string]any{"command": TStepBack, "reason": "invalid_params", "detail": err.Error()})
	}
}

func (e *Engine) acknowledgeScreening() {
	if len(e.blocked) == 0 {
		e.refuse(TAckScreen, "nothing_to_acknowledge")
		return
	}
	e.emit("timeline.screening_ack", map[string]any{"flags": e.blocked})
	e.blocked = nil
	if e.phase == phaseBlock && e.p.Kind == KindExposure && e.ex.step < 0 {
		e.suggest(TAdvance, "baseline_done")
	}
}
