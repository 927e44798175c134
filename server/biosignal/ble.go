package biosignal

import "encoding/binary"

// Contact is the Sensor Contact Status of a Heart Rate Measurement
// (Bluetooth Heart Rate Service 1.0, characteristic 0x2A37, flags bits 1–2).
type Contact uint8

// Sensor contact states.
const (
	ContactUnsupported Contact = iota // bits 1–2 = 0 or 1
	ContactLost                       // 2: supported, not detected
	ContactOK                         // 3: supported, detected
)

func (c Contact) String() string {
	if c > ContactOK {
		return "invalid"
	}
	return [...]string{"unsupported", "lost", "ok"}[c]
}

// MarshalText encodes the contact state as its name.
func (c Contact) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// HRMeasurement is a decoded Heart Rate Measurement. RR intervals are kept in
// the characteristic's native 1/1024 s ticks (full precision); RRms converts.
type HRMeasurement struct {
	HR       uint16   `json:"hr_bpm"`
	Contact  Contact  `json:"contact"`
	Energy   *uint16  `json:"energy_kj,omitempty"`
	RRTicks  []uint16 `json:"rr_ticks,omitempty"`
	HR16     bool     `json:"hr_uint16"`
	Reserved uint8    `json:"-"`
}

// RRms returns the RR intervals in milliseconds (ticks·1000/1024, exact in float64).
func (m HRMeasurement) RRms() []float64 {
	out := make([]float64, len(m.RRTicks))
	for i, t := range m.RRTicks {
		out[i] = float64(t) * 1000 / 1024
	}
	return out
}

// Flag bits of the Heart Rate Measurement (Bluetooth GATT 0x2A37).
const (
	hrsFlagUint16  = 1 << 0
	hrsContactMask = 3 << 1
	hrsFlagEnergy  = 1 << 3
	hrsFlagRR      = 1 << 4
)

// MaxHRSPayload is the longest Heart Rate Measurement value accepted, in
// bytes. The measurement arrives as one ATT Handle Value Notification, whose
// value is at most ATT_MTU − 3 bytes (Bluetooth Core Specification v4.2+,
// Vol 3, Part F, §3.4.7.1); independently of the MTU, "the maximum length of
// an attribute value shall be 512 octets" (same part, §3.2.9). The largest
// ATT_MTU stacks negotiate, 517 (a 512-octet value plus the 5-byte Prepare
// Write Request header), would allow 514, but no characteristic value may
// exceed 512, so 512 is the bound: flags + uint8 HR + 255 RR intervals.
const MaxHRSPayload = 512

// DecodeHRS decodes a Heart Rate Measurement payload (little-endian). The
// length must fit the flags exactly (CodeBadLength otherwise): the RR part
// must be a whole number of uint16 values, and no bytes may trail when RR is
// absent. A payload longer than MaxHRSPayload cannot be one notification and
// is CodeTooLarge, whatever its flags.
func DecodeHRS(p []byte) (HRMeasurement, error) {
	var m HRMeasurement
	if len(p) > MaxHRSPayload {
		return m, errf(CodeTooLarge, -1, "payload of %d bytes exceeds the %d-byte attribute value limit", len(p), MaxHRSPayload)
	}
	if len(p) < 2 {
		return m, errf(CodeBadLength, -1, "payload of %d bytes, need at least 2", len(p))
	}
	flags := p[0]
	m.Reserved = flags >> 5
	switch (flags & hrsContactMask) >> 1 {
	case 2:
		m.Contact = ContactLost
	case 3:
		m.Contact = ContactOK
	}
	i := 1
	if flags&hrsFlagUint16 != 0 {
		if len(p) < 3 {
			return m, errf(CodeBadLength, -1, "uint16 heart rate needs 3 bytes, have %d", len(p))
		}
		m.HR16, m.HR, i = true, binary.LittleEndian.Uint16(p[1:3]), 3
	} else {
		m.HR, i = uint16(p[1]), 2
	}
	if flags&hrsFlagEnergy != 0 {
		if len(p) < i+2 {
			return m, errf(CodeBadLength, -1, "energy expended missing: %d bytes", len(p))
		}
		e := binary.LittleEndian.Uint16(p[i:])
		m.Energy, i = &e, i+2
	}
	rest := len(p) - i
	if flags&hrsFlagRR == 0 {
		if rest != 0 {
			return m, errf(CodeBadLength, -1, "%d trailing bytes without RR flag", rest)
		}
		return m, nil
	}
	if rest == 0 {
		return m, errf(CodeBadLength, -1, "RR-interval flag set but no RR interval follows")
	}
	if rest%2 != 0 {
		return m, errf(CodeBadLength, -1, "RR part of %d bytes: each RR interval is 2 bytes, 1 byte left over", rest)
	}
	m.RRTicks = make([]uint16, 0, rest/2)
	for ; i < len(p); i += 2 {
		m.RRTicks = append(m.RRTicks, binary.LittleEndian.Uint16(p[i:]))
	}
	return m, nil
}

// EncodeHRS builds a Heart Rate Measurement payload (the inverse of
// DecodeHRS); the simulator uses it to emulate a chest strap. A measurement
// with more RR intervals than fit MaxHRSPayload encodes to a payload that
// DecodeHRS refuses, as a receiver would.
func EncodeHRS(m HRMeasurement) []byte {
	flags := byte(0)
	switch m.Contact {
	case ContactLost:
		flags |= 2 << 1
	case ContactOK:
		flags |= 3 << 1
	}
	p := []byte{0}
	if m.HR16 || m.HR > 255 {
		flags |= hrsFlagUint16
		p = binary.LittleEndian.AppendUint16(p, m.HR)
	} else {
		p = append(p, byte(m.HR))
	}
	if m.Energy != nil {
		flags |= hrsFlagEnergy
		p = binary.LittleEndian.AppendUint16(p, *m.Energy)
	}
	if len(m.RRTicks) > 0 {
		flags |= hrsFlagRR
		for _, t := range m.RRTicks {
			p = binary.LittleEndian.AppendUint16(p, t)
		}
	}
	p[0] = flags
	return p
}
