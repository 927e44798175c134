package protocols

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/havenvr/haven/environments"
)

// Typed engine output. Every command the engine (or a live room's
// composition driver) emits carries one of the types below as its Body: a
// room acts on it with a type switch, and its JSON is the command's record —
// what the timeline stores, a replay reproduces byte for byte and the
// console is shown.
//
// Records were maps before they were types, and the replay golden and every
// stored session keep their bytes: each type lists its fields in the sorted
// order of their JSON names (how maps are encoded; TestRecordKeysSorted), a
// field the engine always wrote has no omitempty, and one it wrote only
// sometimes has omitempty on a type whose zero value is exactly "not
// written" — a pointer where the written value may be zero.

// The commands' kinds, as Command.Type names them.
const (
	CmdSessionStarted   = "session.started"
	CmdSceneLoad        = "scene.load"
	CmdSceneSet         = "scene.set"
	CmdSceneEvent       = "scene.event"
	CmdStepEnter        = "step.enter"
	CmdStepExit         = "step.exit"
	CmdStepPending      = "step.pending"
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
	CmdRejected         = "event.rejected"
	CmdIncident         = "incident"
	CmdSuggest          = "suggest"
	CmdDecisionRequired = "decision.required"
	CmdExposureBlocked  = "exposure.blocked"
	CmdSUDSEntry        = "timeline.suds"
	CmdNoteEntry        = "timeline.note"
	CmdDecisionEntry    = "timeline.decision"
	CmdConnectionEntry  = "timeline.connection"
	CmdExposureEntry    = "timeline.exposure"
	CmdBudgetEntry      = "timeline.exposure_budget"
	CmdScreeningAck     = "timeline.screening_ack"
	CmdUnansweredEntry  = "timeline.suds_unanswered"
	CmdFearLevelEntry   = "timeline.fear_level"
	CmdAlertEntry       = "timeline.alert"
	CmdQuestionnaire    = "timeline.questionnaire"
	CmdExpectancyEntry  = "timeline.expectancy"
)

// Cmd is a typed engine output.
type Cmd interface {
	Kind() string
}

// Command is one output of the engine, stamped with the engine clock. Type
// is Body's Kind; NewCommand makes one.
type Command struct {
	AtMs int64
	Type string
	Body Cmd
}

// NewCommand is the command of a typed value at engine time at.
func NewCommand(at int64, c Cmd) Command { return Command{AtMs: at, Type: c.Kind(), Body: c} }

// Record is the command's body as JSON — what the timeline stores and the
// console is shown — or nil when it carries nothing.
func (c Command) Record() (json.RawMessage, error) {
	if c.Body == nil {
		return nil, nil
	}
	b, err := json.Marshal(c.Body)
	if err != nil {
		return nil, fmt.Errorf("protocols: record of %s: %w", c.Type, err)
	}
	if bytes.Equal(b, []byte("{}")) {
		return nil, nil
	}
	return b, nil
}

// MarshalJSON writes the command as one line of a command log:
// {"at_ms":…,"type":…,"body":…}, without body when it carries nothing.
func (c Command) MarshalJSON() ([]byte, error) {
	rec, err := c.Record()
	if err != nil {
		return nil, err
	}
	return json.Marshal(struct {
		AtMs int64           `json:"at_ms"`
		Type string          `json:"type"`
		Body json.RawMessage `json:"body,omitempty"`
	}{c.AtMs, c.Type, rec})
}

// SessionStarted opens the session's record with its protocol.
type SessionStarted struct {
	ExposureBudgetMs int64  `json:"exposure_budget_ms,omitempty"` // exposure protocols only
	ProtocolKind     string `json:"kind"`
	Mode             string `json:"mode"`
	Protocol         string `json:"protocol"`
	ProtocolHash     string `json:"protocol_hash"`
}

// SceneLoad loads a scene on the headset: why (baseline, step, calming,
// resume, cooldown) and at which step, for the engine's own loads.
type SceneLoad struct {
	Layers   *environments.Layers `json:"layers,omitempty"`
	Params   environments.Params  `json:"params"`
	Reason   string               `json:"reason,omitempty"`
	StepID   string               `json:"step_id,omitempty"`
	Template string               `json:"template"`
}

