package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/havenvr/haven/server/store"
)

// TestWholeSessionWalk is issue 15's walk as a person does it, on the real
// server over real WebRTC: the therapist (one browser process) schedules a
// ladder session and issues a join code; the patient (another browser
// process, a Quest 3 emulated by IWER) types it and enters immersive VR;
// the console counts the baseline down; after it the therapist accepts the
// first step, raises the intensity with the keyboard (one command for many
// key presses, after confirming the large jump), the patient asks for a
// break and the therapist resumes; the therapist ends the session, the
// cool-down is counted down, and the end reason is the true one; the
// console neither reconnects nor leaves a control enabled; the report and
// every export are there. No page shows placeholder text. Each step's
// screenshots are kept (walk-<locale>-NN-*.png); the README's come from the
// English walk.
func TestWholeSessionWalk(t *testing.T) {
	env := StartConsole(t)
	if !env.HasRoute("POST", "/api/sessions/:id/console/whip") {
		t.Skip("e2e: the server has no live sessions")
	}
	live := env.Server.App.Live
	// The enclosed-space ladder: its scene loads fastest of the library's on
	// a loaded machine (heights' city grid can hold the headset's page past
	// the 2 s link watchdog; resumeIfLost logs that when it happens).
	const ladder, template, steps = "enclosed_space_ladder", "enclosed_space", 10 // protocols/library/enclosed_space_ladder.json: ten steps
	for _, locale := range []string{"en", "ar"} {
		t.Run(locale, func(t *testing.T) {
			live.SetEngineSpeed(1)
			n := 0
			shot := func(p *Page, name string) {
				n++
				MustEval[bool](p, `(scrollTo(0, 0), true)`)
				png := p.Screenshot()
				SaveArtifact(t, fmt.Sprintf("walk-%s-%02d-%s.png", locale, n, name), png)
				readmeShot(t, locale, name, png)
			}
			clean := func(p *Page, where string) {
				t.Helper()
				if bad := MustEval[[]string](p, placeholderJS); len(bad) > 0 {
					t.Errorf("%s shows placeholder text %q", where, bad)
				}
			}
			th := env.SignIn(t, NewBrowser(t), locale, store.RoleTherapist)
			MustEval[bool](th, `(() => { window.confirm = () => true; return true; })()`)
			patientID := createPatient(t, th, locale, "P-"+strings.ToUpper(store.RandomToken(4)))

			// schedule: a practice session (the clinic's training patient), so
			// the headset runs its labelled simulated sensor and every surface
			// and export must say the data is simulated
			Go(t, th, "#/sessions?patient="+patientID+"&protocol="+ladder)
			Do(t, th, chromedp.Click(`input[name=practice]`))
			shot(th, "schedule")
			Do(t, th, chromedp.Click(`#sched-h ~ button[type=submit]`))
			Wait(t, th, `/^#\/sessions\/[^/?]+$/.test(location.hash) && window.havenConsole.live && window.havenConsole.live.link === 'open'`, 20*time.Second)
			sessionID := MustEval[string](th, `decodeURIComponent(location.hash.split('/')[2])`)
			Do(t, th, chromedp.Click(`#join-h ~ .actions button.primary`))
			Wait(t, th, `window.havenConsole.live.joinCode`, 10*time.Second)
			code := MustEval[string](th, `window.havenConsole.live.joinCode`)
			shot(th, "join-code")

			// start: the patient joins on the emulated headset
			pt := openPatientPage(t, NewBrowser(t), env.URL+"/xr/index.html?locale="+locale+"&iwer=quest3", 800, 450)
			Do(t, pt, chromedp.SendKeys(`#code`, code), chromedp.Click(`#join-btn`))
			Wait(t, pt, `window.haven.state.connected === true`, 20*time.Second)
			MustEval[string](pt, `window.haven.enterXR()`)
			Wait(t, th, `window.havenConsole.live.patient === true`, 20*time.Second)

			// the baseline, counted down on the console
			Wait(t, th, `window.havenConsole.live.phase && window.havenConsole.live.phase.name === 'baseline' && /\d/.test(document.querySelector('#phase-countdown')?.textContent || '')`, 15*time.Second)
			shot(th, "baseline")
			settle(pt)
			shot(pt, "patient-baseline")
			clean(th, "live view (baseline)")

			// the baseline passes; the engine suggests the first step, the therapist accepts
			live.SetEngineSpeed(200)
			Wait(t, th, `window.havenConsole.live.suggestion && !document.querySelector('.suggestion').hidden`, 20*time.Second)
			live.SetEngineSpeed(1)
			Do(t, th, chromedp.Click(`.suggestion button.primary`))
			Wait(t, th, `window.havenConsole.live.step && document.querySelector('#current-step')`, 10*time.Second)
			resumeIfLost(t, th, pt, template, "the first step's scene")
			Wait(t, pt, `window.haven.state.scene && window.haven.state.scene.template === '`+template+`' && !window.haven.state.scene.loading`, 30*time.Second)
			before := MustEval[string](pt, `JSON.stringify(window.haven.state.scene.params)`)

			// raise the intensity by keyboard: eight presses, one command (after the confirm)
			Do(t, th, chromedp.Focus(`#live-intensity`))
			for i := 0; i < 8; i++ {
				Do(t, th, chromedp.KeyEvent(kb.ArrowUp))
			}
			Wait(t, th, `window.havenConsole.live.intensitySent === 1`, 10*time.Second)
			Wait(t, pt, `JSON.stringify(window.haven.state.scene.params) !== `+jsString(before), 15*time.Second)
			settle(pt)
			if sent := MustEval[int](th, `window.havenConsole.live.intensitySent`); sent != 1 {
				t.Errorf("eight arrow presses sent %d intensity commands, want 1", sent)
			}
			// simulated physiology is said so on the live view
			if sensor := MustEval[string](pt, `window.haven.state.sensor || ''`); sensor != "simulated" {
				t.Errorf("practice session: headset sensor %q, want the simulated one", sensor)
			}
			Wait(t, th, `window.havenConsole.live.metrics > 0`, 20*time.Second)
			if !MustEval[bool](th, `!document.querySelector('#simulated-data').hidden && !!document.querySelector('.badge.sim')`) {
				t.Error("the practice session's live view does not say its data is simulated")
			}
			shot(th, "intensity-40")
			shot(pt, "patient-intensity-40")
			clean(th, "live view (step 1)")

			// break: the patient asks, the therapist sees it and resumes
			MustEval[any](pt, `(window.haven.pressBreak(), true)`)
			Wait(t, pt, `window.haven.state.scene.template === 'neutral_room'`, 5*time.Second)
			Wait(t, th, `window.havenConsole.live.state === 'paused' && document.querySelector('ul.alerts li[data-code="break_requested"]')`, 10*time.Second)
			shot(th, "break")
			shot(pt, "patient-break")
			clean(th, "live view (break)")
			Do(t, th, chromedp.Click(`button.pause-resume`))
			resumeIfLost(t, th, pt, template, "the resumed scene")
			Wait(t, pt, `window.haven.state.scene.template === '`+template+`' && !window.haven.state.paused`, 15*time.Second)
			Wait(t, th, `window.havenConsole.live.state === 'live'`, 10*time.Second)
			shot(th, "resumed")

			// end: the cool-down, counted down; then the true end
			Do(t, th, chromedp.Click(`button.end-session`))
			Wait(t, th, `window.havenConsole.live.phase && window.havenConsole.live.phase.name === 'cooldown' && /\d/.test(document.querySelector('#phase-countdown')?.textContent || '')`, 10*time.Second)
			shot(th, "cooldown")
			live.SetEngineSpeed(200)
			Wait(t, th, `window.havenConsole.live.ended && window.havenConsole.live.endText`, 20*time.Second)
			live.SetEngineSpeed(1)
			wantEnd := checkEndedTruly(t, env, th, locale, steps)
			shot(th, "ended")
			clean(th, "live view (ended)")
			settle(pt)
			shot(pt, "patient-ended")

			// the report and the exports
			Go(t, th, "#/sessions/"+sessionID+"/report")
			Wait(t, th, `document.querySelector('#end-reason') && document.querySelector('#ex-h')`, 15*time.Second)
			if got := MustEval[string](th, `document.querySelector('#end-reason').textContent`); !strings.Contains(got, wantEnd) {
				t.Errorf("report end reason %q, want %q", got, wantEnd)
			}
			if !MustEval[bool](th, `!!document.querySelector('#simulated-data')`) {
				t.Error("the practice session's report does not say its data is simulated")
			}
			shot(th, "report")
			clean(th, "report")
			exports := MustEval[[]string](th, `Promise.all([...document.querySelectorAll('#ex-h ~ ul a[href]')].map(async (a) => {
			  const r = await fetch(a.href, { credentials: 'same-origin' });
			  const body = await r.text();
			  (window.exported ||= {})[a.dataset.stream || a.dataset.format] = body;
			  return a.textContent + ' → ' + r.status + ' ' + (r.headers.get('content-type') || '') + ' ' + body.length;
			}))`)
			// every export says the data is simulated (docs/biosignals.md: provenance in every export)
			bodies := MustEval[map[string]string](th, `window.exported`)
			if hr := bodies["hr"]; !strings.Contains(strings.SplitN(hr, "\n", 2)[0], "source_kind") || !strings.Contains(hr, ",simulator,") {
				t.Errorf("heart-rate CSV names no simulated provenance: %.200q", hr)
			}
			if f := bodies["fhir"]; !strings.Contains(f, `"Device"`) || !strings.Contains(f, "simulat") || !strings.Contains(f, `"Encounter"`) || !strings.Contains(f, `"Patient"`) {
				t.Errorf("FHIR export lacks a simulated Device, the Encounter or the Patient: %.300q", f)
			}
			if o := bodies["omh"]; strings.Contains(o, `"sensed"`) || !strings.Contains(o, "acquisition_provenance") {
				t.Errorf("Open mHealth export calls simulated data sensed or names no provenance: %.300q", o)
			}
			if len(exports) < 2 {
				t.Errorf("report offers %d exports: %v", len(exports), exports)
			}
			for _, e := range exports {
				if !strings.Contains(e, "→ 200 ") || strings.HasSuffix(e, " 0") {
					t.Errorf("export %s", e)
				}
			}
			t.Logf("exports: %v", exports)
			MustEval[bool](th, `(document.querySelector("#ex-h").scrollIntoView(), true)`)
			SaveArtifact(t, fmt.Sprintf("walk-%s-%02d-exports.png", locale, n+1), th.Screenshot())
			MustEval[bool](th, `(document.querySelector("#tl-h").scrollIntoView(), true)`)
			SaveArtifact(t, fmt.Sprintf("walk-%s-%02d-report-events.png", locale, n+2), th.Screenshot())
		})
	}
}

