package biosignal

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
)

// Batch is one transport unit of samples of a single stream (the body of a
// `signals` data-channel message). Times are unix milliseconds: sample i is at
// T0 + i·1000/RateHz for regular streams (RateHz > 0), else at T0 + Offsets[i].
// Values carry numeric streams; Raw carries ble_hrs payloads.
type Batch struct {
	Stream  Stream    `json:"stream"`
	Unit    string    `json:"unit"`
	RateHz  float64   `json:"rate_hz,omitempty"`
	T0      int64     `json:"t0"`
	Offsets []int64   `json:"t,omitempty"`
	Values  []float64 `json:"values,omitempty"`
	Raw     [][]byte  `json:"raw,omitempty"`
	Seq     uint64    `json:"seq"`
	// Source is what produced the samples (provenance); kept with the chunk.
	Source Source `json:"source,omitzero"`
}

// Len is the number of samples (or payloads) in the batch.
func (b *Batch) Len() int {
	if b.Stream == BLEHRS {
		return len(b.Raw)
	}
	return len(b.Values)
}

// TimeOf returns the unix-ms time of sample i.
func (b *Batch) TimeOf(i int) int64 {
	if b.RateHz > 0 {
		return b.T0 + int64(math.Round(float64(i)*1000/b.RateHz))
	}
	return b.T0 + b.Offsets[i]
}

// Limits bound what a decoder accepts from a peer.
type Limits struct {
	MaxBytes    int   // whole JSON message
	MaxSamples  int   // per batch
	MaxFutureMs int64 // how far past now a timestamp may lie (clock skew)
	MaxRateHz   float64
}

// DefaultLimits: 64 KiB and 2,048 samples hold 60 s of 32 Hz EDA, far more
// than a 250 ms batch; 5 s of clock skew.
var DefaultLimits = Limits{MaxBytes: 64 << 10, MaxSamples: 2048, MaxFutureMs: 5000, MaxRateHz: 1024}

// wireBatch defers Values so that null (JavaScript's JSON for NaN) is an
// error instead of silently becoming 0.
type wireBatch struct {
	Batch
	Values json.RawMessage `json:"values,omitempty"`
}

// DecodeBatch parses and validates a JSON batch against lim at time nowMs.
// afterMs is the last accepted timestamp of the same stream (0 if none):
// earlier timestamps are CodeTimeBackwards.
func DecodeBatch(data []byte, lim Limits, nowMs, afterMs int64) (Batch, error) {
	if len(data) > lim.MaxBytes {
		return Batch{}, errf(CodeTooLarge, -1, "%d bytes exceed %d", len(data), lim.MaxBytes)
	}
	var w wireBatch
	if err := json.Unmarshal(data, &w); err != nil {
		return Batch{}, errf(CodeMalformed, -1, "%v", err)
	}
	b := w.Batch
	if len(w.Values) > 0 && !bytes.Equal(w.Values, []byte("null")) {
		v, err := parseFloatArray(w.Values, lim.MaxSamples)
		if err != nil {
			return Batch{}, err
		}
		b.Values = v
	}
	return b, b.Validate(lim, nowMs, afterMs)
}

// Validate checks a batch built in Go (or decoded) the same way DecodeBatch does.
func (b *Batch) Validate(lim Limits, nowMs, afterMs int64) error {
	sp, ok := specs[b.Stream]
	if !ok {
		return errf(CodeUnknownStream, -1, "%q", b.Stream)
	}
	if err := b.Source.Validate(); err != nil {
		return err
	}
	if !sp.unitOK(b.Unit) {
		return errf(CodeBadUnit, -1, "%q for stream %s, want %q", b.Unit, b.Stream, sp.Unit)
	}
	n := b.Len()
	if n > lim.MaxSamples {
		return errf(CodeTooLarge, -1, "%d samples exceed %d", n, lim.MaxSamples)
	}
	if b.Stream == BLEHRS && len(b.Values) > 0 || b.Stream != BLEHRS && len(b.Raw) > 0 {
		return errf(CodeMalformed, -1, "values and raw payloads mixed up for %s", b.Stream)
	}
	if math.IsNaN(b.RateHz) || b.RateHz < 0 || b.RateHz > lim.MaxRateHz || b.RateHz > 0 && b.RateHz < 1e-3 {
		return errf(CodeBadValue, -1, "rate_hz %v", b.RateHz)
	}
	if b.RateHz == 0 && len(b.Offsets) != n {
		return errf(CodeMalformed, -1, "%d timestamps for %d samples and no rate_hz", len(b.Offsets), n)
	}
	for i, v := range b.Values {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return errf(CodeBadValue, i, "%v", v)
		}
	}
	return b.checkTimes(lim, nowMs, afterMs)
}

