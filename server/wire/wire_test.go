package wire

import (
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/havenvr/haven/server/apierr"
	"github.com/havenvr/haven/server/biosignal"
)

func TestDecode(t *testing.T) {
	t.Parallel()
	big := `{"v":1,"type":"note","seq":1,"ack":0,"t":1,"body":{"text":"` + strings.Repeat("a", MaxControlBytes) + `"}}`
	cases := []struct {
		name    string
		data    string
		channel string
		dir     Dir
		code    apierr.Code
	}{
		{"suds ok", `{"v":1,"type":"suds.rating","seq":3,"ack":0,"t":1,"body":{"prompt_id":"p1","value":40}}`, Control, FromPatient, ""},
		{"heartbeat without body", `{"v":1,"type":"heartbeat","seq":1,"ack":0,"t":1}`, Control, FromPatient, ""},
		{"batch ok", `{"v":1,"type":"signals.batch","seq":1,"ack":0,"t":1,"body":{"stream":"hr","unit":"bpm","rate_hz":1,"t0":5,"values":[70]}}`, Signals, FromPatient, ""},
		{"command ok", `{"v":1,"type":"cmd.intensity","seq":1,"ack":0,"t":1,"body":{"intensity":50}}`, Control, FromConsole, ""},
		{"not json", `{"v":1,`, Control, FromPatient, apierr.InvalidJSON},
		{"trailing data", `{"v":1,"type":"heartbeat","seq":1,"ack":0,"t":1}{}`, Control, FromPatient, apierr.InvalidJSON},
		{"unknown envelope field", `{"v":1,"type":"heartbeat","seq":1,"x":2}`, Control, FromPatient, apierr.InvalidJSON},
		{"version 2", `{"v":2,"type":"heartbeat","seq":1}`, Control, FromPatient, apierr.UnsupportedVersion},
		{"unknown type", `{"v":1,"type":"teleport","seq":1}`, Control, FromPatient, apierr.UnknownMessageType},
		{"patient sends command", `{"v":1,"type":"cmd.stop","seq":1}`, Control, FromPatient, apierr.UnknownMessageType},
		{"wrong channel", `{"v":1,"type":"suds.rating","seq":1,"body":{"value":1}}`, Signals, FromPatient, apierr.UnknownMessageType},
		{"seq zero", `{"v":1,"type":"heartbeat","seq":0}`, Control, FromPatient, apierr.Validation},
		{"suds out of range", `{"v":1,"type":"suds.rating","seq":1,"body":{"value":101}}`, Control, FromPatient, apierr.Validation},
		{"unknown body field", `{"v":1,"type":"suds.rating","seq":1,"body":{"value":1,"mood":"x"}}`, Control, FromPatient, apierr.InvalidJSON},
		{"empty note", `{"v":1,"type":"note","seq":1,"body":{"text":""}}`, Control, FromConsole, apierr.Validation},
		{"too large", big, Control, FromConsole, apierr.MessageTooLarge},
		{"breathing too fast", `{"v":1,"type":"cmd.breathing","seq":1,"body":{"breaths_per_min":30,"cycles":1}}`, Control, FromConsole, apierr.Validation},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m, err := Decode([]byte(tc.data), tc.channel, tc.dir)
			if tc.code == "" {
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				if m.Body == nil || m.Spec.Type != m.Type {
					t.Fatalf("decoded %+v", m)
				}
				return
			}
			var ae *apierr.Error
			if !errors.As(err, &ae) || ae.Code != tc.code {
				t.Fatalf("err = %v, want code %s", err, tc.code)
			}
		})
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	t.Parallel()
	data := Encode("suds.rating", 7, 3, 99, 0, SUDSRating{PromptID: "a", Value: 20})
	m, err := Decode(data, Control, FromPatient)
	if err != nil {
		t.Fatal(err)
	}
	if r := m.Body.(*SUDSRating); r.Value != 20 || m.Seq != 7 || m.Ack != 3 || m.T != 99 {
		t.Fatalf("round trip: %+v %+v", m.Envelope, r)
	}
}

