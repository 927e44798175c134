package live_test

import (
	"testing"
	"time"

	"github.com/havenvr/haven/server/apptest"
	waitfor "github.com/havenvr/haven/server/apptest/wait"
	"github.com/havenvr/haven/server/config"
	"github.com/havenvr/haven/server/simpeer"
	"github.com/havenvr/haven/server/wire"
)

// TestMarksSurviveRestart: after a graceful shutdown (peers told, batches
// flushed and acknowledged) a new server on the same database still knows
// which seqs it has: a resent batch is acknowledged, not stored twice, and
// hello tells the client where its counters continue.
func TestMarksSurviveRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	f := newFixtureIn(t, dir)
	pat := f.patient(f.session, simpeer.PatientOptions{Seed: 11})
	wait(t, pat, 5*time.Second, "hello", simpeer.Type("hello"))
	prompt := f.console(f.session, "").Send("cmd.suds_prompt", wire.Empty{})
	wait(t, pat, 3*time.Second, "prompt", typeSrc("suds.prompt", prompt))
	waitfor.Until(t, 10*time.Second, "a few batches and the rating acknowledged", func() bool {
		st := pat.Stats()
		return st.SamplesAcked >= 3 && st.RatingsAcked >= 1
	})
	token := f.lastToken()
	f.srv.Close()
	wait(t, pat, 3*time.Second, "told the server is going", errCode("unavailable"))
	pat.Close()

	srv2 := apptest.Start(t, func(c *config.Config) { c.DataDir = dir })
	f.srv = srv2
	before := f.chunks(f.session)
	if before.Rows == 0 || pat.Stats().SamplesAcked != before.Samples {
		t.Fatalf("stored %+v before the restart, patient %+v", before, pat.Stats())
	}
	p2 := simpeer.NewPatient(simpeer.PatientOptions{BaseURL: srv2.URL, SessionID: f.session, Token: token, Seed: 12, NoSignals: true})
	if err := p2.Connect(ctxT(t, 10*time.Second)); err != nil {
		t.Fatalf("reconnect to the new server: %v", err)
	}
	t.Cleanup(p2.Close)
	hello := wait(t, p2, 5*time.Second, "hello", simpeer.Type("hello")).Body.(*wire.Hello)
	if hello.NextSeq[wire.Signals] != uint64(before.Seqs)+1 || hello.NextSeq[wire.Control] < 2 {
		t.Fatalf("hello.next_seq %v after %d stored batches", hello.NextSeq, before.Seqs)
	}
	dup := `{"v":1,"type":"signals.batch","seq":1,"body":{"stream":"hr","unit":"bpm","rate_hz":1,"t0":` + itoa(int(time.Now().UnixMilli())) + `,"values":[70]}}`
	if err := p2.SendRaw(wire.Signals, []byte(dup)); err != nil {
		t.Fatal(err)
	}
	wait(t, p2, 3*time.Second, "duplicate acknowledged", func(r simpeer.Received) bool { return r.Type == "signals.ack" && r.Ack >= 1 })
	if after := f.chunks(f.session); after != before {
		t.Fatalf("stored %+v after the resend, %+v before", after, before)
	}
}
