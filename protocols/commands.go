package protocols

import "github.com/havenvr/haven/environments"

// Typed engine commands. A Command's Type and Body are its record: what the
// timeline stores, a replay reproduces byte for byte and the console is
// shown. Cmd is what a live room acts on, as a Go value: Command.Typed
// reads it from the record in this one place, next to the engine that
// writes it, and NewCommand writes the record of a typed value (the live
// composition driver emits through it). Kinds a room only records and
// shows (suggestions, most timeline entries) have no typed form.

// The typed commands' kinds, as Command.Type names them.
const (
	CmdSceneLoad        = "scene.load"
	CmdSceneSet         = "scene.set"
	CmdSceneEvent       = "scene.event"
	CmdStepEnter        = "step.enter"
	CmdSUDSPrompt       = "suds.prompt"
	CmdCue              = "cue"
	CmdExpectancyPrompt = "expectancy.prompt"
	CmdBreathingStart   = "breathing.start"
	CmdBreathingStop    = "breathing.stop"
	CmdCalmNow          = "calm.now"
	CmdHardStop         = "hard.stop"
	CmdSessionPaused    = "session.paused"
	CmdSessionResumed   = "session.resumed"
	CmdBaselineStart    = "baseline.start"
	CmdBaselineEnd      = "baseline.end"
	CmdCooldownStart    = "cooldown.start"
	CmdHRVWindow        = "hrv.window"
	CmdSessionEnd       = "session.end"
	CmdAlert            = "alert"
	CmdRefused          = "command.refused"
	CmdIncident         = "incident"
	CmdSUDSEntry        = "timeline.suds"
)

// Cmd is a typed engine command.
type Cmd interface {
	Kind() string
	record() map[string]any
}

// NewCommand is the command, with its record, of a typed value at engine
// time at.
func NewCommand(at int64, c Cmd) Command { return Command{AtMs: at, Type: c.Kind(), Body: c.record()} }

// SceneLoad loads a scene on the headset.
type SceneLoad struct {
	Template string
	Params   environments.Params
	Layers   any
}

// Refused says a therapist command was not carried out, and why.
type Refused struct{ Command, Reason, Detail string }

// Incident records a safety incident (a hard stop).
type Incident struct{ Reason string }

// SUDSEntry puts a SUDS rating on the engine's timeline.
type SUDSEntry struct{ SUDS int }

// SceneSet changes parameters of the current scene.
type SceneSet struct{ Params environments.Params }

// SceneEvent fires a scripted event in the scene.
type SceneEvent struct{ Event string }

// StepEnter starts a ladder step.
type StepEnter struct {
	Index  int
	StepID string
}

// SUDSPrompt asks the patient for a SUDS rating.
type SUDSPrompt struct{}

// Cue shows a calming script segment.
type Cue struct {
	SegmentID    string
	Index        int
	TextKey      string
	DurationMs   int64
	PatientPaced bool
	Tense        bool
}

// ExpectancyPrompt asks how likely the feared outcome is.
type ExpectancyPrompt struct{ Phase, StepID, FearedOutcomeKey string }

// BreathingStart starts the breathing pacer.
type BreathingStart struct {
	Phases []PacerPhase
	Cycles int // 0: until stopped
}

// BreathingStop stops the breathing pacer.
type BreathingStop struct{}

// CalmNow takes the patient to the calm scene.
type CalmNow struct {
	Reason   string
	Template string
}

// HardStop fades the headset out and ends exposure at once.
type HardStop struct{ Reason string }

// SessionPaused pauses the session.
type SessionPaused struct{ Reason string }

// SessionResumed resumes a paused session.
type SessionResumed struct{}

// BaselineStart begins the resting baseline.
type BaselineStart struct{}

// BaselineEnd ends the resting baseline.
type BaselineEnd struct{}

// CooldownStart begins the cool-down.
type CooldownStart struct{}

// HRVWindow opens ("start") or closes ("stop") a resonance-breathing
// recording window at a breathing rate.
type HRVWindow struct {
	State         string
	BreathsPerMin float64
}

// SessionEnd ends the session.
type SessionEnd struct{ Reason string }

// Alert reports why the engine paused or calmed the session.
type Alert struct{ Reason string }

// Typed returns the command as a typed value (one of the types above), or
// nil for a kind that is only recorded and shown.
func (c Command) Typed() Cmd {
	b := body(c.Body)
	switch c.Type {
	case CmdSceneLoad:
		return SceneLoad{Template: b.str("template"), Params: b.params(), Layers: c.Body["layers"]}
	case CmdSceneSet:
		return SceneSet{Params: b.params()}
	case CmdSceneEvent:
		return SceneEvent{Event: b.str("event")}
	case CmdStepEnter:
		return StepEnter{Index: b.int("index"), StepID: b.str("step_id")}
	case CmdSUDSPrompt:
		return SUDSPrompt{}
	case CmdCue:
		d, _ := c.Body["duration_ms"].(int64)
		return Cue{SegmentID: b.str("segment_id"), Index: b.int("index"), TextKey: b.str("text_key"), DurationMs: d,
			PatientPaced: b.bool("patient_paced"), Tense: b.bool("tense")}
	case CmdExpectancyPrompt:
		return ExpectancyPrompt{Phase: b.str("phase"), StepID: b.str("step_id"), FearedOutcomeKey: b.str("feared_outcome_key")}
	case CmdBreathingStart:
		ph, _ := c.Body["phases"].([]PacerPhase)
		return BreathingStart{Phases: ph, Cycles: b.int("cycles")}
	case CmdBreathingStop:
		return BreathingStop{}
	case CmdCalmNow:
		return CalmNow{Reason: b.str("reason"), Template: b.str("template")}
	case CmdHardStop:
		return HardStop{Reason: b.str("reason")}
	case CmdSessionPaused:
		return SessionPaused{Reason: b.str("reason")}
	case CmdSessionResumed:
		return SessionResumed{}
	case CmdBaselineStart:
		return BaselineStart{}
	case CmdBaselineEnd:
		return BaselineEnd{}
	case CmdCooldownStart:
		return CooldownStart{}
	case CmdHRVWindow:
		rate, _ := c.Body["breaths_per_min"].(float64)
		return HRVWindow{State: b.str("state"), BreathsPerMin: rate}
	case CmdSessionEnd:
		return SessionEnd{Reason: b.str("reason")}
	case CmdAlert:
		return Alert{Reason: b.str("reason")}
	case CmdRefused:
		return Refused{Command: b.str("command"), Reason: b.str("reason"), Detail: b.str("detail")}
	case CmdIncident:
		return Incident{Reason: b.str("reason")}
	case CmdSUDSEntry:
		return SUDSEntry{SUDS: b.int("suds")}
	}
	return nil
}

