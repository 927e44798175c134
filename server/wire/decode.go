package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/havenvr/haven/server/apierr"
)

// Message is a decoded envelope with its typed body (a pointer to the
// catalogue's body struct).
type Message struct {
	Envelope
	Spec Spec
	Body any
}

// Decode parses one data-channel message received on channel in direction
// dir. Every failure is a coded error (never a panic): too large, malformed
// JSON, unknown version, unknown type, wrong channel, invalid body.
func Decode(data []byte, channel string, dir Dir) (Message, error) {
	limit := MaxControlBytes
	if channel == Signals {
		limit = MaxSignalsBytes
	}
	if len(data) > limit {
		return Message{}, apierr.New(apierr.MessageTooLarge).With("Max", limit)
	}
	var env Envelope
	if err := strict(data, &env); err != nil {
		return Message{}, apierr.Wrap(apierr.InvalidJSON, err)
	}
	if env.V != Version {
		return Message{Envelope: env}, apierr.New(apierr.UnsupportedVersion).With("Version", env.V)
	}
	spec, ok := Lookup(dir, env.Type)
	if !ok || spec.Channel != channel {
		return Message{Envelope: env}, apierr.New(apierr.UnknownMessageType).With("Type", clip(env.Type))
	}
	if env.Seq == 0 {
		return Message{Envelope: env}, apierr.Invalid("seq", "must start at 1")
	}
	body := spec.Body()
	raw := env.Body
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		raw = []byte("{}")
	}
	if err := strict(raw, body); err != nil {
		return Message{Envelope: env}, apierr.Wrap(apierr.InvalidJSON, err).With("Type", env.Type)
	}
	if v, ok := body.(interface{ validate() error }); ok {
		if err := v.validate(); err != nil {
			return Message{Envelope: env}, err
		}
	}
	return Message{Envelope: env, Spec: spec, Body: body}, nil
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40]
	}
	return s
}

func strict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("wire: trailing data")
	}
	return nil
}

// Encode builds a message with its envelope; body must be a catalogue body.
func Encode(typ string, seq, ack uint64, t int64, srcSeq uint64, body any) []byte {
	b, err := json.Marshal(body)
	if err != nil {
		// Bodies are the catalogue's own structs: a failure is a programming
		// error; send an empty body rather than a broken envelope.
		b = []byte("{}")
	}
	out, _ := json.Marshal(Envelope{V: Version, Type: typ, Seq: seq, Ack: ack, T: t, SrcSeq: srcSeq, Body: b})
	return out
}

const maxText = 4000

func (b *SUDSRating) validate() error {
	if b.Value < 0 || b.Value > 100 {
		return apierr.Invalid("body.value", "must be 0–100")
	}
	if len(b.PromptID) > 64 {
		return apierr.Invalid("body.prompt_id", "too long")
	}
	return nil
}

func (b *ExpectancyRating) validate() error {
	if b.Phase != "before" && b.Phase != "after" {
		return apierr.Invalid("body.phase", "must be before or after")
	}
	if b.Likelihood < 0 || b.Likelihood > 100 {
		return apierr.Invalid("body.likelihood", "must be 0–100")
	}
	return nil
}

func (b *CmdExpectancyPrompt) validate() error {
	if b.Phase != "before" && b.Phase != "after" {
		return apierr.Invalid("body.phase", "must be before or after")
	}
	return nil
}

func (b *CmdReport) validate() error {
	if b.Kind != "seizure" && b.Kind != "dizziness" {
		return apierr.Invalid("body.kind", "must be seizure or dizziness")
	}
	return nil
}

func (b *Note) validate() error {
	if b.Text == "" || len(b.Text) > maxText {
		return apierr.Invalid("body.text", "must be 1–4000 bytes")
	}
	return nil
}

func (b *CmdIntensity) validate() error {
	if b.Intensity < 0 || b.Intensity > 100 {
		return apierr.Invalid("body.intensity", "must be 0–100")
	}
	return nil
}

func (b *CmdParams) validate() error {
	if len(b.Params) == 0 || len(b.Params) > 32 {
		return apierr.Invalid("body.params", "needs 1–32 parameters")
	}
	if b.TransitionMs < 0 || b.TransitionMs > 60_000 {
		return apierr.Invalid("body.transition_ms", "must be 0–60000")
	}
	return nil
}

func (b *CmdEvent) validate() error {
	if b.Event == "" || len(b.Event) > 64 {
		return apierr.Invalid("body.event", "must be 1–64 bytes")
	}
	return nil
}

func (b *CmdBreathing) validate() error {
	// Adult resonance breathing is 4.5–6.5 breaths/min (CLINICAL.md §7); the
	// pacer accepts 3–12 so slow and paced-normal practice both fit; 0 stops.
	if b.BreathsPerMin != 0 && (b.BreathsPerMin < 3 || b.BreathsPerMin > 12) || math.IsNaN(b.BreathsPerMin) {
		return apierr.Invalid("body.breaths_per_min", "must be 0 or 3–12")
	}
	if b.Cycles < 0 || b.Cycles > 1000 {
		return apierr.Invalid("body.cycles", "must be 0–1000")
	}
	return nil
}

func (b *ClientState) validate() error {
	if b.FPS < 0 || b.FPS > 1000 || len(b.Comfort) > 32 || len(b.Sensor) > 32 {
		return apierr.Invalid("body", "client state out of range")
	}
	return nil
}

func (b *SceneReady) validate() error {
	if len(b.Template) > 64 || len(b.Params) > 64 {
		return apierr.Invalid("body", "scene too large")
	}
	return nil
}

func (b *SignalsBatch) validate() error {
	if b.Stream == "" || b.T0 <= 0 {
		return apierr.Invalid("body", "stream and t0 are required")
	}
	return nil
}

// Peek reads only the type and seq of an envelope a peer sent on channel in
// direction dir, without validating it, and reports whether it is a durable
// message of that channel:
// enough to keep a throttled rating or note out of a cumulative ack without
// paying for a full decode during a flood.
func Peek(data []byte, channel string, dir Dir) (seq uint64, durable bool) {
	if len(data) > MaxControlBytes && (channel != Signals || len(data) > MaxSignalsBytes) {
		return 0, false
	}
	var head struct {
		Type string `json:"type"`
		Seq  uint64 `json:"seq"`
	}
	if json.Unmarshal(data, &head) != nil || head.Seq == 0 {
		return 0, false
	}
	spec, ok := Lookup(dir, head.Type)
	return head.Seq, ok && spec.Durable && spec.Channel == channel
}
