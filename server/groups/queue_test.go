package groups_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/havenvr/haven/server/apptest"
	"github.com/havenvr/haven/server/groups"
	"github.com/havenvr/haven/server/store"
)

// auditOf returns a room's moderation audit, by action.
func (e *env) auditOf(t *testing.T, roomID string) map[string][]groups.AuditEntry {
	t.Helper()
	var list []groups.AuditEntry
	if st := e.mod.Do(http.MethodGet, "/api/groups/rooms/"+roomID+"/audit", nil, &list); st != http.StatusOK {
		t.Fatalf("audit: %d", st)
	}
	out := map[string][]groups.AuditEntry{}
	for _, ev := range list {
		out[ev.Action] = append(out[ev.Action], ev)
	}
	return out
}

// TestQueueDecisions: a held crisis message is audited at once as
// group.crisis_held (by automod, naming the pseudonym and the queue item,
// never the words). A moderator dismisses it and a report: both leave the
// queue, stay out of the room, are kept as resolved items and are audited
// as group.queue_dismiss. Wrong decisions, items and rooms are refused with
// exact codes, and a dismissed item cannot be released afterwards.
func TestQueueDecisions(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	room := e.room(t, map[string]any{"lobby": false})
	other := e.room(t, map[string]any{"lobby": false})
	mod := e.moderator(t, room.ID)
	a := e.join(t, room.Code, nil)
	pa := e.member(t, room.ID, a.Token)
	b := e.join(t, room.Code, nil)
	pb := e.member(t, room.ID, b.Token)

	const words = "I want to end my life tonight"
	pa.send("chat.send", map[string]any{"text": words})
	pa.expect("crisis.resources", nil)
	crisisID, _ := mod.expect("mod.alert", func(f frame) bool { return f.Body["kind"] == "crisis" }).Body["queue_id"].(string)
	pa.send("chat.send", map[string]any{"text": "you are all hopeless"})
	m := pb.expect("chat.msg", textIs("you are all hopeless"))
	pb.send("chat.report", map[string]any{"msg": m.Body["id"], "reason": "harmful"})
	reportID, _ := mod.expect("mod.alert", func(f frame) bool { return f.Body["kind"] == "report_harmful" }).Body["queue_id"].(string)
	if crisisID == "" || reportID == "" {
		t.Fatalf("alerts without queue ids: %q %q", crisisID, reportID)
	}

	t.Run("crisis held is audited by automod without the words", func(t *testing.T) {
		held := e.auditOf(t, room.ID)["group.crisis_held"]
		if len(held) != 1 {
			t.Fatalf("%d group.crisis_held events, want 1", len(held))
		}
		ev := held[0]
		if ev.ActorID != "automod" || ev.Detail["pseudonym"] != a.Pseudonym || ev.Detail["queue_id"] != crisisID {
			t.Fatalf("group.crisis_held = %+v, want automod, %q, queue %q", ev, a.Pseudonym, crisisID)
		}
		if d := toJSON(ev.Detail); strings.Contains(d, "end my life") || ev.Detail["text"] != nil {
			t.Fatalf("the audit keeps the member's words: %s", d)
		}
	})

	resolve := func(roomID, item, decision string) (int, []byte) {
		return e.mod.Raw(http.MethodPost, "/api/groups/rooms/"+roomID+"/queue/"+item, map[string]any{"decision": decision, "reason": "reviewed " + decision})
	}
	for _, tc := range []struct {
		name, room, item, decision string
		want                       int
		code, field                string
	}{
		{"release a report: only held messages", room.ID, reportID, "release", http.StatusUnprocessableEntity, "validation", "decision"},
		{"unknown decision", room.ID, crisisID, "delete", http.StatusUnprocessableEntity, "validation", "decision"},
		{"item through another room", other.ID, crisisID, "dismiss", http.StatusNotFound, "not_found", ""},
		{"unknown item", room.ID, store.NewID(), "dismiss", http.StatusNotFound, "not_found", ""},
		{"dismiss the held crisis message", room.ID, crisisID, "dismiss", http.StatusOK, "", ""},
		{"dismiss the report", room.ID, reportID, "dismiss", http.StatusOK, "", ""},
		{"dismissed again", room.ID, crisisID, "dismiss", http.StatusNotFound, "not_found", ""},
		{"release after dismissal", room.ID, crisisID, "release", http.StatusNotFound, "not_found", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, raw := resolve(tc.room, tc.item, tc.decision)
			wantStatus(t, tc.name, st, raw, tc.want, tc.code, tc.field)
		})
	}

	t.Run("dismissed: out of the queue and the room, kept resolved, audited", func(t *testing.T) {
		pb.t, mod.t = t, t
		var queue []groups.QueueItem
		if st := e.mod.Do(http.MethodGet, "/api/groups/rooms/"+room.ID+"/queue", nil, &queue); st != http.StatusOK || len(queue) != 0 {
			t.Fatalf("queue after dismissing: %d %+v", st, queue)
		}
		var rows []store.GroupQueueItem
		e.srv.App.Store.DB.Where("room_id = ?", room.ID).Order("created_at").Find(&rows)
		if len(rows) != 2 {
			t.Fatalf("%d stored items, want the 2 dismissed ones (kept until the room's retention ends)", len(rows))
		}
		for _, r := range rows {
			if r.Decision != "dismiss" || r.ResolvedAt == nil || r.ResolvedBy != e.mod.User["id"] {
				t.Fatalf("item %s: decision %q resolved %v by %q", r.Kind, r.Decision, r.ResolvedAt, r.ResolvedBy)
			}
		}
		kinds := map[string]string{crisisID: "crisis", reportID: "report_harmful"}
		dismissed := e.auditOf(t, room.ID)["group.queue_dismiss"]
		if len(dismissed) != 2 {
			t.Fatalf("%d group.queue_dismiss events, want 2", len(dismissed))
		}
		for _, ev := range dismissed {
			id, _ := ev.Detail["queue_id"].(string)
			if ev.ActorID != e.mod.User["id"] || ev.Detail["kind"] != kinds[id] || ev.Detail["pseudonym"] != a.Pseudonym || ev.Detail["reason"] != "reviewed dismiss" {
				t.Fatalf("group.queue_dismiss = %+v", ev)
			}
			delete(kinds, id)
		}
		if audit := e.auditOf(t, room.ID); len(audit["group.queue_release"]) != 0 {
			t.Fatalf("refused releases were audited: %+v", audit["group.queue_release"])
		}
		mod.send("chat.send", map[string]any{"text": "after the review"})
		pb.expectClean("chat.msg", textIs("after the review"), textHas("end my life"))
	})
}

