package live

import (
	"errors"
	"testing"

	"github.com/havenvr/haven/server/wire"
)

// TestSeqMarks: repeats at or below the committed mark are duplicates,
// messages in flight are not taken twice, and a failed commit lets the
// resend through.
func TestSeqMarks(t *testing.T) {
	t.Parallel()
	r := &room{marks: map[string]*marks{}, pending: map[string]map[uint64]struct{}{}}
	p := &peer{role: rolePatient, seq: map[string]uint64{}, ack: map[string]uint64{}}
	spec, _ := wire.Lookup(wire.FromPatient, "signals.batch")
	msg := func(seq uint64) wire.Message { return wire.Message{Envelope: wire.Envelope{Seq: seq}, Spec: spec} }
	steps := []struct {
		name   string
		do     func() bool
		want   bool
		inflow bool
	}{
		{"first 1 taken", func() bool { return r.dupSignals(p, msg(1)) }, false, true},
		{"first 2 taken", func() bool { return r.dupSignals(p, msg(2)) }, false, true},
		{"1 again while in flight", func() bool { return r.dupSignals(p, msg(1)) }, true, true},
		{"1 committed", func() bool { r.committed(p, wire.Signals, 1, nil); return false }, false, true},
		{"1 resent is a duplicate", func() bool { return r.dupSignals(p, msg(1)) }, true, true},
		{"2 fails", func() bool { r.committed(p, wire.Signals, 2, errors.New("disk")); return false }, false, false},
		{"2 resent is taken again", func() bool { return r.dupSignals(p, msg(2)) }, false, true},
		{"2 committed", func() bool { r.committed(p, wire.Signals, 2, nil); return false }, false, false},
	}
	for _, st := range steps {
		if got := st.do(); got != st.want {
			t.Fatalf("%s: duplicate = %v", st.name, got)
		}
		if got := r.inflight(); got != st.inflow {
			t.Fatalf("%s: inflight = %v", st.name, got)
		}
	}
	if r.marks[rolePatient+"/"+wire.Signals].high != 2 || p.ack[wire.Signals] != 2 {
		t.Fatalf("high %v, ack %v", r.marks[rolePatient+"/"+wire.Signals].high, p.ack)
	}
}

// TestAckNeverCoversARefusedSeq: a batch refused for now (throttled, store
// busy) keeps the acknowledgement below it, however many later ones commit,
// until its resend commits; restored marks keep the same rule.
func TestAckNeverCoversARefusedSeq(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		settle   []uint64
		wantAck  uint64
		wantNext uint64
	}{
		{"in order", []uint64{1, 2, 3}, 3, 4},
		{"gap at 2", []uint64{1, 3, 4, 5}, 1, 6},
		{"gap filled later", []uint64{1, 3, 4, 2}, 4, 5},
		{"nothing yet", nil, 0, 1},
		{"only later ones", []uint64{2, 3}, 0, 4},
		{"repeats change nothing", []uint64{1, 1, 3, 3}, 1, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := &marks{contiguous: true}
			var ack uint64
			for _, s := range tc.settle {
				ack = m.settle(s)
			}
			if ack != tc.wantAck || m.next() != tc.wantNext {
				t.Fatalf("ack %d next %d, want %d %d", ack, m.next(), tc.wantAck, tc.wantNext)
			}
			if r := restore(tc.settle, true); r.high != tc.wantAck || r.next() != tc.wantNext {
				t.Fatalf("restored: high %d next %d", r.high, r.next())
			}
			for s := tc.wantAck + 1; s < tc.wantNext; s++ {
				if !m.settled(s) && contains(tc.settle, s) {
					t.Fatalf("seq %d settled but not reported", s)
				}
			}
		})
	}
}

func contains(list []uint64, v uint64) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// TestControlAckHoldsRefused: on control, durable messages (notes, ratings)
// share the seq space with messages that leave no record, so the marks are
// exact and each connection acknowledges for itself: a note refused for now
// (throttled, store busy) keeps that connection's ack below it however many
// later notes commit; its resend on the next connection is handled, not
// mistaken for a duplicate; and a second console's own seqs are not
// swallowed by the first console's higher ones.
func TestControlAckHoldsRefused(t *testing.T) {
	t.Parallel()
	r := &room{marks: map[string]*marks{}, pending: map[string]map[uint64]struct{}{}}
	newConsole := func() *peer { return &peer{role: roleTherapist, seq: map[string]uint64{}, ack: map[string]uint64{}} }
	spec, _ := wire.Lookup(wire.FromConsole, "note")
	note := func(seq uint64) wire.Message { return wire.Message{Envelope: wire.Envelope{Seq: seq}, Spec: spec} }
	take := func(p *peer, seq uint64) bool { return !r.duplicate(p, wire.Control, note(seq).Seq) }
	commit := func(p *peer, seq uint64, err error) uint64 {
		r.committed(p, wire.Control, seq, err)
		return p.ack[wire.Control]
	}

	first := newConsole()
	steps := []struct {
		name    string
		do      func() uint64
		wantAck uint64
	}{
		{"note 2 commits", func() uint64 { take(first, 2); return commit(first, 2, nil) }, 2},
		{"note 4 is throttled", func() uint64 { r.hold(first, 4); return first.ack[wire.Control] }, 2},
		{"note 6 commits, ack stays below 4", func() uint64 { take(first, 6); return commit(first, 6, nil) }, 3},
		{"note 7 fails to commit", func() uint64 { take(first, 7); return commit(first, 7, errors.New("disk")) }, 3},
	}
	for _, st := range steps {
		if got := st.do(); got != st.wantAck {
			t.Fatalf("%s: ack %d, want %d", st.name, got, st.wantAck)
		}
	}

	// The client reconnects and resends everything above the last ack (3), in order.
	second := newConsole()
	for _, tc := range []struct {
		seq     uint64
		taken   bool
		wantAck uint64
	}{{4, true, 4}, {6, false, 6}, {7, true, 7}} {
		if got := take(second, tc.seq); got != tc.taken {
			t.Fatalf("resent note %d taken = %v, want %v", tc.seq, got, tc.taken)
		}
		if tc.taken {
			commit(second, tc.seq, nil)
		}
		if got := second.ack[wire.Control]; got != tc.wantAck {
			t.Fatalf("after resent note %d: ack %d, want %d", tc.seq, got, tc.wantAck)
		}
	}

	// A second console's note 5 (below the first's 7, never seen) is its own.
	other := newConsole()
	if !take(other, 5) {
		t.Fatal("another console's note 5 was taken for a duplicate of the first console's notes")
	}
	if commit(other, 5, nil) != 5 {
		t.Fatalf("other console ack %d, want 5", other.ack[wire.Control])
	}

	// After a restart the marks are the exact stored seqs: 3 was never stored.
	m := restore([]uint64{2, 4, 5, 6, 7}, false)
	if m.settled(3) || !m.settled(4) || m.next() != 8 {
		t.Fatalf("restored control marks: settled(3)=%v settled(4)=%v next=%d", m.settled(3), m.settled(4), m.next())
	}
}

// dupSignals is duplicate for a whole message.
func (r *room) dupSignals(p *peer, m wire.Message) bool { return r.duplicate(p, m.Spec.Channel, m.Seq) }
