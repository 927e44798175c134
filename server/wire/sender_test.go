package wire

import (
	"slices"
	"testing"
)

// TestSender walks the rules of docs/protocol.md's envelope section: seqs
// from 1, durable messages kept until covered, resend in seq order with the
// original seqs, a cumulative ack that stops below a message refused for
// now, and hello.next_seq never moving the count backwards.
func TestSender(t *testing.T) {
	t.Parallel()
	var s Sender
	seqs := func(ps []Pending) []uint64 {
		out := make([]uint64, len(ps))
		for i, p := range ps {
			out[i] = p.Seq
		}
		return out
	}
	for i := range 5 {
		seq := s.Next()
		if seq != uint64(i+1) {
			t.Fatalf("seq %d, want %d", seq, i+1)
		}
		if seq != 3 { // seq 3 is a heartbeat: not durable, never resent
			s.Keep(seq, []byte{byte(seq)}, nil)
		}
	}
	// Seq 2 was throttled: the server acknowledges 1 only, however much later it stored.
	if got := seqs(s.Ack(1)); !slices.Equal(got, []uint64{1}) {
		t.Fatalf("ack 1 released %v", got)
	}
	if got := seqs(s.Unacked()); !slices.Equal(got, []uint64{2, 4, 5}) {
		t.Fatalf("to resend %v, want 2 4 5", got)
	}
	if s.Ack(1) != nil {
		t.Fatal("a repeated ack released something")
	}
	// After the resend of 2 the ack covers all.
	if got := seqs(s.Ack(5)); !slices.Equal(got, []uint64{2, 4, 5}) || s.Len() != 0 {
		t.Fatalf("ack 5 released %v, left %d", got, s.Len())
	}
	s.Continue(3) // an older hello: no step back
	if s.Next() != 6 {
		t.Fatal("Continue moved the count backwards")
	}
	s.Continue(100) // a reloaded client continues above what the server settled
	if s.Next() != 100 {
		t.Fatal("Continue did not move up to next_seq")
	}
	s.Keep(8, nil, "late") // kept out of order (a reply made while dialling)
	s.Keep(7, nil, "early")
	if got := seqs(s.Unacked()); !slices.Equal(got, []uint64{7, 8}) {
		t.Fatalf("unacked %v, want seq order", got)
	}
}
