package protocols

type calmingState struct {
	seg      int
	segStart int64
	pacing   bool
}

// startScript loads the calming scene and the first cue. Calming scripts run
// by themselves on ticks: automatic steps are allowed for calming only
// (CLINICAL.md §2).
func (e *Engine) startScript() {
	e.emit(SceneLoad{Template: e.p.Template, Params: e.tpl.Defaults(), Reason: "calming"})
	e.ca.seg = 0
	e.ca.segStart = e.now
	e.enterSegment(true)
}

func (e *Engine) enterSegment(fresh bool) {
	s := e.p.Script[e.ca.seg]
	if fresh {
		e.ca.segStart = e.now
	}
	e.emit(Cue{SegmentID: s.ID, Index: e.ca.seg, TextKey: s.TextKey, DurationMs: s.Ms(), PatientPaced: s.PatientPaced, Tense: s.Tense})
	if s.Pacer != nil && !e.ca.pacing {
		e.emit(BreathingStart{Phases: s.Pacer.Phases(), CycleMs: s.Pacer.CycleMs(), SegmentID: s.ID,
			BreathsPerMin: s.Pacer.BreathsPerMin, Cycles: s.Cycles})
		e.ca.pacing = true
	}
	if s.Record {
		e.emit(HRVWindow{State: "start", SegmentID: s.ID, BreathsPerMin: pacerRate(s)})
	}
}

func pacerRate(s Segment) float64 {
	if s.Pacer == nil {
		return 0
	}
	return s.Pacer.BreathsPerMin
}

func (e *Engine) leaveSegment() {
	s := e.p.Script[e.ca.seg]
	if s.Record {
		e.emit(HRVWindow{State: "stop", SegmentID: s.ID, BreathsPerMin: pacerRate(s)})
	}
	next := e.ca.seg + 1
	keepPacer := next < len(e.p.Script) && s.Pacer != nil && e.p.Script[next].Pacer != nil && *e.p.Script[next].Pacer == *s.Pacer
	if e.ca.pacing && !keepPacer {
		e.emit(BreathingStop{SegmentID: s.ID})
		e.ca.pacing = false
	}
}

// calmingTick moves through every segment whose time has run out by target;
// each transition is stamped with its scripted time even if ticks are coarse.
func (e *Engine) calmingTick(target int64) {
	for e.phase == phaseBlock {
		s := e.p.Script[e.ca.seg]
		end := e.ca.segStart + s.Ms()
		if s.PatientPaced || end > target {
			return
		}
		e.now = max(e.now, end)
		if !e.advanceSegment(end) {
			return
		}
	}
}

// advanceSegment moves to the next segment starting at time at; false when
// the script has finished.
func (e *Engine) advanceSegment(at int64) bool {
	e.leaveSegment()
	e.ca.seg++
	if e.ca.seg >= len(e.p.Script) {
		e.finishBlock("script_complete")
		return false
	}
	e.ca.segStart = at
	e.enterSegment(false)
	return true
}

// nextSegment is the patient's "next" in a patient-paced segment, or a
// therapist skipping ahead.
func (e *Engine) nextSegment(by string) {
	if e.phase != phaseBlock || e.p.Kind != KindCalming || e.paused {
		e.emit(Rejected{Type: EvPatientNext, Reason: "not_running_script"})
		return
	}
	if by == "patient" && !e.p.Script[e.ca.seg].PatientPaced {
		e.emit(Rejected{Type: EvPatientNext, Reason: "segment_is_timed"})
		return
	}
	e.advanceSegment(e.now)
}
