package e2e

// The support room's member page where people in distress use it: the
// crisis panel on a phone (320×640 and 400 % zoom), the join form's errors
// tied to their fields in the reader's language, the focus ring's contrast
// measured from computed styles, and a chat log that reads each message
// once, without the buttons beside it. English and Arabic; screenshots of
// each state are saved as artifacts.

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/havenvr/haven/server/groups"
	"github.com/havenvr/haven/server/store"
)

// roomEnv is a running server with one open room of a clinic in Great
// Britain (no lobby, no moderator needed) and a curated helpline list with
// lines of three countries, one of them not re-checked for two years.
func roomEnv(t *testing.T) (*ConsoleEnv, groups.RoomView) {
	t.Helper()
	RequireBuilt(t, "room")
	env := StartConsole(t)
	admin := env.Server.SignIn(t, env.Clinic.ID, store.RoleAdmin)
	now := time.Now().UTC()
	lines := []map[string]any{
		{"country": "US", "name": "988 Suicide & Crisis Lifeline", "phone": "988", "hours": "24/7", "last_verified": now.AddDate(0, -1, 0)},
		{"country": "FR", "name": "3114", "phone": "3114", "hours": "24/7", "last_verified": now.AddDate(0, -2, 0)},
		{"country": "GB", "name": "Old GB line", "phone": "0800 000 0000", "hours": "24/7", "last_verified": now.AddDate(-2, 0, 0)},
		{"country": "GB", "name": "Samaritans", "phone": "116 123", "url": "https://www.samaritans.org", "hours": "24/7", "last_verified": now.AddDate(0, -3, 0)},
	}
	for i := 0; i < 6; i++ { // enough lines that the panel must scroll on a phone
		lines = append(lines, map[string]any{"country": "DE", "name": "TelefonSeelsorge " + strconv.Itoa(i+1), "phone": "0800 111 0 11" + strconv.Itoa(i),
			"url": "https://www.telefonseelsorge.de", "hours": "24/7", "last_verified": now.AddDate(0, -1, 0)})
	}
	if st := admin.Do(http.MethodPut, "/api/groups/resources", lines, nil); st != http.StatusOK {
		t.Fatalf("saving helplines: status %d", st)
	}
	var room groups.RoomView
	if st := admin.Do(http.MethodPost, "/api/groups/rooms", map[string]any{"topic": "Evening circle", "locale": "en", "country": "GB",
		"require_moderator": false, "lobby": false}, &room); st != http.StatusCreated {
		t.Fatalf("creating the room: status %d", st)
	}
	return env, room
}

// joinRoom opens the member page in locale at w×h, joins and waits for the chat.
func joinRoom(t *testing.T, b *Browser, env *ConsoleEnv, room groups.RoomView, locale string, w, h int64) *Page {
	t.Helper()
	p := b.NewPage(t, env.URL+"/room/?lang="+locale+"#code="+room.Code, w, h, `document.querySelector('#room-face') && !document.querySelector('#room-face').hidden && !document.querySelector('#join-btn').disabled`)
	p.Diag = `JSON.stringify({frames: (window.havenRoom || {}).frames, error: document.querySelector('#join-error').textContent})`
	clickQ(t, p, `#accept`)
	clickQ(t, p, `#join-btn`)
	Wait(t, p, `window.havenRoom.channel && window.havenRoom.channel.readyState === 'open' && window.havenRoom.frames.includes('welcome')`, 20*time.Second)
	return p
}

// crisisPhrase is one of Haven's built-in crisis phrases per language (server/groups/phrases.go).
var crisisPhrase = map[string]string{"en": "I want to end my life", "ar": "لا اريد ان اعيش"}

type rect struct{ Top, Bottom, Left, Right, W, H float64 }

