package e2e

// The console's browser-test toolkit: a real Haven server (apptest) serving
// the built console at / and the patient client at /xr/ on the same origin
// as the API (cookies and CSRF behave as in production), accounts with known passwords, sign-in through the real
// form, axe-core injection, the pseudo-locale "no unlocalized text" scan and
// screenshots. The therapist↔patient end-to-end test builds on these.

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/havenvr/haven/server/apptest"
	"github.com/havenvr/haven/server/config"
	"github.com/havenvr/haven/server/store"
)

// ConsoleEnv is a running server and one clinic in it.
type ConsoleEnv struct {
	Server *apptest.Server
	URL    string // the server itself: console at /, patient client at /xr/, API under /api/
	Clinic store.Clinic
}

// StartConsole starts the real server for t; it serves the embedded
// console and patient client exactly as in production (same origin as the
// API, so cookies, CSRF and the security headers behave as they will for a
// clinic). It skips when the clients have not been built (`node build.mjs`
// in clients/), or fails under CI=true.
func StartConsole(t *testing.T) *ConsoleEnv {
	t.Helper()
	return StartConsoleWith(t, nil)
}

// StartConsoleWith is StartConsole with the server's configuration changed by modify.
func StartConsoleWith(t *testing.T, modify func(*config.Config)) *ConsoleEnv {
	t.Helper()
	RequireBuilt(t, "console")
	RequireBuilt(t, "webxr")
	srv := apptest.Start(t, modify)
	return &ConsoleEnv{Server: srv, URL: srv.URL, Clinic: srv.NewClinic(t, "Clinic "+store.RandomToken(4))}
}

// HasRoute reports whether the running server registered METHOD path (Echo syntax).
func (e *ConsoleEnv) HasRoute(method, path string) bool {
	for _, r := range e.Server.App.Web.Routes() {
		if r.Method == method && r.Path == path {
			return true
		}
	}
	return false
}

// Account creates a staff account with a known password in the env's clinic.
func (e *ConsoleEnv) Account(t *testing.T, role store.Role) (email, password string) {
	t.Helper()
	email = string(role) + "-" + strings.ToLower(store.RandomToken(5)) + "@clinic.test"
	password = "correct-horse-" + store.RandomToken(8)
	if _, err := e.Server.App.Auth.SetPassword(context.Background(), e.Clinic.ID, email, "Dr "+string(role), role, password); err != nil {
		t.Fatalf("e2e: creating %s account: %v", role, err)
	}
	return email, password
}

// consoleReady is true once the console has mounted a route.
const consoleReady = `window.havenConsole && window.havenConsole.ready === true`

// consoleDiag summarises the console for a failed wait: the address, the
// route last mounted, whether it is ready, the requests it still waits
// for (with their age) and the page's heading and errors.
const consoleDiag = `JSON.stringify({hash: location.hash, route: (window.havenConsole || {}).route, ready: (window.havenConsole || {}).ready,
  pending: window.havenConsole && window.havenConsole.pending ? window.havenConsole.pending() : null,
  heading: (document.querySelector('main h1') || {}).textContent, errors: [...document.querySelectorAll('main .error')].map((e) => e.textContent)})`

// OpenConsole opens the console at hash (e.g. "#/signin") in locale.
func (e *ConsoleEnv) OpenConsole(t *testing.T, b *Browser, locale, hash string) *Page {
	t.Helper()
	p := b.NewPage(t, e.URL+"/?locale="+url.QueryEscape(locale)+hash, 1280, 900, "")
	p.Diag = consoleDiag
	p.WaitFor(consoleReady, 30*time.Second)
	return p
}

