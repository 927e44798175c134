package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/havenvr/haven/server/simpeer"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/wire"
)

// TestLiveEndToEnd is issue 6's end-to-end walk on the real server over the
// browser's own WebRTC, with the therapist as a real pion console peer
// (TestTherapistPatientEndToEnd walks the same path through the console
// page): the therapist signs in and schedules a session; the patient's page
// (its own browser context) follows the join link, joins, enters immersive-vr
// on an emulated Quest 3; the therapist raises the intensity and the scene
// reports the new parameters and looks different; the patient presses "I
// need a break" and the therapist is alerted; after the therapist resumes,
// the patient's network dies and the headset is calm within 2 s while the
// server pauses the session and alerts the therapist.
func TestLiveEndToEnd(t *testing.T) {
	b := NewBrowser(t)
	e := startLive(t, map[string]any{"template": "heights", "params": map[string]any{"floor": 1}})
	code := e.joinCode()

	// the join link the console shows: /j/CODE → /xr/#code=CODE (the code stays out of server logs)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(e.srv.URL + "/j/" + url.PathEscape(code))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || loc != "/xr/#code="+url.PathEscape(code) {
		t.Fatalf("join link: %d → %q", resp.StatusCode, loc)
	}
	// ?iwer installs the emulated Quest 3 (a real headset needs no query)
	p := e.openJoined(b, "/xr/index.html?locale=en&iwer=quest3"+loc[len("/xr/"):], "")
	if MustEval[string](p, `location.hash`) != "" {
		t.Error("the join code stays in the address bar after joining")
	}

	if space := MustEval[string](p, `window.haven.enterXR()`); space != "local-floor" {
		t.Errorf("reference space %q, want local-floor (standing)", space)
	}
	e.waitShowing(t, p, `s.xr === true && s.scene.template === "heights"`, time.Minute)
	e.waitConsole(10*time.Second, "headset in XR", func(r simpeer.Received) bool {
		s, ok := r.Body.(*wire.SessionState)
		return ok && s.Client != nil && s.Client.XR
	})
	// Snap turn (the default comfort setting) from the right controller's
	// thumbstick: one 30° step a flick; holding the stick never spins.
	stick := func(x float64) {
		MustEval[bool](p, fmt.Sprintf(`(havenXRDevice.controllers.right.updateAxes('thumbstick', %g, 0), true)`, x))
	}
	for _, want := range []int{-30, -60} {
		stick(1)
		p.WaitFor(fmt.Sprintf(`window.haven.state.turn_deg === %d`, want), 3*time.Second)
		pauseIn(p, 300) // an observation window: a held stick that kept turning would show in it
		if got := MustEval[int](p, `window.haven.state.turn_deg`); got != want {
			t.Errorf("holding the stick kept turning: %d°, want %d°", got, want)
		}
		stick(0)
		framesIn(p, 3) // the release is read once a frame
	}
	for _, want := range []int{-30, 0} {
		stick(-1)
		p.WaitFor(fmt.Sprintf(`window.haven.state.turn_deg === %d`, want), 3*time.Second)
		stick(0)
		framesIn(p, 3)
	}
	settle(p)
	low := p.Screenshot()
	SaveArtifact(t, "live-e2e-intensity-0.png", low)

	// the therapist raises the intensity to the top of the heights mapping
	up := e.con.Send("cmd.intensity", wire.CmdIntensity{Intensity: 100})
	p.WaitFor(`window.haven.state.scene.params.floor === 30 && window.haven.state.scene.params.railing === false`, 10*time.Second)
	e.waitConsole(10*time.Second, "scene.ready at floor 30", forwardedFloor(30))
	settle(p) // the client eases the change over a second
	high := p.Screenshot()
	SaveArtifact(t, "live-e2e-intensity-100.png", high)
	if d, err := Difference(low, high); err != nil || d < 0.05 {
		t.Errorf("patient view barely changed after the intensity rose: %.3f of pixels (%v)", d, err)
	}
	if ms, ok := relayMs(e, p, up); ok {
		t.Logf("cmd.intensity: therapist send → scene.set in the patient's page: %.2f ms", ms)
	}

	// "I need a break": calm at once, and the therapist is alerted
	t0 := time.Now()
	MustEval[bool](p, `(window.haven.pressBreak(), true)`)
	p.WaitFor(`window.haven.state.scene.template === "neutral_room" && window.haven.state.panel === "break"`, 2*time.Second)
	e.waitConsole(3*time.Second, "break alert", since(t0, alertCode("break_requested")))
	settle(p)
	SaveArtifact(t, "live-e2e-break.png", p.Screenshot())

	// only the therapist's word resumes the exposure
	e.con.Send("cmd.resume", wire.Empty{})
	p.WaitFor(`window.haven.state.scene.template === "heights" && !window.haven.state.paused`, 5*time.Second)

	// the patient's network dies: calm within 2 s, and the server pauses and alerts
	cut := time.Now()
	emulateLink(t, p, 100)
	if silence, stall := silenceBeforeCalm(t, p, 4*time.Second); silence > calmWithin(stall) {
		t.Errorf("calm scene %v after the last server message, want ≤ %v (2 s + 100 ms watchdog tick + 50 ms polling + %v the page's main thread was blocked)",
			silence, calmWithin(stall), stall)
	}
	e.waitConsole(3*time.Second, "link_lost alert", since(cut, alertCode("link_lost")))
	if st, why := e.stored(); st != store.LivePaused || why != "link_lost" {
		t.Errorf("session stored as %s (%s), want paused (link_lost)", st, why)
	}
	if !MustEval[bool](p, `window.haven.state.xr`) {
		t.Error("the lost link ended the immersive session; the patient should stay in the calm scene")
	}
	settle(p)
	SaveArtifact(t, "live-e2e-link-lost.png", p.Screenshot())
	MustEval[any](p, `window.haven.exitXR().then(() => true)`)
	checkPatientFrames(t, tapped(p, "sent"))
	if errs := patientErrors(p); len(errs) > 0 {
		t.Errorf("the patient client logged errors: %v", errs)
	}
}