// Kinds and records. A record holds what the typed value carries; the
// engine's own records may say more (why a scene loaded, the step).

func (SceneLoad) Kind() string { return CmdSceneLoad }
func (c SceneLoad) record() map[string]any {
	return map[string]any{"template": c.Template, "params": c.Params, "layers": c.Layers}
}
func (SceneSet) Kind() string               { return CmdSceneSet }
func (c SceneSet) record() map[string]any   { return map[string]any{"params": c.Params} }
func (SceneEvent) Kind() string             { return CmdSceneEvent }
func (c SceneEvent) record() map[string]any { return map[string]any{"event": c.Event} }
func (StepEnter) Kind() string              { return CmdStepEnter }
func (c StepEnter) record() map[string]any {
	return map[string]any{"index": c.Index, "step_id": c.StepID}
}
func (SUDSPrompt) Kind() string              { return CmdSUDSPrompt }
func (SUDSPrompt) record() map[string]any    { return nil }
func (Cue) Kind() string                     { return CmdCue }
func (ExpectancyPrompt) Kind() string        { return CmdExpectancyPrompt }
func (BreathingStart) Kind() string          { return CmdBreathingStart }
func (BreathingStop) Kind() string           { return CmdBreathingStop }
func (BreathingStop) record() map[string]any { return nil }
func (CalmNow) Kind() string                 { return CmdCalmNow }
func (c CalmNow) record() map[string]any {
	return map[string]any{"reason": c.Reason, "template": c.Template}
}
func (HardStop) Kind() string                  { return CmdHardStop }
func (c HardStop) record() map[string]any      { return map[string]any{"reason": c.Reason} }
func (SessionPaused) Kind() string             { return CmdSessionPaused }
func (c SessionPaused) record() map[string]any { return map[string]any{"reason": c.Reason} }
func (SessionResumed) Kind() string            { return CmdSessionResumed }
func (SessionResumed) record() map[string]any  { return nil }
func (BaselineStart) Kind() string             { return CmdBaselineStart }
func (BaselineStart) record() map[string]any   { return nil }
func (BaselineEnd) Kind() string               { return CmdBaselineEnd }
func (BaselineEnd) record() map[string]any     { return nil }
func (CooldownStart) Kind() string             { return CmdCooldownStart }
func (CooldownStart) record() map[string]any   { return nil }
func (HRVWindow) Kind() string                 { return CmdHRVWindow }
func (c HRVWindow) record() map[string]any {
	return map[string]any{"state": c.State, "breaths_per_min": c.BreathsPerMin}
}
func (SessionEnd) Kind() string             { return CmdSessionEnd }
func (c SessionEnd) record() map[string]any { return map[string]any{"reason": c.Reason} }
func (Alert) Kind() string                  { return CmdAlert }
func (c Alert) record() map[string]any      { return map[string]any{"reason": c.Reason} }
func (Refused) Kind() string                { return CmdRefused }
func (c Refused) record() map[string]any {
	m := map[string]any{"command": c.Command, "reason": c.Reason}
	if c.Detail != "" {
		m["detail"] = c.Detail
	}
	return m
}
func (Incident) Kind() string              { return CmdIncident }
func (c Incident) record() map[string]any  { return map[string]any{"reason": c.Reason} }
func (SUDSEntry) Kind() string             { return CmdSUDSEntry }
func (c SUDSEntry) record() map[string]any { return map[string]any{"suds": c.SUDS} }

func (c Cue) record() map[string]any {
	m := map[string]any{"segment_id": c.SegmentID, "index": c.Index, "text_key": c.TextKey, "duration_ms": c.DurationMs}
	if c.PatientPaced {
		m["patient_paced"] = true
	}
	if c.Tense {
		m["tense"] = true
	}
	return m
}

func (c ExpectancyPrompt) record() map[string]any {
	m := map[string]any{"phase": c.Phase}
	if c.StepID != "" {
		m["step_id"] = c.StepID
	}
	if c.FearedOutcomeKey != "" {
		m["feared_outcome_key"] = c.FearedOutcomeKey
	}
	return m
}

func (c BreathingStart) record() map[string]any {
	m := map[string]any{"phases": c.Phases}
	if c.Cycles > 0 {
		m["cycles"] = c.Cycles
	}
	return m
}

// body reads the engine's own bodies: the values are the Go types the
// engine put there (never JSON-decoded numbers).
type body map[string]any

func (b body) str(k string) string { s, _ := b[k].(string); return s }
func (b body) int(k string) int    { n, _ := b[k].(int); return n }
func (b body) bool(k string) bool  { v, _ := b[k].(bool); return v }
func (b body) params() environments.Params {
	p, _ := b["params"].(environments.Params)
	return p
}
