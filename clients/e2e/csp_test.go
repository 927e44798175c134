package e2e

// Haven's pages run under a strict Content-Security-Policy (style-src
// 'self': no inline styles) and a Permissions-Policy that names only
// features Chromium knows. These tests walk the console, the headset in a
// live session and the support room's chat with two listeners armed before
// the first byte loads — the page's securitypolicyviolation events and
// Chromium's own log — and require both silent. A deliberate inline style at
// the end of each walk proves the listeners hear a violation.

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/havenvr/haven/server/store"
)

// policyWatch collects what a page's policies refused or could not parse.
type policyWatch struct {
	p  *Page
	mu sync.Mutex
	// logged are Chromium's log lines about either policy.
	logged []string
}

// cspRecorder records every securitypolicyviolation event in the page,
// from the first script on (it runs before the page's own).
const cspRecorder = `window.__policy = [];
document.addEventListener('securitypolicyviolation', (e) => window.__policy.push(
  e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' at ' + e.sourceFile + ':' + e.lineNumber), true);`

// openWatched opens a blank tab, arms both listeners, then navigates to url
// and waits for ready.
func openWatched(t *testing.T, b *Browser, url string, w, h int64, ready string) *policyWatch {
	t.Helper()
	pw := &policyWatch{p: b.NewPage(t, "about:blank", w, h, "")}
	if err := chromedp.Listen(pw.p.Ctx, func(ev any) {
		e, ok := ev.(*cdplog.EventEntryAdded)
		if !ok {
			return
		}
		if txt := e.Entry.Text; strings.Contains(txt, "Content Security Policy") || strings.Contains(txt, "Permissions-Policy") ||
			strings.Contains(txt, "Permissions Policy") {
			pw.mu.Lock()
			pw.logged = append(pw.logged, string(e.Entry.Level)+": "+txt)
			pw.mu.Unlock()
		}
	}); err != nil {
		t.Fatalf("listening to the log: %v", err)
	}
	Do(t, pw.p, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspRecorder})
		return err
	}), chromedp.Navigate(url))
	if ready != "" {
		pw.p.WaitFor(ready, 30*time.Second)
	}
	return pw
}

// reports returns the page's violation events and the policy log lines.
func (pw *policyWatch) reports() (events, logged []string) {
	events, _ = Eval[[]string](pw.p, `window.__policy || []`)
	pw.mu.Lock()
	defer pw.mu.Unlock()
	return events, append([]string(nil), pw.logged...)
}

// clean fails the test for any report, naming where the page was.
func (pw *policyWatch) clean(t *testing.T, where string) {
	t.Helper()
	events, logged := pw.reports()
	for _, e := range events {
		t.Errorf("%s: CSP violation: %s", where, e)
	}
	for _, l := range logged {
		t.Errorf("%s: %s", where, l)
	}
}

