package groups_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/havenvr/haven/server/groups"
	"github.com/havenvr/haven/server/store"
)

func TestJoinChatTypingReact(t *testing.T) {
	e := start(t, nil)
	room := e.room(t, nil)
	if room.State != groups.StateWaiting || !room.Lobby || !room.RequireModerator {
		t.Fatalf("new room = %+v, want waiting for a moderator with a lobby", room)
	}
	// Before a moderator is present a member waits and cannot chat.
	early := e.join(t, room.Code, map[string]any{"pseudonym": "Early Bird"})
	if early.Admitted || early.Pseudonym != "Early Bird" || early.Token == "" {
		t.Fatalf("join = %+v", early)
	}
	mod := e.moderator(t, room.ID)
	a, pa := e.admitted(t, room, mod)
	b, pb := e.admitted(t, room, mod)
	if a.Pseudonym == b.Pseudonym {
		t.Fatalf("pseudonyms collide: %q", a.Pseudonym)
	}
	pb.expect("members.delta", func(f frame) bool { return strings.Contains(toJSON(f.Body), b.Pseudonym) })

	pa.send("chat.send", map[string]any{"text": "Hello everyone, first time here."})
	got := pb.expect("chat.msg", textIs("Hello everyone, first time here."))
	if got.Body["from"] != a.Pseudonym || got.Body["role"] != "member" || got.Body["from_id"] != a.MemberID {
		t.Fatalf("chat.msg = %v", got.Body)
	}
	mod.expect("chat.msg", textIs("Hello everyone, first time here."))

	mod.send("chat.send", map[string]any{"text": "Welcome! Glad you came."})
	if f := pa.expect("chat.msg", textIs("Welcome! Glad you came.")); f.Body["role"] != "moderator" {
		t.Fatalf("moderator message role = %v", f.Body["role"])
	}

	pa.send("chat.typing", nil)
	pb.expect("chat.typing", func(f frame) bool { return f.Body["from"] == a.Pseudonym })

	pb.send("chat.react", map[string]any{"msg": got.Body["id"], "emoji": "🤗"})
	pa.expect("chat.react", func(f frame) bool { return f.Body["emoji"] == "🤗" && f.Body["from"] == b.Pseudonym })
}

func TestPIIRedactedBeforeAnyoneSeesIt(t *testing.T) {
	e := start(t, nil)
	_, mod, _, pa, _, pb := e.roomWithTwo(t)
	secret := "text me on +44 7700 900123 or jo.smith@example.com, I'm at 221 Baker Street, see www.jo-smith.example.org"
	pa.send("chat.send", map[string]any{"text": secret})
	pa.expect("notice", notice("group.notice.redacted_why"))
	for name, p := range map[string]*peer{"other member": pb, "moderator": mod, "sender": pa} {
		f := p.expect("chat.msg", textHas("text me on"))
		text := f.Body["text"].(string)
		for _, leak := range []string{"7700", "900123", "jo.smith", "example.com", "Baker", "221", "www."} {
			if strings.Contains(text, leak) {
				t.Errorf("%s saw %q in %q", name, leak, text)
			}
		}
		if !strings.Contains(text, "[removed to protect your privacy]") || f.Body["redacted"] != true {
			t.Errorf("%s saw %q, want the redaction notice", name, text)
		}
	}
}

func TestCrisisMessageHeldWithPrivateResourcesAndAlert(t *testing.T) {
	e := start(t, nil)
	room, mod, a, pa, _, pb := e.roomWithTwo(t)

	pa.send("chat.send", map[string]any{"text": "Honestly I just want to kill myself tonight"})
	res := pa.expect("crisis.resources", nil)
	list, _ := res.Body["resources"].([]any)
	if len(list) == 0 {
		t.Fatal("crisis panel has no resources")
	}
	first := list[0].(map[string]any)
	if first["country"] != "GB" || first["phone"] != "116 123" || first["last_verified"] == "" {
		t.Fatalf("first resource = %v, want the clinic country's (GB) line, dated", first)
	}
	if res.Body["title"] != "You're not alone" {
		t.Fatalf("panel title = %v", res.Body["title"])
	}
	alert := mod.expect("mod.alert", func(f frame) bool { return f.Body["kind"] == "crisis" })
	if alert.Body["pseudonym"] != a.Pseudonym || !strings.Contains(alert.Body["text"].(string), "kill myself") {
		t.Fatalf("alert = %v", alert.Body)
	}
	// Held: nobody else sees it, and the room carries on.
	mod.send("chat.send", map[string]any{"text": "marker after crisis"})
	pb.expectClean("chat.msg", textIs("marker after crisis"), func(f frame) bool { return strings.Contains(toJSON(f.Body), "kill myself") })

	var queue []groups.QueueItem
	e.mod.Do(http.MethodGet, "/api/groups/rooms/"+room.ID+"/queue", nil, &queue)
	if len(queue) != 1 || queue[0].Kind != "crisis" || queue[0].Pseudonym != a.Pseudonym {
		t.Fatalf("queue = %+v", queue)
	}
	// The member is told privately that their words were kept private.
	if !strings.Contains(res.Body["held"].(string), "private") {
		t.Fatalf("held = %v", res.Body["held"])
	}
	// A moderator may release it after talking with the member.
	if st := e.mod.Do(http.MethodPost, "/api/groups/rooms/"+room.ID+"/queue/"+queue[0].ID, map[string]any{"decision": "release", "reason": "talked, safe"}, nil); st != http.StatusOK {
		t.Fatalf("release: %d", st)
	}
	pb.expect("chat.msg", textHas("kill myself"))
}

