package wire

//go:generate env HAVEN_UPDATE_DOCS=1 go test -run TestProtocolDocFresh .

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/havenvr/haven/server/biosignal"
)

// BatchExample is the signals batch shown in docs/protocol.md; a test
// decodes it as the server would.
const BatchExample = `{"v":1,"type":"signals.batch","seq":17,"ack":0,"t":1732240000300,"body":{"stream":"eda","unit":"uS","rate_hz":4,"t0":1732240000000,"values":[2.01,2.02,2.04,2.03]}}`

// ErrorsPerSecond bounds the error messages a peer gets about messages that
// are not durable: a flooding peer is not echoed message for message.
const ErrorsPerSecond = 10

// Heartbeats go only on a silent control channel (docs/protocol.md): every
// HeartbeatCheck a sender sends one if it sent nothing else on control for
// HeartbeatQuiet, so a silent channel carries one every 500 ms (two checks)
// and a busy one none. Every liveness check (the server's 1.5 s link loss,
// the clients' 2 s watchdogs) counts any message as life.
const (
	HeartbeatCheck = 250 * time.Millisecond
	HeartbeatQuiet = 375 * time.Millisecond
)

// MinBatch and MaxBatch bound the biosignal batch cadence a server hands
// its patients (hello.batch_ms): no live rule needs samples sooner than a
// second (the console's metrics are per second).
const (
	MinBatch = 250 * time.Millisecond
	MaxBatch = time.Second
)

// AlertCodes are the codes of console alerts: the server's own, then the
// biosignal rules' (server/biosignal.DefaultAlertRules).
var AlertCodes = []struct{ Code, Doc string }{
	{"link_lost", "The patient's link was lost (silent 1.5 s, connection closed or replaced); the session is paused. `reason` says how. One alert per loss."},
	{"link_restored", "The patient is connected again; the session stays paused until the therapist resumes."},
	{"session_paused", "The protocol engine paused the session (`reason`: a safety rule, dizziness, a break); not sent again for a link loss, which has its own alert."},
	{"break_requested", "The patient asked for a break (the headset is already calm)."},
	{"patient_stop", "The patient said stop: hard stop."},
	{"dizziness", "The patient reported dizziness: soft pause."},
	{"hr_ceiling", "Heart rate above the patient's ceiling (share of age-predicted maximum) for the rule's duration; `value`, `threshold` in bpm. `fired: false` when it clears."},
	{"hr_high", "Heart rate far above the session's baseline (z-score)."},
	{"eda_high", "Skin conductance far above the session's baseline (z-score)."},
	{"contact_lost", "The sensor reports no skin contact."},
	{"no_data", "No biosignal sample for the rule's duration since the session started."},
}

// Schema returns the JSON Schema (draft 2020-12) of a body type.
func Schema(v any) map[string]any { return schemaOf(reflect.TypeOf(v)) }

// SchemaOf is Schema for a catalogue entry.
func (s Spec) Schema() map[string]any { return Schema(s.body) }

func schemaOf(t reflect.Type) map[string]any {
	if t == reflect.TypeOf(json.RawMessage{}) {
		return map[string]any{"type": "object"}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return schemaOf(t.Elem())
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int64:
		return map[string]any{"type": "integer"}
	case reflect.Uint64:
		return map[string]any{"type": "integer", "minimum": 0}
	case reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return map[string]any{"type": "string", "contentEncoding": "base64"}
		}
		return map[string]any{"type": "array", "items": schemaOf(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object"}
	case reflect.Interface:
		return map[string]any{}
	case reflect.Struct:
		props := map[string]any{}
		var required []string
		for i := range t.NumField() {
			f := t.Field(i)
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" || name == "-" {
				continue
			}
			props[name] = schemaOf(f.Type)
			if !strings.Contains(opts, "omitempty") {
				required = append(required, name)
			}
		}
		s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
		if len(required) > 0 {
			s["required"] = required
		}
		return s
	}
	return map[string]any{}
}

