package e2e

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/havenvr/haven/server/store"
)

// spidersNear is the mirror test's scene: spiders in an open bowl 1.2 m
// down the table, so the stimulus anchor is at (0, 0.85, −1.2).
const spidersNear = `{template: 'spiders', params: {count: 6, size_cm: 6, distance_m: 1.2, container: 'open_bowl'}}`

// TestConsoleMirrorFollowsHead is issue 18's must-show for the patient's-eye
// view: a therapist's console (Chromium) and a headset (a second Chromium
// with IWER's emulated Quest 3) in one spiders session. IWER turns the head
// towards the spiders and away from them: the console's mirror panel loads
// the same template with the same parameters, its camera takes the head's
// orientation within a second each time, and the time-on-stimulus figure
// grows while the head looks at the spiders and its share falls while it
// looks away (a looking-away episode once away for more than 3 s). Both in
// English and in Arabic, with screenshots of the panel and its map.
func TestConsoleMirrorFollowsHead(t *testing.T) {
	for _, locale := range []string{"en", "ar"} {
		t.Run(locale, func(t *testing.T) { mirrorWalk(t, locale) })
	}
}

func mirrorWalk(t *testing.T, locale string) {
	env := StartConsole(t)
	b := NewBrowser(t)
	th := env.SignIn(t, b, locale, store.RoleTherapist)
	id := practiceSession(th, spidersNear)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("console: %s", MustEval[string](th, `JSON.stringify({state: window.havenConsole.live.state, reason: window.havenConsole.live.reason, avoidance: window.havenConsole.live.avoidance, mirror: {...window.havenConsole.live.mirror, renderer: undefined}, client: window.havenConsole.live.client})`))
		}
	})
	Go(t, th, "#/sessions/"+id)
	Wait(t, th, `window.havenConsole.live && window.havenConsole.live.link === 'open' && window.havenConsole.live.mirror`, 20*time.Second)
	// Before any pose the panel says so once, under its one heading: the
	// heading's words are not repeated as a term of an empty list.
	title := msg(t, env, locale, "console.avoid.title")
	if n := MustEval[int](th, fmt.Sprintf(`[...document.querySelectorAll('.mirror *')].filter((e) => !e.children.length && e.textContent.trim() === %s && e.offsetParent !== null).length`, jsString(title))); n != 1 {
		t.Errorf("the mirror's empty state shows %q %d times, want once (its heading)", title, n)
	}
	if got, want := MustEval[string](th, `(() => { const e = document.querySelector('#avoidance-none'); return e && e.offsetParent !== null ? e.textContent : ''; })()`), msg(t, env, locale, "console.avoid.none"); got != want {
		t.Errorf("the mirror's empty state says %q, want %q", got, want)
	}
	Do(t, th, chromedp.Click(`#join-h ~ .actions button.primary`))
	Wait(t, th, `window.havenConsole.live.joinCode`, 10*time.Second)
	code := MustEval[string](th, `window.havenConsole.live.joinCode`)

	pt := openPatientPage(t, NewBrowser(t), env.URL+"/xr/index.html?locale="+locale+"&iwer=quest3", 800, 450)
	emulateLink(t, pt, 0) // arms the link emulation (the cut below) before the headset connects
	Do(t, pt, chromedp.SendKeys(`#code`, code), chromedp.Click(`#join-btn`))
	Wait(t, pt, `window.haven.state.connected === true`, 20*time.Second)
	MustEval[string](pt, `window.haven.enterXR()`)
	keepLive(t, th, `window.havenConsole.live.state === 'live' && window.havenConsole.live.client && window.havenConsole.live.client.xr === true && window.havenConsole.live.scene && window.havenConsole.live.scene.template === 'spiders'`, 90*time.Second)

	// The mirror runs the same scene code on the same template and parameters.
	keepLive(t, th, `(() => { const m = window.havenConsole.live.mirror; const s = m.renderer && m.renderer.scene();
	  return m.template === 'spiders' && s && s.template === 'spiders' && !s.loading && s.params.count === 6 && s.params.distance_m === 1.2 && m.drawn > 0; })()`, 30*time.Second)

	// head pitched down at the bowl: from the eye (0, 1.6, 0) to (0, 0.85, −1.2)
	toward := headTurn(0, math.Atan2(0.85-1.6, 1.2))
	away := headTurn(math.Pi, 0) // turned round
	lost := func() int {
		return MustEval[int](th, `window.havenConsole.live.alerts.filter((a) => a.code === 'link_lost').length`)
	}
	follow := func(q [4]float64, what string) {
		t.Helper()
		lostBefore := lost()
		// the console's main thread's longest stall meanwhile (the largest
		// gap between ticks of a 10 ms timer): a loaded machine's, not the relay's
		MustEval[bool](th, `(() => { const s = window.__stall = {prev: performance.now(), max: 0};
		  s.id = setInterval(() => { const now = performance.now(); s.max = Math.max(s.max, now - s.prev - 10); s.prev = now; }, 10); return true; })()`)
		MustEval[bool](pt, fmt.Sprintf(`(window.havenXRDevice.quaternion.set(%g, %g, %g, %g), true)`, q[0], q[1], q[2], q[3]))
		start := time.Now()
		// the mirror's rendering camera (not only its bookkeeping) holds the head's orientation
		resumed := keepLive(t, th, fmt.Sprintf(`(() => { const c = window.havenConsole.live.mirror.renderer.three.camera.quaternion;
		  return Math.abs(c.x * %g + c.y * %g + c.z * %g + c.w * %g) > 0.999; })()`, q[0], q[1], q[2], q[3]), 20*time.Second)
		// From the headset's first frame with the new orientation to the
		// mirror taking it (both pages read the machine's clock): the
		// relay and the mirror, without the emulated headset's own frame
		// time, which a loaded machine stretches to seconds.
		relay := MustEval[float64](th, fmt.Sprintf(`window.havenConsole.live.mirror.turned_at - %f`,
			MustEval[float64](pt, `window.haven.state.pose_moved.at`)))
		stall := MustEval[float64](th, `(clearInterval(window.__stall.id), window.__stall.max)`)
		t.Logf("%s: the mirror followed %.0f ms after the headset sent the turn (%v after IWER turned the head; the console's main thread stalled up to %.0f ms)",
			what, relay, time.Since(start).Round(time.Millisecond), stall)
		switch {
		case resumed || lost() > lostBefore:
			// the turn waited for the link to come back and the therapist: not a relay time
			t.Logf("%s: the link was lost and resumed meanwhile; the relay time is not judged", what)
		case relay > 1000+stall:
			t.Errorf("%s: the mirror's camera followed the head %.0f ms after the headset sent it, want within 1 s (+ %.0f ms the console's main thread stalled)", what, relay, stall)
		}
	}
	share := func() float64 {
		return MustEval[float64](th, `(window.havenConsole.live.avoidance && window.havenConsole.live.avoidance.measures.on_stimulus_share) || 0`)
	}
	onMs := func() float64 {
		return MustEval[float64](th, `(window.havenConsole.live.avoidance && window.havenConsole.live.avoidance.measures.on_stimulus_ms) || 0`)
	}

	follow(toward, "towards the spiders")
	keepLive(t, th, `(() => { const a = window.havenConsole.live.avoidance; return a && a.template === 'spiders' && !a.away && a.measures.on_stimulus_ms >= 3000; })()`, 60*time.Second)
	Wait(t, th, `document.querySelector('#avoidance-figures dd') && /\d/.test(document.querySelector('#avoidance-figures').textContent)`, 5*time.Second)
	if MustEval[bool](th, `(() => { const e = document.querySelector('#avoidance-none'); return !!e && e.offsetParent !== null; })()`) {
		t.Error("the empty state's line still shows beside the measures")
	}
	// A note in the clinician's own words, in English on an Arabic page too:
	// it keeps its own direction in the notes and in the timeline.
	const note = "Patient said: the spiders look smaller today (SUDS 40)."
	Do(t, th, chromedp.SetValue(`#note-text`, note), chromedp.Click(`#note-text ~ button[type=submit]`))
	Wait(t, th, fmt.Sprintf(`[...document.querySelectorAll('.notes li span, .timeline li span')].filter((e) => e.textContent === %s).length === 2`, jsString(note)), 10*time.Second)
	if dirs := MustEval[[]string](th, fmt.Sprintf(`[...document.querySelectorAll('.notes li span, .timeline li span')].filter((e) => e.textContent === %s).map((e) => getComputedStyle(e).direction)`, jsString(note))); len(dirs) != 2 || dirs[0] != "ltr" || dirs[1] != "ltr" {
		t.Errorf("an English note on the %s page is laid out %v, want ltr in the notes and the timeline", locale, dirs)
	}
	SaveArtifact(t, "mirror-notes-"+locale+".png", shotOf(th, ".notes"))
	// The live view as the therapist opens it: status, voice and the mirror
	// (live, not a pause a loaded machine caused just now).
	keepLive(t, th, `window.havenConsole.live.state === 'live' && window.havenConsole.live.mirror.template === 'spiders'`, 60*time.Second)
	MustEval[bool](th, `(window.scrollTo(0, 0), true)`)
	SaveArtifact(t, "mirror-live-top-"+locale+".png", th.Screenshot())
	MustEval[bool](th, `(document.querySelector('.mirror').scrollIntoView({block: 'start'}), true)`)
	SaveArtifact(t, "mirror-console-"+locale+".png", th.Screenshot())
	SaveArtifact(t, "mirror-headset-"+locale+".png", pt.Screenshot())

	if locale == "en" {
		// A lost link, as a loaded machine can cause: the session pauses,
		// the headset goes calm and the mirror with it; the link comes back
		// and the therapist resumes (keepLive), and the mirror shows the
		// spiders again.
		emulateLink(t, pt, 100)
		Wait(t, th, `window.havenConsole.live.state === 'paused' && window.havenConsole.live.mirror.template === 'calm'`, 20*time.Second)
		emulateLink(t, pt, 0)
		keepLive(t, th, `window.havenConsole.live.state === 'live' && window.havenConsole.live.mirror.template === 'spiders'`, 60*time.Second)
	}

	before := share()
	follow(away, "away from the spiders")
	keepLive(t, th, `window.havenConsole.live.avoidance.away === true`, 30*time.Second)
	awayOn := onMs()
	keepLive(t, th, fmt.Sprintf(`(() => { const a = window.havenConsole.live.avoidance; return a.away && a.measures.away_episodes >= 1 && a.measures.on_stimulus_share < %g; })()`, before-0.1), 60*time.Second)
	if got := onMs(); got > awayOn+100 {
		t.Errorf("time on stimulus rose from %.0f to %.0f ms while the head looked away", awayOn, got)
	}
	SaveArtifact(t, "mirror-console-away-"+locale+".png", th.Screenshot())

	follow(toward, "back towards the spiders")
	low := share()
	keepLive(t, th, fmt.Sprintf(`(() => { const a = window.havenConsole.live.avoidance; return !a.away && a.measures.on_stimulus_share > %g; })()`, low+0.05), 60*time.Second)

	// the map and the figures are named for assistive technology
	if !MustEval[bool](th, `document.querySelector('#mirror-map').getAttribute('role') === 'img' && document.querySelector('#mirror-map title').textContent.length > 10 && document.querySelector('#mirror-view').getAttribute('aria-label').length > 10`) {
		t.Error("the mirror's view or map has no accessible name")
	}
	CheckPage(t, th, locale, "live-mirror")
}