func rectOf(t *testing.T, p *Page, sel string) rect {
	t.Helper()
	return MustEval[rect](p, `(() => { const r = document.querySelector(`+jsString(sel)+`).getBoundingClientRect();
		return {Top: r.top, Bottom: r.bottom, Left: r.left, Right: r.right, W: innerWidth, H: innerHeight}; })()`)
}

// okReachable asserts the panel and its OK button lie inside the viewport
// and that the button is what a tap at its centre hits.
func okReachable(t *testing.T, p *Page, where string) {
	t.Helper()
	panel, ok := rectOf(t, p, `#crisis`), rectOf(t, p, `#crisis-close`)
	if panel.Top < 0 || panel.Left < 0 || panel.Bottom > panel.H+0.5 || panel.Right > panel.W+0.5 {
		t.Errorf("%s: panel %+v does not fit the viewport", where, panel)
	}
	if ok.Top < 0 || ok.Bottom > ok.H+0.5 || ok.Bottom-ok.Top < 24 {
		t.Errorf("%s: OK button at %+v is out of reach", where, ok)
	}
	if !MustEval[bool](p, `(() => { const r = document.querySelector('#crisis-close').getBoundingClientRect();
		return document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2) === document.querySelector('#crisis-close'); })()`) {
		t.Errorf("%s: a tap on the OK button hits something else", where)
	}
	if sw := MustEval[float64](p, `document.documentElement.scrollWidth - innerWidth`); sw > 0 {
		t.Errorf("%s: the page scrolls sideways by %v px", where, sw)
	}
}

func activeInCrisis(p *Page) (bool, string) {
	v, _ := Eval[[]any](p, `[document.querySelector('#crisis').contains(document.activeElement), document.activeElement.id || document.activeElement.tagName]`)
	if len(v) != 2 {
		return false, ""
	}
	in, _ := v[0].(bool)
	return in, fmt.Sprint(v[1])
}

