package biosignal

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

const now = int64(1_732_240_000_000)

func TestDecodeBatch(t *testing.T) {
	t.Parallel()
	big := `{"stream":"eda","unit":"uS","rate_hz":32,"t0":1732239999000,"seq":1,"values":[` +
		strings.Repeat("1.5,", 5<<20) + `1]}`
	for _, c := range []struct {
		name, in string
		code     Code
		n        int
	}{
		{"hr regular", `{"stream":"hr","unit":"bpm","rate_hz":1,"t0":1732239990000,"seq":7,"values":[70,71,72]}`, "", 3},
		{"rr offsets", `{"stream":"rr","unit":"ms","t0":1732239990000,"t":[0,812,1630],"seq":1,"values":[800,812,818]}`, "", 3},
		{"eda alias unit", `{"stream":"eda","unit":"µS","rate_hz":32,"t0":1732239999000,"seq":2,"values":[2.1,2.2]}`, "", 2},
		{"ble raw", `{"stream":"ble_hrs","unit":"raw","t0":1732239999000,"t":[0],"seq":3,"raw":["FkhUAewC"]}`, "", 1},
		{"unknown stream", `{"stream":"ecg","unit":"mV","rate_hz":1,"t0":1732239999000,"values":[1]}`, CodeUnknownStream, 0},
		{"bad unit", `{"stream":"hr","unit":"Hz","rate_hz":1,"t0":1732239999000,"values":[1]}`, CodeBadUnit, 0},
		{"null is NaN", `{"stream":"hr","unit":"bpm","rate_hz":1,"t0":1732239999000,"values":[70,null]}`, CodeBadValue, 0},
		{"negative", `{"stream":"eda","unit":"uS","rate_hz":4,"t0":1732239999000,"values":[-0.1]}`, CodeBadValue, 0},
		{"huge number", `{"stream":"eda","unit":"uS","rate_hz":4,"t0":1732239999000,"values":[1e999]}`, CodeBadValue, 0},
		{"string value", `{"stream":"eda","unit":"uS","rate_hz":4,"t0":1732239999000,"values":["1"]}`, CodeMalformed, 0},
		{"trailing comma", `{"stream":"eda","unit":"uS","rate_hz":4,"t0":1732239999000,"values":[1,]}`, CodeMalformed, 0},
		{"backwards", `{"stream":"rr","unit":"ms","t0":1732239990000,"t":[0,800,700],"values":[800,800,800]}`, CodeTimeBackwards, 0},
		{"before previous batch", `{"stream":"hr","unit":"bpm","rate_hz":1,"t0":1732239000000,"values":[70]}`, CodeTimeBackwards, 0},
		{"future", `{"stream":"hr","unit":"bpm","rate_hz":1,"t0":1732250000000,"values":[70]}`, CodeTimeFuture, 0},
		{"missing timestamps", `{"stream":"rr","unit":"ms","t0":1732239990000,"values":[800]}`, CodeMalformed, 0},
		{"10 MB", big, CodeTooLarge, 0},
		{"too many samples", `{"stream":"eda","unit":"uS","rate_hz":32,"t0":1732239000000,"values":[` + strings.Repeat("1,", 3000) + `1]}`, CodeTooLarge, 0},
		{"raw on numeric stream", `{"stream":"hr","unit":"bpm","rate_hz":1,"t0":1732239999000,"raw":["AA=="]}`, CodeMalformed, 0},
		{"not json", `{"stream":`, CodeMalformed, 0},
		{"vanishing rate", `{"stream":"hr","unit":"bpm","rate_hz":1e-300,"t0":1732239999000,"values":[70,71]}`, CodeBadValue, 0},
		{"negative rate", `{"stream":"hr","unit":"bpm","rate_hz":-1,"t0":1732239999000,"values":[70]}`, CodeBadValue, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			lim := DefaultLimits
			if c.name == "10 MB" {
				lim.MaxBytes = 16 << 20 // reach the sample limit, not the byte limit
			}
			b, err := DecodeBatch([]byte(c.in), lim, now, 1732239500000)
			if c.code != "" {
				var e *Error
				if !errors.As(err, &e) || e.Code != c.code {
					t.Fatalf("err %v, want %s", err, c.code)
				}
				return
			}
			if err != nil || b.Len() != c.n {
				t.Fatalf("len %d err %v", b.Len(), err)
			}
		})
	}
	if _, err := DecodeBatch([]byte(big), DefaultLimits, now, 0); !errors.Is(err, &Error{Code: CodeTooLarge}) {
		t.Errorf("10 MB under default limits: %v", err)
	}
}