// keepLive waits until cond holds on the console. A software-rendered
// headset on a loaded machine can block long enough (a scene compiling)
// for either side to call the link lost; the session then pauses, the
// headset goes calm and waits for the therapist, who resumes it, as here.
// It reports whether it resumed the session.
func keepLive(t *testing.T, th *Page, cond string, within time.Duration) (resumed bool) {
	t.Helper()
	const resumable = `window.havenConsole.live.state === 'paused' && window.havenConsole.live.patient === true && !!document.querySelector('button.pause-resume:not([disabled])')`
	for deadline := time.Now().Add(within); !MustEval[bool](th, "!!("+cond+")"); {
		if time.Now().After(deadline) {
			th.WaitFor(cond, time.Second) // fails, with the page's state
		}
		if MustEval[bool](th, resumable) {
			t.Log("the link was lost meanwhile; the therapist resumes")
			Do(t, th, chromedp.Click(`button.pause-resume`))
			resumed = true
		}
		MustEval[bool](th, `new Promise(r => setTimeout(() => r(true), 250))`) // poll interval, not a wait for an outcome
	}
	return resumed
}

// shotOf scrolls the element sel into the middle of the view and takes a screenshot.
func shotOf(p *Page, sel string) []byte {
	MustEval[bool](p, `(document.querySelector(`+jsString(sel)+`).scrollIntoView({block: 'center'}), true)`)
	return p.Screenshot()
}

// practiceSession schedules a practice session on a composition (a JS
// object literal) through the API, with the page's own cookie and CSRF
// token, and returns its id.
func practiceSession(p *Page, composition string) string {
	return MustEval[string](p, `(async () => {
	  const me = await (await fetch('/api/me')).json();
	  const res = await fetch('/api/sessions', {method: 'POST', headers: {'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf_token},
	    body: JSON.stringify({practice: true, composition: `+composition+`})});
	  return (await res.json()).id;
	})()`)
}

// headTurn is the head orientation (x, y, z, w) of a turn by yaw about the
// vertical, then a pitch (negative: looking down), three.js order 'YXZ'.
func headTurn(yaw, pitch float64) [4]float64 {
	sy, cy := math.Sin(yaw/2), math.Cos(yaw/2)
	sp, cp := math.Sin(pitch/2), math.Cos(pitch/2)
	return [4]float64{cy * sp, sy * cp, -sy * sp, cy * cp}
}