// Markdown renders docs/protocol.md from the catalogue.
func Markdown() string {
	var b strings.Builder
	b.WriteString("# Live-session protocol\n\n")
	b.WriteString("Generated from `server/wire/catalog.go` by `go generate ./server/wire` — do not edit by hand; a test fails when this page is stale.\n\n")
	b.WriteString("Data channels opened by the client: `control` (reliable, ordered), `signals` (reliable, ordered) and `pose` (unreliable, unordered: `ordered: false, maxRetransmits: 0`; optional). ")
	b.WriteString("Signalling is WHIP-style: `POST /api/sessions/{id}/whip` (patient, `Authorization: Bearer <token>` from `POST /api/join`) ")
	b.WriteString("or `POST /api/sessions/{id}/console/whip` (therapist; `?role=observer` for read-only supervisors; session cookie + `X-CSRF-Token`), ")
	b.WriteString("body = complete SDP offer, answer in the 201 response with `Location`; `PATCH` the Location with a new offer for an ICE restart, `DELETE` it to leave.\n\n")
	b.WriteString("## Envelope\n\n```json\n{\"v\":1,\"type\":\"scene.set\",\"seq\":42,\"ack\":17,\"t\":1732240000123,\"body\":{}}\n```\n\n")
	b.WriteString("- The envelope is closed: a field other than `v`, `type`, `seq`, `ack`, `t`, `src_seq` and `body` is refused as `invalid_json`, and so is a body field its schema below does not list. `v` must be 1 (`unsupported_version`), `type` must be one the sender may send on that channel (`unknown_message_type`).\n")
	b.WriteString("- A body field listed under `required` in its schema must be present and not `null`; one missing is refused as `validation`, the error naming it (`body.value`). Optional fields may be left out.\n")
	b.WriteString("- `seq` counts per sender and channel from 1 and never goes backwards on a connection; after a reconnect a client continues its counters (`hello.next_seq` says where, for a reloaded client).\n")
	b.WriteString("- `ack` is the highest seq of the peer's durable messages the sender has settled. Durable messages (marked below; on `signals` every message a patient sends) are kept by the sender until acknowledged and resent, oldest first, after a reconnect; the server drops repeats by seq and acknowledges them again. On `signals` the `ack` is cumulative: every seq up to it is settled. On `control` the server's `ack` is per connection and starts at 0 on a new one.\n")
	b.WriteString("- A durable message refused **for good** (too large, not JSON, a type the channel does not carry, an invalid or missing field) is recorded, acknowledged past like a stored one, and reported by an `error` whose `ref_seq` is its seq: the sender drops it and does not resend it.\n")
	b.WriteString("- A durable message refused **for now** — `peer_throttled`, or `unavailable` when the store could not commit it — is reported by an `error` with its `ref_seq` and is never covered by an `ack` until it is stored: the sender keeps it and resends it after reconnecting. Nothing in the session changes until a message is stored, so the resend is handled as new.\n")
	b.WriteString("- `t` is the sender's clock (unix ms). `src_seq`, on a server message caused by a therapist command, is that command's seq.\n")
	fmt.Fprintf(&b, "- Limits: %d bytes per control message, %d per signals message; per-peer rate limits. Violations get an `error` message with a code (`message_too_large`, `peer_throttled`, `unknown_message_type`, `unsupported_version`, `invalid_json`, `validation`) and, when the message had a seq, its `ref_seq`. At most %d errors a second are sent to a peer, except those about a durable message, which are always sent. A peer whose send queue overflows gets `peer_too_slow` and is disconnected.\n", MaxControlBytes, MaxSignalsBytes, ErrorsPerSecond)
	b.WriteString("- Each connection begins with `hello` on `control`, before anything else on that channel; on `signals` the first message may come earlier (a patient's `signals.ack` saying where its batches stand). A patient's first connection starts the session: its `hello` already says `live`, and every console gets `session.state`.\n")
	b.WriteString("- Provenance: every `signals.batch` names what produced it in `source`: `{\"kind\":\"sensor\",\"name\":\"Polar H10\",\"id\":\"…\"}` for a device worn by the patient, `{\"kind\":\"simulator\",\"name\":\"…\"}` for generated samples (name and id at most 64 bytes). It is stored with every sample and carried into alerts, the report and every export; a batch without `source` is stored as `unknown` and never exported as sensed.\n")
	b.WriteString("- Practice sessions: `hello.practice` (and `practice` in the `POST /api/join` answer) is true only in a practice session the therapist chose. Only then may the headset start its simulated sensor, and it tells the patient that the readings are simulated; in any other session it never starts one by itself.\n")
	b.WriteString("- Voice: a client adds its microphone (Opus, the only codec) to the same connection by a new complete offer in a `PATCH` to its Location; the data channels carry on undisturbed. The server forwards the therapist's voice to the patient and the patient's to every console; an observer offers receive-only audio (two sections: the patient and the therapist) and an offer in which it would send is refused (`media_refused`), as is any offer that would send video. Voice is forwarded packet by packet and never recorded or stored. `voice.state` says each side's microphone state.\n")
	b.WriteString("- Batch cadence: a patient's `hello` names in `batch_ms` how often its biosignal batches leave (`haven serve --signals-batch`, default 250 ms, at most 1 s): every stream's samples since the last batch go in one batch, each at its own time. No live rule needs them sooner than a second (the console's metrics are per second); at 1 s a biosignal alert and the console learn of a sample up to 750 ms later than at 250 ms, and a headset sends about half as many batches. It has no part in the safety rules below.\n")
	b.WriteString("- Safety: silence is what the safety rules detect, and any message is a sign of life. The server sends a peer `heartbeat` when nothing else went out on its control channel for 375 ms (checked every 250 ms), so a silent channel hears one every 500 ms and a busy one hears other messages instead; a patient client that hears nothing on control for 2 s fades to calm on its own and waits for `resume`. The patient sends `heartbeat` by the same rule on its own control channel (batches on signals do not replace it: the server holds back its reads of signals while the store is busy); after 1.5 s without any message from the patient the server pauses the session and alerts the therapist once (`link_lost`).\n\n")
	b.WriteString("## Alerts\n\n`alert.code` on the console:\n\n| code | when |\n|---|---|\n")
	for _, a := range AlertCodes {
		fmt.Fprintf(&b, "| `%s` | %s |\n", a.Code, a.Doc)
	}
	b.WriteString("\n## Biosignal streams\n\nA `signals.batch` names one stream and its unit (or an accepted spelling); values outside the physiological range are stored and flagged, never dropped (docs/biosignals.md).\n\n| stream | unit | also accepted | range |\n|---|---|---|---|\n")
	for _, st := range biosignal.Streams {
		sp, _ := biosignal.SpecOf(st)
		also := make([]string, len(sp.Aliases))
		for i, a := range sp.Aliases {
			also[i] = "`" + a + "`"
		}
		rng := fmt.Sprintf("%g–%g", sp.Min, sp.Max)
		if st == biosignal.BLEHRS {
			rng = "raw Heart Rate Measurement payloads (`raw`, base64), decoded to `hr` and `rr`"
		}
		fmt.Fprintf(&b, "| `%s` | `%s` | %s | %s |\n", st, sp.Unit, strings.Join(also, ", "), rng)
	}
	fmt.Fprintf(&b, "\nA regular stream gives `rate_hz` (sample *i* at `t0 + i·1000/rate_hz`); an irregular one gives `ts`, offsets in ms from `t0`. For example:\n\n```json\n%s\n```\n\n", BatchExample)
	b.WriteString("## Pose channel\n\n")
	b.WriteString("The headset sends its head pose, and its hands' when tracked, 20–30 times a second on `pose`, one binary frame per message (no JSON envelope, no seq: a lost or late frame is simply replaced by the next). ")
	fmt.Fprintf(&b, "A frame is %d–%d bytes, little-endian:\n\n| bytes | type | field |\n|---|---|---|\n", poseHeader+poseXfBytes, MaxPoseBytes)
	for _, l := range PoseLayout {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", l.Bytes, l.Type, l.Field)
	}
	b.WriteString("\nThe server relays each valid frame unchanged to the session's consoles, observers included, on their own `pose` channel, and measures avoidance from it (`avoidance` below). A console that opens no `pose` channel gets no frames. A malformed frame is dropped and answered by a rate-limited `error` on `control` (`validation`, `unsupported_version`); a frame older than the last one (by `t`) is dropped silently. Poses are not stored unless the clinic keeps them (Clinic settings, `record_poses`): then one head pose a second goes into the session's timeline (`pose`) and its report.\n\n")
	b.WriteString("## Messages\n\n| type | direction | channel | durable | purpose |\n|---|---|---|---|---|\n")
	for _, s := range Catalog {
		d := ""
		if s.Durable {
			d = "yes"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", s.Type, s.Dir, s.Channel, d, s.Doc)
	}
	b.WriteString("\n## Body schemas\n")
	for _, s := range Catalog {
		js, _ := json.MarshalIndent(s.Schema(), "", "  ")
		fmt.Fprintf(&b, "\n### `%s` (%s)\n\n```json\n%s\n```\n", s.Type, s.Dir, js)
	}
	return b.String()
}