func TestCatalogUnique(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, s := range Catalog {
		k := string(s.Dir) + " " + s.Type
		if seen[k] {
			t.Errorf("duplicate %s", k)
		}
		seen[k] = true
		if s.Doc == "" || (s.Channel != Control && s.Channel != Signals) {
			t.Errorf("%s: missing doc or bad channel", k)
		}
		if _, ok := s.Schema()["type"]; !ok {
			t.Errorf("%s: schema has no type", k)
		}
	}
}

// TestProtocolDocFresh fails when docs/protocol.md differs from the catalogue;
// HAVEN_UPDATE_DOCS=1 (go generate ./server/wire) rewrites it.
func TestProtocolDocFresh(t *testing.T) {
	const path = "../../docs/protocol.md"
	want := Markdown()
	if os.Getenv("HAVEN_UPDATE_DOCS") == "1" {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s: %v (run go generate ./server/wire)", path, err)
	}
	if string(got) != want {
		t.Fatalf("%s is stale: run go generate ./server/wire", path)
	}
}

func FuzzEnvelope(f *testing.F) {
	f.Add([]byte(`{"v":1,"type":"heartbeat","seq":1,"ack":0,"t":1}`), 0)
	f.Add([]byte(`{"v":1,"type":"signals.batch","seq":2,"body":{"stream":"eda","unit":"uS","rate_hz":32,"t0":1,"values":[1,2]}}`), 1)
	f.Add([]byte(`{"v":1,"type":"note","seq":1,"body":{"text":"x"}}`), 3)
	f.Add([]byte(`{"v":9}`), 2)
	f.Add([]byte(`[]`), 0)
	dirs := []Dir{FromPatient, FromPatient, ToConsole, FromConsole}
	chans := []string{Control, Signals, Control, Control}
	f.Fuzz(func(t *testing.T, data []byte, k int) {
		i := ((k % 4) + 4) % 4
		seq, durable := Peek(data, chans[i], dirs[i]) // never panics, whatever it is given
		m, err := Decode(data, chans[i], dirs[i])
		if err == nil && (seq != m.Seq || durable != m.Spec.Durable) {
			t.Fatalf("Peek says seq %d durable %v, Decode %d %v", seq, durable, m.Seq, m.Spec.Durable)
		}
		if err != nil {
			var ae *apierr.Error
			if !errors.As(err, &ae) {
				t.Fatalf("uncoded error %v", err)
			}
			return
		}
		if m.Body == nil || m.V != Version {
			t.Fatalf("accepted without body or wrong version: %+v", m)
		}
	})
}

// TestPeek: a throttled message is only peeked at; its seq and whether it
// is durable on that channel must be read right, and anything else is "not
// durable" rather than an error.
func TestPeek(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		data    string
		channel string
		dir     Dir
		seq     uint64
		durable bool
	}{
		{"rating", `{"v":1,"type":"suds.rating","seq":7,"body":{"prompt_id":"p","value":50}}`, Control, FromPatient, 7, true},
		{"break without body", `{"v":1,"type":"break.request","seq":3}`, Control, FromPatient, 3, true},
		{"note", `{"v":1,"type":"note","seq":12,"body":{"text":"x"}}`, Control, FromConsole, 12, true},
		{"heartbeat", `{"v":1,"type":"heartbeat","seq":9}`, Control, FromPatient, 9, false},
		{"command", `{"v":1,"type":"cmd.intensity","seq":4,"body":{"intensity":30}}`, Control, FromConsole, 4, false},
		{"batch named on control", `{"v":1,"type":"signals.batch","seq":5}`, Control, FromPatient, 5, false},
		{"note from the patient side", `{"v":1,"type":"note","seq":2}`, Control, FromPatient, 2, false},
		{"no seq", `{"v":1,"type":"suds.rating"}`, Control, FromPatient, 0, false},
		{"not JSON", `{"type":"suds.rating","seq":`, Control, FromPatient, 0, false},
		// A durable message refused for its size is still settled by its seq.
		{"too large", `{"v":1,"type":"note","seq":1,"body":{"text":"` + strings.Repeat("x", MaxControlBytes) + `"}}`, Control, FromConsole, 1, true},
		{"seq after the body", `{"v":1,"type":"note","body":{"text":"x","seq":99},"seq":6}`, Control, FromConsole, 6, true},
		// Everything a patient sends on signals is a durable batch's seq, whatever it claims to be.
		{"wrong type on signals", `{"v":1,"type":"heartbeat","seq":8}`, Signals, FromPatient, 8, true},
		{"oversized batch", `{"v":1,"type":"signals.batch","seq":4,"body":{"values":[` + strings.Repeat("1,", MaxSignalsBytes) + `1]}}`, Signals, FromPatient, 4, true},
		{"string seq", `{"v":1,"type":"note","seq":"6"}`, Control, FromConsole, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seq, durable := Peek([]byte(tc.data), tc.channel, tc.dir)
			if seq != tc.seq || durable != tc.durable {
				t.Fatalf("Peek = %d, %v; want %d, %v", seq, durable, tc.seq, tc.durable)
			}
		})
	}
}