// readmeShots are the walk's screenshots the README shows (English), written
// to docs/ when HAVEN_UPDATE_DOCS=1, as docs/protocol.md is regenerated.
var readmeShots = map[string]string{
	"intensity-40":         "screenshot-console.png",
	"patient-intensity-40": "screenshot-headset.png",
	"report":               "screenshot-report.png",
}

func readmeShot(t *testing.T, locale, name string, png []byte) {
	t.Helper()
	file, ok := readmeShots[name]
	if !ok || locale != "en" || os.Getenv("HAVEN_UPDATE_DOCS") != "1" {
		return
	}
	if err := os.WriteFile(filepath.Join("..", "..", "docs", file), png, 0o644); err != nil {
		t.Fatalf("writing docs/%s: %v", file, err)
	}
}

// resumeIfLost waits until the patient's step scene is shown; when
// instead the headset's link was declared lost meanwhile (loading the scene
// kept its page busy past the 2 s watchdog on a loaded test machine), the
// session is paused for safety as designed, and the therapist resumes it as
// a person would. That is logged, not hidden: it is a finding about scene
// load time, not about the console.
func resumeIfLost(t *testing.T, th, pt *Page, template, what string) {
	t.Helper()
	shown := `window.haven.state.scene && window.haven.state.scene.template === '` + template + `' && !window.haven.state.scene.loading && !window.haven.state.paused`
	lost := `window.havenConsole.live.state === 'paused' && window.havenConsole.live.reason === 'link_lost' && window.havenConsole.live.patient === true`
	shownAt := -1 // the frame at which the scene first showed, live
	for end := time.Now().Add(time.Minute); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if MustEval[bool](pt, shown) {
			frame := MustEval[int](pt, `window.haven.state.info.frame`)
			if shownAt < 0 {
				shownAt = frame
			} else if frame >= shownAt+3 {
				return // drawn a few times: its shaders are compiled, the page is responsive again
			}
			continue
		}
		shownAt = -1
		if MustEval[bool](th, lost) {
			t.Logf("FINDING: the headset's link was declared lost while it loaded %s; the session paused and the therapist resumes", what)
			Do(t, th, chromedp.Click(`button.pause-resume`))
			Wait(t, th, `window.havenConsole.live.state === 'live'`, 10*time.Second)
		}
	}
	pt.WaitFor(shown, time.Second) // fails, with the page's state
}
