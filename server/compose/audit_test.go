package compose_test

import (
	"net/http"
	"testing"

	"github.com/havenvr/haven/server/store"
)

// TestChangesAreAudited checks that every change this package makes — and
// every read of a patient's ladder — appends exactly one audit event naming
// the acting therapist, their clinic, the target and the exact revision, that
// a no-op or refused request appends none, and that a clinic admin sees the
// events through GET /api/audit while another clinic's admin does not.
func TestChangesAreAudited(t *testing.T) {
	t.Parallel()
	e := setup(t)
	actor, _ := e.a.User["id"].(string)
	if actor == "" {
		t.Fatalf("signed-in therapist has no id: %v", e.a.User)
	}

	var comp compositionRev
	var proto protocolRev
	doc := map[string]any{"name": "Balcony", "template": "heights", "params": map[string]any{"floor": 5}}
	ladder := library(t, e.a, "spiders_ladder")
	ladderPath := "/api/patients/" + e.patA + "/ladder"

	type want struct {
		action, target string
		id, detail     func() string // evaluated after the request
	}
	steps := []struct {
		name   string
		do     func(t *testing.T)
		audits []want // nil: the step must append nothing
	}{
		{"create composition", func(t *testing.T) {
			if st := e.a.Do(http.MethodPost, "/api/compositions", doc, &comp); st != http.StatusCreated {
				t.Fatalf("status %d", st)
			}
		}, []want{{"composition.create", "composition", func() string { return comp.ID }, func() string { return comp.Hash }}}},
		{"update composition", func(t *testing.T) {
			doc["params"] = map[string]any{"floor": 12}
			if st := e.a.Do(http.MethodPut, "/api/compositions/"+comp.ID, doc, &comp); st != http.StatusOK || comp.Revision != 2 {
				t.Fatalf("status %d revision %d", st, comp.Revision)
			}
		}, []want{{"composition.update", "composition", func() string { return comp.ID }, func() string { return "rev 2 " + comp.Hash }}}},
		{"refused composition update", func(t *testing.T) {
			bad := map[string]any{"name": "Balcony", "template": "forest"}
			expectError(t, e.a, http.MethodPut, "/api/compositions/"+comp.ID, bad, http.StatusUnprocessableEntity, "validation", "template")
		}, nil},
		{"create protocol", func(t *testing.T) {
			if st := e.a.Do(http.MethodPost, "/api/protocols", ladder, &proto); st != http.StatusCreated {
				t.Fatalf("status %d", st)
			}
		}, []want{{"protocol.create", "protocol", func() string { return proto.ID }, func() string { return proto.Hash }}}},
		{"update protocol", func(t *testing.T) {
			ladder["mode"] = "inhibitory"
			if st := e.a.Do(http.MethodPut, "/api/protocols/"+proto.ID, ladder, &proto); st != http.StatusOK || proto.Revision != 2 {
				t.Fatalf("status %d revision %d", st, proto.Revision)
			}
		}, []want{{"protocol.update", "protocol", func() string { return proto.ID }, func() string { return "rev 2 " + proto.Hash }}}},
		{"unchanged protocol update stores nothing", func(t *testing.T) {
			var again protocolRev
			if st := e.a.Do(http.MethodPut, "/api/protocols/"+proto.ID, ladder, &again); st != http.StatusOK || !again.Unchanged {
				t.Fatalf("status %d unchanged %v", st, again.Unchanged)
			}
		}, nil},
		{"assign clinic ladder", func(t *testing.T) {
			if st := e.a.Do(http.MethodPost, ladderPath, map[string]any{"protocol_id": proto.ID, "revision": 2}, nil); st != http.StatusCreated {
				t.Fatalf("status %d", st)
			}
		}, []want{{"patient.ladder_assign", "patient", func() string { return e.patA }, func() string { return "clinic:" + proto.ID + " rev 2" }}}},
		{"read ladder", func(t *testing.T) {
			if st := e.a.Do(http.MethodGet, ladderPath, nil, nil); st != http.StatusOK {
				t.Fatalf("status %d", st)
			}
		}, []want{{"patient.ladder_read", "patient", func() string { return e.patA }, func() string { return "clinic:" + proto.ID + " rev 2" }}}},
		{"assign library ladder", func(t *testing.T) {
			if st := e.a.Do(http.MethodPost, ladderPath, map[string]any{"protocol_id": "heights_ladder"}, nil); st != http.StatusCreated {
				t.Fatalf("status %d", st)
			}
		}, []want{{"patient.ladder_assign", "patient", func() string { return e.patA }, func() string { return "library:heights_ladder rev 1" }}}},
		{"refused assignment", func(t *testing.T) {
			expectError(t, e.a, http.MethodPost, ladderPath, map[string]any{"protocol_id": "box_breathing"}, http.StatusUnprocessableEntity, "validation", "protocol_id")
		}, nil},
		{"another clinic's ladder read", func(t *testing.T) {
			expectError(t, e.b, http.MethodGet, ladderPath, nil, http.StatusNotFound, "not_found", "")
		}, nil},
		{"archive composition", func(t *testing.T) {
			if st := e.a.Do(http.MethodDelete, "/api/compositions/"+comp.ID, nil, nil); st != http.StatusNoContent {
				t.Fatalf("status %d", st)
			}
		}, []want{{"composition.archive", "composition", func() string { return comp.ID }, func() string { return "rev 2" }}}},
		{"archive composition again", func(t *testing.T) {
			if st := e.a.Do(http.MethodDelete, "/api/compositions/"+comp.ID, nil, nil); st != http.StatusNoContent {
				t.Fatalf("status %d", st)
			}
		}, nil},
		{"refused revision of an archived composition", func(t *testing.T) {
			expectError(t, e.a, http.MethodPut, "/api/compositions/"+comp.ID, doc, http.StatusConflict, "archived", "")
		}, nil},
		{"another clinic's restore", func(t *testing.T) {
			expectError(t, e.b, http.MethodPost, "/api/compositions/"+comp.ID+"/restore", nil, http.StatusNotFound, "not_found", "")
		}, nil},
		{"restore composition", func(t *testing.T) {
			if st := e.a.Do(http.MethodPost, "/api/compositions/"+comp.ID+"/restore", nil, nil); st != http.StatusOK {
				t.Fatalf("status %d", st)
			}
		}, []want{{"composition.restore", "composition", func() string { return comp.ID }, func() string { return "rev 2" }}}},
		{"archive protocol", func(t *testing.T) {
			if st := e.a.Do(http.MethodDelete, "/api/protocols/"+proto.ID, nil, nil); st != http.StatusNoContent {
				t.Fatalf("status %d", st)
			}
		}, []want{{"protocol.archive", "protocol", func() string { return proto.ID }, func() string { return "rev 2" }}}},
		{"refused assignment of an archived ladder", func(t *testing.T) {
			expectError(t, e.a, http.MethodPost, ladderPath, map[string]any{"protocol_id": proto.ID}, http.StatusConflict, "archived", "protocol_id")
		}, nil},
		{"another clinic's archive", func(t *testing.T) {
			expectError(t, e.b, http.MethodDelete, "/api/protocols/"+proto.ID, nil, http.StatusNotFound, "not_found", "")
		}, nil},
		{"restore protocol", func(t *testing.T) {
			if st := e.a.Do(http.MethodPost, "/api/protocols/"+proto.ID+"/restore", nil, nil); st != http.StatusOK {
				t.Fatalf("status %d", st)
			}
		}, []want{{"protocol.restore", "protocol", func() string { return proto.ID }, func() string { return "rev 2" }}}},
		{"restore protocol again", func(t *testing.T) {
			if st := e.a.Do(http.MethodPost, "/api/protocols/"+proto.ID+"/restore", nil, nil); st != http.StatusOK {
				t.Fatalf("status %d", st)
			}
		}, nil},
	}
	var lastID uint64
	if err := e.s.App.Store.DB.Model(&store.AuditEvent{}).Select("COALESCE(MAX(id), 0)").Scan(&lastID).Error; err != nil {
		t.Fatal(err)
	}
	for _, s := range steps {
		// Steps depend on each other, so a failure stops the sequence.
		if !t.Run(s.name, func(t *testing.T) {
			s.do(t)
			var got []store.AuditEvent
			if err := e.s.App.Store.DB.Where("id > ?", lastID).Order("id").Find(&got).Error; err != nil {
				t.Fatal(err)
			}
			if len(got) > 0 {
				lastID = got[len(got)-1].ID
			}
			if len(got) != len(s.audits) {
				t.Fatalf("%d audit events appended, want %d: %+v", len(got), len(s.audits), got)
			}
			for i, w := range s.audits {
				ev := got[i]
				if ev.Action != w.action || ev.Target != w.target || ev.TargetID != w.id() || ev.Detail != w.detail() ||
					ev.ActorID != actor || ev.ClinicID != e.clinicA || ev.CreatedAt.IsZero() {
					t.Errorf("audit event %+v; want action %s target %s/%s detail %q by %s in clinic %s",
						ev, w.action, w.target, w.id(), w.detail(), actor, e.clinicA)
				}
			}
		}) {
			return
		}
	}

	// The clinic's admin lists them; the other clinic's admin sees none of them.
	wantActions := map[string]int{}
	for _, s := range steps {
		for _, w := range s.audits {
			wantActions[w.action]++
		}
	}
	for _, tc := range []struct {
		name   string
		clinic string
		want   map[string]int
	}{
		{"own clinic's admin", e.clinicA, wantActions},
		{"other clinic's admin", e.clinicB, map[string]int{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			admin := e.s.SignIn(t, tc.clinic, store.RoleAdmin)
			var list struct{ Events []store.AuditEvent }
			if st := admin.Do(http.MethodGet, "/api/audit", nil, &list); st != http.StatusOK {
				t.Fatalf("GET /api/audit: %d", st)
			}
			got := map[string]int{}
			for _, ev := range list.Events {
				if ev.ClinicID != tc.clinic {
					t.Errorf("event of clinic %s listed to clinic %s: %+v", ev.ClinicID, tc.clinic, ev)
				}
				switch ev.Action {
				case "composition.create", "composition.update", "protocol.create", "protocol.update",
					"composition.archive", "composition.restore", "protocol.archive", "protocol.restore",
					"patient.ladder_assign", "patient.ladder_read":
					got[ev.Action]++
				}
			}
			for action, n := range tc.want {
				if got[action] != n {
					t.Errorf("%s: %d listed, want %d", action, got[action], n)
				}
			}
			for action, n := range got {
				if tc.want[action] == 0 {
					t.Errorf("%s: %d listed, want none", action, n)
				}
			}
		})
	}
	t.Logf("%d kinds of audited compose action checked", len(wantActions))
}
