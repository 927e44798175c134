package live_test

import (
	"slices"
	"testing"
	"time"

	"github.com/havenvr/haven/server/simpeer"
)

// TestResonanceAssessmentReportsWindows: in a live resonance assessment the
// engine's recorded windows reach the room, which reports each to the
// therapist and the timeline. The drill runs 30× faster than real time, so
// each window holds seconds of beats, not the 64 s a spectrum needs: it is
// reported as too short (the LF peak itself is TestResonanceWindows').
func TestResonanceAssessmentReportsWindows(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	f.srv.App.Live.SetEngineSpeed(30)
	id := f.schedule(map[string]any{"protocol_id": "resonance_assessment"})
	con := f.console(id, "")
	f.patient(id, simpeer.PatientOptions{Seed: 4})
	w := wait(t, con, 30*time.Second, "first recorded window", engineKind("resonance.window", 0))
	b := engineBody(w)
	if b["breaths_per_min"] != 6.0 || b["error"] != "too_short" || b["best_breaths_per_min"] != nil {
		t.Fatalf("window %v: want 6/min, too short, no choice yet", b)
	}
	// On the timeline too (its writer commits asynchronously).
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var rows []struct{ Kind string }
		f.th.Do("GET", "/api/sessions/"+id+"/timeline", nil, &rows)
		if slices.ContainsFunc(rows, func(r struct{ Kind string }) bool { return r.Kind == "resonance.window" }) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no resonance window on the timeline")
		}
	}
}