// FuzzBodies decodes arbitrary bodies for every catalogue entry a peer can send.
func FuzzBodies(f *testing.F) {
	seeds := map[string]string{
		"suds.rating": `{"prompt_id":"p","value":50}`, "signals.batch": `{"stream":"rr","unit":"ms","t0":3,"ts":[0,800],"values":[800,810]}`,
		"client.state": `{"xr":true,"fps":72,"comfort":"vignette","sensor":"ok"}`, "scene.ready": `{"template":"heights","params":{"floor":3}}`,
		"cmd.scene.set": `{"params":{"floor":4}}`, "cmd.breathing": `{"breaths_per_min":6,"cycles":10}`, "note": `{"text":"calm"}`,
		"cmd.advance": `{"step_id":"step_02"}`, "cmd.intensity": `{"intensity":30}`, "cmd.event": `{"event":"drop"}`,
	}
	for i, s := range Catalog {
		if s.Dir == FromPatient || s.Dir == FromConsole {
			f.Add(i, []byte(seeds[s.Type]))
		}
	}
	f.Fuzz(func(t *testing.T, i int, body []byte) {
		s := Catalog[((i%len(Catalog))+len(Catalog))%len(Catalog)]
		env, _ := json.Marshal(Envelope{V: 1, Type: s.Type, Seq: 1, T: 1, Body: validRaw(body)})
		dir := s.Dir
		if dir == ToPatient {
			dir = FromPatient
		} else if dir == ToConsole {
			dir = FromConsole
		}
		_, err := Decode(env, s.Channel, dir)
		var ae *apierr.Error
		if err != nil && !errors.As(err, &ae) {
			t.Fatalf("uncoded error %v", err)
		}
	})
}

func validRaw(b []byte) json.RawMessage {
	if json.Valid(b) {
		return b
	}
	q, _ := json.Marshal(string(b))
	return q
}

