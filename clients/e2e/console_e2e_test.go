package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/havenvr/haven/server/store"
)

// TestTherapistPatientEndToEnd is issue 6's walk through both clients on the
// real server, over real WebRTC: the therapist signs in, composes a scene
// and schedules a session; the patient (a second browser context) types the
// join code, enters immersive-vr on an emulated Quest 3; the therapist
// raises the intensity and the patient's scene reports the new parameters
// and looks different; the patient presses "I need a break" and the
// therapist sees the alert; after the therapist resumes, the patient's
// connection is cut and the headset is in the calm scene within 2 s.
func TestTherapistPatientEndToEnd(t *testing.T) {
	env := StartConsole(t)
	if !env.HasRoute("POST", "/api/sessions/:id/console/whip") {
		t.Skip("e2e: the server has no live sessions")
	}
	b := NewBrowser(t)
	th := env.SignIn(t, b, "en", store.RoleTherapist)
	MustEval[bool](th, `(() => { window.confirm = () => true; return true; })()`)
	patientID := createPatient(t, th, "en", "E2E-"+store.RandomToken(3))

	// a heights scene at its easiest: intensity 0
	Go(t, th, "#/environments/new?template=heights")
	Wait(t, th, `document.querySelector('.preview[data-ready="1"]')`, 30*time.Second)
	Do(t, th, chromedp.SetValue(`#intensity`, "0"))
	MustEval[bool](th, `(() => { document.querySelector('#intensity').dispatchEvent(new Event('input', {bubbles: true})); return true; })()`)
	Wait(t, th, `Number(document.querySelector('input[name="params.floor"]').value) === 1`, 10*time.Second)
	Do(t, th, chromedp.SendKeys(`input[name=name]`, "Balcony, ground floor"), chromedp.Click(`#comp-h ~ .actions button[type=submit]`))
	Wait(t, th, `location.hash.startsWith('#/environments/') && !location.hash.includes('/new') && window.havenConsole.ready`, 10*time.Second)
	compID := MustEval[string](th, `decodeURIComponent(location.hash.split('/')[2])`)

	Go(t, th, "#/sessions?patient="+patientID+"&composition="+compID)
	Do(t, th, chromedp.Click(`#sched-h ~ button[type=submit]`))
	Wait(t, th, `/^#\/sessions\/[^/?]+$/.test(location.hash) && window.havenConsole.live && window.havenConsole.live.link === 'open'`, 20*time.Second)
	Do(t, th, chromedp.Click(`#join-h ~ .actions button.primary`))
	Wait(t, th, `window.havenConsole.live.joinCode`, 10*time.Second)
	code := MustEval[string](th, `window.havenConsole.live.joinCode`)

	// the patient types the code in the headset's browser: another device,
	// so another browser process (its own renderer and GPU process)
	pt := openPatientPage(t, NewBrowser(t), env.URL+"/xr/index.html?locale=en&iwer=quest3", 800, 450)
	Do(t, pt, chromedp.SendKeys(`#code`, code), chromedp.Click(`#join-btn`))
	Wait(t, pt, `window.haven.state.connected === true`, 20*time.Second)
	if space := MustEval[string](pt, `window.haven.enterXR()`); space != "local-floor" {
		t.Errorf("reference space %q, want local-floor (standing)", space)
	}
	Wait(t, pt, `window.haven.state.xr === true`, 20*time.Second)
	resumeIfLost(t, th, pt, "heights", "the first scene")
	keepLive(t, th, `window.havenConsole.live.state === 'live' && window.havenConsole.live.patient === true && window.havenConsole.live.client && window.havenConsole.live.client.xr === true`, time.Minute)
	settle(pt)
	low := pt.Screenshot()
	SaveArtifact(t, "e2e-patient-intensity-0.png", low)

	// the therapist raises the intensity (keyboard on the live slider)
	Do(t, th, chromedp.Focus(`#live-intensity`))
	for i := 0; i < 20; i++ {
		Do(t, th, chromedp.KeyEvent(kb.ArrowUp))
	}
	// sent, or — when the console's own link was reconnecting at that moment
	// (its page blocked by the mirror compiling a scene in software WebGL) —
	// "Not sent", and the therapist sends it again once the link is back
	notSent := msg(t, env, "en", "console.session.not_sent")
	for try := 0; ; try++ {
		Wait(t, th, `window.havenConsole.live.intensitySent >= 1 || (document.querySelector('.error[role=alert]:not([hidden])') || {}).textContent === `+jsString(notSent), 10*time.Second)
		if MustEval[int](th, `window.havenConsole.live.intensitySent || 0`) >= 1 {
			break
		}
		if try == 3 {
			t.Fatal("the intensity was never sent: the console's link stayed down")
		}
		t.Log("the console said the intensity was not sent (its link was reconnecting); the therapist sends it again")
		Wait(t, th, `window.havenConsole.live.link === 'open'`, 20*time.Second)
		Do(t, th, chromedp.Focus(`#live-intensity`), chromedp.KeyEvent(kb.ArrowDown), chromedp.KeyEvent(kb.ArrowUp))
	}
	// the top floor without a railing compiles new shader programs: software
	// WebGL in stereo took longer than 15 s for it on a clean-clone CI run,
	// and a page blocked that long may be called lost (the therapist resumes)
	keepLive(t, th, `window.havenConsole.live.state === 'live' && window.havenConsole.live.scene && window.havenConsole.live.scene.params.floor === 30`, 60*time.Second)
	Wait(t, pt, `window.haven.state.scene.params.floor === 30 && window.haven.state.scene.params.railing === false`, 45*time.Second)
	settle(pt)
	high := pt.Screenshot()
	SaveArtifact(t, "e2e-patient-intensity-100.png", high)
	if d, err := Difference(low, high); err != nil || d < 0.05 {
		t.Errorf("patient view barely changed after the intensity rose: %.3f of pixels (%v)", d, err)
	}
	SaveArtifact(t, "e2e-console-live.png", th.Screenshot())

	// "I need a break": calm at once, and the therapist is alerted
	MustEval[any](pt, `(window.haven.pressBreak(), true)`)
	Wait(t, pt, `window.haven.state.scene.template === 'neutral_room'`, 3*time.Second)
	Wait(t, th, `window.havenConsole.live.alerts.some(a => a.code === 'break_requested')`, 5*time.Second)
	SaveArtifact(t, "e2e-console-break-alert.png", th.Screenshot())

	// only the therapist's word resumes the exposure
	Wait(t, th, `window.havenConsole.live.state === 'paused'`, 5*time.Second)
	Do(t, th, chromedp.Click(`button.pause-resume`)) // reads Resume while paused
	Wait(t, pt, `window.haven.state.scene.template === 'heights' && !window.haven.state.paused`, 10*time.Second)

	// link loss: the patient's client fades to calm by itself within 2 s
	start := time.Now()
	MustEval[any](pt, `(window.haven.cutConnection(), true)`)
	Wait(t, pt, `window.haven.state.scene.template === 'neutral_room' && window.haven.state.panel === 'lost'`, 5*time.Second)
	if took := time.Since(start); took > 2500*time.Millisecond {
		t.Errorf("calm scene after %v, want within 2 s (+ polling slack)", took)
	}
	SaveArtifact(t, "e2e-patient-link-lost.png", pt.Screenshot())
	Wait(t, th, `window.havenConsole.live.alerts.some(a => a.code === 'link_lost') || window.havenConsole.live.patient === false`, 10*time.Second)
}

// settle waits until the patient's scene has finished easing and fading
// and the XR loop has drawn a few frames of it (screenshots are taken while
// the loop runs: RECIPES.md).
func settle(p *Page) {
	drawn := MustEval[int](p, `window.haven.state.info.frame`)
	p.WaitFor(fmt.Sprintf(`(s => s.scene && s.scene.settled && s.info.frame >= %d)(window.haven.state)`, drawn+3), 20*time.Second)
}

// framesIn waits until the page's render loop has drawn n more frames.
func framesIn(p *Page, n int) {
	drawn := MustEval[int](p, `window.haven.state.info.frame`)
	p.WaitFor(fmt.Sprintf(`window.haven.state.info.frame >= %d`, drawn+n), 30*time.Second)
}
