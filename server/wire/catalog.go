// Package wire is the live-session protocol on the `control`, `signals` and
// `pose` data channels (DESIGN.md §3): the envelope, the catalogue of every message
// type with its direction, channel and body, strict size-limited decoders, and
// the JSON Schema and documentation page generated from that catalogue.
package wire

import (
	"encoding/json"
	"reflect"

	"github.com/havenvr/haven/server/avoidance"
)

// Version is the envelope version this server speaks.
const Version = 1

// Channel labels (the contract with clients).
const (
	Control = "control"
	Signals = "signals"
)

// Size limits per message: a control message is small; a signals batch holds
// at most biosignal.DefaultLimits.MaxBytes (64 KiB) of body plus the envelope.
const (
	MaxControlBytes = 16 << 10
	MaxSignalsBytes = 72 << 10
)

// Dir says who sends a message to whom.
type Dir string

// Directions.
const (
	ToPatient   Dir = "server→patient"
	FromPatient Dir = "patient→server"
	ToConsole   Dir = "server→console"
	FromConsole Dir = "console→server"
)

// Envelope wraps every message. Seq counts per sender and channel from 1;
// Ack is the highest seq of the peer's messages the sender has durably handled;
// T is the sender's clock in unix ms. SrcSeq, on a server message caused by a
// therapist command, is that command's seq (relay-latency measurement and
// console correlation).
type Envelope struct {
	V      int             `json:"v"`
	Type   string          `json:"type"`
	Seq    uint64          `json:"seq"`
	Ack    uint64          `json:"ack"`
	T      int64           `json:"t"`
	SrcSeq uint64          `json:"src_seq,omitempty"`
	Body   json.RawMessage `json:"body"`
}

// Spec describes one message type.
type Spec struct {
	Type    string
	Dir     Dir
	Channel string
	Doc     string
	// Durable messages are persisted and acknowledged after commit; the
	// server drops a repeated seq (a resend after reconnect) and re-acks it.
	Durable bool
	body    any
}

// Body returns a fresh pointer to the message's body type.
func (s Spec) Body() any { return reflect.New(reflect.TypeOf(s.body)).Interface() }

// Crisis is the clinic's crisis line shown on the patient's safety panel.
type Crisis struct {
	Name         string `json:"name"`
	Number       string `json:"number"`
	Text         string `json:"text,omitempty"`          // a text/SMS line, when the service has one
	Hours        string `json:"hours,omitempty"`         // e.g. 24/7
	LastVerified string `json:"last_verified,omitempty"` // YYYY-MM-DD: when the clinic (or Haven) checked it
}

// Hello opens every connection. NextSeq tells a reloaded client where its
// seq counters continue, so resends after a reload are not taken for duplicates.
type Hello struct {
	SessionID string            `json:"session_id"`
	Role      string            `json:"role"`
	State     string            `json:"state"`
	Locale    string            `json:"locale"`
	Crisis    Crisis            `json:"crisis"`
	NextSeq   map[string]uint64 `json:"next_seq"`
	// Practice is true in a practice (training) session the therapist chose:
	// the headset may run its labelled simulated sensor and tells the
	// patient so. Outside one it never starts a simulator by itself.
	Practice bool `json:"practice,omitempty"`
	// BatchMs (to a patient only) is how often its biosignal batches should
	// leave, in ms (MinBatch to MaxBatch; the server's --signals-batch).
	BatchMs int64 `json:"batch_ms,omitempty"`
}

// Empty is the body of messages that carry only their envelope.
type Empty struct{}

// SceneLoad loads a scene composition on the patient client.
type SceneLoad struct {
	Template     string         `json:"template"`
	Params       map[string]any `json:"params"`
	Layers       any            `json:"layers,omitempty"`
	TransitionMs int            `json:"transition_ms"`
}

// SceneSet changes parameters of the loaded scene.
type SceneSet struct {
	Params       map[string]any `json:"params"`
	TransitionMs int            `json:"transition_ms"`
}

// SceneEvent fires a one-shot clinician event of the template.
type SceneEvent struct {
	Event string `json:"event"`
}