// provesHearing commits one inline-style violation on purpose and waits
// until both listeners report it: a silent walk then means no violation,
// not a deaf listener.
func (pw *policyWatch) provesHearing(t *testing.T) {
	t.Helper()
	MustEval[bool](pw.p, `(document.body.setAttribute('style', 'outline: 1px solid red'), true)`)
	deadline := time.Now().Add(10 * time.Second)
	for {
		events, logged := pw.reports()
		if len(events) == 1 && strings.HasPrefix(events[0], "style-src") && len(logged) == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("a deliberate inline style went unheard: events %q, log %q", events, logged)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The console's sign-in page and every page an admin reaches, a session's
// detail and its report: no CSP violation, no Permissions-Policy error.
func TestNoPolicyViolationsConsole(t *testing.T) {
	env := StartConsole(t)
	b := NewBrowser(t)
	th := env.Server.SignIn(t, env.Clinic.ID, store.RoleTherapist)
	var pat, sess struct{ ID string }
	if st := th.Do(http.MethodPost, "/api/patients", map[string]any{"code": "CSP-1", "birth_year": 1990, "screening": map[string]bool{}}, &pat); st != http.StatusCreated {
		t.Fatalf("patient: %d", st)
	}
	if st := th.Do(http.MethodPost, "/api/sessions", map[string]any{"patient_id": pat.ID, "protocol_id": "heights_ladder"}, &sess); st != http.StatusCreated {
		t.Fatalf("session: %d", st)
	}
	email, password := env.Account(t, store.RoleAdmin)
	pw := openWatched(t, b, env.URL+"/?locale=en#/signin", 1280, 900, consoleReady)
	pw.clean(t, "sign-in page")
	Do(t, pw.p, chromedp.SendKeys(`input[name=email]`, email), chromedp.SendKeys(`input[name=password]`, password),
		chromedp.Click(`form button[type=submit]`))
	WaitAcrossReload(t, pw.p, `window.havenConsole.ready && !location.hash.startsWith('#/signin') && document.querySelector('nav')`, 15*time.Second)
	pages := append(consolePages, struct{ name, hash string }{"session", "#/sessions/" + sess.ID},
		struct{ name, hash string }{"report", "#/sessions/" + sess.ID + "/report"})
	for _, pg := range pages {
		Go(t, pw.p, pg.hash)
		pw.clean(t, pg.name)
	}
	pw.provesHearing(t)
}

// The headset joined to a live session, in XR, in the exposure scene and
// then on a break: no CSP violation, no Permissions-Policy error.
func TestNoPolicyViolationsHeadsetLive(t *testing.T) {
	b := NewBrowser(t)
	e := startLive(t, heightsAt3)
	t0 := time.Now()
	pw := openWatched(t, b, e.srv.URL+"/xr/index.html?locale=en&iwer=quest3#code="+e.joinCode(), 800, 450,
		`document.documentElement.dataset.ready === "1"`)
	pw.p.Diag = patientDiag
	Do(t, pw.p, chromedp.Click(`#join-btn`))
	pw.p.WaitFor(`window.haven.state.connected === true`, 20*time.Second)
	e.waitConsole(10*time.Second, "patient connected", since(t0, sessionState(store.LiveLive, true)))
	if space := MustEval[string](pw.p, `window.haven.enterXR()`); space == "" {
		t.Fatal("no XR session")
	}
	pw.p.WaitFor(`window.haven.state.xr === true`, 20*time.Second)
	e.waitShowing(t, pw.p, `s.scene.template === "heights"`, time.Minute)
	// The break control: the calm scene and its panel, drawn by the headset itself.
	MustEval[bool](pw.p, `(window.haven.pressBreak(), true)`)
	pw.p.WaitFor(`window.haven.state.panel !== null`, 10*time.Second)
	framesIn(pw.p, 30) // thirty frames rendered with the panel up
	pw.clean(t, "headset in a live session")
	pw.provesHearing(t)
}

// The support room: join form, chat with messages, and the crisis panel.
func TestNoPolicyViolationsRoomChat(t *testing.T) {
	env, room := roomEnv(t)
	b := NewBrowser(t)
	pw := openWatched(t, b, env.URL+"/room/?lang=en#code="+room.Code, 400, 800,
		`document.querySelector('#room-face') && !document.querySelector('#room-face').hidden`)
	pw.clean(t, "room join form")
	clickQ(t, pw.p, `#accept`)
	clickQ(t, pw.p, `#join-btn`)
	Wait(t, pw.p, `window.havenRoom.channel && window.havenRoom.channel.readyState === 'open' && window.havenRoom.frames.includes('welcome')`, 20*time.Second)
	typeQ(t, pw.p, `#message`, "hello everyone")
	clickQ(t, pw.p, `#send-form button[type=submit]`)
	typeQ(t, pw.p, `#message`, crisisPhrase["en"])
	clickQ(t, pw.p, `#send-form button[type=submit]`)
	Wait(t, pw.p, `!document.querySelector('#crisis').hidden`, 10*time.Second)
	pw.clean(t, "room chat with the crisis panel")
	pw.provesHearing(t)
}
