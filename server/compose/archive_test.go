package compose_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/havenvr/haven/server/apptest"
	"github.com/havenvr/haven/server/store"
)

// archivable is one kind of clinic item that DELETE archives.
type archivable struct {
	name    string
	path    string // collection: /api/compositions or /api/protocols
	listKey string // the list's JSON key
	field   string // the field that names it when scheduling a session
	rev     string // the field that names its exact revision when scheduling
	first   func(t *testing.T, e *env) map[string]any
	second  func(doc map[string]any) // edits the document for revision 2
	third   func(doc map[string]any) // and for revision 3
}

var archivables = []archivable{
	{
		name: "composition", path: "/api/compositions", listKey: "compositions", field: "composition_id", rev: "composition_revision",
		first: func(*testing.T, *env) map[string]any {
			return map[string]any{"name": "Balcony", "template": "heights", "params": map[string]any{"floor": 5}}
		},
		second: func(doc map[string]any) { doc["params"] = map[string]any{"floor": 12} },
		third:  func(doc map[string]any) { doc["params"] = map[string]any{"floor": 20} },
	},
	{
		name: "protocol", path: "/api/protocols", listKey: "protocols", field: "protocol_id", rev: "protocol_revision",
		first:  func(t *testing.T, e *env) map[string]any { return library(t, e.a, "heights_ladder") },
		second: func(doc map[string]any) { doc["mode"] = "inhibitory" },
		third:  func(doc map[string]any) { doc["mode"] = "habituation" },
	},
}

// archivedItem is the part of a composition or protocol view archiving shows.
type archivedItem struct {
	ID         string     `json:"id"`
	Revision   int        `json:"revision"`
	Latest     int        `json:"latest"`
	Hash       string     `json:"hash"`
	ArchivedAt *time.Time `json:"archived_at"`
	ArchivedBy string     `json:"archived_by"`
}

