package live_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/havenvr/haven/server/simpeer"
	"github.com/havenvr/haven/server/wire"
)

// TestSessionRunsTheExactProtocolRevision: a session scheduled with a
// clinic's own ladder runs the revision it was scheduled with, even after the
// therapist saves a new revision; another clinic cannot schedule it.
func TestSessionRunsTheExactProtocolRevision(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	var gen struct{ Protocol map[string]any }
	if st := f.th.Do(http.MethodPost, "/api/ladders/generate", map[string]any{"template": "spiders", "steps": 8}, &gen); st != http.StatusOK {
		t.Fatalf("generate ladder: %d", st)
	}
	var created struct {
		ID       string
		Revision int
		Template string
	}
	if st := f.th.Do(http.MethodPost, "/api/protocols", gen.Protocol, &created); st != http.StatusCreated || created.Revision != 1 {
		t.Fatalf("create protocol: %d %+v", st, created)
	}
	var sess struct {
		ID          string
		ProtocolID  string `json:"protocol_id"`
		ProtocolRev int    `json:"protocol_revision"`
		Kind        string
	}
	if st := f.th.Do(http.MethodPost, "/api/sessions", map[string]any{"patient_id": f.patientID(), "protocol_id": created.ID}, &sess); st != http.StatusCreated {
		t.Fatalf("schedule with the clinic protocol: %d", st)
	}
	if sess.ProtocolID != created.ID || sess.ProtocolRev != 1 || sess.Kind != "exposure" {
		t.Fatalf("session plan = %+v, want protocol %s revision 1", sess, created.ID)
	}

	// Revision 2 moves the whole ladder onto another template; the scheduled
	// session must still load revision 1's spiders scene.
	gen.Protocol["template"] = "heights"
	var g2 struct{ Protocol map[string]any }
	if st := f.th.Do(http.MethodPost, "/api/ladders/generate", map[string]any{"template": "heights", "steps": 8}, &g2); st != http.StatusOK {
		t.Fatalf("generate heights ladder: %d", st)
	}
	g2.Protocol["kind"] = gen.Protocol["kind"]
	var rev2 struct{ Revision int }
	if st := f.th.Do(http.MethodPut, "/api/protocols/"+created.ID, g2.Protocol, &rev2); st != http.StatusOK || rev2.Revision != 2 {
		t.Fatalf("save revision 2: %d %+v", st, rev2)
	}

	pat := f.patient(sess.ID, simpeer.PatientOptions{})
	th := f.console(sess.ID, "")
	wait(t, th, 10*time.Second, "live", state("live"))
	// After the baseline, the therapist starts the first step.
	wait(t, th, 10*time.Second, "advance suggestion", engineKind("suggest", 0))
	adv := th.Send("cmd.advance", wire.CmdAdvance{})
	wait(t, pat, 5*time.Second, "step.enter", typeSrc("step.enter", adv))
	got := wait(t, pat, 5*time.Second, "the first step's scene", func(r simpeer.Received) bool {
		sl, ok := r.Body.(*wire.SceneLoad)
		return ok && sl.Template != "neutral_room"
	})
	if sl := got.Body.(*wire.SceneLoad); sl.Template != "spiders" {
		t.Fatalf("scene.load template %q, want revision 1's spiders", sl.Template)
	}

	// A later session gets the latest revision unless it names one.
	later := map[string]any{"patient_id": f.patientID(), "protocol_id": created.ID}
	if st := f.th.Do(http.MethodPost, "/api/sessions", later, &sess); st != http.StatusCreated || sess.ProtocolRev != 2 {
		t.Fatalf("latest revision: %d %+v", st, sess)
	}
	later["protocol_revision"] = 1
	if st := f.th.Do(http.MethodPost, "/api/sessions", later, &sess); st != http.StatusCreated || sess.ProtocolRev != 1 {
		t.Fatalf("pinned revision 1: %d %+v", st, sess)
	}

	bad := []struct {
		name string
		body map[string]any
	}{
		{"unknown revision", map[string]any{"protocol_id": created.ID, "protocol_revision": 9}},
		{"unknown protocol", map[string]any{"protocol_id": "no_such_protocol"}},
		{"protocol and composition", map[string]any{"protocol_id": created.ID, "composition_id": "x"}},
		{"unknown composition", map[string]any{"composition_id": "01ZZZZZZZZZZZZZZZZZZZZZZZZ"}},
	}
	for _, tc := range bad {
		tc.body["patient_id"] = f.patientID()
		var e struct{ Error struct{ Code string } }
		if st := f.th.Do(http.MethodPost, "/api/sessions", tc.body, &e); st != http.StatusUnprocessableEntity || e.Error.Code != "validation" {
			t.Errorf("%s: %d %q, want 422 validation", tc.name, st, e.Error.Code)
		}
	}

	// Another clinic's therapist cannot run this clinic's protocol.
	other := f.srv.SignIn(t, f.srv.NewClinic(t, "Other clinic").ID, "therapist")
	var p struct{ ID string }
	if st := other.Do(http.MethodPost, "/api/patients", map[string]any{"code": "O-1", "birth_year": 1980, "screening": map[string]bool{}}, &p); st != http.StatusCreated {
		t.Fatalf("other clinic patient: %d", st)
	}
	var e struct{ Error struct{ Code string } }
	if st := other.Do(http.MethodPost, "/api/sessions", map[string]any{"patient_id": p.ID, "protocol_id": created.ID}, &e); st != http.StatusUnprocessableEntity {
		t.Fatalf("other clinic scheduling our protocol: %d %+v", st, e)
	}
}

// TestSessionFromStoredComposition: scheduling by composition id keeps that
// revision's copy with the session.
func TestSessionFromStoredComposition(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	var comp struct {
		ID       string
		Revision int
	}
	body := map[string]any{"name": "Balcony", "template": "heights", "params": map[string]any{}}
	if st := f.th.Do(http.MethodPost, "/api/compositions", body, &comp); st != http.StatusCreated {
		t.Fatalf("create composition: %d", st)
	}
	var sess struct {
		CompositionID  string          `json:"composition_id"`
		CompositionRev int             `json:"composition_revision"`
		Composition    json.RawMessage `json:"composition"`
		Kind           string
	}
	if st := f.th.Do(http.MethodPost, "/api/sessions", map[string]any{"patient_id": f.patientID(), "composition_id": comp.ID}, &sess); st != http.StatusCreated {
		t.Fatalf("schedule by composition id: %d", st)
	}
	var c struct{ Template string }
	if err := json.Unmarshal(sess.Composition, &c); err != nil || sess.CompositionID != comp.ID || sess.CompositionRev != comp.Revision || c.Template != "heights" || sess.Kind != "exposure" {
		t.Fatalf("session = %+v (%v)", sess, err)
	}
}
