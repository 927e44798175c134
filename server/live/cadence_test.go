package live_test

import (
	"testing"
	"time"

	waitfor "github.com/havenvr/haven/server/apptest/wait"
	"github.com/havenvr/haven/server/config"
	"github.com/havenvr/haven/server/simpeer"
	"github.com/havenvr/haven/server/wire"
)

// TestSignalsBatchCadenceFromHello: a server started with --signals-batch 1s
// tells its patients so in their hello (batch_ms 1000, docs/protocol.md)
// and its consoles nothing; the simulated headset then sends one batch a
// stream a second — at most three a second (EDA, HR, RR; respiration every
// 5 s) against about 6.4 at 250 ms — and every sample is stored and
// acknowledged.
func TestSignalsBatchCadenceFromHello(t *testing.T) {
	t.Parallel()
	f := newFixtureWith(t, func(c *config.Config) { c.SignalsBatch = time.Second }, nil)
	con := f.console(f.session, "")
	pat := f.patient(f.session, simpeer.PatientOptions{Seed: 4})
	hello := func(r simpeer.Received) bool { return r.Type == "hello" }
	if h := wait(t, pat, 5*time.Second, "the patient's hello", hello).Body.(*wire.Hello); h.BatchMs != 1000 {
		t.Fatalf("patient hello batch_ms %d, want 1000", h.BatchMs)
	}
	if h := wait(t, con, 5*time.Second, "the console's hello", hello).Body.(*wire.Hello); h.BatchMs != 0 {
		t.Fatalf("console hello batch_ms %d, want none", h.BatchMs)
	}
	wait(t, con, 10*time.Second, "the session live", state("live"))
	first := time.Now()
	waitfor.Until(t, 30*time.Second, "12 batches sent", func() bool { return pat.Stats().BatchesSent >= 12 })
	pat.StopStreaming()
	took := time.Since(first)
	var st simpeer.PatientStats
	waitfor.Until(t, 20*time.Second, "every batch acknowledged", func() bool {
		st = pat.Stats()
		return st.Unacked == 0 && st.SamplesAcked == st.SamplesSent
	})
	var stored int64
	if err := f.srv.App.Store.DB.Table("sample_chunks").Where("session_id = ?", f.session).
		Select("COALESCE(SUM(n), 0)").Scan(&stored).Error; err != nil {
		t.Fatal(err)
	}
	if stored != st.SamplesSent {
		t.Fatalf("%d samples stored, %d sent", stored, st.SamplesSent)
	}
	// One EDA batch a second: 32 samples (32 Hz, DESIGN.md §4), where 250 ms
	// batching stores 8; the first may be short (the simulator starts at
	// the dial, the cadence at the hello).
	var eda []int
	if err := f.srv.App.Store.DB.Table("sample_chunks").Where("session_id = ? AND stream = ?", f.session, "eda").
		Order("t0").Pluck("n", &eda).Error; err != nil {
		t.Fatal(err)
	}
	if len(eda) < 3 {
		t.Fatalf("%d EDA batches stored", len(eda))
	}
	for i, n := range eda[1:] {
		if n != 32 {
			t.Fatalf("EDA batch %d of %d holds %d samples, want 32 (1 s at 32 Hz): %v", i+1, len(eda), n, eda)
		}
	}
	t.Logf("%d batches, %d samples in %v", st.BatchesSent, st.SamplesSent, took)
}