func TestExpandFlagsArtifacts(t *testing.T) {
	t.Parallel()
	b := Batch{Stream: HR, Unit: "bpm", RateHz: 1, T0: now - 10_000, Values: []float64{70, 71, 300, 72, 140, 141, 20}}
	s, err := b.Expand()
	if err != nil {
		t.Fatal(err)
	}
	var c Checker
	if n := c.Flag(s); n != 3 {
		t.Errorf("artifacts %d, want 3 (300 range, 140 jump, 20 range): %+v", n, s)
	}
	want := []Flag{0, 0, FlagOutOfRange, 0, FlagJump, 0, FlagOutOfRange}
	for i, w := range want {
		if s[i].Flags != w {
			t.Errorf("sample %d (%v): flags %b, want %b", i, s[i].V, s[i].Flags, w)
		}
	}
	if len(s) != len(b.Values) {
		t.Errorf("samples dropped: %d of %d", len(s), len(b.Values))
	}
	// Continuity across batches: 72 → 141 → next batch 60 is a jump.
	next := []Sample{{Stream: HR, T: now - 2000, V: 60}}
	if c.Flag(next) != 1 || next[0].Flags != FlagJump {
		t.Errorf("cross-batch jump not flagged: %+v", next)
	}
	if c.AfterMs(HR) != now-2000 || c.AfterMs(BLEHRS) != now-2000 || c.AfterMs(EDA) != 0 {
		t.Errorf("AfterMs: %d %d", c.AfterMs(HR), c.AfterMs(EDA))
	}
}

func TestExpandBLE(t *testing.T) {
	t.Parallel()
	b := Batch{Stream: BLEHRS, Unit: "raw", T0: now, Offsets: []int64{0, 1000},
		Raw: [][]byte{mustHex(t, "16 48 54 01 EC 02"), mustHex(t, "04 00")}}
	s, err := b.Expand()
	if err != nil {
		t.Fatal(err)
	}
	var c Checker
	c.Flag(s)
	// hr 72, hr 0 (no contact, out of range), rr 332.03 (t−730.47), rr 730.47 (t)
	if len(s) != 4 || s[0].V != 72 || s[1].Flags&FlagNoContact == 0 || !s[1].Artifact() ||
		s[2].Stream != RR || s[2].V != 332.03125 || s[2].T != now-730 || s[3].T != now {
		t.Errorf("expanded %+v", s)
	}
	bad := Batch{Stream: BLEHRS, Unit: "raw", T0: now, Offsets: []int64{0}, Raw: [][]byte{{0x10, 0x48, 0x01}}}
	if _, err := bad.Expand(); !errors.Is(err, &Error{Code: CodeBadLength}) {
		t.Errorf("truncated BLE: %v", err)
	}
}

func FuzzDecodeBatch(f *testing.F) {
	for _, s := range []string{
		`{"stream":"hr","unit":"bpm","rate_hz":1,"t0":1732239990000,"seq":7,"values":[70,71,72]}`,
		`{"stream":"rr","unit":"ms","t0":1732239990000,"t":[0,812],"values":[800,812]}`,
		`{"stream":"ble_hrs","unit":"raw","t0":1732239999000,"t":[0],"raw":["FkhUAewC"]}`,
		`{"stream":"eda","unit":"uS","rate_hz":32,"t0":1732239999000,"values":[null]}`,
		`{"values":[1e999, -0, 1 , 2]}`, `[]`, `{"stream":"hr","t":[-5]}`,
		`{"stream":"hr","unit":"bpm","rate_hz":1,"t0":1732239990000,"values":[70],"source":{"kind":"simulator","name":"demo"}}`,
		`{"stream":"hr","unit":"bpm","rate_hz":1,"t0":1732239990000,"values":[70],"source":{"kind":"sensor","name":"Polar\u0000H10","id":"x"}}`,
		`{"stream":"hr","unit":"bpm","rate_hz":1,"t0":1732239990000,"values":[70],"source":{"kind":"robot"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := DecodeBatch(data, DefaultLimits, now, 0)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("uncoded error %T %v", err, err)
			}
			return
		}
		// An accepted source is one the store can keep and every export
		// can name: a known kind, short printable name and id.
		if src := b.Source.Normal(); len(src.Name) > 64 || len(src.ID) > 64 ||
			(src.Kind != SourceSensor && src.Kind != SourceSimulator && src.Kind != SourceUnknown) {
			t.Fatalf("accepted source %+v", b.Source)
		}
		samples, err := b.Expand()
		if err != nil {
			if !errors.Is(err, &Error{Code: CodeBadLength}) {
				t.Fatalf("expand: %v", err)
			}
			return
		}
		var c Checker
		c.Flag(samples)
		for _, s := range samples {
			if s.T > now+DefaultLimits.MaxFutureMs || s.V != s.V {
				t.Fatalf("accepted bad sample %+v", s)
			}
		}
		if _, err := json.Marshal(b); err != nil {
			t.Fatalf("re-encode: %v", err)
		}
	})
}