// TestClinicCrisisPhrases: a therapist edits the clinic's English crisis
// list (a moderator may read it, not change it; bad locale, kind or body are
// refused); a message that passed before the edit is held after it (the
// compiled lists are rebuilt), privately answered with crisis resources and
// alerted to moderators, never shown to the room; another locale's built-in
// list still applies; the edit is audited once.
func TestClinicCrisisPhrases(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	therapist := e.srv.SignIn(t, e.clinic.ID, store.RoleTherapist)
	_, mod, a, pa, _, pb := e.roomWithTwo(t)

	const phrase = "purple elephant plan"
	pa.send("chat.send", map[string]any{"text": "before: my purple elephant plan"})
	pb.expect("chat.msg", textIs("before: my purple elephant plan"))

	list := map[string]any{"phrases": []string{phrase}}
	for _, tc := range []struct {
		name  string
		as    *apptest.Client
		path  string
		body  any
		want  int
		code  string
		field string
	}{
		{"moderator may not edit", e.mod, "/api/groups/phrases/en/crisis", list, http.StatusForbidden, "forbidden", ""},
		{"unshipped locale", therapist, "/api/groups/phrases/xx/crisis", list, http.StatusUnprocessableEntity, "validation", "locale"},
		{"unknown kind", therapist, "/api/groups/phrases/en/worry", list, http.StatusUnprocessableEntity, "validation", "kind"},
		{"body without the list", therapist, "/api/groups/phrases/en/crisis", map[string]any{}, http.StatusUnprocessableEntity, "validation", "phrases"},
		{"therapist saves the list", therapist, "/api/groups/phrases/en/crisis", list, http.StatusOK, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, raw := tc.as.Raw(http.MethodPut, tc.path, tc.body)
			wantStatus(t, tc.name, st, raw, tc.want, tc.code, tc.field)
		})
	}
	var got struct {
		Phrases []string
		Custom  bool
	}
	if st := e.mod.Do(http.MethodGet, "/api/groups/phrases/en/crisis", nil, &got); st != http.StatusOK || !got.Custom || len(got.Phrases) != 1 || got.Phrases[0] != phrase {
		t.Fatalf("crisis list read by a moderator: %d %+v", st, got)
	}

	for _, tc := range []struct{ name, text, alert string }{
		{"the clinic's new phrase", "Tonight: the Purple Elephant Plan", "Purple Elephant Plan"},
		{"another locale's built-in phrase", "a veces quiero morir", "quiero morir"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pa.t, pb.t, mod.t = t, t, t
			pa.send("chat.send", map[string]any{"text": tc.text})
			if res := pa.expect("crisis.resources", nil); len(res.Body["resources"].([]any)) == 0 {
				t.Fatal("crisis panel without resources")
			}
			alert := mod.expect("mod.alert", func(f frame) bool { return f.Body["kind"] == "crisis" })
			if alert.Body["pseudonym"] != a.Pseudonym || !strings.Contains(alert.Body["text"].(string), tc.alert) {
				t.Fatalf("alert = %v", alert.Body)
			}
			marker := "marker: " + tc.name
			mod.send("chat.send", map[string]any{"text": marker})
			pb.expectClean("chat.msg", textIs(marker), textIs(tc.text))
		})
	}

	var evs []store.AuditEvent
	e.srv.App.Store.DB.Where("clinic_id = ? AND action = ?", e.clinic.ID, "group.phrases_update").Find(&evs)
	if len(evs) != 1 || evs[0].ActorID != therapist.User["id"] || evs[0].TargetID != e.clinic.ID {
		t.Fatalf("phrase-list audit = %+v, want one event by the therapist", evs)
	}
	var d map[string]any
	if err := json.Unmarshal([]byte(evs[0].Detail), &d); err != nil || d["locale"] != "en" || d["kind"] != "crisis" || d["count"] != float64(1) {
		t.Fatalf("phrase-list audit detail = %s", evs[0].Detail)
	}

	// Dropping the clinic's list brings Haven's built-in one back.
	pa.t, pb.t, mod.t = t, t, t
	if st, raw := e.mod.Raw(http.MethodDelete, "/api/groups/phrases/en/crisis", nil); st != http.StatusForbidden {
		t.Fatalf("a moderator reset the list: %d %s", st, raw)
	}
	if st := therapist.Do(http.MethodDelete, "/api/groups/phrases/en/crisis", nil, &got); st != http.StatusOK || got.Custom || !slices.Contains(got.Phrases, "want to die") {
		t.Fatalf("reset: %d %+v", st, got)
	}
	pa.send("chat.send", map[string]any{"text": "after: my purple elephant plan"})
	pb.expect("chat.msg", textIs("after: my purple elephant plan"))
	pa.send("chat.send", map[string]any{"text": "some days I want to die"})
	pa.expect("crisis.resources", nil)
	e.srv.App.Store.DB.Where("clinic_id = ? AND action = ?", e.clinic.ID, "group.phrases_reset").Find(&evs)
	if len(evs) != 1 || evs[0].ActorID != therapist.User["id"] {
		t.Fatalf("reset audit = %+v, want one event by the therapist", evs)
	}
}