// TestRoomCrisisPanelOnPhone: at 320×640 and at 400 % zoom the crisis panel
// fits, scrolls inside itself, its OK button is on screen; the clinic's
// country's checked line comes first and the stale one is marked; Tab and
// Shift+Tab stay inside while it is open, Escape closes it and focus returns
// to the message box; Arabic runs right to left.
func TestRoomCrisisPanelOnPhone(t *testing.T) {
	env, room := roomEnv(t)
	b := NewBrowser(t)
	for _, locale := range []string{"en", "ar"} {
		t.Run(locale, func(t *testing.T) {
			p := joinRoom(t, b, env, room, locale, 320, 640)
			SaveArtifact(t, "room-chat-"+locale+"-320.png", p.Screenshot())
			typeQ(t, p, `#message`, crisisPhrase[locale])
			clickQ(t, p, `#send-form button[type=submit]`)
			Wait(t, p, `!document.querySelector('#crisis').hidden && document.querySelectorAll('#crisis-list li').length === 10`, 10*time.Second)
			SaveArtifact(t, "room-crisis-"+locale+"-320x640.png", p.Screenshot())

			okReachable(t, p, "320×640")
			if sh := MustEval[float64](p, `(e => e.scrollHeight - e.clientHeight)(document.querySelector('#crisis .crisis-scroll'))`); sh <= 0 {
				t.Errorf("ten helplines fit 320×640 without scrolling (%v): the test does not exercise scrolling", sh)
			}
			items := MustEval[[]string](p, `[...document.querySelectorAll('#crisis-list li')].map(li => li.textContent)`)
			if !strings.HasPrefix(items[0], "Samaritans") || !strings.HasPrefix(items[1], "Old GB line") {
				t.Errorf("helplines in order %q: want the clinic's country (GB) first, the checked line before the stale one", items[:3])
			}
			if stale := msg(t, env, locale, "group.crisis.stale"); !strings.Contains(items[1], stale) || strings.Contains(items[0], stale) {
				t.Errorf("stale marking: first %q, second %q; want only the line last checked two years ago marked %q", items[0], items[1], stale)
			}
			if got := MustEval[string](p, `document.activeElement.id`); got != "crisis-close" {
				t.Errorf("focus on opening = %q, want the OK button", got)
			}
			if locale == "ar" {
				for _, sel := range []string{"#crisis-body", "#crisis-title", "#crisis-list li"} {
					if dir := MustEval[string](p, `getComputedStyle(document.querySelector(`+jsString(sel)+`)).direction`); dir != "rtl" {
						t.Errorf("%s runs %s in Arabic", sel, dir)
					}
				}
			}

			// Focus is trapped: 15 Tabs and 15 Shift+Tabs never leave the panel.
			for i := 0; i < 15; i++ {
				Do(t, p, chromedp.KeyEvent(kb.Tab))
				if in, at := activeInCrisis(p); !in {
					t.Fatalf("Tab %d left the open panel for %s", i+1, at)
				}
			}
			for i := 0; i < 15; i++ {
				Do(t, p, chromedp.KeyEvent(kb.Tab, chromedp.KeyModifiers(chromedp.ModifierShift)))
				if in, at := activeInCrisis(p); !in {
					t.Fatalf("Shift+Tab %d left the open panel for %s", i+1, at)
				}
			}
			// The last line is reachable by scrolling inside the panel.
			MustEval[bool](p, `(document.querySelector('#crisis-list li:last-child a').focus(), true)`)
			if last := rectOf(t, p, `#crisis-list li:last-child a`); last.Bottom > last.H || last.Top < 0 {
				t.Errorf("the last helpline stays out of view when focused: %+v", last)
			}
			okReachable(t, p, "320×640 scrolled")

			// 400 % zoom of a 1280×800 window is a 320×200 CSS-pixel viewport.
			Do(t, p, chromedp.EmulateViewport(320, 200))
			p.WaitFor(`innerHeight === 200`, 5*time.Second)
			okReachable(t, p, "400 % zoom (320×200)")
			SaveArtifact(t, "room-crisis-"+locale+"-400pct.png", p.Screenshot())
			Do(t, p, chromedp.EmulateViewport(1280, 800))
			p.WaitFor(`innerWidth === 1280`, 5*time.Second)
			okReachable(t, p, "desktop (1280×800)")
			SaveArtifact(t, "room-crisis-"+locale+"-desktop.png", p.Screenshot())
			Do(t, p, chromedp.EmulateViewport(320, 640))
			p.WaitFor(`innerHeight === 640`, 5*time.Second)

			Do(t, p, chromedp.KeyEvent(kb.Escape))
			p.WaitFor(`document.querySelector('#crisis').hidden`, 5*time.Second)
			if got := MustEval[string](p, `document.activeElement.id`); got != "message" {
				t.Errorf("after Escape focus is on %q, want the message box it came from", got)
			}
		})
	}
}

