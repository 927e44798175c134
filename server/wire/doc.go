package wire

//go:generate env HAVEN_UPDATE_DOCS=1 go test -run TestProtocolDocFresh .

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

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
	b.WriteString("Data channels opened by the client: `control` (reliable, ordered) and `signals` (reliable, ordered). ")
	b.WriteString("Signalling is WHIP-style: `POST /api/sessions/{id}/whip` (patient, `Authorization: Bearer <token>` from `POST /api/join`) ")
	b.WriteString("or `POST /api/sessions/{id}/console/whip` (therapist; `?role=observer` for read-only supervisors; session cookie + `X-CSRF-Token`), ")
	b.WriteString("body = complete SDP offer, answer in the 201 response with `Location`; `PATCH` the Location with a new offer for an ICE restart, `DELETE` it to leave.\n\n")
	b.WriteString("## Envelope\n\n```json\n{\"v\":1,\"type\":\"scene.set\",\"seq\":42,\"ack\":17,\"t\":1732240000123,\"body\":{}}\n```\n\n")
	b.WriteString("- `seq` counts per sender and channel from 1 and never goes backwards on a connection; after a reconnect a client continues its counters (`hello.next_seq` says where, for a reloaded client).\n")
	b.WriteString("- `ack` is the highest seq of the peer's durable messages the sender has committed. Durable messages (marked below) are kept by the sender until acknowledged and resent after a reconnect; the server drops repeats by seq and acknowledges them again.\n")
	b.WriteString("- An `ack` never covers a durable message that was refused for now (throttled: `peer_throttled` with its `ref_seq`; store busy): it stays below it, the sender keeps it and resends it after reconnecting. On `control` the server's `ack` is per connection and starts at 0 on a new one.\n")
	b.WriteString("- `t` is the sender's clock (unix ms). `src_seq`, on a server message caused by a therapist command, is that command's seq.\n")
	fmt.Fprintf(&b, "- Limits: %d bytes per control message, %d per signals message; per-peer rate limits. Violations get an `error` message with a code (`message_too_large`, `peer_throttled`, `unknown_message_type`, `unsupported_version`, `invalid_json`, `validation`); a peer whose send queue overflows gets `peer_too_slow` and is disconnected.\n", MaxControlBytes, MaxSignalsBytes)
	b.WriteString("- Safety: the server sends `heartbeat` every 500 ms; a patient client that hears nothing for 2 s fades to calm on its own and waits for `resume`. The patient sends `heartbeat` every 500 ms; after 1.5 s of silence the server pauses the session (`link_lost`) and alerts the therapist.\n\n")
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
