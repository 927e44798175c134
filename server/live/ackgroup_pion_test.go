package live_test

import (
	"testing"
	"time"

	waitfor "github.com/havenvr/haven/server/apptest/wait"
	"github.com/havenvr/haven/server/simpeer"
	"github.com/havenvr/haven/server/wire"
)

// TestSignalsAckPerCommitGroupOverPion: a headset streaming as the real one
// does (EDA every 250 ms, HR and RR in the same bursts) over real pion
// peers gets every batch stored exactly once and acknowledged, with fewer
// signals.ack messages than batches — the batches of a burst that commit in
// one transaction share one acknowledgement of the highest contiguous seq
// (docs/protocol.md) — and every acknowledgement moves the mark forward.
func TestSignalsAckPerCommitGroupOverPion(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	con := f.console(f.session, "")
	pat := f.patient(f.session, simpeer.PatientOptions{Seed: 11})
	wait(t, con, 10*time.Second, "the session live", state("live"))
	waitfor.Until(t, 30*time.Second, "40 batches sent", func() bool { return pat.Stats().BatchesSent >= 40 })
	pat.StopStreaming()
	var st simpeer.PatientStats
	waitfor.Until(t, 20*time.Second, "every batch acknowledged", func() bool {
		st = pat.Stats()
		return st.Unacked == 0 && st.SamplesAcked == st.SamplesSent
	})
	sent := st.BatchesSent
	if n := f.count("sample_chunks", "1 = 1"); n != sent {
		t.Fatalf("%d chunks stored for %d batches sent", n, sent)
	}
	var distinct int64
	if err := f.srv.App.Store.DB.Table("sample_chunks").Where("session_id = ?", f.session).
		Distinct("seq").Count(&distinct).Error; err != nil {
		t.Fatal(err)
	}
	if distinct != sent {
		t.Fatalf("%d distinct seqs stored for %d batches: a batch stored twice", distinct, sent)
	}
	var acks []uint64
	for _, r := range pat.All() {
		if r.Type == "signals.ack" && r.Spec.Channel == wire.Signals {
			acks = append(acks, r.Ack)
		}
	}
	for i := 1; i < len(acks); i++ {
		if acks[i] <= acks[i-1] {
			t.Fatalf("signals.ack %d after %d: an acknowledgement that does not move the mark", acks[i], acks[i-1])
		}
	}
	if len(acks) == 0 || acks[len(acks)-1] != uint64(sent) {
		t.Fatalf("last signals.ack %v, want %d (every batch)", acks, sent)
	}
	if int64(len(acks)) >= sent {
		t.Fatalf("%d signals.ack messages for %d batches: one per batch, not one per commit group", len(acks), sent)
	}
	t.Logf("%d batches stored once, %d signals.ack messages (%.2f per batch)", sent, len(acks), float64(len(acks))/float64(sent))
}
