package groups_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/havenvr/haven/server/store"
)

// TestRoomFaceNamesItsClinic: the room's public face (GET
// /api/groups/join/:code) names the room's clinic, so the member page can
// load that clinic's own wording of the group.* texts; the override reaches
// that clinic's rooms only. The face still says nothing about any member.
func TestRoomFaceNamesItsClinic(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	room := e.room(t, map[string]any{"lobby": false, "require_moderator": false})

	var face map[string]any
	if st := e.anon(t).Do(http.MethodGet, "/api/groups/join/"+room.Code, nil, &face); st != http.StatusOK {
		t.Fatalf("face: %d", st)
	}
	if face["clinic_id"] != e.clinic.ID {
		t.Fatalf("face clinic_id = %v, want %s", face["clinic_id"], e.clinic.ID)
	}
	for _, k := range []string{"member_id", "token", "pseudonym", "members"} {
		if _, ok := face[k]; ok {
			t.Errorf("the public face carries %q", k)
		}
	}

	const ours = "The evening circle"
	admin := e.srv.SignIn(t, e.clinic.ID, store.RoleAdmin)
	if st := admin.Do(http.MethodPut, "/api/i18n/overrides", map[string]any{"locale": "en", "id": "group.page.title", "text": map[string]string{"other": ours}}, nil); st != http.StatusOK {
		t.Fatalf("override: %d", st)
	}
	title := func(clinic string) string {
		t.Helper()
		var m struct {
			Messages map[string]string `json:"messages"`
		}
		q := url.Values{"prefix": {"group."}, "locale": {"en"}}
		if clinic != "" {
			q.Set("clinic", clinic)
		}
		if st := e.anon(t).Do(http.MethodGet, "/api/i18n/messages?"+q.Encode(), nil, &m); st != http.StatusOK {
			t.Fatalf("messages: %d", st)
		}
		return m.Messages["group.page.title"]
	}
	if got := title(face["clinic_id"].(string)); got != ours {
		t.Fatalf("the page's fetch with the face's clinic reads %q, want the clinic's override", got)
	}
	if got := title(""); got == ours || got == "" {
		t.Fatalf("without the clinic: %q", got)
	}
	if got := title(e.srv.NewClinic(t, "Other clinic").ID); got == ours || got == "" {
		t.Fatalf("another clinic's room reads %q", got)
	}
}