// SceneSet changes parameters of the current scene.
type SceneSet struct {
	Params environments.Params `json:"params"`
	StepID string              `json:"step_id,omitempty"`
}

// SceneEvent fires a scripted event in the scene.
type SceneEvent struct {
	Event  string `json:"event"`
	StepID string `json:"step_id,omitempty"`
}

// StepEnter starts a ladder step.
type StepEnter struct {
	ExpectedSUDS     int      `json:"expected_suds"`
	Index            int      `json:"index"`
	Intensity        int      `json:"intensity"`
	SafetyBehaviours []string `json:"safety_behaviours,omitempty"`
	StepID           string   `json:"step_id"`
}

// StepExit closes a ladder step with its dwell and ratings (-1: none).
type StepExit struct {
	DwellMs  int64  `json:"dwell_ms"`
	LastSUDS int    `json:"last_suds"`
	PeakSUDS int    `json:"peak_suds"`
	StepID   string `json:"step_id"`
}

// StepPending says a step was chosen while paused and loads on resume.
type StepPending struct {
	Reason string `json:"reason"`
	StepID string `json:"step_id"`
}

// SUDSPrompt asks the patient for a SUDS rating (a therapist's prompt
// carries no reason).
type SUDSPrompt struct {
	Reason string `json:"reason,omitempty"`
	StepID string `json:"step_id,omitempty"`
}

// Cue shows a calming script segment.
type Cue struct {
	DurationMs   int64  `json:"duration_ms"`
	Index        int    `json:"index"`
	PatientPaced bool   `json:"patient_paced,omitempty"`
	SegmentID    string `json:"segment_id"`
	Tense        bool   `json:"tense,omitempty"`
	TextKey      string `json:"text_key"`
}

// ExpectancyPrompt asks how likely the feared outcome is.
type ExpectancyPrompt struct {
	ExpectedLikelihood *int   `json:"expected_likelihood,omitempty"`
	FearedOutcomeKey   string `json:"feared_outcome_key,omitempty"`
	Phase              string `json:"phase"`
	StepID             string `json:"step_id,omitempty"`
}

// BreathingStart starts the breathing pacer of a script segment.
type BreathingStart struct {
	BreathsPerMin float64      `json:"breaths_per_min,omitempty"`
	CycleMs       int64        `json:"cycle_ms"`
	Cycles        int          `json:"cycles,omitempty"` // 0: until stopped
	Phases        []PacerPhase `json:"phases"`
	SegmentID     string       `json:"segment_id"`
}

// BreathingStop stops the breathing pacer: at a segment's end, for a
// pause, or at the therapist's or the block's end (neither named).
type BreathingStop struct {
	Reason    string `json:"reason,omitempty"`
	SegmentID string `json:"segment_id,omitempty"`
}

// CalmNow takes the patient to the calm scene.
type CalmNow struct {
	Params   environments.Params `json:"params,omitempty"`
	Reason   string              `json:"reason"`
	Template string              `json:"template"`
}

// HardStop fades the headset out and ends exposure at once.
type HardStop struct {
	FadeMs   int    `json:"fade_ms,omitempty"`
	Reason   string `json:"reason"`
	Template string `json:"template,omitempty"`
	TextKey  string `json:"text_key,omitempty"`
}

// Incident records a safety incident (a hard stop): in which phase and
// step, for the engine's (Step is nil for a composition session).
type Incident struct {
	Phase  string  `json:"phase,omitempty"`
	Reason string  `json:"reason"`
	Step   *string `json:"step,omitempty"`
}

// SessionPaused pauses the session; Count is the unanswered prompts of a
// suds_unanswered pause (its text names it).
type SessionPaused struct {
	Count  int    `json:"count,omitempty"`
	Reason string `json:"reason"`
}

// SessionResumed resumes a paused session after PausedMs (nil for a
// composition session, which does not count it).
type SessionResumed struct {
	PausedMs *int64 `json:"paused_ms,omitempty"`
}