// TestRoomFormErrorsLinkedToFields: each join-form error sits under its
// field, is linked to it (aria-describedby, aria-invalid), states the rule,
// and is in the page's language (the nickname error was English on the
// Arabic page).
func TestRoomFormErrorsLinkedToFields(t *testing.T) {
	env, room := roomEnv(t)
	b := NewBrowser(t)
	linked := func(t *testing.T, p *Page, field, want string) {
		t.Helper()
		got := MustEval[[]string](p, `(() => { const f = document.getElementById(`+jsString(field)+`);
			const ids = (f.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
			return [f.getAttribute('aria-invalid') || '', ids.map(id => document.getElementById(id)?.textContent || '').join(' ').trim()]; })()`)
		if got[0] != "true" || got[1] != want {
			t.Errorf("%s: aria-invalid=%q, described by %q; want true and %q", field, got[0], got[1], want)
		}
	}
	for _, locale := range []string{"en", "ar"} {
		t.Run(locale, func(t *testing.T) {
			p := b.NewPage(t, env.URL+"/room/?lang="+locale, 1280, 800, `document.documentElement.lang === `+jsString(locale)+` && document.querySelector('#code-form button').textContent !== ''`)
			typeQ(t, p, `#code`, "AB")
			clickQ(t, p, `#code-form button[type=submit]`)
			linked(t, p, "code", msg(t, env, locale, "group.error.code_format"))
			if got := MustEval[string](p, `document.activeElement.id`); got != "code" {
				t.Errorf("focus after the code error = %q, want the code field", got)
			}
			SaveArtifact(t, "room-error-code-"+locale+".png", p.Screenshot())

			Do(t, p, chromedp.SetValue(`#code`, room.Code))
			clickQ(t, p, `#code-form button[type=submit]`)
			p.WaitFor(`!document.querySelector('#room-face').hidden`, 10*time.Second)
			if MustEval[bool](p, `document.getElementById('code').hasAttribute('aria-invalid')`) {
				t.Error("the code field stays invalid after a good code")
			}
			clickQ(t, p, `#join-btn`)
			linked(t, p, "accept", msg(t, env, locale, "group.error.accept_rules"))

			// U+041C CYRILLIC CAPITAL LETTER EM: reads "Moderator"
			Do(t, p, chromedp.SetValue(`#pseudonym`, "\u041Coderator"))
			clickQ(t, p, `#accept`)
			clickQ(t, p, `#join-btn`)
			want := msg(t, env, locale, "error.validation", map[string]any{"Field": msg(t, env, locale, "group.page.pseudonym_label"),
				"Detail": msg(t, env, locale, "group.error.pseudonym_rule")})
			p.WaitFor(`document.getElementById('pseudonym').getAttribute('aria-invalid') === 'true'`, 10*time.Second)
			linked(t, p, "pseudonym", want)
			if MustEval[bool](p, `document.getElementById('accept').hasAttribute('aria-invalid')`) {
				t.Error("the rules checkbox stays invalid after it was ticked")
			}
			SaveArtifact(t, "room-error-nickname-"+locale+".png", p.Screenshot())
		})
	}
}

