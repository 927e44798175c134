package protocols

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/havenvr/haven/environments"
)

// Event types the engine accepts (the timeline/event-log format; see
// docs/domain.md). Times are not carried by events: only tick advances the
// engine's clock, which keeps replay independent of wall time.
const (
	EvStart         = "session.start"
	EvTick          = "tick"
	EvSUDS          = "suds.rating"
	EvExpectancy    = "expectancy.rating"
	EvAlert         = "biosignal.alert"
	EvMetrics       = "biosignal.metrics"
	EvBreak         = "break.request"
	EvPatientStop   = "patient.stop"
	EvPatientNext   = "patient.next"
	EvTherapist     = "therapist"
	EvConnLost      = "connection.lost"
	EvConnRestored  = "connection.restored"
	EvQuestionnaire = "questionnaire.score"
	EvDizziness     = "dizziness.report"
	EvSeizure       = "seizure.signs"
	EvAvoidance     = "avoidance.measures"
)

// Therapist commands (Event.Command).
const (
	TAdvance   = "advance"
	TStepBack  = "step_back"
	TStay      = "stay"
	TSetParams = "set_params"
	TFireEvent = "fire_event"
	TCalmNow   = "calm_now"
	TPause     = "pause"
	TResume    = "resume"
	TStop      = "stop"
	TEnd       = "end"
	TNote      = "note"
	TAckScreen = "acknowledge_screening"
)

// Event is one input to the engine; one JSON object per line in an event log.
type Event struct {
	Type        string `json:"type"`
	ElapsedMs   int64  `json:"elapsed_ms,omitempty"`
	SUDS        *int   `json:"suds,omitempty"`
	Phase       string `json:"phase,omitempty"`
	Likelihood  *int   `json:"likelihood,omitempty"`
	Alert       string `json:"alert,omitempty"`
	SustainedMs int64  `json:"sustained_ms,omitempty"`
	// Value and Threshold of a biosignal.alert: the rule's input (HR in bpm,
	// a z-score) and the limit it crossed, recorded with the alert.
	Value         *float64            `json:"value,omitempty"`
	Threshold     *float64            `json:"threshold,omitempty"`
	Command       string              `json:"command,omitempty"`
	StepID        string              `json:"step_id,omitempty"`
	Params        environments.Params `json:"params,omitempty"`
	EventID       string              `json:"event_id,omitempty"`
	Note          string              `json:"note,omitempty"`
	Questionnaire string              `json:"questionnaire,omitempty"`
	Score         *float64            `json:"score,omitempty"`
	Items         []int               `json:"items,omitempty"`
	Metrics       *Metrics            `json:"metrics,omitempty"`
	Avoidance     *Avoidance          `json:"avoidance,omitempty"`
	// PriorExposureMs (session.start) is the patient's time in exposure
	// scenes in their last session, for the cybersickness budget; recorded
	// with the start so that a replay gets the same budget.
	PriorExposureMs int64 `json:"prior_exposure_ms,omitempty"`
}

// Metrics are physiology handed to the engine: baseline z-scores for the
// adaptive fear level (CLINICAL.md §6), and, in a log written for replay,
// the inputs of the alert rules (HR in bpm, the HR and EDA-level z-scores),
// which Simulate runs through the session's alert rules.
type Metrics struct {
	HRZ       *float64 `json:"hr_z,omitempty"`
	EDASlopeZ *float64 `json:"eda_slope_z,omitempty"`
	SCRRateZ  *float64 `json:"scr_rate_z,omitempty"`
	RMSSDZ    *float64 `json:"rmssd_z,omitempty"`
	HR        *float64 `json:"hr_bpm,omitempty"`
	EDAZ      *float64 `json:"eda_z,omitempty"`
}

// Avoidance is the current step's avoidance measures from the headset's
// head pose (server/avoidance): the share of observed time the stimulus was
// within 30° of the gaze, the looking-away episodes, the time observed.
type Avoidance struct {
	Share        float64 `json:"share"`
	AwayEpisodes int     `json:"away_episodes"`
	ObservedMs   int64   `json:"observed_ms"`
}

// MaxEventLine bounds one line of an event log.
const MaxEventLine = 64 << 10

// ReadEvents parses an event log: JSON lines, blank lines skipped, unknown
// fields rejected.
func ReadEvents(r io.Reader) ([]Event, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), MaxEventLine)
	var out []Event
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		ev, err := DecodeEvent(line)
		if err != nil {
			return nil, fmt.Errorf("protocols: event log line %d: %w", n, err)
		}
		out = append(out, ev)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("protocols: reading event log: %w", err)
	}
	return out, nil
}

// DecodeEvent parses one event strictly.
func DecodeEvent(line []byte) (Event, error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	var ev Event
	if err := dec.Decode(&ev); err != nil {
		return Event{}, err
	}
	if dec.More() {
		return Event{}, fmt.Errorf("trailing data")
	}
	if ev.ElapsedMs < 0 {
		return Event{}, fmt.Errorf("elapsed_ms is negative")
	}
	return ev, nil
}

// WriteCommands writes one JSON command per line.
func WriteCommands(w io.Writer, cmds []Command) error {
	enc := json.NewEncoder(w)
	for _, c := range cmds {
		if err := enc.Encode(c); err != nil {
			return fmt.Errorf("protocols: writing command: %w", err)
		}
	}
	return nil
}
