package live_test

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"github.com/havenvr/haven/protocols"
	"github.com/havenvr/haven/server/simpeer"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/wire"
)

// TestAdaptiveSuggestionFromPhysiology: in a protocol with adaptive
// suggestions (CLINICAL.md §6), the heart rate's z-score against the
// session's baseline reaches the engine, which combines it with the SUDS
// rating into a fear level and suggests — never applies — the next move.
func TestAdaptiveSuggestionFromPhysiology(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	// The baseline must hold a few real heart-rate samples (1 Hz): 3
	// minutes of protocol time in ≈ 6 s.
	f.srv.App.Live.SetEngineSpeed(30)
	// The built-in heights ladder (baseline, then exposure), made adaptive.
	id := f.schedule(map[string]any{"protocol_id": f.adaptiveCopy("heights_ladder", map[string]any{"adaptive_hold_s": 1})})
	con := f.console(id, "")
	f.patient(id, simpeer.PatientOptions{Seed: 5})
	wait(t, con, 5*time.Second, "live", state(store.LiveLive))
	wait(t, con, 20*time.Second, "baseline over: advance suggested", engineKind("suggest", 0))
	adv := con.Send("cmd.advance", wire.CmdAdvance{})
	wait(t, con, 5*time.Second, "step entered", engineKind("step.enter", adv))
	wait(t, con, 10*time.Second, "a rating", simpeer.Type("suds.rating"))
	level := wait(t, con, 15*time.Second, "fear level", engineKind("timeline.fear_level", 0))
	if l, ok := engineBody(level)["level"].(float64); !ok || l < 0 || l > 3 {
		t.Fatalf("fear level %+v, want 0–3", level.Body)
	}
	s := wait(t, con, 15*time.Second, "adaptive suggestion", func(r simpeer.Received) bool {
		e, ok := r.Body.(*wire.Engine)
		return ok && e.Kind == "suggest" && engineBody(r)["reason"] == "adaptive_fear_level"
	})
	if a := engineBody(s)["action"]; a != "advance" && a != "stay" && a != "step_back" {
		t.Fatalf("adaptive suggestion %+v: want advance, stay or step_back", s.Body)
	}
	// The physiology reaches the engine, every 5 s, as recorded inputs
	// (so the session still replays).
	metrics := 0
	for deadline := time.Now().Add(15 * time.Second); metrics == 0; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no heart-rate z-score reached the engine")
		}
		st, raw := f.th.Raw(http.MethodGet, "/api/sessions/"+id+"/events", nil)
		events, err := protocols.ReadEvents(bytes.NewReader(raw))
		if st != http.StatusOK || err != nil {
			t.Fatalf("event log: %d %v", st, err)
		}
		for _, ev := range events {
			if ev.Type == protocols.EvMetrics && ev.Metrics != nil && ev.Metrics.HRZ != nil {
				metrics++
			}
		}
	}
	// Suggest-only: the scene stays on the step the therapist chose.
	var inputs int
	var rows []struct{ Kind string }
	f.th.Do(http.MethodGet, "/api/sessions/"+id+"/timeline", nil, &rows)
	for _, r := range rows {
		if r.Kind == "engine.step.enter" {
			inputs++
		}
	}
	if inputs != 1 {
		t.Fatalf("%d step entries: an adaptive suggestion moved the ladder by itself", inputs)
	}
}
