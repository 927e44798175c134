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
	r := &room{high: map[string]uint64{}, pending: map[string]map[uint64]struct{}{}}
	p := &peer{role: rolePatient, seq: map[string]uint64{}, ack: map[string]uint64{}}
	spec, _ := wire.Lookup(wire.FromPatient, "signals.batch")
	msg := func(seq uint64) wire.Message { return wire.Message{Envelope: wire.Envelope{Seq: seq}, Spec: spec} }
	steps := []struct {
		name   string
		do     func() bool
		want   bool
		inflow bool
	}{
		{"first 1 taken", func() bool { return r.duplicate(p, msg(1)) }, false, true},
		{"first 2 taken", func() bool { return r.duplicate(p, msg(2)) }, false, true},
		{"1 again while in flight", func() bool { return r.duplicate(p, msg(1)) }, true, true},
		{"1 committed", func() bool { r.committed(p, wire.Signals, 1, nil); return false }, false, true},
		{"1 resent is a duplicate", func() bool { return r.duplicate(p, msg(1)) }, true, true},
		{"2 fails", func() bool { r.committed(p, wire.Signals, 2, errors.New("disk")); return false }, false, false},
		{"2 resent is taken again", func() bool { return r.duplicate(p, msg(2)) }, false, true},
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
	if r.high[rolePatient+"/"+wire.Signals] != 2 || p.ack[wire.Signals] != 2 {
		t.Fatalf("high %v, ack %v", r.high, p.ack)
	}
}
