package wire

import (
	"bytes"
	"encoding/json"
	"testing"
)

// referenceEncode is what Encode wrote before it built the envelope by
// hand: encoding/json's own output for the Envelope struct.
func referenceEncode(typ string, seq, ack uint64, t int64, srcSeq uint64, body any) []byte {
	b, _ := json.Marshal(body)
	out, _ := json.Marshal(Envelope{V: Version, Type: typ, Seq: seq, Ack: ack, T: t, SrcSeq: srcSeq, Body: b})
	return out
}

// TestEncodeMatchesEncodingJSON: the hand-written envelope is byte for
// byte what encoding/json gives, escaping included.
func TestEncodeMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	cases := []struct {
		typ      string
		seq, ack uint64
		t        int64
		src      uint64
		body     any
	}{
		{"heartbeat", 1, 0, 1732240000123, 0, Empty{}},
		{"signals.ack", 18446744073709551615, 42, -1, 0, Empty{}},
		{"scene.set", 7, 3, 0, 99, SceneSet{Params: map[string]any{"floor": 8, "note": "<b>&\u2028"}}},
		{"note", 2, 0, 5, 0, Note{Text: "quote \" backslash \\ tab \t ünïcödé 😀 </script>"}},
		{"odd\"type<>", 1, 1, 1, 1, Empty{}},
		{"tÿpe\n", 1, 1, 1, 0, CmdIntensity{Intensity: 50}},
	}
	for _, c := range cases {
		got := Encode(c.typ, c.seq, c.ack, c.t, c.src, c.body)
		want := referenceEncode(c.typ, c.seq, c.ack, c.t, c.src, c.body)
		if !bytes.Equal(got, want) {
			t.Errorf("%s:\n got %s\nwant %s", c.typ, got, want)
		}
	}
}

// TestEncodeEmptyBodyWithoutReflection: a heartbeat or an ack costs one
// allocation, the message itself.
func TestEncodeEmptyBodyWithoutReflection(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { _ = Encode("heartbeat", 12345, 678, 1732240000123, 0, Empty{}) }); n > 1 {
		t.Fatalf("%v allocations per heartbeat, want 1", n)
	}
}

// FuzzEncodeMatchesEncodingJSON compares the hand-written envelope with
// encoding/json's for arbitrary types, numbers and note text.
func FuzzEncodeMatchesEncodingJSON(f *testing.F) {
	f.Add("heartbeat", uint64(1), uint64(0), int64(0), uint64(0), "")
	f.Add("a\"b", uint64(1<<63), uint64(7), int64(-5), uint64(3), "<>&\u2029\xff")
	f.Fuzz(func(t *testing.T, typ string, seq, ack uint64, ts int64, src uint64, text string) {
		for _, body := range []any{Empty{}, Note{Text: text}} {
			got := Encode(typ, seq, ack, ts, src, body)
			want := referenceEncode(typ, seq, ack, ts, src, body)
			if !bytes.Equal(got, want) {
				t.Fatalf("got %s\nwant %s", got, want)
			}
		}
	})
}
