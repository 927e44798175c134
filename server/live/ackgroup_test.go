package live

import (
	"testing"

	"github.com/havenvr/haven/server/wire"
)

// TestSignalsAckPerCommitGroup: batches settled without announcing advance
// the mark silently; the group's last batch announces one ack covering them.
func TestSignalsAckPerCommitGroup(t *testing.T) {
	t.Parallel()
	r := &room{receivers: map[string]*wire.Receiver{}}
	p := &peer{id: "c1", role: rolePatient, seq: map[string]uint64{}, ack: map[string]uint64{}}
	for _, seq := range []uint64{1, 2, 3} {
		if v := r.recv(p, wire.Signals).Take(seq); v != wire.Fresh {
			t.Fatalf("seq %d: %v", seq, v)
		}
	}
	r.settle(p, wire.Signals, 1, nil, false)
	r.settle(p, wire.Signals, 2, nil, false)
	if p.ack[wire.Signals] != 0 {
		t.Fatalf("ack %d announced inside the group", p.ack[wire.Signals])
	}
	r.settle(p, wire.Signals, 3, nil, true)
	if p.ack[wire.Signals] != 3 || r.recv(p, wire.Signals).High() != 3 {
		t.Fatalf("after the group: ack %d, high %d, want 3 and 3", p.ack[wire.Signals], r.recv(p, wire.Signals).High())
	}
}
