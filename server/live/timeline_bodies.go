package live

// The bodies of the timeline events the room writes itself (the patient's
// and the engine's are their wire messages). One type per kind keeps the
// stored shape in one place: the report, the exports and the console read
// these fields back.

// stateEvent is a "state" event: the session moved from one state to another.
type stateEvent struct {
	From       string `json:"from,omitempty"`
	To         string `json:"to"`
	Reason     string `json:"reason,omitempty"`
	PracticeOf string `json:"practice_of,omitempty"` // a practice run's real session
}

// alertEvent is an "alert" the therapist was shown.
type alertEvent struct {
	Code   string `json:"code"`
	Reason string `json:"reason,omitempty"`
}

// commandEvent is a "command" from a console (or the server acting for the
// therapist, as when a rest ends); Seq and Body are the console's message's.
type commandEvent struct {
	Type string `json:"type"`
	Seq  uint64 `json:"seq,omitempty"`
	Body any    `json:"body,omitempty"` // the message's decoded body, as sent

}

// reasonEvent is a "link.lost" or "screening.override" event: what
// happened, in a word or the therapist's own.
type reasonEvent struct {
	Reason string `json:"reason"`
}

// resumedEvent is "room.resumed": a room rebuilt from its timeline after a
// restart or a move, with how many inputs were replayed.
type resumedEvent struct {
	Inputs int `json:"inputs"`
}

// rejectedEvent is a durable message refused for good: its seq and why.
type rejectedEvent struct {
	Seq   uint64 `json:"seq"`
	Error string `json:"error"`
}

// tokenEvent is "patient.token": a patient token was issued, for a real
// headset or the simulated patient.
type tokenEvent struct {
	Simulated bool `json:"simulated"`
}