// TestArchiveRestore archives a composition and a clinic protocol (DELETE),
// and checks, for each: lists leave it out unless ?archived=1, every
// revision stays readable with archived_at, a new revision, a new session
// and (for a ladder) a new assignment are refused with the coded archived
// error and change nothing, sessions and the assignment made before keep
// their exact revision, another clinic gets 404 and changes nothing, each
// change is audited once and repeats are no-ops, and restoring undoes it all.
func TestArchiveRestore(t *testing.T) {
	t.Parallel()
	for _, k := range archivables {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			e := setup(t)
			actor, _ := e.a.User["id"].(string)
			doc := k.first(t, e)
			var v1, v2 archivedItem
			if st := e.a.Do(http.MethodPost, k.path, doc, &v1); st != http.StatusCreated {
				t.Fatalf("create: %d", st)
			}
			k.second(doc)
			if st := e.a.Do(http.MethodPut, k.path+"/"+v1.ID, doc, &v2); st != http.StatusOK || v2.Revision != 2 {
				t.Fatalf("revision 2: %d %+v", st, v2)
			}
			item := k.path + "/" + v1.ID

			// Planned before the archive: a session on revision 1, one on
			// the latest, and (protocols) the patient's ladder.
			sessOld := e.schedule(t, map[string]any{k.field: v1.ID, k.rev: 1})
			sessNew := e.schedule(t, map[string]any{k.field: v1.ID})
			if k.name == "protocol" {
				if st := e.a.Do(http.MethodPost, "/api/patients/"+e.patA+"/ladder", map[string]any{"protocol_id": v1.ID, "revision": 2}, nil); st != http.StatusCreated {
					t.Fatalf("assigning the ladder: %d", st)
				}
			}

			mark := e.lastAudit(t)
			if st := e.a.Do(http.MethodDelete, item, nil, nil); st != http.StatusNoContent {
				t.Fatalf("archive: %d", st)
			}
			e.expectAudits(t, &mark, actor, v1.ID, k.name+".archive rev 2")
			var got archivedItem
			if st := e.a.Do(http.MethodGet, item, nil, &got); st != http.StatusOK || got.ArchivedAt == nil || got.ArchivedBy != actor || got.Revision != 2 {
				t.Fatalf("archived item: %d %+v", st, got)
			}
			archivedAt := *got.ArchivedAt

			t.Run("archiving again changes nothing", func(t *testing.T) {
				before := e.counts(t)
				if st := e.a.Do(http.MethodDelete, item, nil, nil); st != http.StatusNoContent {
					t.Fatalf("archive again: %d", st)
				}
				sameCounts(t, before, e.counts(t))
				var again archivedItem
				e.a.Do(http.MethodGet, item, nil, &again)
				if again.ArchivedAt == nil || !again.ArchivedAt.Equal(archivedAt) {
					t.Fatalf("archived_at moved from %v to %v", archivedAt, again.ArchivedAt)
				}
			})

			t.Run("lists", func(t *testing.T) {
				if ids := e.listed(t, k, ""); ids[v1.ID] != nil {
					t.Errorf("%s lists the archived %s", k.path, k.name)
				}
				all := e.listed(t, k, "?archived=1")
				if a := all[v1.ID]; a == nil || a.ArchivedAt == nil || a.Revision != 2 {
					t.Errorf("%s?archived=1: %+v, want the archived %s with archived_at", k.path, a, k.name)
				}
				expectError(t, e.a, http.MethodGet, k.path+"?archived=yes", nil, http.StatusUnprocessableEntity, "validation", "archived")
			})

			t.Run("revisions stay readable", func(t *testing.T) {
				for _, path := range []string{item + "/revisions/1", item + "/revisions/2"} {
					var r archivedItem
					if st := e.a.Do(http.MethodGet, path, nil, &r); st != http.StatusOK || r.ArchivedAt == nil {
						t.Errorf("GET %s: %d %+v", path, st, r)
					}
				}
				var revs struct{ Revisions []archivedItem }
				if st := e.a.Do(http.MethodGet, item+"/revisions", nil, &revs); st != http.StatusOK || len(revs.Revisions) != 2 || revs.Revisions[0].ArchivedAt == nil {
					t.Errorf("revisions: %d %+v", st, revs)
				}
			})

			refusals := []struct {
				name, method, path string
				body               any
				field              string
			}{
				{"new revision", http.MethodPut, item, doc, ""},
				{"session on the latest revision", http.MethodPost, "/api/sessions", map[string]any{"patient_id": e.patA, k.field: v1.ID}, k.field},
				{"session on an exact revision", http.MethodPost, "/api/sessions", map[string]any{"patient_id": e.patA, k.field: v1.ID, k.rev: 1}, k.field},
			}
			if k.name == "protocol" {
				refusals = append(refusals, struct {
					name, method, path string
					body               any
					field              string
				}{"ladder assignment", http.MethodPost, "/api/patients/" + e.patA + "/ladder", map[string]any{"protocol_id": v1.ID, "revision": 1}, "protocol_id"})
			}
			for _, r := range refusals {
				t.Run("refused "+r.name, func(t *testing.T) {
					before, sessions := e.counts(t), e.sessions(t)
					expectError(t, e.a, r.method, r.path, r.body, http.StatusConflict, "archived", r.field)
					sameCounts(t, before, e.counts(t))
					if n := e.sessions(t); n != sessions {
						t.Errorf("%d sessions before, %d after", sessions, n)
					}
				})
			}

			t.Run("the message is localized", func(t *testing.T) {
				var en, de apiError
				e.a.Do(http.MethodPut, item+"?lang=en", doc, &en)
				e.a.Do(http.MethodPut, item+"?lang=de", doc, &de)
				if en.Error.Message == "" || en.Error.Message == de.Error.Message || en.Error.Message == "error.archived" {
					t.Errorf("archived message en %q, de %q", en.Error.Message, de.Error.Message)
				}
			})

			t.Run("planned sessions keep their exact revision", func(t *testing.T) {
				for _, s := range []struct {
					id  string
					rev int
				}{{sessOld, 1}, {sessNew, 2}} {
					var sv map[string]any
					if st := e.a.Do(http.MethodGet, "/api/sessions/"+s.id, nil, &sv); st != http.StatusOK {
						t.Fatalf("GET session: %d", st)
					}
					if sv[k.field] != v1.ID || sv[k.rev] != float64(s.rev) {
						t.Errorf("session %s names %v rev %v, want %s rev %d", s.id, sv[k.field], sv[k.rev], v1.ID, s.rev)
					}
				}
				if k.name == "protocol" {
					var l struct {
						Assignment *struct {
							ProtocolID string `json:"protocol_id"`
							Revision   int    `json:"revision"`
							Hash       string `json:"hash"`
						} `json:"assignment"`
					}
					if st := e.a.Do(http.MethodGet, "/api/patients/"+e.patA+"/ladder", nil, &l); st != http.StatusOK || l.Assignment == nil ||
						l.Assignment.ProtocolID != v1.ID || l.Assignment.Revision != 2 || l.Assignment.Hash != v2.Hash {
						t.Errorf("patient's ladder after the archive: %d %+v", st, l.Assignment)
					}
				}
				// The session scheduled on revision 1 runs: a practice run of it
				// with a simulated headset goes live on its stored copy.
				var practice struct{ ID string }
				if st := e.a.Do(http.MethodPost, "/api/sessions/"+sessOld+"/simulate", nil, &practice); st != http.StatusAccepted {
					t.Fatalf("simulate the archived %s's session: %d", k.name, st)
				}
				e.waitState(t, practice.ID, store.LiveLive)
				if st := e.a.Do(http.MethodPost, "/api/sessions/"+practice.ID+"/end", nil, nil); st != http.StatusOK {
					t.Errorf("end: %d", st)
				}
			})

			t.Run("another clinic", func(t *testing.T) {
				before := e.counts(t)
				expectError(t, e.b, http.MethodDelete, item, nil, http.StatusNotFound, "not_found", "")
				expectError(t, e.b, http.MethodPost, item+"/restore", nil, http.StatusNotFound, "not_found", "")
				expectError(t, e.b, http.MethodGet, item, nil, http.StatusNotFound, "not_found", "")
				if ids := e.listedBy(t, e.b, k, "?archived=1"); len(ids) != 0 {
					t.Errorf("clinic B lists %d of clinic A's items", len(ids))
				}
				sameCounts(t, before, e.counts(t))
				var still archivedItem
				e.a.Do(http.MethodGet, item, nil, &still)
				if still.ArchivedAt == nil {
					t.Errorf("clinic B's restore restored clinic A's %s", k.name)
				}
			})

			t.Run("restore", func(t *testing.T) {
				mark := e.lastAudit(t)
				var r archivedItem
				if st := e.a.Do(http.MethodPost, item+"/restore", nil, &r); st != http.StatusOK || r.ArchivedAt != nil || r.ArchivedBy != "" || r.Revision != 2 {
					t.Fatalf("restore: %d %+v", st, r)
				}
				e.expectAudits(t, &mark, actor, v1.ID, k.name+".restore rev 2")
				if st := e.a.Do(http.MethodPost, item+"/restore", nil, &r); st != http.StatusOK || r.ArchivedAt != nil {
					t.Fatalf("restore again: %d %+v", st, r)
				}
				e.expectAudits(t, &mark, actor, v1.ID)
				if e.listed(t, k, "")[v1.ID] == nil {
					t.Errorf("the restored %s is not listed", k.name)
				}
				k.third(doc)
				var v3 archivedItem
				if st := e.a.Do(http.MethodPut, item, doc, &v3); st != http.StatusOK || v3.Revision != 3 {
					t.Errorf("new revision after restore: %d %+v", st, v3)
				}
				e.schedule(t, map[string]any{k.field: v1.ID})
			})
		})
	}
}

