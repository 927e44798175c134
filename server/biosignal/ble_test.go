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
	// The detail names the actual fault (Heart Rate Service 1.0 §3.1.1.5:
	// RR-Interval is a uint16 each, present when flags bit 4 is set).
	for h, want := range map[string]string{
		"16 48":          "RR-interval flag set but no RR interval follows",
		"16 48 54 01 EC": "each RR interval is 2 bytes, 1 byte left over",
	} {
		_, err := DecodeHRS(mustHex(t, h))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err %v, want it to say %q", h, err, want)
		}
	}
}

// hrsPayload builds a Heart Rate Measurement: flags, then head (HR and
// energy bytes as the flags say), then n RR intervals of 1024 ticks (1 s).
func hrsPayload(flags byte, head []byte, n int) []byte {
	p := append([]byte{flags}, head...)
	for range n {
		p = append(p, 0x00, 0x04)
	}
	return p
}

// A notification's value is at most 512 octets (Core v4.2+, Vol 3, Part F,
// §3.2.9 and §3.4.7.1): the longest well-formed payloads decode, one byte
// more is too_large even when the RR part would be whole.
func TestDecodeHRSMaxLength(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		p    []byte
		rr   int  // RR intervals decoded when accepted
		code Code // "" when accepted
	}{
		{"uint8 HR, 255 RR = 512 bytes", hrsPayload(0x16, []byte{72}, 255), 255, ""},
		{"uint16 HR + energy, 253 RR = 511 bytes", hrsPayload(0x1F, []byte{72, 0, 0x23, 0x01}, 253), 253, ""},
		{"uint16 HR, 255 RR = 513 bytes", hrsPayload(0x17, []byte{72, 0}, 255), 0, CodeTooLarge},
		{"uint16 HR + energy, 254 RR = 513 bytes", hrsPayload(0x1F, []byte{72, 0, 0x23, 0x01}, 254), 0, CodeTooLarge},
		{"300 RR intervals", hrsPayload(0x16, []byte{72}, 300), 0, CodeTooLarge},
		{"64 KiB of RR", hrsPayload(0x16, []byte{72}, 32<<10), 0, CodeTooLarge},
		{"600 bytes without RR flag", append([]byte{0x06, 72}, make([]byte, 598)...), 0, CodeTooLarge},
		{"odd RR part under the limit", append(hrsPayload(0x16, []byte{72}, 200), 0), 0, CodeBadLength},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := DecodeHRS(c.p)
			if c.code == "" {
				if err != nil || len(m.RRTicks) != c.rr || m.HR != 72 {
					t.Fatalf("%d bytes: %d RR, HR %d, err %v; want %d RR", len(c.p), len(m.RRTicks), m.HR, err, c.rr)
				}
				if !bytes.Equal(EncodeHRS(m), c.p) {
					t.Errorf("re-encode differs")
				}
				return
			}
			if !errors.Is(err, &Error{Code: c.code}) {
				t.Fatalf("%d bytes: err %v, want %s", len(c.p), err, c.code)
			}
			if be := (*Error)(nil); errors.As(err, &be) && be.MessageID() != "bio.error."+string(c.code) {
				t.Errorf("message id %s", be.MessageID())
			}
		})
	}
}

// In a batch, the over-long payload is named by its index (the live edge
// maps too_large to "message too large").
func TestExpandHRSTooLarge(t *testing.T) {
	t.Parallel()
	b := Batch{Stream: BLEHRS, Unit: "raw", T0: t0, Offsets: []int64{0, 1000},
		Raw: [][]byte{mustHex(t, "16 48 54 01 EC 02"), hrsPayload(0x16, []byte{72}, 300)}}
	var be *Error
	if _, err := b.Expand(); !errors.As(err, &be) || be.Code != CodeTooLarge || be.Index != 1 {
		t.Errorf("Expand: %v, want too_large at sample 1", err)
	}
}

func FuzzDecodeHRS(f *testing.F) {
	for _, h := range []string{"16485401EC02", "1F4800230100 04", "110000FFFF7F80", "0400", "0600", "16", "10480000"} {
		b, _ := hex.DecodeString(strings.ReplaceAll(h, " ", ""))
		f.Add(b)
	}
	f.Add(hrsPayload(0x16, []byte{72}, 255))    // longest accepted
	f.Add(hrsPayload(0x17, []byte{72, 0}, 255)) // one byte over
	f.Fuzz(func(t *testing.T, p []byte) {
		m, err := DecodeHRS(p)
		if len(p) > MaxHRSPayload && !errors.Is(err, &Error{Code: CodeTooLarge}) {
			t.Fatalf("%d-byte payload: err %v, want too_large", len(p), err)
		}
		if err != nil {
			var be *Error
			if !errors.As(err, &be) {
				t.Fatalf("uncoded error %v", err)
			}
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
