package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/havenvr/haven/server/store"
)

// TestConsoleObserverEntry: the way in for a supervisor. From the sessions
// list (beside a session's state) and from the therapist's live view of a
// session, "Listen as an observer" opens the same session as an observer
// (?role=observer): the page says what the observer view leaves
// out, has no microphone control, no session controls, join codes or notes,
// and the server refuses the offer the page would make with a microphone
// (403 media_refused); "Open with the therapist's controls" goes back. In
// English and in Arabic, with screenshots.
func TestConsoleObserverEntry(t *testing.T) {
	for _, locale := range []string{"en", "ar"} {
		t.Run(locale, func(t *testing.T) { observerEntry(t, locale) })
	}
}

func observerEntry(t *testing.T, locale string) {
	env := StartConsole(t)
	// a fake microphone, so the refused publish below is a real one
	b := NewMediaBrowser(t, writeVoiceWAV(t, 440))
	p := env.SignIn(t, b, locale, store.RoleTherapist)
	id := practiceSession(p, spidersNear)
	asObserver := `location.hash.endsWith('?role=observer') && window.havenConsole.live && window.havenConsole.live.observer === true && window.havenConsole.live.link === 'open'`
	// From the sessions list, straight in as an observer.
	Go(t, p, "#/sessions")
	row := fmt.Sprintf(`a.observe[href="#/sessions/%s?role=observer"]`, id)
	Wait(t, p, `document.querySelector(`+jsString(row)+`)`, 10*time.Second)
	if got, want := MustEval[string](p, `document.querySelector(`+jsString(row)+`).textContent`), msg(t, env, locale, "console.session.observe"); got != want {
		t.Errorf("the sessions list's observer link reads %q, want %q", got, want)
	}
	SaveArtifact(t, "sessions-observe-"+locale+".png", shotOf(p, row))
	Do(t, p, chromedp.Click(row))
	Wait(t, p, asObserver, 20*time.Second)
	// To the therapist's view, and from it as an observer again.
	Do(t, p, chromedp.Click(`#open-controls`))
	Wait(t, p, `!location.hash.includes('role=') && window.havenConsole.live && window.havenConsole.live.observer === false && window.havenConsole.live.link === 'open' && document.querySelector('#voice-talk')`, 20*time.Second)
	if got, want := MustEval[string](p, `document.querySelector('#open-observer').textContent`), msg(t, env, locale, "console.session.observe"); got != want {
		t.Errorf("the live view's observer link reads %q, want %q", got, want)
	}
	Do(t, p, chromedp.Click(`#open-observer`))
	Wait(t, p, asObserver, 20*time.Second)
	if got, want := MustEval[string](p, `document.querySelector('#observer-note').textContent`), msg(t, env, locale, "console.session.observing"); got != want {
		t.Errorf("the observer is told %q, want %q", got, want)
	}
	if got, want := MustEval[string](p, `document.querySelector('#voice-listen-only').textContent`), msg(t, env, locale, "console.voice.listen_only"); got != want {
		t.Errorf("the voice panel says %q, want %q", got, want)
	}
	// nothing that speaks or changes the session; the scene and the voices stay
	for sel, what := range map[string]string{
		`#voice-talk, #voice-mute, input[name=voice-mode]`: "microphone controls",
		`.calm-now, .pause-resume, .ask-suds, .advance`:    "session controls",
		`#note-text`: "a note field",
		`#join-h`:    "the join code panel",
	} {
		if n := MustEval[int](p, `document.querySelectorAll(`+jsString(sel)+`).length`); n != 0 {
			t.Errorf("the observer page has %s (%d × %s)", what, n, sel)
		}
	}
	if !MustEval[bool](p, `!!document.querySelector('.mirror #mirror-view') && !!document.querySelector('#voice-patient-meter') && !!document.querySelector('#voice-therapist-meter')`) {
		t.Error("the observer page lacks the mirror or the voice meters")
	}
	// the timeline is never an empty frame: until its first event it says
	// what will appear there, and the note goes once there is one
	tl := MustEval[struct {
		Items int
		Shown bool
		Text  string
	}](p, `(() => { const e = document.querySelector('#timeline-empty'); return {Items: document.querySelectorAll('ol.timeline > li').length, Shown: !!e && e.offsetParent !== null, Text: e ? e.textContent : ''}; })()`)
	if want := msg(t, env, locale, "console.session.timeline_empty"); tl.Shown != (tl.Items == 0) || tl.Shown && tl.Text != want {
		t.Errorf("session timeline with %d events: empty note shown %v (%q), want shown only when there are none (%q)", tl.Items, tl.Shown, tl.Text, want)
	}
	if got := MustEval[string](p, observerPublishes); got != "403 media_refused" {
		t.Errorf("the observer's offer with a microphone answered %q, want 403 media_refused", got)
	}
	CheckPage(t, p, locale, "live-observer")

	// and back to the therapist's own view
	if got, want := MustEval[string](p, `document.querySelector('#open-controls').textContent`), msg(t, env, locale, "console.session.open_controls"); got != want {
		t.Errorf("the way back reads %q, want %q", got, want)
	}
	Do(t, p, chromedp.Click(`#open-controls`))
	Wait(t, p, `!location.hash.includes('role=') && window.havenConsole.live && window.havenConsole.live.observer === false && window.havenConsole.live.link === 'open' && document.querySelector('#voice-talk') && document.querySelector('.calm-now') && !document.querySelector('#observer-note')`, 20*time.Second)
}