// StepEnter announces a new exposure step.
type StepEnter struct {
	Index    int    `json:"index"`
	StepID   string `json:"step_id"`
	LabelKey string `json:"label_key"`
}

// SUDSPrompt asks the patient for a 0–100 rating.
type SUDSPrompt struct {
	PromptID string `json:"prompt_id"`
}

// BreathPhase is one phase of a breathing pacer.
type BreathPhase struct {
	Phase string  `json:"phase"`
	S     float64 `json:"s"`
}

// BreathingStart starts the breathing pacer.
type BreathingStart struct {
	Phases    []BreathPhase `json:"phases"`
	Cycles    int           `json:"cycles"`
	DurationS float64       `json:"duration_s"`
}

// CalmNow fades the patient to the calm scene.
type CalmNow struct {
	Reason string `json:"reason"`
}

// Reason carries why something happened (hard.stop, session.end).
type Reason struct {
	Reason string `json:"reason"`
}

// Error reports a refused or malformed message; Code is an apierr code.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	RefSeq  uint64 `json:"ref_seq,omitempty"`
}

// SceneReady is the client's acknowledgement of the applied scene.
type SceneReady struct {
	Template string         `json:"template"`
	Params   map[string]any `json:"params,omitempty"`
}

// SUDSRating answers a prompt (or is given unprompted: prompt_id empty).
type SUDSRating struct {
	PromptID string `json:"prompt_id,omitempty"`
	Value    int    `json:"value"`
}

// ClientState reports the headset and comfort state.
type ClientState struct {
	XR      bool    `json:"xr"`
	FPS     float64 `json:"fps"`
	Comfort string  `json:"comfort"`
	Sensor  string  `json:"sensor"`
}

// SignalsBatch is one biosignal batch (server/biosignal validates it):
// sample i is at t0 + i·1000/rate_hz, or at t0 + ts[i] when rate_hz is 0.
type SignalsBatch struct {
	Stream string   `json:"stream"`
	Unit   string   `json:"unit"`
	RateHz float64  `json:"rate_hz,omitempty"`
	T0     int64    `json:"t0"`
	Ts     []int64  `json:"ts,omitempty"`
	Values Samples  `json:"values,omitempty"`
	Raw    [][]byte `json:"raw,omitempty"`
	// Source is the batch's provenance, stored with every sample and carried
	// into every export: kind "sensor" (a device worn by the patient) or
	// "simulator" (generated samples, never patient data); name is the model
	// or product, id the device's identifier. A batch without one is stored
	// as "unknown" and is never exported as sensed.
	Source *Source `json:"source,omitempty"`
}

// Source names what produced a batch's samples (biosignal.Source).
type Source struct {
	Kind string `json:"kind"`
	Name string `json:"name,omitempty"`
	ID   string `json:"id,omitempty"`
}

// SessionState tells the console the session and patient link state.
type SessionState struct {
	State      string       `json:"state"`
	Reason     string       `json:"reason,omitempty"`
	Patient    bool         `json:"patient_connected"`
	Client     *ClientState `json:"client,omitempty"`
	Observers  int          `json:"observers"`
	ElapsedMs  int64        `json:"elapsed_ms"`
	ProtocolID string       `json:"protocol_id,omitempty"`
	// Phase is the protocol's timed phase ("baseline", "cooldown") and
	// PhaseLeftMs the wall-clock time left in it, for the console's countdown.
	Phase       string `json:"phase,omitempty"`
	PhaseLeftMs int64  `json:"phase_left_ms,omitempty"`
}

// ForwardedScene is the patient's scene.ready relayed to the console.
type ForwardedScene struct {
	Template string         `json:"template"`
	Params   map[string]any `json:"params,omitempty"`
}

// ForwardedSUDS is the patient's suds.rating relayed to the console (after
// it is stored).
type ForwardedSUDS struct {
	PromptID string `json:"prompt_id,omitempty"`
	Value    int    `json:"value"`
}

// Engine carries a protocol-engine output to the console (suggestions with
// reason codes, command results, timeline entries, alerts): Body is the
// output's record, a JSON object as the timeline stores it.
type Engine struct {
	Kind string          `json:"kind"`
	Body json.RawMessage `json:"body,omitempty"`
}

