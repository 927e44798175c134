package wire

import (
	"slices"
	"testing"
)

// TestReceiverSignals walks docs/protocol.md's rules for a patient's
// batches: a repeat at or below the acknowledgement is settled, a copy in
// flight is not taken twice, and a failed commit lets the resend through.
func TestReceiverSignals(t *testing.T) {
	t.Parallel()
	r := NewReceiver(Signals)
	const conn = "a"
	steps := []struct {
		name    string
		do      func() Verdict
		want    Verdict
		pending int
	}{
		{"first 1 taken", func() Verdict { return r.Take(1) }, Fresh, 1},
		{"first 2 taken", func() Verdict { return r.Take(2) }, Fresh, 2},
		{"1 again while in flight", func() Verdict { return r.Take(1) }, InFlight, 2},
		{"1 committed", func() Verdict { r.Settle(conn, 1); return Fresh }, Fresh, 1},
		{"1 resent is settled", func() Verdict { return r.Take(1) }, Settled, 1},
		{"2 fails", func() Verdict { r.Release(conn, 2); return Fresh }, Fresh, 0},
		{"2 resent is taken again", func() Verdict { return r.Take(2) }, Fresh, 1},
		{"2 committed", func() Verdict { r.Settle(conn, 2); return Fresh }, Fresh, 0},
	}
	for _, st := range steps {
		if got := st.do(); got != st.want {
			t.Fatalf("%s: verdict %v, want %v", st.name, got, st.want)
		}
		if got := r.Pending(); got != st.pending {
			t.Fatalf("%s: pending %d, want %d", st.name, got, st.pending)
		}
	}
	if r.High() != 2 || r.Ack(conn) != 2 || r.Ack("another connection") != 2 {
		t.Fatalf("high %d, ack %d", r.High(), r.Ack(conn))
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
			r := NewReceiver(Signals)
			var ack uint64
			for _, s := range tc.settle {
				r.Take(s)
				ack = r.Settle("a", s)
			}
			if ack != tc.wantAck || r.Next() != tc.wantNext {
				t.Fatalf("ack %d next %d, want %d %d", ack, r.Next(), tc.wantAck, tc.wantNext)
			}
			restored := NewReceiver(Signals)
			restored.Restore(tc.settle)
			if restored.High() != tc.wantAck || restored.Next() != tc.wantNext {
				t.Fatalf("restored: high %d next %d", restored.High(), restored.Next())
			}
			for s := uint64(1); s < tc.wantNext; s++ {
				if r.IsSettled(s) != slices.Contains(tc.settle, s) {
					t.Fatalf("seq %d settled = %v", s, r.IsSettled(s))
				}
			}
		})
	}
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
	r := NewReceiver(Control)
	take := func(seq uint64) bool { return r.Take(seq) == Fresh }
	steps := []struct {
		name    string
		do      func() uint64
		wantAck uint64
	}{
		{"note 2 commits", func() uint64 { take(2); return r.Settle("first", 2) }, 2},
		{"note 4 is throttled", func() uint64 { r.Hold("first", 4); return r.Ack("first") }, 2},
		{"note 6 commits, ack stays below 4", func() uint64 { take(6); return r.Settle("first", 6) }, 3},
		{"note 7 fails to commit", func() uint64 { take(7); r.Release("first", 7); return r.Ack("first") }, 3},
	}
	for _, st := range steps {
		if got := st.do(); got != st.wantAck {
			t.Fatalf("%s: ack %d, want %d", st.name, got, st.wantAck)
		}
	}

	// The client reconnects and resends everything above the last ack (3),
	// in order; a settled resend is acknowledged on the new connection.
	if r.Ack("second") != 0 {
		t.Fatalf("a new connection's ack starts at %d, want 0", r.Ack("second"))
	}
	for _, tc := range []struct {
		seq     uint64
		taken   bool
		wantAck uint64
	}{{4, true, 4}, {6, false, 6}, {7, true, 7}} {
		if got := take(tc.seq); got != tc.taken {
			t.Fatalf("resent note %d taken = %v, want %v", tc.seq, got, tc.taken)
		}
		if got := r.Settle("second", tc.seq); got != tc.wantAck {
			t.Fatalf("after resent note %d: ack %d, want %d", tc.seq, got, tc.wantAck)
		}
	}

	// A second console's note 5 (below the first's 7, never seen) is its own.
	if !take(5) {
		t.Fatal("another console's note 5 was taken for a duplicate of the first console's notes")
	}
	if got := r.Settle("other", 5); got != 5 {
		t.Fatalf("other console ack %d, want 5", got)
	}

	// A held seq that settles elsewhere is not held again; a closed
	// connection's ack is forgotten.
	r.Hold("third", 5)
	if r.Ack("third") != 0 {
		t.Fatalf("settled seq held: ack %d", r.Ack("third"))
	}
	r.Forget("first")
	if r.Ack("first") != 0 {
		t.Fatal("forgotten connection still has an ack")
	}

	// After a restart the marks are the exact stored seqs: 3 was never stored.
	m := NewReceiver(Control)
	m.Restore([]uint64{2, 4, 5, 6, 7})
	if m.IsSettled(3) || !m.IsSettled(4) || m.Next() != 8 {
		t.Fatalf("restored control marks: settled(3)=%v settled(4)=%v next=%d", m.IsSettled(3), m.IsSettled(4), m.Next())
	}
}