// TestLiveRelayLatency times therapist commands to the patient's browser
// (console peer send → message event in the page; one machine, one clock).
// The page clock and Go's agree within ~1 ms here (both read the system
// clock). The machine is shared and loaded, so the bounds are loose: they
// catch a relay that queues or batches, not a busy neighbour.
func TestLiveRelayLatency(t *testing.T) {
	b := NewBrowser(t)
	e := startLive(t, heightsAt3)
	p := e.openJoined(b, "/xr/index.html?locale=en", e.joinCode())
	e.waitShowing(t, p, `s.scene.template === "heights"`, time.Minute)
	// software WebGL at full size keeps the page's main thread busy for tens of
	// ms per frame, and a message waits for it; a tiny viewport measures the link
	if err := p.Do(chromedp.EmulateViewport(64, 36)); err != nil {
		t.Fatal(err)
	}
	framesIn(p, 3) // drawn at the tiny size
	var ms []float64
	for i := range 100 {
		seq := e.con.Send("cmd.scene.set", wire.CmdParams{Params: map[string]any{"floor": 4 + i%2}})
		e.waitConsole(3*time.Second, "scene.set applied", srcType("engine", seq))
		// Wait for the page to have it, however busy the machine: the time
		// measured is the page's own receive stamp, not when we looked.
		got := false
		for end := time.Now().Add(3 * time.Second); !got && time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
			var v float64
			if v, got = relayMs(e, p, seq); got {
				ms = append(ms, v)
			}
		}
		if !got {
			t.Fatalf("command %d of 100 never reached the page", i+1)
		}
	}
	if len(ms) < 100 {
		t.Fatalf("only %d of 100 commands reached the page", len(ms))
	}
	slices.Sort(ms)
	p50, p95, p99 := ms[len(ms)/2], ms[len(ms)*95/100], ms[len(ms)*99/100]
	t.Logf("relay therapist → patient page over %d commands: p50 %.2f ms, p95 %.2f ms, p99 %.2f ms, max %.2f ms", len(ms), p50, p95, p99, ms[len(ms)-1])
	// The figures are reported, not judged: speed is shown by `haven bench
	// live` on a quiet machine. Here, under -race beside two CPU-bound
	// processes, a healthy relay measured p50 198 ms (the page's main
	// thread waits for software WebGL), 1–8 ms on a quiet machine. What is
	// judged is that every command arrives, each within the wait above.
}

// relayMs is the time from the console peer sending command seq to the
// patient's page receiving the message it caused (src_seq = seq).
func relayMs(e *liveEnv, p *Page, seq uint64) (float64, bool) {
	sent, ok := e.con.SentAt(seq)
	if !ok {
		return 0, false
	}
	// Only frames that can name this command: the page records every frame,
	// acknowledgements of the practice sensor's batches included, and
	// copying thousands of them out on every poll starved the run.
	frames := MustEval[[]tapFrame](p, fmt.Sprintf(`window.__tap.recv.filter((f) => f.data.includes('"src_seq":%d'))`, seq))
	for _, f := range frames {
		m, err := wire.Decode([]byte(f.Data), f.Label, wire.ToPatient)
		if err == nil && m.SrcSeq == seq {
			return f.T - float64(sent.UnixNano())/1e6, true
		}
	}
	return 0, false
}

// TestLiveJoinRefusals: a wrong or reused code keeps the patient on the join
// screen with a localized message, and the session is untouched.
func TestLiveJoinRefusals(t *testing.T) {
	b := NewBrowser(t)
	e := startLive(t, heightsAt3)
	code := e.joinCode()
	if _, _, err := simpeer.Join(t.Context(), http.DefaultClient, e.srv.URL, code); err != nil {
		t.Fatalf("redeeming the code: %v", err)
	}
	before, _ := e.stored()
	p := e.openPatient(b, "/xr/index.html?locale=es", 800, 450)
	want := MustEval[string](p, `fetch('messages/es.json').then(r => r.json()).then(m => m.messages['client.join.bad_code'])`)
	for _, c := range []string{code, "ZZZZ-ZZZZ"} {
		if err := p.Do(chromedp.SetValue(`#code`, c), chromedp.Click(`#join-btn`)); err != nil {
			t.Fatal(err)
		}
		p.WaitFor(`document.getElementById('join-error').textContent !== ''`, 5*time.Second)
		got := MustEval[string](p, `(() => { const s = document.getElementById('join-error').textContent; document.getElementById('join-error').textContent = ''; return s; })()`)
		if got != want || MustEval[bool](p, `document.getElementById('join').hidden`) {
			t.Errorf("code %s: join error %q, want %q and the join screen kept", c, got, want)
		}
	}
	if st, _ := e.stored(); st != before {
		t.Errorf("session %s after refused joins, was %s", st, before)
	}
}