// Alert is a safety or biosignal alert for the console.
type Alert struct {
	Code      string  `json:"code"`
	Reason    string  `json:"reason,omitempty"`
	Value     float64 `json:"value,omitempty"`
	Threshold float64 `json:"threshold,omitempty"`
	Fired     bool    `json:"fired"`
	MessageID string  `json:"message_id,omitempty"`
	// Source is the provenance kind of the data behind the alert: "sensor",
	// "simulator" (label it simulated) or "unknown"; empty before any sample.
	Source string `json:"source,omitempty"`
}

// Metrics is the live biosignal summary sent to the console every second
// (server/biosignal.Metrics, passed through as JSON).
type Metrics struct {
	Metrics json.RawMessage `json:"metrics"`
	// Source is the provenance kind of the newest samples (see Alert.Source).
	Source string `json:"source,omitempty"`
}

// Avoidance is the live avoidance measures of the current exposure step
// (server/avoidance), sent to consoles every second while the headset sends
// poses, with the stimulus anchors the console's map draws.
type Avoidance struct {
	StepID   string            `json:"step_id,omitempty"`
	Template string            `json:"template"`
	Anchors  []AvoidanceAnchor `json:"anchors"`
	Measures avoidance.Summary `json:"measures"`
	// Away is true while the stimulus is out of view right now.
	Away bool `json:"away"`
}

// AvoidanceAnchor is one stimulus anchor as placed in the scene now.
type AvoidanceAnchor struct {
	ID       string     `json:"id"`
	LabelKey string     `json:"label_key"`
	From     [3]float64 `json:"from"`
	To       [3]float64 `json:"to"`
	Approach bool       `json:"approach,omitempty"`
}

// CmdParams sets scene parameters.
type CmdParams struct {
	Params       map[string]any `json:"params"`
	TransitionMs int            `json:"transition_ms,omitempty"`
}

// CmdIntensity moves the scene to the template's mapping at an intensity 0–100.
type CmdIntensity struct {
	Intensity int `json:"intensity"`
}

// CmdEvent fires a one-shot scene event.
type CmdEvent struct {
	Event string `json:"event"`
}

// CmdAdvance enters the next step (or, inhibitory mode, a named one).
type CmdAdvance struct {
	StepID string `json:"step_id,omitempty"`
}

// CmdBreathing starts a breathing pacer at a rate (breaths/min).
type CmdBreathing struct {
	BreathsPerMin float64 `json:"breaths_per_min"`
	Cycles        int     `json:"cycles,omitempty"`
}

// Note is a therapist's free-text timeline note.
type Note struct {
	Text string `json:"text"`
}

// Cue is one cue of a calming script (CLINICAL.md §7): the narration text
// key, how long the segment lasts, and whether it waits for the patient's
// patient.next (self-paced, e.g. each sense of 5-4-3-2-1 grounding) or marks
// a tense phase of progressive muscle relaxation.
type Cue struct {
	SegmentID    string `json:"segment_id"`
	Index        int    `json:"index"`
	TextKey      string `json:"text_key"`
	DurationMs   int64  `json:"duration_ms,omitempty"`
	PatientPaced bool   `json:"patient_paced,omitempty"`
	Tense        bool   `json:"tense,omitempty"`
}

// ExpectancyRating is an inhibitory-learning rating (CLINICAL.md §2): how
// likely the feared outcome is, 0–100, before a trial or after it (the
// difference is the prediction error).
type ExpectancyRating struct {
	Phase      string `json:"phase"` // before or after
	Likelihood int    `json:"likelihood"`
}

// ExpectancyPrompt asks the patient how likely the feared outcome is, before
// a trial (the engine, at step entry in inhibitory mode) or after it (the
// therapist, when the expectancy has been tested).
type ExpectancyPrompt struct {
	Phase            string `json:"phase"`
	StepID           string `json:"step_id,omitempty"`
	FearedOutcomeKey string `json:"feared_outcome_key,omitempty"`
}

