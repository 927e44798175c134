package groups_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/havenvr/haven/server/store"
)

// TestClinicWordFilter: a clinic edits its word filter; a message with a
// listed word never reaches the room and its sender is told why; a body
// without the list is refused and changes nothing.
func TestClinicWordFilter(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	admin := e.srv.SignIn(t, e.clinic.ID, store.RoleAdmin)
	put := func(body any) int {
		return admin.Do(http.MethodPut, "/api/groups/phrases/en/block", body, nil)
	}
	if st := put(map[string]any{"phrases": []string{"grapefruit"}}); st != http.StatusOK {
		t.Fatalf("saving the list: %d", st)
	}
	if st := put(map[string]any{}); st != http.StatusUnprocessableEntity {
		t.Fatalf("a body without phrases: %d, want 422", st)
	}
	var got struct{ Phrases []string }
	if st := admin.Do(http.MethodGet, "/api/groups/phrases/en/block", nil, &got); st != http.StatusOK || len(got.Phrases) != 1 || got.Phrases[0] != "grapefruit" {
		t.Fatalf("list after the refused edit: %d %+v", st, got)
	}
	_, mod, _, pa, _, pb := e.roomWithTwo(t)
	pa.send("chat.send", map[string]any{"text": "I hate GRAPEFRUIT people"})
	pa.expect("notice", notice("group.notice.filtered"))
	pa.send("chat.send", map[string]any{"text": "sorry, that came out wrong"})
	pb.expect("chat.msg", textIs("sorry, that came out wrong"))
	pb.none("chat.msg", textHas("GRAPEFRUIT"), 300*time.Millisecond)
	mod.none("chat.msg", textHas("GRAPEFRUIT"), 50*time.Millisecond)
}