// schedule creates a session for patient A; plan names what it runs.
func (e *env) schedule(t *testing.T, plan map[string]any) string {
	t.Helper()
	plan["patient_id"] = e.patA
	var s struct{ ID string }
	if st, raw := e.a.Raw(http.MethodPost, "/api/sessions", plan); st != http.StatusCreated {
		t.Fatalf("scheduling %v: %d %s", plan, st, raw)
	} else if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	return s.ID
}

// sessions counts the stored live sessions.
func (e *env) sessions(t *testing.T) int64 {
	t.Helper()
	var n int64
	if err := e.s.App.Store.DB.Model(&store.LiveSession{}).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// waitState polls a session of clinic A until it reaches state.
func (e *env) waitState(t *testing.T, id, state string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var sv struct{ State string }
		e.a.Do(http.MethodGet, "/api/sessions/"+id, nil, &sv)
		if sv.State == state {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("session %s is %q, want %q", id, sv.State, state)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (e *env) listed(t *testing.T, k archivable, query string) map[string]*archivedItem {
	t.Helper()
	return e.listedBy(t, e.a, k, query)
}

// listedBy lists k's collection as c, by id.
func (e *env) listedBy(t *testing.T, c *apptest.Client, k archivable, query string) map[string]*archivedItem {
	t.Helper()
	var list map[string][]archivedItem
	if st := c.Do(http.MethodGet, k.path+query, nil, &list); st != http.StatusOK {
		t.Fatalf("GET %s%s: %d", k.path, query, st)
	}
	out := map[string]*archivedItem{}
	for i, it := range list[k.listKey] {
		out[it.ID] = &list[k.listKey][i]
	}
	return out
}

// lastAudit is the newest audit event's id.
func (e *env) lastAudit(t *testing.T) uint64 {
	t.Helper()
	var id uint64
	if err := e.s.App.Store.DB.Model(&store.AuditEvent{}).Select("COALESCE(MAX(id), 0)").Scan(&id).Error; err != nil {
		t.Fatal(err)
	}
	return id
}

// expectAudits checks the audit events after *mark are exactly want
// ("action detail", by actor in clinic A on target id), and moves the mark.
func (e *env) expectAudits(t *testing.T, mark *uint64, actor, id string, want ...string) {
	t.Helper()
	var got []store.AuditEvent
	if err := e.s.App.Store.DB.Where("id > ?", *mark).Order("id").Find(&got).Error; err != nil {
		t.Fatal(err)
	}
	if len(got) > 0 {
		*mark = got[len(got)-1].ID
	}
	if len(got) != len(want) {
		t.Fatalf("%d audit events, want %d (%v): %+v", len(got), len(want), want, got)
	}
	for i, w := range want {
		ev := got[i]
		if ev.Action+" "+ev.Detail != w || ev.TargetID != id || ev.ActorID != actor || ev.ClinicID != e.clinicA {
			t.Errorf("audit event %+v, want %q on %s by %s in clinic %s", ev, w, id, actor, e.clinicA)
		}
	}
}