// CmdExpectancyPrompt asks for an expectancy rating now.
type CmdExpectancyPrompt struct {
	Phase string `json:"phase"` // before or after
}

// CmdReport is what the therapist observes (CLINICAL.md §5): seizure signs
// stop the session at once, dizziness pauses it to the calm scene.
type CmdReport struct {
	Kind string `json:"kind"` // seizure or dizziness
}

// Microphone states a voice.state carries (VoiceMic.Mic, VoiceState.Mic).
const (
	MicNone  = "none"  // no microphone: not given, refused, or an observer
	MicMuted = "muted" // muted by its owner
	MicPTT   = "ptt"   // push-to-talk: live only while the therapist holds the key
	MicOn    = "on"    // open microphone
)

// VoiceMic is a peer's own microphone state, sent whenever it changes and
// again after each (re)connection.
type VoiceMic struct {
	Mic string `json:"mic"`
}

// VoiceState tells one side the other side's microphone state.
type VoiceState struct {
	Role string `json:"role"` // patient or therapist
	Mic  string `json:"mic"`
}

// Catalog is every message type; docs/protocol.md is generated from it.
var Catalog = []Spec{
	{Type: "hello", Dir: ToPatient, Channel: Control, Doc: "First message on `control` of every connection; `state` is the session's, already `live` on the connection that starts it. `batch_ms` is how often the headset sends its biosignal batches (the server's `--signals-batch`, 250 ms to 1 s; 250 ms until a hello names it).", body: Hello{}},
	{Type: "heartbeat", Dir: ToPatient, Channel: Control, Doc: "Sent when nothing else went out on the patient's control channel for 375 ms (checked every 250 ms): every 500 ms on a silent channel, none while other messages flow. Any message counts as life: a patient client that hears nothing on control for 2 s fades to calm on its own.", body: Empty{}},
	{Type: "ack", Dir: ToPatient, Channel: Control, Doc: "Carries only the envelope `ack`: the peer's durable control messages up to it are committed.", body: Empty{}},
	{Type: "scene.load", Dir: ToPatient, Channel: Control, Doc: "Load a scene composition.", body: SceneLoad{}},
	{Type: "scene.set", Dir: ToPatient, Channel: Control, Doc: "Change parameters of the loaded scene.", body: SceneSet{}},
	{Type: "scene.event", Dir: ToPatient, Channel: Control, Doc: "Fire a one-shot template event.", body: SceneEvent{}},
	{Type: "step.enter", Dir: ToPatient, Channel: Control, Doc: "An exposure step begins.", body: StepEnter{}},
	{Type: "suds.prompt", Dir: ToPatient, Channel: Control, Doc: "Ask for a SUDS rating (0–100).", body: SUDSPrompt{}},
	{Type: "expectancy.prompt", Dir: ToPatient, Channel: Control, Doc: "Ask how likely the feared outcome is (0–100), before or after a trial (inhibitory learning).", body: ExpectancyPrompt{}},
	{Type: "cue", Dir: ToPatient, Channel: Control, Doc: "Show a calming script's cue (narration text key); a self-paced one waits for patient.next.", body: Cue{}},
	{Type: "breathing.start", Dir: ToPatient, Channel: Control, Doc: "Start the breathing pacer.", body: BreathingStart{}},
	{Type: "breathing.stop", Dir: ToPatient, Channel: Control, Doc: "Stop the breathing pacer.", body: Empty{}},
	{Type: "calm.now", Dir: ToPatient, Channel: Control, Doc: "Fade to the calm scene now (soft pause).", body: CalmNow{}},
	{Type: "resume", Dir: ToPatient, Channel: Control, Doc: "The therapist resumed the session.", body: Empty{}},
	{Type: "hard.stop", Dir: ToPatient, Channel: Control, Doc: "Fade to neutral and show remove-your-headset instructions.", body: Reason{}},
	{Type: "session.end", Dir: ToPatient, Channel: Control, Doc: "The session is over (also sent on server shutdown).", body: Reason{}},
	{Type: "error", Dir: ToPatient, Channel: Control, Doc: "A message was refused; `code` is an API error code, `message` its text in the patient's language, `ref_seq` the refused message's seq (when it had one).", body: Error{}},
	{Type: "signals.ack", Dir: ToPatient, Channel: Signals, Doc: "Carries only the envelope `ack`: every batch up to it is settled (stored, or refused for good). One per commit group: batches the server stores in one transaction are acknowledged by one `signals.ack`. Also sent at connection, saying where the batches stand.", body: Empty{}},
	{Type: "voice.state", Dir: ToPatient, Channel: Control, Doc: "The therapist's microphone: `on`, `ptt` (push-to-talk, live while held), `muted` or `none`; sent when it changes and after the patient connects.", body: VoiceState{}},

	{Type: "heartbeat", Dir: FromPatient, Channel: Control, Doc: "Sent when nothing else went out on control for 375 ms (checked every 250 ms): every 500 ms on a silent control channel. Batches do not replace it (the server's reads of signals wait on its store). The server counts any message as life; a patient silent for 1.5 s is treated as lost (session paused).", body: Empty{}},
	{Type: "scene.ready", Dir: FromPatient, Channel: Control, Doc: "The scene is applied, with the parameters actually used.", body: SceneReady{}},
	{Type: "suds.rating", Dir: FromPatient, Channel: Control, Doc: "A SUDS rating 0–100.", Durable: true, body: SUDSRating{}},
	{Type: "client.state", Dir: FromPatient, Channel: Control, Doc: "Headset state: XR active, frame rate, comfort mode, sensor state.", body: ClientState{}},
	{Type: "break.request", Dir: FromPatient, Channel: Control, Doc: "\"I need a break\": the client entered calm by itself; the therapist is alerted.", Durable: true, body: Empty{}},
	{Type: "expectancy.rating", Dir: FromPatient, Channel: Control, Doc: "Likelihood 0–100 of the feared outcome, before or after a trial (inhibitory learning).", Durable: true, body: ExpectancyRating{}},
	{Type: "patient.next", Dir: FromPatient, Channel: Control, Doc: "The patient is ready for the next cue of a self-paced calming script (5-4-3-2-1 grounding).", body: Empty{}},
	{Type: "patient.stop", Dir: FromPatient, Channel: Control, Doc: "The patient says stop: hard stop (neutral scene, remove-headset instructions, incident).", Durable: true, body: Empty{}},
	{Type: "dizziness.report", Dir: FromPatient, Channel: Control, Doc: "The patient feels dizzy: soft pause to the calm scene; the therapist is alerted.", Durable: true, body: Empty{}},
	{Type: "voice.state", Dir: FromPatient, Channel: Control, Doc: "The patient's microphone: `on`, `muted` (the patient muted themselves) or `none`; sent when it changes and after each connection.", body: VoiceMic{}},
	{Type: "signals.batch", Dir: FromPatient, Channel: Signals, Doc: "A biosignal batch; acknowledged after commit, resent until then.", Durable: true, body: SignalsBatch{}},

	{Type: "hello", Dir: ToConsole, Channel: Control, Doc: "First message on `control` of a console connection.", body: Hello{}},
	{Type: "heartbeat", Dir: ToConsole, Channel: Control, Doc: "As to the patient: when the console's control channel was silent for 375 ms, so at least every 500 ms on a silent channel.", body: Empty{}},
	{Type: "ack", Dir: ToConsole, Channel: Control, Doc: "Durable console messages (notes) up to the envelope `ack` are committed.", body: Empty{}},
	{Type: "session.state", Dir: ToConsole, Channel: Control, Doc: "Session state and the patient's link and headset state.", body: SessionState{}},
	{Type: "scene.ready", Dir: ToConsole, Channel: Control, Doc: "Forwarded from the patient: the scene as applied.", body: ForwardedScene{}},
	{Type: "suds.rating", Dir: ToConsole, Channel: Control, Doc: "Forwarded from the patient once stored.", body: ForwardedSUDS{}},
	{Type: "engine", Dir: ToConsole, Channel: Control, Doc: "Protocol engine output: `suggest` (action + reason code), `command.refused`, timeline entries.", body: Engine{}},
	{Type: "alert", Dir: ToConsole, Channel: Control, Doc: "Safety alert (link lost, break requested, biosignal rule).", body: Alert{}},
	{Type: "metrics", Dir: ToConsole, Channel: Signals, Doc: "Live biosignal metrics, every second.", body: Metrics{}},
	{Type: "avoidance", Dir: ToConsole, Channel: Control, Doc: "Live avoidance measures of the current step from the headset's poses and the template's stimulus anchors, every second while poses arrive (docs/domain.md).", body: Avoidance{}},
	{Type: "voice.state", Dir: ToConsole, Channel: Control, Doc: "A side's microphone (`role` patient or therapist): `on`, `ptt`, `muted` or `none`; sent when it changes and after the console connects.", body: VoiceState{}},
	{Type: "error", Dir: ToConsole, Channel: Control, Doc: "A message was refused (`ref_seq`: its seq).", body: Error{}},

	{Type: "heartbeat", Dir: FromConsole, Channel: Control, Doc: "Optional keep-alive.", body: Empty{}},
	{Type: "cmd.scene.set", Dir: FromConsole, Channel: Control, Doc: "Set scene parameters (refused while paused).", body: CmdParams{}},
	{Type: "cmd.intensity", Dir: FromConsole, Channel: Control, Doc: "Set the scene to the template's mapping at an intensity 0–100.", body: CmdIntensity{}},
	{Type: "cmd.event", Dir: FromConsole, Channel: Control, Doc: "Fire a one-shot scene event.", body: CmdEvent{}},
	{Type: "cmd.advance", Dir: FromConsole, Channel: Control, Doc: "Enter the next exposure step.", body: CmdAdvance{}},
	{Type: "cmd.step_back", Dir: FromConsole, Channel: Control, Doc: "Go one step down the ladder.", body: Empty{}},
	{Type: "cmd.stay", Dir: FromConsole, Channel: Control, Doc: "Stay on this step (dismisses the suggestion).", body: Empty{}},
	{Type: "cmd.calm_now", Dir: FromConsole, Channel: Control, Doc: "Soft pause: calm scene now.", body: Empty{}},
	{Type: "cmd.pause", Dir: FromConsole, Channel: Control, Doc: "Pause without changing the scene.", body: Empty{}},
	{Type: "cmd.resume", Dir: FromConsole, Channel: Control, Doc: "Resume a paused session (the only way out of a link-loss pause).", body: Empty{}},
	{Type: "cmd.stop", Dir: FromConsole, Channel: Control, Doc: "Hard stop: neutral scene, remove headset, incident recorded.", body: Empty{}},
	{Type: "cmd.end", Dir: FromConsole, Channel: Control, Doc: "End the session (cool-down, then ended).", body: Empty{}},
	{Type: "cmd.suds_prompt", Dir: FromConsole, Channel: Control, Doc: "Ask the patient for a SUDS rating now.", body: Empty{}},
	{Type: "cmd.breathing", Dir: FromConsole, Channel: Control, Doc: "Start a breathing pacer (0 breaths/min stops it).", body: CmdBreathing{}},
	{Type: "cmd.expectancy_prompt", Dir: FromConsole, Channel: Control, Doc: "Ask the patient for an expectancy rating now (after: the trial has tested it).", body: CmdExpectancyPrompt{}},
	{Type: "cmd.report", Dir: FromConsole, Channel: Control, Doc: "Report seizure signs (hard stop) or dizziness (soft pause) observed in the patient.", body: CmdReport{}},
	{Type: "voice.state", Dir: FromConsole, Channel: Control, Doc: "The therapist's microphone: `on`, `ptt`, `muted` or `none` (observers have none and may not send it).", body: VoiceMic{}},
	{Type: "note", Dir: FromConsole, Channel: Control, Doc: "A timeline note; acknowledged after commit.", Durable: true, body: Note{}},
}

// Lookup finds the spec of a type sent in direction dir.
func Lookup(dir Dir, typ string) (Spec, bool) {
	for _, s := range Catalog {
		if s.Dir == dir && s.Type == typ {
			return s, true
		}
	}
	return Spec{}, false
}