// SignIn opens the console in locale and signs in through the form, typing
// like a user. It returns the page showing the role's start page.
func (e *ConsoleEnv) SignIn(t *testing.T, b *Browser, locale string, role store.Role) *Page {
	t.Helper()
	email, password := e.Account(t, role)
	p := e.OpenConsole(t, b, locale, "#/signin")
	Do(t, p, chromedp.SendKeys(`input[name=email]`, email),
		chromedp.SendKeys(`input[name=password]`, password),
		chromedp.Click(`form button[type=submit]`))
	WaitAcrossReload(t, p, `window.havenConsole.ready && !location.hash.startsWith('#/signin') && document.querySelector('nav')`, 15*time.Second)
	return p
}

// Do runs chromedp actions on the page, failing the test on error or when
// they take longer than evalLimit.
func Do(t *testing.T, p *Page, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := p.Do(actions...); err != nil {
		t.Fatalf("e2e: %v\nconsole: %s", err, strings.Join(p.Console(), "\n"))
	}
}

// Go navigates the console to a hash route and waits until it is mounted.
func Go(t *testing.T, p *Page, hash string) {
	t.Helper()
	MustEval[bool](p, `(() => { window.havenConsole.go(`+jsString(hash)+`); return true; })()`)
	// Ready for this route, not a page still finishing the one before.
	p.WaitFor(consoleReady+` && window.havenConsole.route === `+jsString(strings.TrimPrefix(hash, "#")), 30*time.Second)
}

// AxeViolation is one failed axe-core rule with a few offending nodes.
type AxeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

var axeSource string

// Axe runs axe-core (injected from node_modules) against the page with the
// WCAG 2.0/2.1/2.2 A and AA rule sets and returns the violations.
func Axe(t *testing.T, p *Page) []AxeViolation {
	t.Helper()
	return AxeTags(t, p, "wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")
}

// AxeTags runs axe-core with the given rule tags (e.g. "best-practice").
func AxeTags(t *testing.T, p *Page, tags ...string) []AxeViolation {
	t.Helper()
	if axeSource == "" {
		data, err := os.ReadFile(filepath.Join("..", "node_modules", "axe-core", "axe.min.js"))
		if err != nil {
			t.Fatalf("e2e: axe-core not installed (npm ci in clients/): %v", err)
		}
		axeSource = string(data)
	}
	if !MustEval[bool](p, `typeof window.axe === 'object'`) {
		if _, err := Eval[any](p, axeSource+";true"); err != nil {
			t.Fatalf("e2e: injecting axe-core: %v", err)
		}
	}
	list, _ := json.Marshal(tags)
	return MustEval[[]AxeViolation](p, `axe.run(document, {runOnly: {type: 'tag', values: `+string(list)+`}, resultTypes: ['violations']})
	  .then(r => r.violations.map(v => ({id: v.id, impact: v.impact || '', help: v.help,
	    nodes: v.nodes.slice(0, 4).map(n => n.target.join(' ') + ' — ' + (n.failureSummary || '').replace(/\s+/g, ' '))})))`)
}

// unlocalizedJS lists visible text (and accessible names) that is not
// pseudo-localized: every piece of console text in en-XA is bracketed.
// Data the user typed or the server stores (codes, e-mails, dates) is marked
// translate="no" or sits in <time>, and language names carry their own lang.
const unlocalizedJS = `(() => {
  const bad = [];
  const exempt = (el) => el.closest('[translate="no"], script, style, time, noscript, [lang]:not(html)');
  // whatever is left after removing every bracketed message must hold no letters
  // innermost first: a message may hold another (a scene's name in a sentence)
  const strip = (s) => { for (let prev; prev !== s;) { prev = s; s = s.replace(/\[[^\[\]]*\]/g, ''); } return s; };
  const check = (s, where) => { s = (s || '').trim(); if (/\p{L}/u.test(strip(s))) bad.push(where + ': ' + s.slice(0, 80)); };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n; (n = walker.nextNode());) {
    const el = n.parentElement;
    if (!el || exempt(el)) continue;
    const shown = el.tagName === 'OPTION' || el.getClientRects().length > 0 || el.closest('.sr-only');
    if (shown) check(n.nodeValue, el.tagName.toLowerCase());
  }
  for (const el of document.querySelectorAll('[aria-label], [title], [placeholder]')) {
    if (exempt(el)) continue;
    for (const a of ['aria-label', 'title', 'placeholder']) if (el.hasAttribute(a)) check(el.getAttribute(a), a);
  }
  check(document.title.replace(/ · Haven$/, ''), 'title');
  return bad;
})()`

