package biosignal

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeHRSVectors(t *testing.T) {
	t.Parallel()
	u16 := func(v uint16) *uint16 { return &v }
	for _, c := range []struct {
		hex     string
		hr      uint16
		contact Contact
		energy  *uint16
		rrMs    []float64
	}{
		{"16 48 54 01 EC 02", 72, ContactOK, nil, []float64{332.03125, 730.46875}},
		{"1F 48 00 23 01 00 04", 72, ContactOK, u16(291), []float64{1000}},
		{"11 00 00 FF FF 7F 80", 0, ContactUnsupported, nil, []float64{65535 * 1000.0 / 1024, 32895 * 1000.0 / 1024}},
		{"04 00", 0, ContactLost, nil, nil},
		{"06 00", 0, ContactOK, nil, nil},
		{"E6 48", 72, ContactOK, nil, nil}, // reserved bits 5–7 ignored
	} {
		t.Run(c.hex, func(t *testing.T) {
			m, err := DecodeHRS(mustHex(t, c.hex))
			if err != nil {
				t.Fatal(err)
			}
			if m.HR != c.hr || m.Contact != c.contact || (m.Energy == nil) != (c.energy == nil) ||
				(m.Energy != nil && *m.Energy != *c.energy) {
				t.Fatalf("decoded %+v", m)
			}
			got := m.RRms()
			if len(got) != len(c.rrMs) {
				t.Fatalf("RR %v, want %v", got, c.rrMs)
			}
			for i := range got {
				if got[i] != c.rrMs[i] { // exact: ticks·1000/1024 is exact in float64
					t.Errorf("RR[%d] = %.10f, want %.10f", i, got[i], c.rrMs[i])
				}
			}
			if !bytes.Equal(EncodeHRS(m), mustHex(t, c.hex)) && c.hex != "E6 48" {
				t.Errorf("re-encode %x", EncodeHRS(m))
			}
		})
	}
}

func TestDecodeHRSBadLength(t *testing.T) {
	t.Parallel()
	for _, h := range []string{"", "16", "01 48", "16 48 54", "16 48 54 01 EC", "08 48 01", "06 48 00", "1F 48 00 23 01"} {
		if _, err := DecodeHRS(mustHex(t, h)); !errors.Is(err, &Error{Code: CodeBadLength}) {
			t.Errorf("%q: err %v, want bad_length", h, err)
		}
	}
}

func FuzzDecodeHRS(f *testing.F) {
	for _, h := range []string{"16485401EC02", "1F4800230100 04", "110000FFFF7F80", "0400", "0600", "16", "10480000"} {
		b, _ := hex.DecodeString(strings.ReplaceAll(h, " ", ""))
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		m, err := DecodeHRS(p)
		if err != nil {
			return
		}
		// A payload that decodes must re-encode to the same length (the
		// length fits the flags exactly) and decode identically.
		again, err := DecodeHRS(EncodeHRS(m))
		if err != nil || again.HR != m.HR || len(again.RRTicks) != len(m.RRTicks) || again.Contact != m.Contact {
			t.Fatalf("round trip of %x: %+v vs %+v (%v)", p, m, again, err)
		}
		if len(EncodeHRS(m)) != len(p) {
			t.Fatalf("length %d vs %d for %x", len(EncodeHRS(m)), len(p), p)
		}
	})
}