func TestReportGoesToModeratorQueue(t *testing.T) {
	e := start(t, nil)
	room, mod, _, pa, b, pb := e.roomWithTwo(t)
	pa.send("chat.send", map[string]any{"text": "nobody here gets it, you are all useless"})
	msg := pb.expect("chat.msg", textHas("useless"))
	pb.send("chat.report", map[string]any{"msg": msg.Body["id"], "reason": "harmful"})
	pb.expect("notice", notice("group.notice.reported"))
	mod.expect("mod.alert", func(f frame) bool { return f.Body["kind"] == "report_harmful" && f.Body["reporter"] == b.Pseudonym })
	var queue []groups.QueueItem
	e.mod.Do(http.MethodGet, "/api/groups/rooms/"+room.ID+"/queue", nil, &queue)
	if len(queue) != 1 || queue[0].MessageID != msg.Body["id"] || queue[0].Reporter != b.Pseudonym {
		t.Fatalf("queue = %+v", queue)
	}
}

func TestModerationActions(t *testing.T) {
	e := start(t, nil)
	room := e.room(t, nil)
	mod := e.moderator(t, room.ID)
	a, pa := e.admitted(t, room, mod)
	b, pb := e.admitted(t, room, mod)
	say := func(p *peer, text string) { p.send("chat.send", map[string]any{"text": text}) }

	t.Run("mute", func(t *testing.T) {
		e.act(t, room.ID, groups.ActionRequest{Action: groups.ActMute, MemberID: a.MemberID, Seconds: 600, Reason: "cool down"})
		pa.expect("notice", notice("group.notice.muted"))
		say(pa, "muted words")
		pa.expect("notice", notice("group.notice.muted"))
		pb.none("chat.msg", textIs("muted words"), 200*time.Millisecond)
	})
	t.Run("unmute", func(t *testing.T) {
		e.act(t, room.ID, groups.ActionRequest{Action: groups.ActUnmute, MemberID: a.MemberID, Reason: "ok now"})
		pa.expect("notice", notice("group.notice.unmuted"))
		say(pa, "back again")
		pb.expect("chat.msg", textIs("back again"))
	})
	t.Run("delete", func(t *testing.T) {
		say(pa, "something regrettable")
		m := pb.expect("chat.msg", textIs("something regrettable"))
		e.act(t, room.ID, groups.ActionRequest{Action: groups.ActDelete, MessageID: m.Body["id"].(string), Reason: "off topic"})
		pb.expect("chat.deleted", func(f frame) bool { return f.Body["msg"] == m.Body["id"] })
		var q []groups.QueueItem
		e.mod.Do(http.MethodGet, "/api/groups/rooms/"+room.ID+"/queue", nil, &q)
		if len(q) != 1 || q[0].Kind != "deleted" {
			t.Fatalf("deleted message not kept for review: %+v", q)
		}
	})
	t.Run("slow mode", func(t *testing.T) {
		e.act(t, room.ID, groups.ActionRequest{Action: groups.ActSlowMode, Seconds: 30, Reason: "busy"})
		pb.expect("notice", notice("group.notice.slow_mode_on"))
		say(pb, "first in slow mode")
		pa.expect("chat.msg", textIs("first in slow mode"))
		say(pb, "second too soon")
		pb.expect("notice", notice("group.notice.slow_mode"))
		e.act(t, room.ID, groups.ActionRequest{Action: groups.ActSlowMode, Seconds: 0, Reason: "calm again"})
		pb.expect("notice", notice("group.notice.slow_mode_off"))
	})
	t.Run("lock", func(t *testing.T) {
		e.act(t, room.ID, groups.ActionRequest{Action: groups.ActLock, Reason: "full enough"})
		pa.expect("notice", notice("group.notice.locked"))
		st, raw := e.anon(t).Raw(http.MethodPost, "/api/groups/join", map[string]any{"code": room.Code, "accept_rules": true})
		if st != http.StatusConflict || !strings.Contains(string(raw), "session_state") {
			t.Fatalf("join locked room: %d %s", st, raw)
		}
		e.act(t, room.ID, groups.ActionRequest{Action: groups.ActUnlock, Reason: "open again"})
		pa.expect("notice", notice("group.notice.unlocked"))
	})
	t.Run("remove", func(t *testing.T) {
		e.act(t, room.ID, groups.ActionRequest{Action: groups.ActRemove, MemberID: a.MemberID, Reason: "needs a break"})
		pa.expect("notice", notice("group.notice.removed"))
		waitClosed(t, pa)
		pb.expect("members.delta", func(f frame) bool { return strings.Contains(toJSON(f.Body["left"]), a.Pseudonym) })
		// A removed member may come back, but through the lobby.
		back := e.member(t, room.ID, a.Token)
		back.expect("notice", notice("group.notice.lobby"))
	})
	t.Run("ban survives reconnect", func(t *testing.T) {
		e.act(t, room.ID, groups.ActionRequest{Action: groups.ActBan, MemberID: b.MemberID, Reason: "abuse"})
		pb.expect("notice", notice("group.notice.removed"))
		waitClosed(t, pb)
		st, _ := e.anon(t).Raw(http.MethodPost, "/api/groups/join", map[string]any{"code": room.Code, "token": b.Token})
		if st != http.StatusUnauthorized {
			t.Fatalf("banned rejoin: %d", st)
		}
		if _, err := dialPeer(t, e.srv.URL+"/api/groups/rooms/"+room.ID+"/peer", nil, http.Header{"Authorization": {"Bearer " + b.Token}}); err == nil {
			t.Fatal("banned member reconnected")
		}
	})
	t.Run("audit names moderator, target and reason", func(t *testing.T) {
		var audit []groups.AuditEntry
		e.mod.Do(http.MethodGet, "/api/groups/rooms/"+room.ID+"/audit", nil, &audit)
		seen := map[string]groups.AuditEntry{}
		for _, ev := range audit {
			seen[ev.Action] = ev
		}
		for _, act := range []string{"mute", "unmute", "delete", "slow_mode", "lock", "unlock", "remove", "ban", "admit"} {
			ev, ok := seen["group."+act]
			if !ok {
				t.Errorf("no audit event for %s", act)
				continue
			}
			if ev.ActorID != e.mod.User["id"] || ev.Detail["reason"] == "" {
				t.Errorf("%s audit = %+v", act, ev)
			}
		}
		if seen["group.ban"].Detail["pseudonym"] != b.Pseudonym {
			t.Errorf("ban audit target = %v", seen["group.ban"].Detail)
		}
	})
	t.Run("end", func(t *testing.T) {
		e.act(t, room.ID, groups.ActionRequest{Action: groups.ActEnd, Reason: "session over"})
		mod.expect("room.ended", nil)
		waitClosed(t, mod)
		var n int64
		e.srv.App.Store.DB.Model(&store.GroupMember{}).Where("room_id = ?", room.ID).Count(&n)
		if n != 0 {
			t.Fatalf("%d member records left after the room ended", n)
		}
		e.srv.App.Store.DB.Model(&store.GroupQueueItem{}).Where("room_id = ?", room.ID).Count(&n)
		if n != 0 {
			t.Fatalf("%d review items left after an ephemeral room ended", n)
		}
	})
}

