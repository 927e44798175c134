package live_test

import (
	"testing"
	"time"

	"github.com/havenvr/haven/server/simpeer"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/wire"
)

// phaseState matches a session.state naming phase with between lo and hi
// milliseconds left.
func phaseState(phase string, lo, hi int64) func(simpeer.Received) bool {
	return func(r simpeer.Received) bool {
		s, ok := r.Body.(*wire.SessionState)
		return ok && s.Phase == phase && s.PhaseLeftMs >= lo && s.PhaseLeftMs <= hi
	}
}

// TestStateNamesTimedPhase: the console's session.state names the
// baseline and the cool-down with the wall-clock time left, so the
// therapist sees both counted down. The durations are the library
// protocol's own (protocols/library/heights_ladder.json: 180 s each, within
// CLINICAL.md's 3–5 minute baseline); with protocol time at 4× wall time
// the console is told 45 s.
func TestStateNamesTimedPhase(t *testing.T) {
	t.Parallel()
	f := newFixture(t, map[string]any{"protocol_id": "heights_ladder"})
	f.srv.App.Live.SetEngineSpeed(4)
	con := f.console(f.session, "")
	f.patient(f.session, simpeer.PatientOptions{Seed: 3})
	got := wait(t, con, 10*time.Second, "baseline phase", phaseState("baseline", 40_000, 45_000))
	t.Logf("baseline: %d ms left (wall)", got.Body.(*wire.SessionState).PhaseLeftMs)

	f.srv.App.Live.SetEngineSpeed(200) // the rest of the baseline in well under a second
	wait(t, con, 10*time.Second, "baseline end", engineKind("baseline.end", 0))
	wait(t, con, 5*time.Second, "no phase in the block", func(r simpeer.Received) bool {
		s, ok := r.Body.(*wire.SessionState)
		return ok && s.State == store.LiveLive && s.Phase == "" && s.PhaseLeftMs == 0
	})

	f.srv.App.Live.SetEngineSpeed(1)
	end := con.Send("cmd.end", wire.Empty{})
	wait(t, con, 5*time.Second, "cool-down start", engineKind("cooldown.start", end))
	wait(t, con, 5*time.Second, "cool-down phase", phaseState("cooldown", 170_000, 180_000))
}
