package groups_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/havenvr/haven/server/store"
)

// TestRoomWordingByCodeNotClinic: the room's public face (GET
// /api/groups/join/:code) names no clinic, and the member page loads its
// clinic's own wording of the group.* texts by room code. An anonymous
// ?clinic=ID reads no clinic's group.* overrides (it did: anyone could read
// any clinic's texts by id), and an unknown code reads the built-in texts.
func TestRoomWordingByCodeNotClinic(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	room := e.room(t, map[string]any{"lobby": false, "require_moderator": false})

	var face map[string]any
	if st := e.anon(t).Do(http.MethodGet, "/api/groups/join/"+room.Code, nil, &face); st != http.StatusOK {
		t.Fatalf("face: %d", st)
	}
	for _, k := range []string{"clinic_id", "clinic", "member_id", "token", "pseudonym", "members"} {
		if _, ok := face[k]; ok {
			t.Errorf("the public face carries %q", k)
		}
	}

	const ours = "The evening circle"
	admin := e.srv.SignIn(t, e.clinic.ID, store.RoleAdmin)
	if st := admin.Do(http.MethodPut, "/api/i18n/overrides", map[string]any{"locale": "en", "id": "group.page.title", "text": map[string]string{"other": ours}}, nil); st != http.StatusOK {
		t.Fatalf("override: %d", st)
	}
	title := func(q url.Values) string {
		t.Helper()
		var m struct {
			Messages map[string]string `json:"messages"`
		}
		q.Set("prefix", "group.")
		q.Set("locale", "en")
		if st := e.anon(t).Do(http.MethodGet, "/api/i18n/messages?"+q.Encode(), nil, &m); st != http.StatusOK {
			t.Fatalf("messages: %d", st)
		}
		return m.Messages["group.page.title"]
	}
	if got := title(url.Values{"room": {room.Code}}); got != ours {
		t.Fatalf("the page's fetch with its room code reads %q, want the clinic's override", got)
	}
	if got := title(url.Values{"room": {"ZZZZZZZZ"}}); got == ours || got == "" {
		t.Fatalf("an unknown room code reads %q", got)
	}
	if got := title(url.Values{"clinic": {e.clinic.ID}}); got == ours || got == "" {
		t.Fatalf("an anonymous ?clinic= reads %q: another clinic's override texts leak", got)
	}
	if got := title(url.Values{}); got == ours || got == "" {
		t.Fatalf("without a room: %q", got)
	}
	if got := title(url.Values{"room": {e.room(t, nil).Code}}); got != ours {
		t.Fatalf("another room of the same clinic reads %q", got)
	}
}
