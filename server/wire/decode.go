package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"

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
		// The head is still read, so a durable message refused for its size
		// can be settled by its seq rather than block the acknowledgements.
		m := Message{}
		m.Type, m.Seq, _ = head(data)
		return m, apierr.New(apierr.MessageTooLarge).With("Max", limit)
	}
	var env Envelope
	if err := strict(data, &env); err != nil {
		m := Message{}
		m.Type, m.Seq, _ = head(data)
		return m, apierr.Wrap(apierr.InvalidJSON, err)
	}
	if env.V != Version {
		return Message{Envelope: env}, apierr.New(apierr.UnsupportedVersion).With("Version", env.V)
	}
	if env.Type == "" {
		return Message{Envelope: env}, apierr.Invalid("type", "is required")
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
	if err := spec.present(raw); err != nil {
		return Message{Envelope: env}, err
	}
	if v, ok := body.(interface{ validate() error }); ok {
		if err := v.validate(); err != nil {
			return Message{Envelope: env}, err
		}
	}
	return Message{Envelope: env, Spec: spec, Body: body}, nil
}

// present checks that every field the catalogue requires (a body field
// without omitempty) is in raw and not null: a missing SUDS value must not
// become a rating of 0. Signals batches are checked by their validator,
// which refuses the zero values, so their 64 KiB is not parsed twice.
func (s Spec) present(raw []byte) error {
	req := s.Required()
	if len(req) == 0 || s.Channel == Signals {
		return nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return apierr.Wrap(apierr.InvalidJSON, err).With("Type", s.Type)
	}
	for _, name := range req {
		if v, ok := fields[name]; !ok || bytes.Equal(v, []byte("null")) {
			return apierr.Invalid("body."+name, "is required")
		}
	}
	return nil
}

// Required lists the body fields a sender must always include (those
// without omitempty), in declaration order.
func (s Spec) Required() []string {
	t := reflect.TypeOf(s.body)
	var out []string
	for i := range t.NumField() {
		name, opts, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" && !strings.Contains(opts, "omitempty") {
			out = append(out, name)
		}
	}
	return out
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
// The envelope is written by hand, the same bytes encoding/json gives for
// Envelope, without reflection or re-validating the body: every message the
// server sends passes here, and heartbeats and acks (an empty body) take no
// reflection at all.
func Encode(typ string, seq, ack uint64, t int64, srcSeq uint64, body any) []byte {
	b := emptyBody
	if _, empty := body.(Empty); !empty {
		var err error
		if b, err = json.Marshal(body); err != nil {
			// Bodies are the catalogue's own structs: a failure is a programming
			// error; send an empty body rather than a broken envelope.
			b = emptyBody
		}
	}
	// Room for the longest numbers: one allocation.
	out := make([]byte, 0, 136+len(typ)+len(b))
	out = append(out, `{"v":`...)
	out = strconv.AppendInt(out, Version, 10)
	out = append(out, `,"type":`...)
	out = appendJSONString(out, typ)
	out = append(out, `,"seq":`...)
	out = strconv.AppendUint(out, seq, 10)
	out = append(out, `,"ack":`...)
	out = strconv.AppendUint(out, ack, 10)
	out = append(out, `,"t":`...)
	out = strconv.AppendInt(out, t, 10)
	if srcSeq != 0 {
		out = append(out, `,"src_seq":`...)
		out = strconv.AppendUint(out, srcSeq, 10)
	}
	out = append(out, `,"body":`...)
	out = append(out, b...)
	return append(out, '}')
}

var emptyBody = []byte("{}")

// appendJSONString appends s as a JSON string. Catalogue types are plain
// ASCII and are copied as they are; anything else goes through
// encoding/json, so the escaping is always its own.
func appendJSONString(out []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(out, q...)
		}
	}
	out = append(out, '"')
	out = append(out, s...)
	return append(out, '"')
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

func (b *VoiceMic) validate() error {
	switch b.Mic {
	case MicNone, MicMuted, MicPTT, MicOn:
		return nil
	}
	return apierr.Invalid("body.mic", "must be none, muted, ptt or on")
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
	switch {
	case b.Stream == "":
		return apierr.Invalid("body.stream", "is required")
	case b.Unit == "":
		return apierr.Invalid("body.unit", "is required")
	case b.T0 <= 0:
		return apierr.Invalid("body.t0", "is required (unix ms)")
	}
	return nil
}

// Peek reads only the type and seq of an envelope a peer sent on channel in
// direction dir, without validating it (a throttled or oversized message),
// and reports whether it must be settled by seq: every message a patient
// sends on signals (that channel carries only durable batches, so one left
// unsettled would stop the cumulative ack), and the catalogue's durable
// types on control.
func Peek(data []byte, channel string, dir Dir) (seq uint64, durable bool) {
	typ, seq, ok := head(data)
	if !ok || seq == 0 {
		return 0, false
	}
	if channel == Signals && dir == FromPatient {
		return seq, true
	}
	spec, ok := Lookup(dir, typ)
	return seq, ok && spec.Durable && spec.Channel == channel
}

// head reads the envelope's top-level type and seq token by token, stopping
// as soon as both are known (they come first from every sender Haven has),
// so a flood or an oversized message costs little more than its first bytes.
func head(data []byte) (typ string, seq uint64, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return "", 0, false
	}
	var haveType, haveSeq bool
	for dec.More() && !(haveType && haveSeq) {
		k, err := dec.Token()
		if err != nil {
			return typ, seq, false
		}
		var v any = new(json.RawMessage)
		switch k {
		case "type":
			v, haveType = &typ, true
		case "seq":
			v, haveSeq = &seq, true
		}
		if err := dec.Decode(v); err != nil {
			return typ, seq, false
		}
	}
	return typ, seq, haveSeq
}
