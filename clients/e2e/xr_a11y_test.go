package e2e

// The patient's headset page (/xr/) for people who use a keyboard, a
// screen reader or another language (issues 15 and 23): one panel at a
// time, every 3D panel also in the DOM and the accessibility tree, single
// key shortcuts only in a live session, language changes only on an
// explicit confirm, the patient record's language, form errors tied to
// their field, and axe-core clean (WCAG 2.2 AA + best practice) on /xr/ and
// /room/ in English and Arabic.

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/havenvr/haven/server/groups"
	"github.com/havenvr/haven/server/simpeer"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/wire"
)

// axeRules are the rule sets issue 23 names: WCAG 2.0–2.2 A and AA, and axe's best practices.
var axeRules = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"}

// clientText is a message's built-in text from i18n/locales/client.LOCALE.json
// (the files the server and the headset's offline fallback are built from).
func clientText(t *testing.T, locale, id string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "i18n", "locales", "client."+locale+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]struct{ Other string }
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	if m[id].Other == "" {
		t.Fatalf("no %s in client.%s.json", id, locale)
	}
	return m[id].Other
}

// axTree is what assistive technology is given: Chromium's full
// accessibility tree (not the DOM), ignored nodes left out, as role → name → count.
type axTree map[string]map[string]int

func axSnapshot(t *testing.T, p *Page) axTree {
	t.Helper()
	ctx, cancel := context.WithTimeout(p.Ctx, 30*time.Second)
	defer cancel()
	res, err := chromedp.Call(ctx, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
	if err != nil {
		t.Fatalf("accessibility tree: %v", err)
	}
	out := axTree{}
	for _, n := range res.Nodes {
		if n.Ignored || n.Role == nil {
			continue
		}
		var role, name string
		_ = json.Unmarshal(n.Role.Value, &role)
		if n.Name != nil {
			_ = json.Unmarshal(n.Name.Value, &name)
		}
		if out[role] == nil {
			out[role] = map[string]int{}
		}
		out[role][name]++
	}
	return out
}

func (a axTree) count(role, name string) int { return a[role][name] }

func checkAxe(t *testing.T, p *Page, what string) {
	t.Helper()
	for _, v := range AxeTags(t, p, axeRules...) {
		t.Errorf("%s: axe %s (%s): %s\n  %s", what, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n  "))
	}
}

// settled resolves after the page has handled everything already queued:
// the key events' handlers, their microtasks and one frame. A reaction that
// would have started (a state change, a fetch, a reload) has started by then.
const settled = `new Promise((r) => requestAnimationFrame(() => setTimeout(() => r(true), 0)))`

// recordFetches logs every URL the page fetches from now on in window.__fetched.
const recordFetches = `(() => { if (window.__fetched) return true; window.__fetched = []; const f = window.fetch;
  window.fetch = (...a) => { window.__fetched.push(String(a[0] && a[0].url || a[0])); return f(...a); }; return true; })()`

// announcedJS records every text the live region #announce shows.
const announcedJS = `(() => { if (window.__said) return true; window.__said = [];
  new MutationObserver(() => { const s = document.getElementById('announce').textContent; if (s) window.__said.push(s); })
    .observe(document.getElementById('announce'), {childList: true, characterData: true, subtree: true}); return true; })()`

// TestXRShortcutsOnlyInALiveSession: `b` on the join page (WCAG 2.1.4) does
// nothing, neither on the page nor at the therapist's console; once joined
// it asks for a break; turned off in the comfort settings it does nothing,
// remapped it works on the new key.
func TestXRShortcutsOnlyInALiveSession(t *testing.T) {
	b := NewBrowser(t)
	e := startLive(t, heightsAt3)
	p := e.openPatient(b, "/xr/index.html?locale=en", 640, 480)
	t0 := time.Now()
	Do(t, p, chromedp.KeyEvent("b"), chromedp.KeyEvent("B"))
	Do(t, p, chromedp.Click(`#comfort summary`), chromedp.Focus(`#break-key`), chromedp.KeyEvent("b"))
	MustEval[bool](p, settled)
	if s := MustEval[map[string]any](p, `({open: window.haven.state.open, paused: window.haven.state.paused, join: !document.getElementById('join').hidden})`); len(s["open"].([]any)) != 0 || s["paused"] != false || s["join"] != true {
		t.Fatalf("b on the join page changed the page: %v", s)
	}
	// turn the key off, then join
	MustEval[bool](p, `(() => { const s = document.getElementById('break-key'); s.value = ''; s.dispatchEvent(new Event('change')); return true; })()`)
	Do(t, p, chromedp.SendKeys(`#code`, e.joinCode()), chromedp.Click(`#join-btn`))
	p.WaitFor(`window.haven.state.connected === true`, 20*time.Second)
	e.waitConsole(10*time.Second, "patient connected", since(t0, sessionState(store.LiveLive, true)))
	Do(t, p, chromedp.KeyEvent("b"))
	MustEval[bool](p, settled)
	if MustEval[bool](p, `window.haven.state.open.includes("break")`) {
		t.Fatal("b opened the break panel although the patient turned the shortcut off")
	}
	// remapped to P: P asks for a break, at once and at the console. The
	// control channel is ordered, so P's alert arriving is the proof that a
	// request from an earlier key would have arrived too: exactly one.
	MustEval[bool](p, `(localStorage.setItem('haven.break_key', 'p'), true)`)
	Do(t, p, chromedp.KeyEvent("p"))
	p.WaitFor(`window.haven.state.open.includes("break") && window.haven.state.paused`, 3*time.Second)
	e.waitConsole(10*time.Second, "break alert", since(t0, alertCode("break_requested")))
	if n := e.count(since(t0, alertCode("break_requested"))); n != 1 {
		t.Fatalf("%d break alerts at the console, want exactly 1 (P's): b asked for a break before joining or while turned off", n)
	}
}

// TestXRLanguageChangesOnlyOnConfirm: arrow keys on the language selector
// change nothing (WCAG 3.2.2); Apply does.
func TestXRLanguageChangesOnlyOnConfirm(t *testing.T) {
	b := NewBrowser(t)
	srv := StaticServer(t)
	p := b.NewPage(t, srv.URL+"/webxr/index.html?locale=en", 900, 700, `document.documentElement.dataset.ready === "1"`)
	title := func() string { return MustEval[string](p, `document.querySelector('#join h1').textContent`) }
	if got := title(); got != clientText(t, "en", "client.join.title") {
		t.Fatalf("join title %q", got)
	}
	MustEval[bool](p, recordFetches)
	Do(t, p, chromedp.Click(`#comfort summary`), chromedp.Focus(`#locale`), chromedp.KeyEvent(kb.ArrowDown), chromedp.KeyEvent(kb.ArrowDown))
	MustEval[bool](p, settled)
	if f := MustEval[[]string](p, `window.__fetched`); len(f) != 0 {
		t.Fatalf("moving the selector fetched %v before Apply", f)
	}
	chosen := MustEval[string](p, `document.getElementById('locale').value`)
	if chosen == "en" {
		t.Fatal("the arrow keys did not move the selector")
	}
	if lang := MustEval[string](p, `document.documentElement.lang`); lang != "en" || title() != clientText(t, "en", "client.join.title") {
		t.Fatalf("moving the selector to %s changed the page to %q (%q)", chosen, lang, title())
	}
	Do(t, p, chromedp.Click(`#locale-apply`))
	p.WaitFor(`document.documentElement.lang === `+jsString(chosen), 5*time.Second)
	if got := title(); got != clientText(t, chosen, "client.join.title") {
		t.Errorf("after Apply the title is %q, want %s's %q", got, chosen, clientText(t, chosen, "client.join.title"))
	}
}

// TestConsoleLanguageChangesOnlyOnConfirm: the console's selector, the
// same rule: arrows move the choice, Apply reloads in the new language.
func TestConsoleLanguageChangesOnlyOnConfirm(t *testing.T) {
	env := StartConsole(t)
	b := NewBrowser(t)
	p := env.OpenConsole(t, b, "en", "#/signin")
	// gone if the page reloads; __leaving is set the moment a reload begins
	MustEval[bool](p, `(window.__same = true, addEventListener('beforeunload', () => { window.__leaving = true; }), true)`)
	Do(t, p, chromedp.Focus(`#lang-picker`), chromedp.KeyEvent(kb.ArrowDown))
	MustEval[bool](p, settled)
	if MustEval[bool](p, `window.__leaving === true || localStorage.getItem('haven.console.locale') !== null`) {
		t.Fatal("moving the selector began a reload or stored a language before Apply")
	}
	chosen := MustEval[string](p, `document.getElementById('lang-picker').value`)
	if chosen == "en" {
		t.Fatal("the arrow key did not move the selector")
	}
	if !MustEval[bool](p, `window.__same === true && document.documentElement.lang === "en"`) {
		t.Fatalf("moving the selector to %s reloaded or changed the console", chosen)
	}
	Do(t, p, chromedp.Click(`#lang-apply`))
	WaitAcrossReload(t, p, `window.havenConsole && window.havenConsole.ready && document.documentElement.lang === `+jsString(chosen), 15*time.Second)
}

// TestXRJoinErrorsTiedToTheField: a missing or malformed code and a wrong
// one are each explained next to the field (aria-describedby,
// aria-invalid), with the rule, in the page's language.
func TestXRJoinErrorsTiedToTheField(t *testing.T) {
	b := NewBrowser(t)
	e := startLive(t, heightsAt3)
	for _, locale := range []string{"en", "ar"} {
		t.Run(locale, func(t *testing.T) {
			p := e.openPatient(b, "/xr/index.html?locale="+locale, 900, 700)
			check := func(id string) {
				t.Helper()
				want := clientText(t, locale, id)
				p.WaitFor(`document.getElementById('join-error').textContent === `+jsString(want), 10*time.Second)
				got := MustEval[map[string]string](p, `(() => { const c = document.getElementById('code');
				  return {invalid: c.getAttribute('aria-invalid') || '', described: c.getAttribute('aria-describedby') || '', focus: document.activeElement.id}; })()`)
				if got["invalid"] != "true" || !slices.Contains(strings.Fields(got["described"]), "join-error") || got["focus"] != "code" {
					t.Errorf("%s: field state %v, want aria-invalid, described by #join-error, focused", id, got)
				}
				if axSnapshot(t, p).count("textbox", clientText(t, locale, "client.join.code_label")) != 1 {
					t.Errorf("%s: no textbox named %q in the accessibility tree", id, clientText(t, locale, "client.join.code_label"))
				}
			}
			Do(t, p, chromedp.Click(`#join-btn`))
			check("client.join.code_missing")
			Do(t, p, chromedp.SendKeys(`#code`, "AB12"), chromedp.Click(`#join-btn`))
			check("client.join.code_format")
			Do(t, p, chromedp.SendKeys(`#code`, "3456"), chromedp.Click(`#join-btn`)) // 8 characters, not a live code
			check("client.join.bad_code")
			checkAxe(t, p, "join with an error ["+locale+"]")
			SaveArtifact(t, "xr-join-error-"+locale+".png", p.Screenshot())
			Do(t, p, chromedp.SendKeys(`#code`, "7"))
			p.WaitFor(`!document.getElementById('code').hasAttribute('aria-invalid') && document.getElementById('join-error').textContent === ''`, 3*time.Second)
		})
	}
}

// TestXRPanelsOneAtATime: a break during an open SUDS prompt shows the
// break panel alone; the prompt comes back after the therapist resumes;
// each panel is in the accessibility tree outside XR (the 3D canvas is
// not) and announced once through the live region; exactly one "I need a
// break" control; the closing panel offers no break.
func TestXRPanelsOneAtATime(t *testing.T) {
	b := NewBrowser(t)
	e := startLive(t, heightsAt3)
	p := e.openJoined(b, "/xr/index.html?locale=en", e.joinCode())
	if err := p.Do(chromedp.EmulateViewport(640, 480)); err != nil { // less software GL on a shared machine
		t.Fatal(err)
	}
	MustEval[bool](p, announcedJS)
	breakName := clientText(t, "en", "client.break.button")
	if n := axSnapshot(t, p).count("button", breakName); n != 1 {
		t.Errorf("%d buttons named %q in the accessibility tree, want 1", n, breakName)
	}

	e.con.Send("cmd.suds_prompt", wire.Empty{})
	waitTop(t, e, p, "rating", 10*time.Second)
	prompt := clientText(t, "en", "client.suds.prompt")
	ax := axSnapshot(t, p)
	if ax.count("group", prompt) != 1 || ax.count("region", prompt) != 1 {
		t.Error("the SUDS prompt is not a labelled region with a labelled group of answers in the accessibility tree")
	}
	// the question says 0 to 100: the answers are 0, 10, … 100 (docs/protocol.md suds.rating: 0–100)
	for v := 0; v <= 100; v += 10 {
		if ax.count("button", itoa(v)) != 1 {
			t.Errorf("no answer button %d in the accessibility tree", v)
		}
	}
	if got := MustEval[[]string](p, `window.haven.state.panels`); !slices.Equal(got, []string{"rating"}) {
		t.Errorf("3D panels %v, want only the rating", got)
	}
	SaveArtifact(t, "xr-suds-en.png", p.Screenshot())
	saidN := func(text string, n int) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second) // a 2.5 s hold per message; a loaded page runs its timers late
		for !MustEval[bool](p, `window.__said.filter((s) => s.startsWith(`+jsString(text)+`)).length >= `+itoa(n)) {
			if MustEval[bool](p, `window.haven.state.top === "lost" && window.haven.state.connected`) {
				waitTop(t, e, p, "rating", 10*time.Second) // a link lost on a loaded machine: resumed, the prompt is back
			}
			if time.Now().After(deadline) {
				t.Fatalf("%q not announced %d times: announced %q, top %q", text, n, MustEval[[]string](p, `window.__said`), MustEval[any](p, `window.haven.state.top`))
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	saidN(prompt, 1)

	// the patient asks for a break while the prompt is open
	t0 := time.Now()
	Do(t, p, chromedp.Click(`#break`))
	p.WaitFor(`window.haven.state.open.includes("break") && ["break", "lost"].includes(window.haven.state.top) && window.haven.state.dom_panel.kind === window.haven.state.top`, 5*time.Second)
	calm := clientText(t, "en", "client.calm.title")
	// one panel drawn, the prompt waiting underneath (a link lost on a loaded
	// machine may put its own panel above the break: one panel still)
	top := MustEval[string](p, `window.haven.state.top`)
	ax = axSnapshot(t, p)
	if ax.count("group", prompt) != 0 || ax.count("button", "70") != 0 || (top == "break" && ax.count("region", calm) != 1) {
		t.Errorf("during the break (panel on top: %s) the accessibility tree should hold that panel and not the prompt", top)
	}
	if got := MustEval[[]string](p, `window.haven.state.panels`); !slices.Equal(got, []string{"message"}) {
		t.Errorf("3D panels %v during the break, want one message alone", got)
	}
	if got := MustEval[string](p, `document.activeElement.id`); got != "panel-title" {
		t.Errorf("focus on #%s, want the panel's heading", got)
	}
	SaveArtifact(t, "xr-break-over-suds-en.png", p.Screenshot())
	e.waitConsole(3*time.Second, "break alert", since(t0, alertCode("break_requested")))
	e.waitConsole(3*time.Second, "paused", since(t0, sessionState(store.LivePaused, true)))
	if top == "break" {
		saidN(calm, 1) // queued behind the prompt's announcement, not over it
	}

	// the therapist resumes: the prompt is back, answered with a DOM button
	e.con.Send("cmd.resume", wire.Empty{})
	waitTop(t, e, p, "rating", 10*time.Second)
	// keyboard, as a screen-reader user would: 7 marks 70 on the scale, Enter answers
	MustEval[bool](p, `(document.querySelector('#panel-scale button[tabindex="0"]').focus(), true)`)
	Do(t, p, chromedp.KeyEvent("7"))
	p.WaitFor(`document.activeElement && document.activeElement.value === "70"`, 3*time.Second)
	Do(t, p, chromedp.KeyEvent(kb.Enter))
	got := e.waitConsole(3*time.Second, "rating", simpeer.Type("suds.rating"))
	if f := got.Body.(*wire.ForwardedSUDS); f.Value != 70 {
		t.Errorf("rating forwarded %+v, want 70", f)
	}
	p.WaitFor(`window.haven.state.dom_panel === null && window.haven.state.panels.length === 0`, 3*time.Second)

	// each panel was announced once, and the region does not keep it
	quiet := time.Now().Add(30 * time.Second) // 2.6 s a message, on a loaded page's late timers
	for !MustEval[bool](p, `window.haven.state.announcing === 0 && document.getElementById('announce').textContent === ''`) {
		if time.Now().After(quiet) {
			t.Fatalf("the live region still holds %q with %d waiting; announced %q", MustEval[string](p, `document.getElementById('announce').textContent`),
				MustEval[int](p, `window.haven.state.announcing`), MustEval[[]string](p, `window.__said`))
		}
		time.Sleep(200 * time.Millisecond)
	}
	said := MustEval[[]string](p, `window.__said`)
	if countPrefix(said, prompt) < 1 || (top == "break" && countPrefix(said, calm) != 1) {
		t.Errorf("announced %q: want the prompt and, queued behind it, the break once", said)
	}

	// a hard stop: the closing panel alone, no break offered anywhere
	e.con.Send("cmd.stop", wire.Empty{})
	p.WaitFor(`["hard_stop", "end"].includes(window.haven.state.top) && window.haven.state.break_shown === false`, 5*time.Second)
	if n := axSnapshot(t, p).count("button", breakName); n != 0 {
		t.Errorf("the closing panel still offers %d break buttons", n)
	}
	Do(t, p, chromedp.KeyEvent("b"))
	if s := MustEval[string](p, `window.haven.state.top`); s != "hard_stop" && s != "end" {
		t.Errorf("after b the panel is %q", s)
	}
	SaveArtifact(t, "xr-end-en.png", p.Screenshot())
}

// waitTop waits until the panel on top is want. A link lost on a loaded
// machine (the headset's 2 s watchdog) puts the lost panel above every
// other, as it must; the therapist's resume clears it and the waiting
// panel returns, so the walk can go on.
func waitTop(t *testing.T, e *liveEnv, p *Page, want string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s := MustEval[map[string]any](p, `({top: window.haven.state.top, dom: window.haven.state.dom_panel && window.haven.state.dom_panel.kind, connected: window.haven.state.connected})`)
		if s["top"] == want && s["dom"] == want {
			return
		}
		if s["top"] == "lost" && s["connected"] == true {
			t.Log("the link was lost on the way (loaded machine): the therapist resumes")
			e.con.Send("cmd.resume", wire.Empty{})
			p.WaitFor(`window.haven.state.top !== "lost"`, 5*time.Second)
			continue
		}
		if time.Now().After(deadline) {
			t.Fatalf("panel on top %v, want %s%s", s, want, p.diagnosis())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func countPrefix(list []string, prefix string) int {
	n := 0
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			n++
		}
	}
	return n
}

func itoa(v int) string { b, _ := json.Marshal(v); return string(b) }

// TestXRPatientLanguage: the patient record says Spanish; the headset
// (browser in English) turns Spanish at join. A patient who picked Arabic
// on the headset keeps Arabic.
func TestXRPatientLanguage(t *testing.T) {
	b := NewBrowser(t)
	e := startLiveFor(t, heightsAt3, map[string]any{"locale": "es"})
	p := e.openPatient(b, "/xr/index.html", 900, 700)
	if lang := MustEval[string](p, `document.documentElement.lang`); lang != "en" {
		t.Fatalf("before joining the page is %q, want the browser's English", lang)
	}
	Do(t, p, chromedp.SendKeys(`#code`, e.joinCode()), chromedp.Click(`#join-btn`))
	p.WaitFor(`window.haven.state.connected === true && document.documentElement.lang === "es"`, 20*time.Second)
	if got := MustEval[string](p, `document.getElementById('break').textContent`); got != clientText(t, "es", "client.break.button") {
		t.Errorf("break button %q after joining, want the Spanish %q", got, clientText(t, "es", "client.break.button"))
	}

	e2 := startLiveFor(t, heightsAt3, map[string]any{"locale": "es"})
	q := e2.openPatient(b, "/xr/index.html", 900, 700)
	Do(t, q, chromedp.Click(`#comfort summary`))
	MustEval[bool](q, `(document.getElementById('locale').value = 'ar', true)`)
	Do(t, q, chromedp.Click(`#locale-apply`))
	q.WaitFor(`document.documentElement.lang === "ar"`, 5*time.Second)
	Do(t, q, chromedp.SendKeys(`#code`, e2.joinCode()), chromedp.Click(`#join-btn`))
	// the clinic's wording loads once joined, in the record's language unless the patient picked one
	q.WaitFor(`window.haven.state.connected === true && document.documentElement.dataset.wording === 'clinic'`, 20*time.Second)
	if lang := MustEval[string](q, `document.documentElement.lang`); lang != "ar" {
		t.Errorf("the patient picked Arabic, the page is %q after joining", lang)
	}
}

// TestAxeXRAndRoom runs axe-core (WCAG 2.2 AA + best practice) on the
// patient's headset page (join, comfort settings, in session with the SUDS
// prompt and the break panel) and the support room (join, rules, chat,
// crisis panel), in English and Arabic, and keeps screenshots.
func TestAxeXRAndRoom(t *testing.T) {
	b := NewBrowser(t)
	for _, locale := range []string{"en", "ar"} {
		t.Run("xr-"+locale, func(t *testing.T) {
			e := startLive(t, heightsAt3)
			p := e.openPatient(b, "/xr/index.html?locale="+locale, 900, 700)
			checkAxe(t, p, "xr join ["+locale+"]")
			SaveArtifact(t, "xr-join-"+locale+".png", p.Screenshot())
			Do(t, p, chromedp.Click(`#comfort summary`))
			if h := MustEval[float64](p, `document.querySelector('#comfort summary').getBoundingClientRect().height`); h < 24 {
				t.Errorf("comfort settings summary is %.0f px tall, want ≥ 24 (WCAG 2.5.8)", h)
			}
			checkAxe(t, p, "xr comfort settings ["+locale+"]")
			SaveArtifact(t, "xr-comfort-"+locale+".png", p.Screenshot())
			Do(t, p, chromedp.Click(`#comfort summary`), chromedp.SendKeys(`#code`, e.joinCode()), chromedp.Click(`#join-btn`))
			p.WaitFor(`window.haven.state.connected === true`, 20*time.Second)
			if !MustEval[bool](p, `!!document.getElementById('sensor-badge').closest('header, main, nav, aside, footer, [role=region]')`) {
				t.Error("#sensor-badge is outside every landmark")
			}
			e.con.Send("cmd.suds_prompt", wire.Empty{})
			waitTop(t, e, p, "rating", 10*time.Second)
			checkAxe(t, p, "xr SUDS prompt ["+locale+"]")
			SaveArtifact(t, "xr-suds-"+locale+".png", p.Screenshot())
			Do(t, p, chromedp.Click(`#break`))
			// the break panel (or, after a link lost on a loaded machine, the lost panel above it)
			p.WaitFor(`window.haven.state.open.includes("break") && window.haven.state.dom_panel && window.haven.state.dom_panel.kind === window.haven.state.top`, 5*time.Second)
			checkAxe(t, p, "xr break panel ["+locale+"]")
			SaveArtifact(t, "xr-break-"+locale+".png", p.Screenshot())
		})
	}
	env := StartConsole(t)
	api := env.Server.SignIn(t, env.Clinic.ID, store.RoleAdmin)
	phrases := map[string]string{"en": "Honestly I just want to kill myself tonight", "ar": "لا اريد ان اعيش بعد الآن"}
	for _, locale := range []string{"en", "ar"} {
		t.Run("room-"+locale, func(t *testing.T) {
			var room groups.RoomView
			if st := api.Do(http.MethodPost, "/api/groups/rooms", map[string]any{"topic": "Evening circle", "locale": locale,
				"require_moderator": false, "lobby": false}, &room); st != http.StatusCreated {
				t.Fatalf("creating the room: status %d", st)
			}
			m := b.NewPage(t, env.URL+"/room/?lang="+locale, 900, 800, `document.querySelector('#code')`)
			checkAxe(t, m, "room join ["+locale+"]")
			SaveArtifact(t, "room-join-"+locale+".png", m.Screenshot())
			Do(t, m, chromedp.SendKeys(`#code`, room.Code), chromedp.Click(`#code-form button[type=submit]`))
			m.WaitFor(`document.querySelector('#room-face') && !document.querySelector('#room-face').hidden && !document.querySelector('#join-btn').disabled`, 15*time.Second)
			checkAxe(t, m, "room rules ["+locale+"]")
			SaveArtifact(t, "room-rules-"+locale+".png", m.Screenshot())
			Do(t, m, chromedp.Click(`#accept`), chromedp.Click(`#join-btn`))
			m.WaitFor(`window.havenRoom.channel && window.havenRoom.channel.readyState === 'open' && window.havenRoom.frames.includes('welcome')`, 20*time.Second)
			checkAxe(t, m, "room chat ["+locale+"]")
			SaveArtifact(t, "room-chat-"+locale+".png", m.Screenshot())
			Do(t, m, chromedp.SendKeys(`#message`, phrases[locale]), chromedp.Click(`#send-form button[type=submit]`))
			m.WaitFor(`!document.querySelector('#crisis').hidden`, 10*time.Second)
			checkAxe(t, m, "room crisis panel ["+locale+"]")
			SaveArtifact(t, "room-crisis-"+locale+".png", m.Screenshot())
		})
	}
}
