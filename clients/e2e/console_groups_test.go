package e2e

// The moderator's console view of a support room, end to end: a moderator
// signs in, creates a room (moderator required, lobby on), joins it from the
// page over WebRTC; a real pion member joins anonymously, waits in the
// lobby, is admitted from the page, chats with the moderator, writes a
// crisis phrase (the page raises the alert and queues the held message),
// gets a message deleted and is banned, each with a reason the page then
// shows in the room's moderation log. axe finds nothing on the full page.

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/pion/webrtc/v4"

	"github.com/havenvr/haven/server/groups"
	"github.com/havenvr/haven/server/rtc"
	"github.com/havenvr/haven/server/store"
)

// chatMember is an anonymous member: a real pion peer on the room's chat channel.
type chatMember struct {
	t      *testing.T
	peer   *rtc.ClientPeer
	frames chan chatFrame
	closed chan struct{}
}

type chatFrame struct {
	Type string         `json:"type"`
	Body map[string]any `json:"body"`
}

func joinMember(t *testing.T, env *ConsoleEnv, code string) (groups.JoinResponse, *chatMember) {
	t.Helper()
	var jr groups.JoinResponse
	if st, raw := env.Server.Anonymous(t).Raw(http.MethodPost, "/api/groups/join", map[string]any{"code": code, "accept_rules": true}); st != http.StatusCreated {
		t.Fatalf("join: %d %s", st, raw)
	} else if err := json.Unmarshal(raw, &jr); err != nil {
		t.Fatal(err)
	}
	m := &chatMember{t: t, frames: make(chan chatFrame, 1024), closed: make(chan struct{})}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	cp, err := rtc.Dial(ctx, rtc.NewClientAPI(), rtc.DialOptions{URL: env.Server.URL + "/api/groups/rooms/" + jr.RoomID + "/peer",
		Header: http.Header{"Authorization": {"Bearer " + jr.Token}}, Channels: []string{"chat"},
		OnMessage: func(_ string, msg webrtc.DataChannelMessage) {
			// frames that queued up for a busy peer arrive together, one per line
			for line := range bytes.SplitSeq(msg.Data, []byte{'\n'}) {
				var f chatFrame
				if json.Unmarshal(line, &f) == nil {
					select {
					case m.frames <- f:
					default:
					}
				}
			}
		}})
	if err != nil {
		t.Fatalf("member peer: %v", err)
	}
	var once sync.Once
	cp.Channels["chat"].OnClose(func() { once.Do(func() { close(m.closed) }) })
	m.peer = cp
	t.Cleanup(func() { _ = cp.Close() })
	m.expect("welcome", nil)
	return jr, m
}

func (m *chatMember) send(typ string, body any) {
	m.t.Helper()
	b, _ := json.Marshal(map[string]any{"v": 1, "type": typ, "body": body})
	if err := m.peer.Channels["chat"].Send(b); err != nil {
		m.t.Fatalf("member send: %v", err)
	}
}

// expect waits for a frame of typ for which match holds, skipping others.
func (m *chatMember) expect(typ string, match func(chatFrame) bool) chatFrame {
	m.t.Helper()
	deadline := time.After(10 * time.Second)
	var seen []string
	for {
		select {
		case f := <-m.frames:
			if f.Type == typ && (match == nil || match(f)) {
				return f
			}
			seen = append(seen, f.Type)
		case <-deadline:
			m.t.Fatalf("member: no %s frame within 10s (saw %v)", typ, seen)
			return chatFrame{}
		}
	}
}

func bodyIs(key, want string) func(chatFrame) bool {
	return func(f chatFrame) bool { s, _ := f.Body[key].(string); return s == want }
}