func (b *Batch) checkTimes(lim Limits, nowMs, afterMs int64) error {
	if b.T0 <= 0 {
		return errf(CodeMalformed, -1, "t0 %d", b.T0)
	}
	prev := afterMs
	for i := range b.Len() {
		if b.RateHz == 0 && b.Offsets[i] < 0 {
			return errf(CodeTimeBackwards, i, "negative offset %d", b.Offsets[i])
		}
		if b.RateHz == 0 && b.Offsets[i] > 1<<40 {
			return errf(CodeTimeFuture, i, "offset %d", b.Offsets[i])
		}
		t := b.TimeOf(i)
		if t < prev {
			return errf(CodeTimeBackwards, i, "%d before %d", t, prev)
		}
		if t > nowMs+lim.MaxFutureMs {
			return errf(CodeTimeFuture, i, "%d is %d ms ahead", t, t-nowMs)
		}
		prev = t
	}
	return nil
}

// parseFloatArray parses a JSON array of numbers. null, strings and nested
// values are errors; "NaN"-like tokens never reach here because JSON forbids them.
func parseFloatArray(raw json.RawMessage, max int) ([]float64, error) {
	s := bytes.TrimSpace(raw)
	if len(s) < 2 || s[0] != '[' || s[len(s)-1] != ']' {
		return nil, errf(CodeMalformed, -1, "values is not an array")
	}
	s = bytes.TrimSpace(s[1 : len(s)-1])
	if len(s) == 0 {
		return nil, nil
	}
	if n := bytes.Count(s, []byte(",")) + 1; n > max {
		return nil, errf(CodeTooLarge, -1, "%d samples exceed %d", n, max)
	}
	out := make([]float64, 0, bytes.Count(s, []byte(","))+1)
	for i := 0; len(s) > 0; i++ {
		tok := s
		if j := bytes.IndexByte(s, ','); j >= 0 {
			tok, s = s[:j], s[j+1:]
			if len(bytes.TrimSpace(s)) == 0 {
				return nil, errf(CodeMalformed, i, "trailing comma")
			}
		} else {
			s = nil
		}
		tok = bytes.TrimSpace(tok)
		if bytes.Equal(tok, []byte("null")) {
			return nil, errf(CodeBadValue, i, "null (NaN on the client?)")
		}
		if len(tok) == 0 || !(tok[0] == '-' || tok[0] >= '0' && tok[0] <= '9') {
			return nil, errf(CodeMalformed, i, "%q is not a number", tok)
		}
		v, err := strconv.ParseFloat(string(tok), 64)
		if err != nil {
			return nil, errf(CodeBadValue, i, "%q", tok)
		}
		out = append(out, v)
	}
	return out, nil
}

// Expand turns a validated batch into samples (unflagged: pass them through
// a Checker). ble_hrs payloads become an hr sample (FlagNoContact when the
// strap reports lost contact) plus one rr sample per interval, back-dated from
// the payload time (oldest first).
func (b *Batch) Expand() ([]Sample, error) {
	if b.Stream != BLEHRS {
		out := make([]Sample, len(b.Values))
		for i, v := range b.Values {
			out[i] = Sample{Stream: b.Stream, T: b.TimeOf(i), V: v}
		}
		return out, nil
	}
	var hr, rr []Sample
	for i, p := range b.Raw {
		m, err := DecodeHRS(p)
		if err != nil {
			e := err.(*Error)
			e.Index = i
			return nil, e
		}
		t := b.TimeOf(i)
		s := Sample{Stream: HR, T: t, V: float64(m.HR)}
		if m.Contact == ContactLost {
			s.Flags |= FlagNoContact
		}
		hr = append(hr, s)
		ms := m.RRms()
		end := float64(t)
		start := len(rr)
		for k := len(ms) - 1; k >= 0; k-- {
			rr = append(rr, Sample{Stream: RR, T: int64(math.Round(end)), V: ms[k]})
			end -= ms[k]
		}
		reverse(rr[start:])
	}
	return append(hr, rr...), nil
}

// Checker flags artifacts across batches: it remembers the last in-range
// sample of every stream. Not safe for concurrent use; one per session.
type Checker struct {
	last  map[Stream]Sample
	lastT map[Stream]int64
}

// AfterMs is the time of the last sample flagged for the batch's stream (0 if
// none): pass it to DecodeBatch so a batch going back in time is refused.
// ble_hrs batches are timed by their hr samples.
func (c *Checker) AfterMs(s Stream) int64 {
	if s == BLEHRS {
		s = HR
	}
	return c.lastT[s]
}

// Flag flags samples (any mix of streams, each stream in time order) in place
// and returns how many are artifacts.
func (c *Checker) Flag(samples []Sample) int {
	if c.last == nil {
		c.last, c.lastT = make(map[Stream]Sample, 4), make(map[Stream]int64, 4)
	}
	n := 0
	for i := 0; i < len(samples); {
		j := i
		for j < len(samples) && samples[j].Stream == samples[i].Stream {
			j++
		}
		var prev *Sample
		if p, ok := c.last[samples[i].Stream]; ok {
			prev = &p
		}
		n += FlagArtifacts(samples[i:j], prev)
		c.lastT[samples[i].Stream] = max(c.lastT[samples[i].Stream], samples[j-1].T)
		for k := j - 1; k >= i; k-- {
			if samples[k].Flags&FlagOutOfRange == 0 {
				c.last[samples[k].Stream] = samples[k]
				break
			}
		}
		i = j
	}
	return n
}

func reverse(s []Sample) {
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
}
