package wire

import (
	"cmp"
	"slices"
)

// Sender is the sending half of reliable delivery on one channel, as
// docs/protocol.md fixes it: seqs count from 1 and never repeat, durable
// messages are kept until an ack covers them and are resent oldest first
// after a reconnect, and a reloaded sender continues above hello.next_seq.
// The simulated patient (server/simpeer) and the bench fleet
// (server/bench/fleet) keep their seqs and outboxes in one each per
// channel; the headset's Channel (clients/webxr/src/protocol.js) follows
// the same rules. Not safe for concurrent use: its owner's lock guards it.
type Sender struct {
	seq     uint64
	pending []Pending
}

// Pending is a durable message awaiting its acknowledgement: its seq, the
// bytes sent (nil when the owner re-encodes from Meta) and what the owner
// needs to count or resend it.
type Pending struct {
	Seq  uint64
	Data []byte
	Meta any
}

// Next takes the next seq.
func (s *Sender) Next() uint64 {
	s.seq++
	return s.seq
}

// Seq is the last seq taken.
func (s *Sender) Seq() uint64 { return s.seq }

// Keep holds a durable message sent under seq until it is acknowledged.
func (s *Sender) Keep(seq uint64, data []byte, meta any) {
	s.pending = append(s.pending, Pending{Seq: seq, Data: data, Meta: meta})
	if n := len(s.pending); n > 1 && s.pending[n-2].Seq > seq {
		slices.SortFunc(s.pending, func(a, b Pending) int { return cmp.Compare(a.Seq, b.Seq) })
	}
}

// Ack drops and returns the messages an acknowledgement covers (every seq
// up to ack): the server never acknowledges past a message it refused for
// now, so what stays is exactly what must be resent.
func (s *Sender) Ack(ack uint64) []Pending {
	i := 0
	for i < len(s.pending) && s.pending[i].Seq <= ack {
		i++
	}
	if i == 0 {
		return nil
	}
	done := slices.Clone(s.pending[:i])
	s.pending = slices.Delete(s.pending, 0, i)
	return done
}

// Unacked returns the durable messages not yet acknowledged, oldest first:
// what a new connection resends, with their original seqs.
func (s *Sender) Unacked() []Pending { return slices.Clone(s.pending) }

// Len is how many durable messages await an acknowledgement.
func (s *Sender) Len() int { return len(s.pending) }

// Continue moves the counter up to just below next (hello.next_seq), so a
// sender that lost its count (a reload) never reuses a seq the server has
// settled; it never moves backwards.
func (s *Sender) Continue(next uint64) {
	if next > 0 {
		s.seq = max(s.seq, next-1)
	}
}
