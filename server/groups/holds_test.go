package groups_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestReleasedCrisisMessageKeepsItsSender: a held message a moderator
// releases reaches the room as any message does, with its sender's member
// id (from_id) beside the pseudonym, so that clients attribute it to the
// right member — here two senders whose held messages are released in turn.
func TestReleasedCrisisMessageKeepsItsSender(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	room := e.room(t, map[string]any{"lobby": false})
	mod := e.moderator(t, room.ID)
	reader := e.join(t, room.Code, nil)
	pr := e.member(t, room.ID, reader.Token)
	for _, tc := range []struct{ name, text string }{
		{"first sender", "some days I want to end my life"},
		{"second sender", "I keep thinking I want to kill myself"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pr.t, mod.t = t, t
			sender := e.join(t, room.Code, nil)
			ps := e.member(t, room.ID, sender.Token)
			ps.send("chat.send", map[string]any{"text": tc.text})
			alert := mod.expect("mod.alert", func(f frame) bool { return f.Body["kind"] == "crisis" && f.Body["text"] == tc.text })
			item, _ := alert.Body["queue_id"].(string)
			if st, raw := e.mod.Raw(http.MethodPost, "/api/groups/rooms/"+room.ID+"/queue/"+item,
				map[string]any{"decision": "release", "reason": "talked, safe"}); st != http.StatusOK {
				t.Fatalf("release: %d %s", st, raw)
			}
			got := pr.expect("chat.msg", textIs(tc.text))
			if got.Body["from_id"] != sender.MemberID || got.Body["from"] != sender.Pseudonym || got.Body["role"] != "member" {
				t.Fatalf("released chat.msg = %v, want from %q (%s), a member", got.Body, sender.Pseudonym, sender.MemberID)
			}
		})
	}
}

// TestCrisisHoldSurvivesRecordFailures: when writing the review item or the
// group.crisis_held audit event fails (a trigger refuses the insert), the
// message is still held — never broadcast — the sender still gets the
// crisis panel, moderators are still alerted, the other write still happens,
// and the failure is logged with its context, without the member's words.
func TestCrisisHoldSurvivesRecordFailures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, table, when, logged string
		audited, queued           int
	}{
		{"audit write fails", "audit_events", "NEW.action = 'group.crisis_held'", "groups: auditing held crisis message", 0, 1},
		{"queue write fails", "group_queue_items", "NEW.kind = 'crisis'", "groups: queueing held crisis message", 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := start(t, nil)
			room, mod, a, pa, _, pb := e.roomWithTwo(t)
			trigger := "CREATE TRIGGER refuse_hold BEFORE INSERT ON " + tc.table + " WHEN " + tc.when +
				" BEGIN SELECT RAISE(ABORT, 'injected write failure'); END"
			if err := e.srv.App.Store.DB.Exec(trigger).Error; err != nil {
				t.Fatal(err)
			}
			const words = "tonight I want to end my life"
			pa.send("chat.send", map[string]any{"text": words})
			pa.expect("crisis.resources", nil)
			mod.expect("mod.alert", func(f frame) bool { return f.Body["kind"] == "crisis" && f.Body["pseudonym"] == a.Pseudonym })
			mod.send("chat.send", map[string]any{"text": "marker after the hold"})
			pb.expectClean("chat.msg", textIs("marker after the hold"), textHas("end my life"))

			if n := len(e.auditOf(t, room.ID)["group.crisis_held"]); n != tc.audited {
				t.Errorf("%d group.crisis_held events, want %d", n, tc.audited)
			}
			if n := e.reviewKinds(t, room.ID)["crisis"]; n != tc.queued {
				t.Errorf("%d held items queued, want %d", n, tc.queued)
			}
			logs := e.logs.String()
			if !strings.Contains(logs, tc.logged) || !strings.Contains(logs, "injected write failure") {
				t.Errorf("the failure is not logged with its context (%q); errors logged: %s", tc.logged, errorLines(logs))
			}
			if strings.Contains(logs, words) {
				t.Error("the log holds the member's words")
			}
		})
	}
}

// errorLines picks the error-level records out of the captured JSON log.
func errorLines(logs string) []string {
	var out []string
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, `"level":"ERROR"`) {
			out = append(out, l)
		}
	}
	return out
}
