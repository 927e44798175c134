// Package fleet is the load of `haven bench`: lean simulated patients and
// therapists that speak the live protocol (server/wire) over real pion peers,
// count what they send and what the server acknowledges, measure relay
// latency, and reconnect and resend after a server crash. They favour low
// per-message cost over clinical realism (server/simpeer is the realistic,
// trainee-facing simulator); the biosignals still come from the
// physiological simulator at the rates DESIGN.md §9 fixes.
package fleet

import (
	"bytes"
	"encoding/json"
	"sync"
	"time"
)

// typeKey starts the envelope's type field as wire.Encode writes it.
var typeKey = []byte(`"type":"`)

// peekType returns the envelope type without decoding the message: the
// fleet skips a full JSON decode for heartbeats, about a third of what a
// peer receives, so the load generator's own cost stays small.
func peekType(data []byte) string {
	i := bytes.Index(data, typeKey)
	if i < 0 {
		return ""
	}
	rest := data[i+len(typeKey):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 || j > 64 {
		return ""
	}
	return string(rest[:j])
}

// inbound is the part of a server envelope the fleet reads.
type inbound struct {
	Type   string          `json:"type"`
	Seq    uint64          `json:"seq"`
	Ack    uint64          `json:"ack"`
	SrcSeq uint64          `json:"src_seq"`
	Body   json.RawMessage `json:"body"`
}

type helloBody struct {
	NextSeq map[string]uint64 `json:"next_seq"`
	BatchMs int64             `json:"batch_ms"`
}

type errorBody struct {
	Code string `json:"code"`
}

// Relay measures therapist send → patient receive for one session: the
// therapist records each command's seq and send time, the patient looks up
// the src_seq the server puts on the message the command caused. Both ends
// live in one process, so one monotonic clock serves both.
type Relay struct {
	mu      sync.Mutex
	pending map[uint64]time.Time
	rec     interface{ Add(time.Duration) }
}

// NewRelay returns a relay tracker feeding rec.
func NewRelay(rec interface{ Add(time.Duration) }) *Relay {
	return &Relay{pending: map[uint64]time.Time{}, rec: rec}
}

func (r *Relay) sent(seq uint64, at time.Time) {
	r.mu.Lock()
	r.pending[seq] = at
	// A command the engine refused never reaches the patient: forget old ones
	// so the map stays small.
	if len(r.pending) > 64 {
		for s := range r.pending {
			if s+64 < seq {
				delete(r.pending, s)
			}
		}
	}
	r.mu.Unlock()
}

// received reports whether src matched a pending command (first message only).
func (r *Relay) received(src uint64, at time.Time) bool {
	r.mu.Lock()
	t, ok := r.pending[src]
	delete(r.pending, src)
	r.mu.Unlock()
	if ok && r.rec != nil {
		r.rec.Add(at.Sub(t))
	}
	return ok
}