// BaselineStart begins the resting baseline.
type BaselineStart struct {
	DurationMs int64 `json:"duration_ms"`
}

// BaselineEnd ends the resting baseline.
type BaselineEnd struct{}

// CooldownStart begins the cool-down.
type CooldownStart struct {
	DurationMs int64  `json:"duration_ms"`
	Reason     string `json:"reason"`
}

// HRVWindow opens ("start") or closes ("stop") a resonance-breathing
// recording window at a breathing rate.
type HRVWindow struct {
	BreathsPerMin float64 `json:"breaths_per_min"`
	SegmentID     string  `json:"segment_id"`
	State         string  `json:"state"`
}

// SessionEnd ends the session.
type SessionEnd struct {
	Reason string `json:"reason"`
}

// Alert reports why the engine paused or calmed the session; Count as in
// SessionPaused.
type Alert struct {
	Count  int    `json:"count,omitempty"`
	Reason string `json:"reason"`
}

// Refused says a therapist command was not carried out, and why.
type Refused struct {
	Command string `json:"command"`
	Detail  string `json:"detail,omitempty"`
	Reason  string `json:"reason"`
}

// Rejected says an input event was not taken, and why.
type Rejected struct {
	Reason string `json:"reason"`
	Type   string `json:"type"`
}

// Suggest offers the therapist one action (the engine suggests, the
// therapist confirms); Level is the fear level of an adaptive suggestion.
type Suggest struct {
	Action string `json:"action"`
	Level  *int   `json:"level,omitempty"`
	Reason string `json:"reason"`
	StepID string `json:"step_id,omitempty"`
}

// DecisionRequired asks the therapist to decide (a step's maximum dwell).
type DecisionRequired struct {
	DwellMs int64  `json:"dwell_ms"`
	Reason  string `json:"reason"`
	StepID  string `json:"step_id"`
}

// ExposureBlocked says exposure waits for screening flags to be
// acknowledged.
type ExposureBlocked struct {
	Flags  []string `json:"flags"`
	Reason string   `json:"reason"`
}

// SUDSEntry puts a SUDS rating on the timeline: in which phase and step,
// for the engine's (StepID is nil for a composition session).
type SUDSEntry struct {
	Phase  string  `json:"phase,omitempty"`
	StepID *string `json:"step_id,omitempty"`
	SUDS   int     `json:"suds"`
}

// NoteEntry puts a therapist's note on the timeline, at the step it was
// written in (nil after the session ended).
type NoteEntry struct {
	Note   string  `json:"note"`
	StepID *string `json:"step_id,omitempty"`
}

// DecisionEntry records the therapist's decision to stay.
type DecisionEntry struct {
	Action string `json:"action"`
	StepID string `json:"step_id"`
}

// ConnectionEntry records the headset's link lost or restored.
type ConnectionEntry struct {
	State string `json:"state"`
}

// ExposureEntry records the session's exposure time at its end; the next
// session's cybersickness budget starts from it.
type ExposureEntry struct {
	ExposedMs int64 `json:"exposed_ms"`
}

// BudgetEntry records the cybersickness budget reached.
type BudgetEntry struct {
	BudgetMs  int64 `json:"budget_ms"`
	ExposedMs int64 `json:"exposed_ms"`
}

// ScreeningAck records the screening flags a therapist acknowledged.
type ScreeningAck struct {
	Flags []string `json:"flags"`
}

// UnansweredEntry records a SUDS prompt left unanswered.
type UnansweredEntry struct {
	Count  int    `json:"count"`
	Limit  int    `json:"limit"`
	StepID string `json:"step_id"`
}

// FearLevelEntry records a new adaptive fear level (0–3).
type FearLevelEntry struct {
	Level  int    `json:"level"`
	StepID string `json:"step_id"`
}

// AlertEntry records a biosignal alert with the inputs it was raised on
// and, for the heart-rate ceiling, the ceiling in force and its source.
type AlertEntry struct {
	Alert         string   `json:"alert"`
	Ceiling       string   `json:"ceiling,omitempty"` // off, bpm or share
	CeilingBPM    *float64 `json:"ceiling_bpm,omitempty"`
	CeilingReason string   `json:"ceiling_reason,omitempty"`
	CeilingShare  *float64 `json:"ceiling_share,omitempty"`
	SustainedMs   int64    `json:"sustained_ms"`
	Threshold     *float64 `json:"threshold,omitempty"`
	Value         *float64 `json:"value,omitempty"`
}

