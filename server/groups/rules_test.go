package groups_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/havenvr/haven/server/groups"
)

// mayPost's answers instead of a message.
const (
	posted    = ""
	throttled = "group.notice.throttled"
	muted     = "group.notice.muted"
)

// post sends text and returns what the sender saw first: posted when its own
// message came back from the room, else the id of the notice refusing it.
func (p *peer) post(text string) (string, frame) {
	p.t.Helper()
	p.send("chat.send", map[string]any{"text": text})
	deadline := time.After(5 * time.Second)
	for {
		select {
		case f := <-p.frames:
			if f.Type == "chat.msg" && f.Body["text"] == text {
				return posted, f
			}
			switch id, _ := f.Body["id"].(string); {
			case f.Type != "notice":
			case id == throttled, id == muted, id == "group.notice.slow_mode", id == "group.notice.lobby", id == "group.notice.waiting_moderator":
				return id, f
			}
		case <-deadline:
			p.t.Fatalf("no answer to %q within 5s", text)
			return "", frame{}
		}
	}
}

// allowance posts until refused (at most limit+2 tries) and returns how many
// messages got through and the notice that stopped the next one.
func (p *peer) allowance(limit int, prefix string) (int, string) {
	p.t.Helper()
	for i := 0; i < limit+2; i++ {
		if got, _ := p.post(fmt.Sprintf("%s %d", prefix, i)); got != posted {
			return i, got
		}
	}
	return limit + 2, posted
}

// apiError decodes a coded error body.
func apiError(t *testing.T, raw []byte) (code, field string) {
	t.Helper()
	var b struct{ Error struct{ Code, Field string } }
	if err := json.Unmarshal(raw, &b); err != nil {
		t.Fatalf("error body %q: %v", raw, err)
	}
	return b.Error.Code, b.Error.Field
}

// wantStatus asserts an exact status and, for errors, the exact code and field.
func wantStatus(t *testing.T, what string, st int, raw []byte, wantSt int, wantCode, wantField string) {
	t.Helper()
	if st != wantSt {
		t.Fatalf("%s: %d %s, want %d %s", what, st, raw, wantSt, wantCode)
	}
	if wantCode == "" {
		return
	}
	if code, field := apiError(t, raw); code != wantCode || field != wantField {
		t.Fatalf("%s: code %q field %q, want %q %q (%s)", what, code, field, wantCode, wantField, raw)
	}
}

// TestNewMembersAreLimitedHarder: in their first NewMemberWindow members may
// post NewBurst messages at once; established members Burst. Both come from
// DefaultLimits; the refill rates are slowed to almost nothing so that the
// wall-clock time the test takes cannot add a token: each count is exactly a
// burst. The service's clock is stepped across the window, never slept.
func TestNewMembersAreLimitedHarder(t *testing.T) {
	t.Parallel()
	def := groups.DefaultLimits()
	if def.NewBurst >= def.Burst {
		t.Fatalf("DefaultLimits: new-member burst %d is not tighter than %d", def.NewBurst, def.Burst)
	}
	const trickle = 0.01 // per minute: under 0.1 token over the whole test, stepped clock included
	e := start(t, func(l *groups.Limits) {
		l.NewMemberWindow, l.NewBurst, l.Burst = def.NewMemberWindow, def.NewBurst, def.Burst
		l.NewPerMinute, l.PerMinute = trickle, trickle
	})
	room := e.room(t, map[string]any{"lobby": false})
	mod := e.moderator(t, room.ID)
	old := e.join(t, room.Code, nil)
	pOld := e.member(t, room.ID, old.Token)
	e.srv.App.Groups.AdvanceClock(def.NewMemberWindow + time.Second)
	fresh := e.join(t, room.Code, nil)
	pNew := e.member(t, room.ID, fresh.Token)
	watcher := e.join(t, room.Code, nil)
	pw := e.member(t, room.ID, watcher.Token)

	for _, tc := range []struct {
		name    string
		p       *peer
		advance time.Duration // before posting
		want    int
	}{
		{"established member: the ordinary burst", pOld, 0, def.Burst},
		{"new member: the new-member burst", pNew, 0, def.NewBurst},
		{"new member just inside the window: still held to it", pNew, def.NewMemberWindow - 10*time.Second, 0},
		{"the same member past the window: the ordinary burst", pNew, 20 * time.Second, def.Burst},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.p.t = t
			pw.t = t
			e.srv.App.Groups.AdvanceClock(tc.advance)
			n, stop := tc.p.allowance(tc.want, tc.name)
			if n != tc.want || stop != throttled {
				t.Fatalf("%d messages through, then %q; want %d, then %q", n, stop, tc.want, throttled)
			}
			// The refused message reached nobody; the room carries on.
			marker := "after: " + tc.name
			mod.send("chat.send", map[string]any{"text": marker})
			pw.expectClean("chat.msg", textIs(marker), textIs(fmt.Sprintf("%s %d", tc.name, n)))
		})
	}
}

// TestMuteExpiresOnItsOwn: a timed mute holds until its time is up (the
// notice says how many minutes are left) and then lifts with no moderator
// action; nothing the member said while muted reached the room.
func TestMuteExpiresOnItsOwn(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	room, mod, a, pa, _, pb := e.roomWithTwo(t)
	e.act(t, room.ID, groups.ActionRequest{Action: groups.ActMute, MemberID: a.MemberID, Seconds: 90, Reason: "breathe"})
	pa.expect("notice", notice(muted))

	for _, tc := range []struct {
		name        string
		advance     time.Duration
		want        string
		wantMinutes float64
	}{
		{"at once", 0, muted, 2},
		{"a minute in", time.Minute, muted, 1},
		{"seconds before the end", 25 * time.Second, muted, 1},
		{"after the end", 6 * time.Second, posted, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pa.t, pb.t = t, t
			e.srv.App.Groups.AdvanceClock(tc.advance)
			text := "words " + tc.name
			got, f := pa.post(text)
			if got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			if got == posted {
				pb.expect("chat.msg", textIs(text))
				return
			}
			if data, _ := f.Body["data"].(map[string]any); data["Minutes"] != tc.wantMinutes {
				t.Fatalf("muted notice data = %v, want Minutes %v", f.Body["data"], tc.wantMinutes)
			}
			marker := "marker " + tc.name
			mod.send("chat.send", map[string]any{"text": marker})
			pb.expectClean("chat.msg", textIs(marker), textIs(text))
		})
	}
}