func waitClosed(t *testing.T, p *peer) {
	t.Helper()
	select {
	case <-p.closed:
	case <-time.After(5 * time.Second):
		t.Fatal("peer was not disconnected")
	}
}

func TestBadInputKeepsRoomHealthy(t *testing.T) {
	e := start(t, func(l *groups.Limits) { l.NewPerMinute, l.NewBurst = 6, 3 })
	room := e.room(t, map[string]any{"lobby": false})
	other := e.room(t, map[string]any{"lobby": false})
	mod := e.moderator(t, room.ID)
	a := e.join(t, room.Code, nil)
	pa := e.member(t, room.ID, a.Token)
	b := e.join(t, room.Code, nil)
	pb := e.member(t, room.ID, b.Token)
	errCode := func(code string) func(frame) bool { return func(f frame) bool { return f.Body["code"] == code } }

	cases := []struct {
		name  string
		frame string
		code  string
	}{
		{"oversized", `{"v":1,"type":"chat.send","body":{"text":"` + strings.Repeat("x", 9000) + `"}}`, "message_too_large"},
		{"unknown type", `{"v":1,"type":"chat.nuke","body":{}}`, "unknown_message_type"},
		{"future version", `{"v":2,"type":"chat.send","body":{"text":"hi"}}`, "unsupported_version"},
		{"impersonate moderator", `{"v":1,"type":"chat.send","body":{"text":"I am staff","role":"moderator"}}`, "unknown_field"},
		{"not json", `hello`, "invalid_json"},
		{"bad reaction", `{"v":1,"type":"chat.react","body":{"msg":"abc","emoji":"🤡"}}`, "validation"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pa.raw([]byte(tc.frame))
			pa.expect("error", errCode(tc.code))
		})
	}
	t.Run("bidi and control characters neutralised", func(t *testing.T) {
		pa.send("chat.send", map[string]any{"text": "hi\u202Eadmin\u202C\u0007 there\u200B"})
		f := pb.expect("chat.msg", textHas("there"))
		if f.Body["text"] != "hiadmin there" {
			t.Fatalf("text = %q", f.Body["text"])
		}
	})
	t.Run("flood throttled, others unaffected", func(t *testing.T) {
		for i := 0; i < 10; i++ {
			pa.send("chat.send", map[string]any{"text": "flood"})
		}
		pa.expect("notice", notice("group.notice.throttled"))
		mod.send("chat.send", map[string]any{"text": "still fine"})
		pb.expect("chat.msg", textIs("still fine"))
	})
	t.Run("token already connected", func(t *testing.T) {
		if _, err := dialPeer(t, e.srv.URL+"/api/groups/rooms/"+room.ID+"/peer", nil, http.Header{"Authorization": {"Bearer " + a.Token}}); err == nil || !strings.Contains(err.Error(), "409") {
			t.Fatalf("second use of a live token: %v", err)
		}
	})
	t.Run("token of another room", func(t *testing.T) {
		if _, err := dialPeer(t, e.srv.URL+"/api/groups/rooms/"+other.ID+"/peer", nil, http.Header{"Authorization": {"Bearer " + a.Token}}); err == nil || !strings.Contains(err.Error(), "401") {
			t.Fatalf("token in another room: %v", err)
		}
	})
	t.Run("moderator title as pseudonym", func(t *testing.T) {
		st, _ := e.anon(t).Raw(http.MethodPost, "/api/groups/join", map[string]any{"code": room.Code, "accept_rules": true, "pseudonym": "M0derator Max"})
		if st != http.StatusUnprocessableEntity {
			t.Fatalf("status %d", st)
		}
	})
	t.Run("rules not accepted", func(t *testing.T) {
		st, _ := e.anon(t).Raw(http.MethodPost, "/api/groups/join", map[string]any{"code": room.Code})
		if st != http.StatusUnprocessableEntity {
			t.Fatalf("status %d", st)
		}
	})
	t.Run("closed room", func(t *testing.T) {
		later := e.room(t, map[string]any{"opens_at": time.Now().Add(time.Hour), "closes_at": time.Now().Add(2 * time.Hour)})
		var face map[string]any
		e.anon(t).Do(http.MethodGet, "/api/groups/join/"+later.Code, nil, &face)
		if face["state"] != "closed" {
			t.Fatalf("face = %v", face)
		}
		st, _ := e.anon(t).Raw(http.MethodPost, "/api/groups/join", map[string]any{"code": later.Code, "accept_rules": true})
		if st != http.StatusConflict {
			t.Fatalf("join closed room: %d", st)
		}
	})
	t.Run("unknown code", func(t *testing.T) {
		st, _ := e.anon(t).Raw(http.MethodPost, "/api/groups/join", map[string]any{"code": "NOPE2345", "accept_rules": true})
		if st != http.StatusNotFound {
			t.Fatalf("status %d", st)
		}
	})
	t.Run("other clinic cannot see the room", func(t *testing.T) {
		outsider := e.srv.SignIn(t, e.srv.NewClinic(t, "Other").ID, store.RoleModerator)
		if st := outsider.Do(http.MethodGet, "/api/groups/rooms/"+room.ID, nil, nil); st != http.StatusNotFound {
			t.Fatalf("status %d", st)
		}
		if st := outsider.Do(http.MethodPost, "/api/groups/rooms/"+room.ID+"/actions", groups.ActionRequest{Action: "end", Reason: "x"}, nil); st != http.StatusNotFound {
			t.Fatalf("status %d", st)
		}
	})
	t.Run("member token is no staff credential", func(t *testing.T) {
		c := e.anon(t)
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/api/groups/rooms/"+room.ID+"/queue", nil)
		req.Header.Set("Authorization", "Bearer "+a.Token)
		resp, err := c.HTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
	// After all of it, the room still works for everyone.
	pa.send("chat.typing", nil)
	mod.send("chat.send", map[string]any{"text": "all good"})
	pb.expect("chat.msg", textIs("all good"))
	var got map[string]any
	e.mod.Do(http.MethodGet, "/api/groups/rooms/"+room.ID, nil, &got)
	if b, _ := json.Marshal(got); !strings.Contains(string(b), `"connected":true`) {
		t.Fatalf("room view = %s", b)
	}
}