// QuestionnaireEntry records a questionnaire's scores, scored from its
// items or Entered by the therapist as a total.
type QuestionnaireEntry struct {
	Entered       bool   `json:"entered,omitempty"`
	Questionnaire string `json:"questionnaire"`
	Scores        Scores `json:"scores"`
}

// Scores are a questionnaire's scores: the SSQ's subscales, or a total.
type Scores struct {
	Disorientation *float64 `json:"disorientation,omitempty"`
	Nausea         *float64 `json:"nausea,omitempty"`
	Oculomotor     *float64 `json:"oculomotor,omitempty"`
	Total          float64  `json:"total"`
}

// ExpectancyEntry records a feared-outcome likelihood and, after a trial,
// the prediction error (before − after).
type ExpectancyEntry struct {
	Likelihood      int    `json:"likelihood"`
	Phase           string `json:"phase"`
	PredictionError *int   `json:"prediction_error,omitempty"`
	StepID          string `json:"step_id"`
}

// Kinds.

func (SessionStarted) Kind() string     { return CmdSessionStarted }
func (SceneLoad) Kind() string          { return CmdSceneLoad }
func (SceneSet) Kind() string           { return CmdSceneSet }
func (SceneEvent) Kind() string         { return CmdSceneEvent }
func (StepEnter) Kind() string          { return CmdStepEnter }
func (StepExit) Kind() string           { return CmdStepExit }
func (StepPending) Kind() string        { return CmdStepPending }
func (SUDSPrompt) Kind() string         { return CmdSUDSPrompt }
func (Cue) Kind() string                { return CmdCue }
func (ExpectancyPrompt) Kind() string   { return CmdExpectancyPrompt }
func (BreathingStart) Kind() string     { return CmdBreathingStart }
func (BreathingStop) Kind() string      { return CmdBreathingStop }
func (CalmNow) Kind() string            { return CmdCalmNow }
func (HardStop) Kind() string           { return CmdHardStop }
func (Incident) Kind() string           { return CmdIncident }
func (SessionPaused) Kind() string      { return CmdSessionPaused }
func (SessionResumed) Kind() string     { return CmdSessionResumed }
func (BaselineStart) Kind() string      { return CmdBaselineStart }
func (BaselineEnd) Kind() string        { return CmdBaselineEnd }
func (CooldownStart) Kind() string      { return CmdCooldownStart }
func (HRVWindow) Kind() string          { return CmdHRVWindow }
func (SessionEnd) Kind() string         { return CmdSessionEnd }
func (Alert) Kind() string              { return CmdAlert }
func (Refused) Kind() string            { return CmdRefused }
func (Rejected) Kind() string           { return CmdRejected }
func (Suggest) Kind() string            { return CmdSuggest }
func (DecisionRequired) Kind() string   { return CmdDecisionRequired }
func (ExposureBlocked) Kind() string    { return CmdExposureBlocked }
func (SUDSEntry) Kind() string          { return CmdSUDSEntry }
func (NoteEntry) Kind() string          { return CmdNoteEntry }
func (DecisionEntry) Kind() string      { return CmdDecisionEntry }
func (ConnectionEntry) Kind() string    { return CmdConnectionEntry }
func (ExposureEntry) Kind() string      { return CmdExposureEntry }
func (BudgetEntry) Kind() string        { return CmdBudgetEntry }
func (ScreeningAck) Kind() string       { return CmdScreeningAck }
func (UnansweredEntry) Kind() string    { return CmdUnansweredEntry }
func (FearLevelEntry) Kind() string     { return CmdFearLevelEntry }
func (AlertEntry) Kind() string         { return CmdAlertEntry }
func (QuestionnaireEntry) Kind() string { return CmdQuestionnaire }
func (ExpectancyEntry) Kind() string    { return CmdExpectancyEntry }