// Unlocalized returns the text on the page that skipped localization (en-XA only).
func Unlocalized(t *testing.T, p *Page) []string {
	t.Helper()
	return MustEval[[]string](p, unlocalizedJS)
}

// MissingMessages returns message ids the console asked for but did not have.
func MissingMessages(t *testing.T, p *Page) []string {
	t.Helper()
	return MustEval[[]string](p, `window.havenConsole.missing || []`)
}

// CheckPage runs every page-level check for locale and keeps a screenshot:
// axe clean, no missing message ids, en-XA fully bracketed, ar right-to-left.
func CheckPage(t *testing.T, p *Page, locale, name string) {
	t.Helper()
	p.WaitFor(`!document.querySelector('[aria-busy="true"]')`, 10*time.Second)
	SaveArtifact(t, "console-"+locale+"-"+name+".png", p.Screenshot())
	for _, v := range Axe(t, p) {
		t.Errorf("%s [%s]: axe %s (%s): %s\n  %s", name, locale, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n  "))
	}
	if miss := MissingMessages(t, p); len(miss) > 0 {
		t.Errorf("%s [%s]: message ids missing from the bundle: %v", name, locale, miss)
	}
	switch locale {
	case "en-XA":
		if bad := Unlocalized(t, p); len(bad) > 0 {
			t.Errorf("%s [en-XA]: unlocalized text:\n  %s", name, strings.Join(bad, "\n  "))
		}
	case "ar":
		got := MustEval[[]string](p, `[document.documentElement.lang, document.documentElement.dir, getComputedStyle(document.body).direction]`)
		if got[0] != "ar" || got[1] != "rtl" || got[2] != "rtl" {
			t.Errorf("%s [ar]: lang/dir/direction = %v, want ar rtl rtl", name, got)
		}
	}
	if errs := consoleErrors(p); len(errs) > 0 {
		t.Errorf("%s [%s]: browser console errors:\n  %s", name, locale, strings.Join(errs, "\n  "))
	}
}

// consoleErrors returns console errors and exceptions, ignoring the expected
// 401 of /api/me before sign-in and WebGL performance warnings.
func consoleErrors(p *Page) []string {
	var out []string
	for _, l := range p.Console() {
		if strings.Contains(l, "401") || strings.Contains(l, "GL_") || strings.Contains(l, "WebGL") || strings.HasPrefix(l, "warning:") {
			continue
		}
		out = append(out, l)
	}
	return out
}

// Wait polls expr (coerced to a boolean, so it may name any object) until true or timeout.
func Wait(t *testing.T, p *Page, expr string, timeout time.Duration) {
	t.Helper()
	p.WaitFor("!!("+expr+")", timeout)
}

// WaitAcrossReload is Wait for expressions that span a page reload (sign-in
// reloads the console): evaluation errors while the page navigates are retried.
func WaitAcrossReload(t *testing.T, p *Page, expr string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if ok, err := Eval[bool](p, "!!("+expr+")"); err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("e2e: waiting for %q across a reload: timeout%s\nconsole: %s", expr, p.diagnosis(), strings.Join(p.Console(), "\n"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// msg is the built-in text of a message in locale, as the clinic is served
// it, with data for its placeholders.
func msg(t *testing.T, env *ConsoleEnv, locale, id string, data ...map[string]any) string {
	t.Helper()
	var d map[string]any
	if len(data) > 0 {
		d = data[0]
	}
	s, err := env.Server.App.Localize.Bundle.ForLocale(env.Clinic.ID, locale).Lookup(id, d)
	if err != nil || s == "" {
		t.Fatalf("message %s/%s: %q %v", locale, id, s, err)
	}
	return s
}