// relativeLuminance and contrastRatio are WCAG 2.2's definitions
// (https://www.w3.org/TR/WCAG22/#dfn-relative-luminance, #dfn-contrast-ratio).
func relativeLuminance(r, g, b float64) float64 {
	lin := func(c float64) float64 {
		c /= 255
		if c <= 0.04045 {
			return c / 12.92
		}
		return math.Pow((c+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
}

func contrastRatio(a, b [3]float64) float64 {
	la, lb := relativeLuminance(a[0], a[1], a[2]), relativeLuminance(b[0], b[1], b[2])
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func TestContrastRatioFormula(t *testing.T) {
	// Reference values: black on white is 21:1 (WCAG 2.2, Understanding
	// SC 1.4.3); the old ring, CSS "orange" (#ffa500) on white, was
	// reported at 1.97:1 in the audit that filed the issue.
	for _, tc := range []struct {
		a, b [3]float64
		want float64
	}{{[3]float64{0, 0, 0}, [3]float64{255, 255, 255}, 21}, {[3]float64{255, 165, 0}, [3]float64{255, 255, 255}, 1.97}} {
		if got := contrastRatio(tc.a, tc.b); math.Abs(got-tc.want) > 0.01 {
			t.Errorf("contrast %v on %v = %.3f, want %.2f", tc.a, tc.b, got, tc.want)
		}
	}
}

// TestRoomFocusRingContrast: every focusable control of the join page and
// the chat, reached with the keyboard, draws a focus ring of at least 3:1
// against the page behind it (WCAG 2.2 SC 1.4.11 and 2.4.13's contrast),
// measured from computed styles; and the chat log reads a message once,
// without the buttons beside it.
func TestRoomFocusRingContrast(t *testing.T) {
	env, room := roomEnv(t)
	b := NewBrowser(t)
	p := b.NewPage(t, env.URL+"/room/?lang=en#code="+room.Code, 1024, 768, `!document.querySelector('#room-face').hidden`)
	SaveArtifact(t, "room-join-en-desktop.png", p.Screenshot())
	measured := 0
	for i := 0; i < 8; i++ {
		Do(t, p, chromedp.KeyEvent(kb.Tab))
		got := MustEval[map[string]any](p, `(() => {
			const el = document.activeElement;
			const cs = getComputedStyle(el);
			const rgb = (s) => (s.match(/[\d.]+/g) || []).slice(0, 4).map(Number);
			let bg = null;
			for (let n = el.parentElement; n; n = n.parentElement) { // the ring sits outside the element, on its parent's background
				const c = rgb(getComputedStyle(n).backgroundColor);
				if (c.length === 3 || (c.length === 4 && c[3] > 0)) { bg = c; break; }
			}
			return {id: el.id || el.tagName, visible: el.matches(':focus-visible'), style: cs.outlineStyle, width: parseFloat(cs.outlineWidth), ring: rgb(cs.outlineColor), bg: bg || [255, 255, 255]};
		})()`)
		id := fmt.Sprint(got["id"])
		if id == "BODY" {
			continue
		}
		if got["visible"] != true || got["style"] == "none" || got["width"].(float64) < 2 {
			t.Errorf("%s: no visible focus ring (%v)", id, got)
			continue
		}
		ring, bg := toRGB(got["ring"]), toRGB(got["bg"])
		if c := contrastRatio(ring, bg); c < 3 {
			t.Errorf("%s: focus ring %v on %v has contrast %.2f:1, want ≥ 3:1", id, ring, bg, c)
		} else {
			t.Logf("%s: focus ring %v on %v: %.2f:1", id, ring, bg, c)
		}
		measured++
	}
	if measured < 3 {
		t.Fatalf("measured %d focus rings", measured)
	}

	// The chat log: a message is announced once as "name: text", the log
	// itself is not a live region (it would read every button), and each
	// message carries one button, not eight.
	clickQ(t, p, `#accept`)
	clickQ(t, p, `#join-btn`)
	Wait(t, p, `window.havenRoom.channel && window.havenRoom.channel.readyState === 'open' && window.havenRoom.frames.includes('welcome')`, 20*time.Second)
	jr, other := joinMember(t, env, room.Code)
	other.send("chat.send", map[string]any{"text": "hello from across the room"})
	p.WaitFor(`[...document.querySelectorAll('#log li.msg .text')].some(s => s.textContent === 'hello from across the room')`, 10*time.Second)
	p.WaitFor(`document.getElementById('announce').textContent !== ''`, 5*time.Second)
	if got, want := MustEval[string](p, `document.getElementById('announce').textContent`), jr.Pseudonym+": hello from across the room"; got != want {
		t.Errorf("announced %q, want %q", got, want)
	}
	if live := MustEval[string](p, `document.getElementById('log').getAttribute('aria-live') || ''`); live != "" && live != "off" {
		t.Errorf("the chat log is aria-live=%q: a screen reader reads its buttons with every message", live)
	}
	if n := MustEval[int](p, `[...document.querySelectorAll('#log li.msg')].pop().querySelectorAll('button:not([hidden] button)').length`); n != 1 {
		t.Errorf("a message carries %d visible buttons, want one", n)
	}
	if st := MustEval[string](p, `document.getElementById('conn-status').textContent`); st == msg(t, env, "en", "group.page.connecting") {
		t.Errorf("the status still says %q after the chat opened", st)
	}
	SaveArtifact(t, "room-chat-en-desktop.png", p.Screenshot())
}

func toRGB(v any) [3]float64 {
	var out [3]float64
	if list, ok := v.([]any); ok {
		for i := 0; i < 3 && i < len(list); i++ {
			out[i], _ = list[i].(float64)
		}
	}
	return out
}
