package live_test

import (
	"testing"
	"time"

	"github.com/havenvr/haven/server/simpeer"
	"github.com/havenvr/haven/server/store"
)

// TestExposureBudgetGrowsFromLastSession: the engine's cybersickness budget
// (CLINICAL.md §5: short first exposures, lengthened in 2–3 min steps)
// starts at 10 minutes for a patient's first session, and afterwards from
// the exposure time the engine recorded when their last session ended,
// plus the 3-minute step.
func TestExposureBudgetGrowsFromLastSession(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	budget := func(id string) float64 {
		t.Helper()
		con := f.console(id, "")
		f.patient(id, simpeer.PatientOptions{Seed: 9})
		got := wait(t, con, 10*time.Second, "session started", engineKind("session.started", 0))
		b, _ := engineBody(got)["exposure_budget_ms"].(float64)
		return b
	}
	patient := f.patientID()
	session := func() string {
		return f.schedule(map[string]any{"protocol_id": "heights_ladder", "patient_id": patient})
	}
	first := session()
	if b := budget(first); b != 10*60_000 {
		t.Fatalf("first session's budget %v ms, want 10 min", b)
	}
	// The first session's end, as the engine records it on the timeline.
	ended := store.TimelineEvent{SessionID: first, At: time.Now().UTC(), Kind: "engine.timeline.exposure", Actor: "engine", Body: `{"exposed_ms":720000}`}
	if err := f.srv.App.Store.DB.Create(&ended).Error; err != nil {
		t.Fatal(err)
	}
	if b := budget(session()); b != 720_000+3*60_000 {
		t.Fatalf("next session's budget %v ms, want 12 + 3 min", b)
	}
}