// TestRequiredFields: a field the catalogue requires (no omitempty) must be
// present and not null; its absence is a validation error naming the field,
// never a silent zero (a SUDS of 0, intensity 0, likelihood 0).
func TestRequiredFields(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, data, channel string
		dir                 Dir
		field               string
	}{
		{"suds without value", `{"v":1,"type":"suds.rating","seq":1,"body":{"prompt_id":"p1"}}`, Control, FromPatient, "body.value"},
		{"suds value null", `{"v":1,"type":"suds.rating","seq":1,"body":{"value":null}}`, Control, FromPatient, "body.value"},
		{"intensity empty", `{"v":1,"type":"cmd.intensity","seq":1,"body":{}}`, Control, FromConsole, "body.intensity"},
		{"intensity no body", `{"v":1,"type":"cmd.intensity","seq":1}`, Control, FromConsole, "body.intensity"},
		{"expectancy without likelihood", `{"v":1,"type":"expectancy.rating","seq":1,"body":{"phase":"before"}}`, Control, FromPatient, "body.likelihood"},
		{"report without kind", `{"v":1,"type":"cmd.report","seq":1,"body":{}}`, Control, FromConsole, "body.kind"},
		{"batch without unit", `{"v":1,"type":"signals.batch","seq":1,"body":{"stream":"hr","rate_hz":1,"t0":5,"values":[70]}}`, Signals, FromPatient, "body.unit"},
		{"batch without t0", `{"v":1,"type":"signals.batch","seq":1,"body":{"stream":"hr","unit":"bpm","rate_hz":1,"values":[70]}}`, Signals, FromPatient, "body.t0"},
		{"no type", `{"v":1,"seq":1}`, Control, FromPatient, "type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Decode([]byte(tc.data), tc.channel, tc.dir)
			var ae *apierr.Error
			if !errors.As(err, &ae) || ae.Code != apierr.Validation || ae.Field != tc.field {
				t.Fatalf("err = %v, want validation of %s", err, tc.field)
			}
		})
	}
	// Optional fields stay optional: an unprompted rating, a stop of the pacer.
	for _, ok := range []string{
		`{"v":1,"type":"suds.rating","seq":1,"body":{"value":0}}`,
		`{"v":1,"type":"cmd.breathing","seq":1,"body":{"breaths_per_min":0}}`,
	} {
		dir := FromPatient
		if strings.Contains(ok, "cmd.") {
			dir = FromConsole
		}
		if _, err := Decode([]byte(ok), Control, dir); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}

// TestDocExamplesDecode: the batch examples in docs/protocol.md and
// docs/biosignals.md are messages the server accepts.
func TestDocExamplesDecode(t *testing.T) {
	t.Parallel()
	check := func(where string, data []byte) {
		m, err := Decode(data, Signals, FromPatient)
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		wb := m.Body.(*SignalsBatch)
		b := biosignal.Batch{Stream: biosignal.Stream(wb.Stream), Unit: wb.Unit, RateHz: wb.RateHz, T0: wb.T0, Offsets: wb.Ts, Values: wb.Values, Raw: wb.Raw}
		if err := b.Validate(biosignal.DefaultLimits, wb.T0+60_000, 0); err != nil {
			t.Fatalf("%s: %v", where, err)
		}
	}
	check("BatchExample", []byte(BatchExample))
	doc, err := os.ReadFile("../../docs/biosignals.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(doc), "A batch (JSON body of a `signals.batch` message")
	if !ok {
		t.Fatal("docs/biosignals.md: batch example not found")
	}
	_, after, _ = strings.Cut(after, "`{")
	body, _, _ := strings.Cut(after, "}`")
	check("docs/biosignals.md", []byte(`{"v":1,"type":"signals.batch","seq":1,"body":{`+body+`}}`))
}

// TestAlertCodesDocumented: every biosignal rule's code is in the alert
// table of docs/protocol.md.
func TestAlertCodesDocumented(t *testing.T) {
	t.Parallel()
	for _, r := range biosignal.DefaultAlertRules() {
		if !slices.ContainsFunc(AlertCodes, func(a struct{ Code, Doc string }) bool { return a.Code == r.Code }) {
			t.Errorf("alert %s is not documented in AlertCodes", r.Code)
		}
	}
}

// FuzzPeek: Peek reads any bytes without panicking, and agrees with Decode
// on the seq of every message Decode accepts.
func FuzzPeek(f *testing.F) {
	f.Add([]byte(`{"v":1,"type":"suds.rating","seq":7,"body":{"value":50}}`), true)
	f.Add([]byte(`{"v":1,"type":"signals.batch","seq":4,"body":{"stream":"hr","unit":"bpm","rate_hz":1,"t0":5,"values":[70]}}`), false)
	f.Add([]byte(`{"body":{"seq":3},"seq":2,"type":"note"}`), true)
	f.Add([]byte(`{"seq":`), true)
	f.Add([]byte(`[1,2]`), false)
	f.Fuzz(func(t *testing.T, data []byte, control bool) {
		channel, dir := Signals, FromPatient
		if control {
			channel = Control
		}
		seq, _ := Peek(data, channel, dir)
		if m, err := Decode(data, channel, dir); err == nil && seq != m.Seq {
			t.Fatalf("Peek seq %d, Decode seq %d", seq, m.Seq)
		}
	})
}