// TestCrisisResourcesNeedLastVerified: a clinic's crisis lines are only
// saved with the date each was last checked (missing, zero or more than a
// day ahead is refused, naming the entry); a refused list changes nothing;
// only therapists and admins edit the list.
func TestCrisisResourcesNeedLastVerified(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	therapist := e.srv.SignIn(t, e.clinic.ID, store.RoleTherapist)
	now := time.Now().UTC()
	checked := now.AddDate(0, -1, 0).Truncate(24 * time.Hour)
	line := func(name string, verified any) map[string]any {
		r := map[string]any{"country": "GB", "name": name, "phone": "0800 000 1111", "hours": "24/7"}
		if verified != nil {
			r["last_verified"] = verified
		}
		return r
	}
	good := line("Clinic crisis line", checked)
	type saved struct {
		name     string
		verified time.Time
	}
	for _, tc := range []struct {
		name  string
		as    *apptest.Client
		body  []map[string]any
		want  int
		field string
		after saved // the clinic's list afterwards
	}{
		{"moderator may not edit", e.mod, []map[string]any{good}, http.StatusForbidden, "", saved{}},
		{"saved with its date", therapist, []map[string]any{good}, http.StatusOK, "", saved{"Clinic crisis line", checked}},
		{"no last_verified", therapist, []map[string]any{line("Undated line", nil)}, http.StatusUnprocessableEntity, "resources[0].last_verified", saved{"Clinic crisis line", checked}},
		{"zero date", therapist, []map[string]any{line("Zero line", time.Time{})}, http.StatusUnprocessableEntity, "resources[0].last_verified", saved{"Clinic crisis line", checked}},
		{"days ahead", therapist, []map[string]any{line("Future line", now.Add(72*time.Hour))}, http.StatusUnprocessableEntity, "resources[0].last_verified", saved{"Clinic crisis line", checked}},
		{"second entry undated", therapist, []map[string]any{line("Dated line", checked), line("Undated line", nil)}, http.StatusUnprocessableEntity, "resources[1].last_verified", saved{"Clinic crisis line", checked}},
		{"hours ahead (another time zone's today)", therapist, []map[string]any{line("Checked today", now.Add(12*time.Hour).Truncate(time.Second))}, http.StatusOK, "", saved{"Checked today", now.Add(12 * time.Hour).Truncate(time.Second)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, raw := tc.as.Raw(http.MethodPut, "/api/groups/resources", tc.body)
			switch {
			case tc.want == http.StatusOK:
				wantStatus(t, tc.name, st, raw, tc.want, "", "")
				if string(raw) != `{"count":1}`+"\n" && string(raw) != `{"count":1}` {
					t.Fatalf("answer %s", raw)
				}
			case tc.want == http.StatusForbidden:
				wantStatus(t, tc.name, st, raw, tc.want, "forbidden", "")
			default:
				wantStatus(t, tc.name, st, raw, tc.want, "validation", tc.field)
			}
			var list struct{ Clinic []groups.CrisisResource }
			if st := e.mod.Do(http.MethodGet, "/api/groups/resources", nil, &list); st != http.StatusOK {
				t.Fatalf("listing: %d", st)
			}
			if tc.after.name == "" {
				if len(list.Clinic) != 0 {
					t.Fatalf("clinic list = %+v, want none", list.Clinic)
				}
				return
			}
			if len(list.Clinic) != 1 || list.Clinic[0].Name != tc.after.name || !list.Clinic[0].LastVerified.Equal(tc.after.verified) {
				t.Fatalf("clinic list = %+v, want only %q checked %s", list.Clinic, tc.after.name, tc.after.verified)
			}
		})
	}
}
