package live

import "github.com/havenvr/haven/server/biosignal"

// spans keep, per stream, the sample times of the batches the room has
// taken by seq (in flight or committed), so time order is checked by seq,
// not by arrival: a batch refused for now (throttled, store busy) and
// resent after later ones were stored is checked against the batch before
// it, and stored — not refused as going back in time. A stream keeps its
// batches in flight, those above the contiguous acknowledgement, and the
// last one at or below it. Guarded by room.mu.
type spans map[biosignal.Stream]map[uint64]span

type span struct {
	last      int64 // time of the batch's last sample (unix ms)
	committed bool
}

// after is the time a batch with seq must not go before: the last sample of
// the stream's batch with the highest seq below it (0: none).
func (s spans) after(stream biosignal.Stream, seq uint64) int64 {
	var best uint64
	var t int64
	for q, sp := range s[stream] {
		if q < seq && q >= best {
			best, t = q, sp.last
		}
	}
	return t
}

// take records a validated batch as in flight.
func (s spans) take(stream biosignal.Stream, seq uint64, b *biosignal.Batch) {
	n := b.Len()
	if n == 0 {
		return
	}
	st := stream
	if s[st] == nil {
		s[st] = map[uint64]span{}
	}
	s[st][seq] = span{last: b.TimeOf(n - 1)}
}

// forget drops a batch whose commit failed: its resend is new.
func (s spans) forget(stream biosignal.Stream, seq uint64) { delete(s[stream], seq) }

// commit marks a batch stored; high is the contiguous acknowledgement, below
// which no batch will ever be checked again.
func (s spans) commit(stream biosignal.Stream, seq, high uint64) {
	m := s[stream]
	sp, ok := m[seq]
	if !ok {
		return
	}
	sp.committed = true
	m[seq] = sp
	var keep uint64 // the highest committed batch at or below high
	for q, x := range m {
		if q <= high && x.committed && q > keep {
			keep = q
		}
	}
	for q := range m {
		if q < keep {
			delete(m, q)
		}
	}
}
