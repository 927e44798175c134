package groups_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/havenvr/haven/clients"
	"github.com/havenvr/haven/clients/e2e"
	"github.com/havenvr/haven/server/store"
)

// TestMemberPageInChromium drives the anonymous member page in headless
// Chromium over real WebRTC to the real server, next to a pion member:
// the clinic's own wording, join with the code, chat both ways, and the
// private crisis panel (localized, its dates in the member's language).
func TestMemberPageInChromium(t *testing.T) {
	if !clients.Built("room") {
		t.Skip("clients/dist/room is not built (run `node build.mjs room` in clients/)")
	}
	e := start(t, nil)
	room := e.room(t, map[string]any{"lobby": false, "require_moderator": false})
	// the clinic words the page its own way: the page fetches its messages
	// by room code, and never learns the clinic's id
	const ours = "The evening circle"
	admin := e.srv.SignIn(t, e.clinic.ID, store.RoleAdmin)
	if st := admin.Do(http.MethodPut, "/api/i18n/overrides", map[string]any{"locale": "en", "id": "group.page.title", "text": map[string]string{"other": ours}}, nil); st != http.StatusOK {
		t.Fatalf("override: %d", st)
	}
	b := e2e.NewBrowser(t)
	p := b.NewPage(t, e.srv.URL+"/room/#code="+room.Code, 900, 700, `!document.getElementById('room-face').hidden`)
	if got := e2e.MustEval[string](p, `document.getElementById('topic').textContent`); got != room.Topic {
		t.Fatalf("topic = %q", got)
	}
	if got := e2e.MustEval[string](p, `document.querySelector('#join-view h1').textContent + ' | ' + document.title`); got != ours+" | "+ours {
		t.Fatalf("page title = %q, want the clinic's override %q", got, ours)
	}
	if !e2e.MustEval[bool](p, `performance.getEntriesByType('resource').some(r => r.name.includes('/api/i18n/messages?') && r.name.includes('room=`+room.Code+`'))`) {
		t.Fatalf("no message fetch with the room code: %v", e2e.MustEval[[]string](p, `performance.getEntriesByType('resource').map(r => r.name)`))
	}
	if e2e.MustEval[bool](p, `performance.getEntriesByType('resource').some(r => r.name.includes('`+e.clinic.ID+`'))`) {
		t.Fatal("the page learned its clinic's id")
	}
	if got := e2e.MustEval[string](p, `document.getElementById('crisis-close').textContent`); got != "OK" {
		t.Fatalf("crisis close button = %q, want the group.crisis.close text (was hard-coded English)", got)
	}
	e2e.MustEval[bool](p, `document.getElementById('accept').click(), document.getElementById('join-form').requestSubmit(), true`)
	if _, err := e2e.Eval[any](p, `new Promise(r => { const t0 = Date.now(); const f = () => document.getElementById('you').textContent.startsWith('You are ') || Date.now() - t0 > 20000 ? r(true) : setTimeout(f, 50); f(); })`); err != nil {
		t.Fatal(err)
	}
	if you := e2e.MustEval[string](p, `document.getElementById('you').textContent`); !strings.HasPrefix(you, "You are ") {
		t.Fatalf("not connected: %q\nerror: %s\nconsole: %v", you, e2e.MustEval[string](p, `document.getElementById("join-error").textContent + " / " + JSON.stringify(window.havenRoom.frames) + (window.havenRoom.channel ? window.havenRoom.channel.readyState : "no ch")`), p.Console())
	}

	jr := e.join(t, room.Code, nil)
	pion := e.member(t, room.ID, jr.Token)
	p.WaitFor(`[...document.querySelectorAll('#members li')].some(li => li.textContent.includes(`+jsString(jr.Pseudonym)+`))`, 10*time.Second)

	pion.send("chat.send", map[string]any{"text": "hello from pion"})
	p.WaitFor(`[...document.querySelectorAll('#log li.msg .text')].some(s => s.textContent === 'hello from pion')`, 10*time.Second)

	say := func(text string) {
		e2e.MustEval[bool](p, `(document.getElementById('message').value = `+jsString(text)+`, document.getElementById('send-form').requestSubmit(), true)`)
	}
	say("hello from the browser, mail me at me@example.com")
	f := pion.expect("chat.msg", textHas("hello from the browser"))
	if f.Body["text"] != "hello from the browser, mail me at [removed to protect your privacy]" {
		t.Fatalf("pion saw %q", f.Body["text"])
	}
	p.WaitFor(`[...document.querySelectorAll('#log li.notice')].some(li => li.textContent.includes('removed contact details'))`, 10*time.Second)

	say("I don't want to live anymore, I want to end my life")
	p.WaitFor(`!document.getElementById('crisis').hidden && document.querySelectorAll('#crisis-list li').length > 0`, 10*time.Second)
	if first := e2e.MustEval[string](p, `document.querySelector('#crisis-list li').textContent`); !strings.Contains(first, "Samaritans") || !strings.Contains(first, "116 123") {
		t.Fatalf("first crisis resource = %q", first)
	}
	// the built-in lines were last checked on 2025-06-01: written out for the member (Intl, English here), never a raw ISO date
	if small := e2e.MustEval[string](p, `document.querySelector('#crisis-list li small').textContent`); small != "24/7 · Last checked June 1, 2025" {
		t.Fatalf("crisis resource details = %q", small)
	}
	pion.none("chat.msg", textHas("end my life"), 300*time.Millisecond)
}

func jsString(s string) string { return "`" + s + "`" }
