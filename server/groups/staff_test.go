package groups_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/havenvr/haven/server/store"
)

// TestMemberCannotPoseAsStaff: a member can take neither a staff title in
// look-alike letters nor a staff member's display name (the probe took a
// moderator's exact name), and the refusal names the rule in the member's
// language. The moderator's own display name reaches members cleaned by the
// pseudonym rules, and members are listed by id, staff marked by a role no
// member can set.
func TestMemberCannotPoseAsStaff(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	db := e.srv.App.Store.DB
	// The signed-in moderator's display name, as an admin might have typed it.
	if err := db.Model(&store.User{}).Where("id = ?", e.mod.User["id"]).Update("name", "Dana\u202Eevil\nWhitfield\x00").Error; err != nil {
		t.Fatal(err)
	}
	room := e.room(t, map[string]any{"lobby": false, "require_moderator": false})
	for _, name := range []string{"Dana evil Whitfield", "Danaevil Whitfield", "D\u0430na evil Whitfie1d", "\u041Coderator", "\u0391dmin", "\u0405ystem", "Mod123", "Support Team", "Nurse Joy"} {
		for _, lang := range []string{"en", "ar"} {
			st, raw := e.anon(t).Raw(http.MethodPost, "/api/groups/join?lang="+lang, map[string]any{"code": room.Code, "accept_rules": true, "pseudonym": name})
			var body struct {
				Error struct{ Code, Field, Message string }
			}
			_ = json.Unmarshal(raw, &body)
			if st != http.StatusUnprocessableEntity || body.Error.Field != "pseudonym" {
				t.Fatalf("join as %q (%s): %d %s, want 422 on the pseudonym", name, lang, st, raw)
			}
			rule := e.srv.App.Localize.Bundle.ForLocale(e.clinic.ID, lang).T("group.error.pseudonym_rule", nil)
			if !strings.Contains(body.Error.Message, rule) {
				t.Fatalf("join as %q (%s): message %q does not state the rule %q", name, lang, body.Error.Message, rule)
			}
		}
	}

	mod := e.moderator(t, room.ID)
	a := e.join(t, room.Code, nil)
	pa := e.member(t, room.ID, a.Token)
	mod.send("chat.send", map[string]any{"text": "welcome, everyone"})
	f := pa.expect("chat.msg", textIs("welcome, everyone"))
	if f.Body["from"] != "Danaevil Whitfield" || f.Body["role"] != "moderator" {
		t.Fatalf("moderator's message reached the member as %v / %v", f.Body["from"], f.Body["role"])
	}
	// A member's frame cannot claim a role or a name: the strict decoder
	// refuses fields it does not know, and the server sets both itself.
	pa.send("chat.send", map[string]any{"text": "hi", "role": "moderator", "from": "Danaevil Whitfield"})
	pa.expect("error", nil)
	pa.send("chat.send", map[string]any{"text": "hi"})
	if g := mod.expect("chat.msg", textIs("hi")); g.Body["role"] != "member" || g.Body["from"] != a.Pseudonym || g.Body["from_id"] != a.MemberID {
		t.Fatalf("a member's message went out as %v / %v / %v", g.Body["from"], g.Body["role"], g.Body["from_id"])
	}

	// A newcomer's welcome lists everyone by id: the member by member id,
	// the moderator by a connection id that is no member's.
	b := e.join(t, room.Code, nil)
	h := http.Header{"Authorization": {"Bearer " + b.Token}}
	pb, err := dialPeer(t, e.srv.URL+"/api/groups/rooms/"+room.ID+"/peer", &http.Client{Transport: uaTransport{http.DefaultTransport}}, h)
	if err != nil {
		t.Fatal(err)
	}
	w := pb.expect("welcome", nil)
	byID := map[string]map[string]any{}
	for _, m := range w.Body["members"].([]any) {
		mm := m.(map[string]any)
		byID[mm["id"].(string)] = mm
	}
	if m := byID[a.MemberID]; m == nil || m["pseudonym"] != a.Pseudonym || m["role"] != "member" {
		t.Fatalf("welcome members %v: member %s missing", byID, a.MemberID)
	}
	staff := 0
	for id, m := range byID {
		if m["role"] == "moderator" {
			staff++
			if !strings.HasPrefix(id, "mod:") || m["pseudonym"] != "Danaevil Whitfield" {
				t.Errorf("moderator listed as %s %v", id, m)
			}
		}
	}
	if staff != 1 || len(byID) != 3 {
		t.Fatalf("welcome lists %d people, %d staff: %v", len(byID), staff, byID)
	}
}