// click clicks sel like a user; a live update may redraw the node between
// chromedp finding and clicking it, so a vanished node is looked up again.
func click(t *testing.T, p *Page, sel string) {
	t.Helper()
	var err error
	for i := 0; i < 3; i++ {
		if err = p.Do(chromedp.Click(sel)); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("e2e: clicking %s: %v\nconsole: %s", sel, err, strings.Join(p.Console(), "\n"))
}

// confirmReason fills the page's reason dialog and confirms it.
func confirmReason(t *testing.T, p *Page, reason string) {
	t.Helper()
	Wait(t, p, `document.querySelector('dialog.reason-dialog').open`, 5*time.Second)
	Do(t, p, chromedp.SendKeys(`dialog.reason-dialog textarea[name=reason]`, reason))
	click(t, p, `#reason-ok`)
	Wait(t, p, `!document.querySelector('dialog.reason-dialog').open`, 5*time.Second)
}

// reasonErrorTied checks the reason dialog's error after an empty submit:
// the textarea is marked invalid, has focus, and is described by a visible
// message reading want (a screen reader reads the rule with the field).
func reasonErrorTied(t *testing.T, p *Page, want string) {
	t.Helper()
	Wait(t, p, `(() => {
		const ta = document.querySelector('dialog.reason-dialog[open] textarea[name=reason]');
		if (!ta || ta.getAttribute('aria-invalid') !== 'true' || document.activeElement !== ta) return false;
		return (ta.getAttribute('aria-describedby') || '').split(/\s+/).map((id) => document.getElementById(id))
			.some((el) => el && !el.hidden && el.textContent === `+jsString(want)+`);
	})()`, 5*time.Second)
}

func TestConsoleModeratorRoom(t *testing.T) {
	env := StartConsole(t)
	b := NewBrowser(t)
	p := env.SignIn(t, b, "en", store.RoleModerator)

	// create a room from the console: moderator required and lobby are the defaults
	Go(t, p, "#/groups")
	if !MustEval[bool](p, `document.querySelector('input[name=require_moderator]').checked && document.querySelector('input[name=lobby]').checked`) {
		t.Fatal("a new room should require a moderator and use the lobby by default")
	}
	Do(t, p, chromedp.SendKeys(`input[name=topic]`, "Fear of flying, evening circle"), chromedp.Click(`#new-room-h ~ button[type=submit]`))
	Wait(t, p, `location.hash.includes('room=') && window.havenConsole.ready && document.querySelector('#mod-join') && window.havenConsole.group`, 15*time.Second)
	code := MustEval[string](p, `document.querySelector('#room-h ~ p code').textContent`)
	if len(code) != 8 {
		t.Fatalf("room code %q", code)
	}
	if st := MustEval[string](p, `document.querySelector('#room-h').textContent`); !strings.Contains(st, "Waiting for a moderator") {
		t.Errorf("before the moderator joins the room is %q, want waiting for a moderator", st)
	}

	// the moderator joins over WebRTC (keyboard: focus the button, press Enter)
	Do(t, p, chromedp.Focus(`#mod-join`), chromedp.KeyEvent(kb.Enter))
	Wait(t, p, `window.havenConsole.group.link === 'open' && window.havenConsole.group.frames.includes('welcome')`, 20*time.Second)
	Wait(t, p, `document.querySelector('#room-h').textContent.includes('Open') && document.querySelector('.link-state').textContent.includes('moderator')`, 10*time.Second)
	// the rooms table above says so too (it kept "Waiting for a moderator" after the room opened)
	Wait(t, p, `[...document.querySelectorAll('[data-room-state]')].some(el => location.hash.includes(el.dataset.roomState) && el.textContent === 'Open')`, 10*time.Second)

	// a real pion member joins and waits in the lobby until admitted from the page
	jr, member := joinMember(t, env, code)
	if jr.Admitted {
		t.Fatal("member admitted without the lobby")
	}
	member.expect("notice", bodyIs("id", "group.notice.lobby"))
	admit := `#lobby-box button[data-key="admit-` + jr.MemberID + `"]`
	Wait(t, p, `document.querySelector('`+admit+`') && document.querySelector('#lobby-box').textContent.includes(`+jsString(jr.Pseudonym)+`)`, 10*time.Second)
	click(t, p, admit)
	member.expect("notice", bodyIs("id", "group.notice.admitted"))
	Wait(t, p, `document.querySelector('#members-box').textContent.includes(`+jsString(jr.Pseudonym)+`) && document.querySelector('#lobby-box').textContent.includes('Nobody is waiting')`, 10*time.Second)

	// chat both ways
	member.send("chat.send", map[string]any{"text": "Hi everyone, first time here"})
	Wait(t, p, `[...document.querySelectorAll('#chat-log li.msg')].some(li => li.dataset.from === `+jsString(jr.Pseudonym)+` && li.textContent.includes('Hi everyone, first time here') && li.textContent.includes('Member'))`, 10*time.Second)
	Do(t, p, chromedp.SendKeys(`#chat-input`, "Welcome, glad you came"), chromedp.KeyEvent(kb.Enter))
	got := member.expect("chat.msg", bodyIs("text", "Welcome, glad you came"))
	if got.Body["role"] != "moderator" {
		t.Errorf("moderator's message arrived with role %v", got.Body["role"])
	}
	Wait(t, p, `[...document.querySelectorAll('#chat-log li.msg.mod')].some(li => li.textContent.includes('Welcome, glad you came') && li.textContent.includes('Moderator'))`, 10*time.Second)

	// crisis language: the alert appears at once in the live region, the message is held in the queue
	member.send("chat.send", map[string]any{"text": "Honestly I just want to die tonight"})
	member.expect("crisis.resources", nil)
	Wait(t, p, `document.querySelector('#group-alert-region[aria-live] #group-alerts li[data-kind="crisis"]')`, 10*time.Second)
	if txt := MustEval[string](p, `document.querySelector('#group-alerts li').textContent`); !strings.Contains(txt, jr.Pseudonym) || !strings.Contains(txt, "crisis") {
		t.Errorf("crisis alert reads %q", txt)
	}
	if n := MustEval[int](p, `window.havenConsole.group.beeps || 0`); n < 1 {
		t.Errorf("no alert sound was played")
	}
	Wait(t, p, `document.querySelector('#queue-box li[data-kind="crisis"]')`, 10*time.Second)
	if MustEval[bool](p, `[...document.querySelectorAll('#chat-log li.msg')].some(li => li.textContent.includes('want to die'))`) {
		t.Error("a held crisis message reached the chat")
	}

	// delete a message: the reason is required (an empty one is refused in the dialog)
	member.send("chat.send", map[string]any{"text": "call me on my cell, it is fine"})
	msg := member.expect("chat.msg", bodyIs("text", "call me on my cell, it is fine"))
	msgID, _ := msg.Body["id"].(string)
	del := `#chat-log li[data-id="` + msgID + `"] button`
	Wait(t, p, `document.querySelector('`+del+`')`, 10*time.Second)
	click(t, p, del)
	Wait(t, p, `document.querySelector('dialog.reason-dialog').open`, 5*time.Second)
	click(t, p, `#reason-ok`)
	// The rule, from i18n/locales/console.en.json console.groups.reason_required.
	reasonErrorTied(t, p, "Write a reason of up to 500 characters; this action needs one.")
	SaveArtifact(t, "console-en-reason-error.png", p.Screenshot())
	confirmReason(t, p, "Asked to move to private contact")
	member.expect("chat.deleted", bodyIs("msg", msgID))
	Wait(t, p, `document.querySelector('#chat-log li[data-id="`+msgID+`"]').classList.contains('deleted') && !document.querySelector('#chat-log').textContent.includes('call me on my cell')`, 10*time.Second)

	// ban with a reason; the member is told and dropped
	ban := `#members-box button[data-key="ban-` + jr.MemberID + `"]`
	click(t, p, ban)
	Wait(t, p, `document.querySelector('dialog.reason-dialog').open`, 5*time.Second)
	for _, v := range Axe(t, p) {
		t.Errorf("reason dialog: axe %s (%s): %s\n  %s", v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n  "))
	}
	confirmReason(t, p, "Repeated harmful messages after a warning")
	member.expect("notice", bodyIs("id", "group.notice.removed"))
	select {
	case <-member.closed:
	case <-time.After(10 * time.Second):
		t.Error("banned member's channel stayed open")
	}

	// the moderation log on the page shows every action with its reason
	Wait(t, p, `document.querySelector('#audit-box').textContent.includes('Repeated harmful messages after a warning') && document.querySelector('#audit-box').textContent.includes('Asked to move to private contact')`, 10*time.Second)
	rows := MustEval[[]string](p, `[...document.querySelectorAll('#audit-box tbody tr')].map(r => r.textContent)`)
	want := map[string]bool{"Banned": false, "Deleted a message": false, "Admitted": false, "Held a message (possible crisis)": false}
	for _, r := range rows {
		for k := range want {
			if strings.Contains(r, k) {
				want[k] = true
			}
		}
	}
	for k, ok := range want {
		if !ok {
			t.Errorf("moderation log has no %q row: %v", k, rows)
		}
	}
	// the server's audit agrees with the page
	var audit []groups.AuditEntry
	mod := MustEval[string](p, `fetch('/api/groups/rooms/`+jr.RoomID+`/audit').then(r => r.text())`)
	if err := json.Unmarshal([]byte(mod), &audit); err != nil {
		t.Fatal(err)
	}
	reasons := map[string]string{}
	for _, e := range audit {
		r, _ := e.Detail["reason"].(string)
		reasons[e.Action] = r
	}
	if reasons["group.ban"] != "Repeated harmful messages after a warning" || reasons["group.delete"] != "Asked to move to private contact" {
		t.Errorf("audited reasons = %v", reasons)
	}

	// the full page: axe clean, no missing message, no console error; screenshot kept
	CheckPage(t, p, "en", "moderator-room")

	// the same room for a moderator working in the pseudo-locale and in Arabic:
	// every new word localized, right to left, the reason dialog closes on Escape
	for _, locale := range []string{"en-XA", "ar"} {
		t.Run(locale, func(t *testing.T) {
			q := env.SignIn(t, b, locale, store.RoleModerator)
			Go(t, q, "#/groups?room="+jr.RoomID)
			Wait(t, q, `document.querySelector('#mod-join') && window.havenConsole.group`, 15*time.Second)
			click(t, q, `#mod-join`)
			Wait(t, q, `window.havenConsole.group.link === 'open' && document.querySelector('#audit-box tbody tr')`, 20*time.Second)
			click(t, q, `#room-actions button[data-key="lock"]`)
			Wait(t, q, `document.querySelector('dialog.reason-dialog').open`, 5*time.Second)
			if locale == "en-XA" {
				if bad := Unlocalized(t, q); len(bad) > 0 {
					t.Errorf("reason dialog [en-XA]: unlocalized text:\n  %s", strings.Join(bad, "\n  "))
				}
			}
			if locale == "ar" {
				click(t, q, `#reason-ok`)
				// i18n/locales/console.ar.json console.groups.reason_required.
				reasonErrorTied(t, q, "اكتب سببًا لا يتجاوز 500 حرف؛ هذا الإجراء يتطلّب سببًا.")
				SaveArtifact(t, "console-ar-reason-error.png", q.Screenshot())
			}
			Do(t, q, chromedp.KeyEvent(kb.Escape))
			Wait(t, q, `!document.querySelector('dialog.reason-dialog').open && document.activeElement === document.querySelector('#room-actions button[data-key="lock"]')`, 5*time.Second)
			CheckPage(t, q, locale, "moderator-room")
		})
	}
}
