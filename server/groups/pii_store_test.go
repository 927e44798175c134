package groups_test

import (
	"strings"
	"testing"

	"github.com/havenvr/haven/server/groups"
	"github.com/havenvr/haven/server/store"
)

// TestQueueStoresNoContactDetails: the forms the probe found in plaintext in
// group_queue_items after a report and a delete (spelled-out e-mail,
// Arabic-Indic digits, a domain outside any TLD list, a handle after a
// platform name) are redacted before the queue ever sees them, and before
// a held crisis message is stored.
func TestQueueStoresNoContactDetails(t *testing.T) {
	e := start(t, nil)
	room, mod, _, pa, _, pb := e.roomWithTwo(t)
	secrets := []string{"janedoe", "gmail", "٩٠٠", "mysite", "jane_doe_1990"}
	pa.send("chat.send", map[string]any{"text": "janedoe at gmail dot com, ٠٧٧٠٠ ٩٠٠ ١٢٣, mysite.dev, insta: jane_doe_1990"})
	m := pb.expect("chat.msg", nil)
	for _, s := range secrets {
		if got := m.Body["text"].(string); strings.Contains(got, s) {
			t.Fatalf("the room saw %q in %q", s, got)
		}
	}
	pb.send("chat.report", map[string]any{"msg": m.Body["id"], "reason": "harmful"})
	mod.expect("mod.alert", func(f frame) bool { return f.Body["kind"] == "report_harmful" })
	e.act(t, room.ID, groups.ActionRequest{Action: groups.ActDelete, MessageID: m.Body["id"].(string), Reason: "privacy"})
	pa.send("chat.send", map[string]any{"text": "I want to end my life, call me ٠٧٧٠٠ ٩٠٠ ١٢٣ or janedoe at gmail dot com"})
	mod.expect("mod.alert", func(f frame) bool { return f.Body["kind"] == "crisis" })

	var items []store.GroupQueueItem
	if err := e.srv.App.Store.DB.Where("room_id = ?", room.ID).Find(&items).Error; err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, it := range items {
		kinds[it.Kind] = true
		for _, s := range secrets {
			if strings.Contains(it.Text, s) {
				t.Errorf("queue item %s holds %q: %q", it.Kind, s, it.Text)
			}
		}
	}
	for _, k := range []string{"report_harmful", "deleted", "crisis"} {
		if !kinds[k] {
			t.Errorf("no %s item in the queue (%v)", k, kinds)
		}
	}
}
