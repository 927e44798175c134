package e2e

import (
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/havenvr/haven/server/apptest/wait"
	"github.com/havenvr/haven/server/simpeer"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/wire"
)

type clientState struct {
	Connected      bool        `json:"connected"`
	Paused         bool        `json:"paused"`
	Panel          *string     `json:"panel"`
	Scene          sceneState  `json:"scene"`
	PendingSignals int         `json:"pendingSignals"`
	PendingControl int         `json:"pendingControl"`
	Sensor         string      `json:"sensor"`
	Suds           *string     `json:"suds"`
	Pacer          *pacerState `json:"pacer"`
}

type pacerState struct {
	Phase string  `json:"phase"`
	Level float64 `json:"level"`
}

func state(p *Page) clientState { return MustEval[clientState](p, `window.haven.state`) }

func forwardedFloor(floor int) func(simpeer.Received) bool {
	return func(r simpeer.Received) bool {
		f, ok := r.Body.(*wire.ForwardedScene)
		return ok && r.Type == "scene.ready" && f.Template == "heights" && f.Params["floor"] == float64(floor)
	}
}

// TestLiveSessionSafety walks the patient's side of a live session on the
// REAL server with a real pion console peer driving it: join, scene load and
// live change, SUDS by keyboard, pacer, acknowledged biosignals, break, the
// lost-link rule on a genuinely dead link (calm within 2 s, server paused and
// therapist alerted, reconnect with no batch lost, resume only on the
// therapist's word), a reload mid-session and a hard stop.
func TestLiveSessionSafety(t *testing.T) {
	b := NewBrowser(t)
	e := startLive(t, heightsAt3)
	p := e.openJoined(b, "/xr/index.html?locale=en", e.joinCode())

	e.waitShowing(t, p, `s.scene.template === "heights" && s.scene.params.floor === 3`, time.Minute)
	e.waitConsole(5*time.Second, "scene.ready floor 3", forwardedFloor(3))
	set := e.con.Send("cmd.scene.set", wire.CmdParams{Params: map[string]any{"floor": 4}})
	e.waitConsole(3*time.Second, "engine scene.set", srcType("engine", set))
	p.WaitFor(`window.haven.state.scene.params.floor === 4`, 3*time.Second)
	e.waitConsole(5*time.Second, "scene.ready floor 4", forwardedFloor(4))

	t.Run("suds rating by keyboard", func(t *testing.T) {
		e.con.Send("cmd.suds_prompt", wire.Empty{})
		p.WaitFor(`typeof window.haven.state.suds === "string"`, 3*time.Second)
		prompt := *state(p).Suds
		MustEval[bool](p, `(() => { for (const k of ['6', 'ArrowRight', 'Enter']) dispatchEvent(new KeyboardEvent('keydown', {key: k})); return true; })()`)
		got := e.waitConsole(3*time.Second, "rating", simpeer.Type("suds.rating"))
		// 6 marks 60 and → one step of the 0–100 by 10 scale up: 70
		if f := got.Body.(*wire.ForwardedSUDS); f.PromptID != prompt || f.Value != 70 {
			t.Errorf("rating forwarded %+v, want prompt %s value 70", f, prompt)
		}
		// durable: the server acknowledges after commit and the client forgets it
		p.WaitFor(`window.haven.state.pendingControl === 0`, 3*time.Second)
	})

	t.Run("breathing pacer follows the phases", func(t *testing.T) {
		// 12/min (the fastest the server allows) at 40 % inhale: 2 s in, 3 s out, one cycle
		t0 := time.Now()
		e.con.Send("cmd.breathing", wire.CmdBreathing{BreathsPerMin: 12, Cycles: 1})
		p.WaitFor(`window.haven.state.pacer && window.haven.state.pacer.phase === "inhale"`, 2*time.Second)
		p.WaitFor(`window.haven.state.pacer && window.haven.state.pacer.phase === "exhale"`, 3*time.Second)
		if d := time.Since(t0); d < 1500*time.Millisecond {
			t.Errorf("exhale began %s after the command, want about 2 s", d)
		}
		p.WaitFor(`window.haven.state.pacer === null`, 5*time.Second)
		if d := time.Since(t0); d < 4500*time.Millisecond {
			t.Errorf("the pacer stopped %s after the command, want about 5 s", d)
		}
	})

	t.Run("signals are committed in seq order and acknowledged", func(t *testing.T) {
		wait.Until(t, 10*time.Second, "four signal batches committed", func() bool { return len(e.signalSeqs()) >= 4 })
		seqs := e.signalSeqs()
		checkSeqsComplete(t, seqs)
		if s := state(p); s.Sensor != "simulated" || s.PendingSignals > 4 {
			t.Errorf("sensor %q, %d batches unacknowledged", s.Sensor, s.PendingSignals)
		}
	})

	t.Run("break goes calm at once and alerts", func(t *testing.T) {
		t0 := time.Now()
		if err := p.Do(chromedp.Click(`#break`)); err != nil {
			t.Fatal(err)
		}
		p.WaitFor(`window.haven.state.scene.template === "neutral_room" && window.haven.state.panel === "break"`, 2*time.Second)
		e.waitConsole(3*time.Second, "break alert", since(t0, alertCode("break_requested")))
		e.waitConsole(3*time.Second, "paused", since(t0, sessionState(store.LivePaused, true)))
		e.con.Send("cmd.resume", wire.Empty{})
		p.WaitFor(`window.haven.state.scene.template === "heights" && !window.haven.state.paused && window.haven.state.panel === null`, 5*time.Second)
	})

	t.Run("a dead link fades to calm in 2 s, pauses and alerts, and waits for the therapist", func(t *testing.T) {
		cut := time.Now()
		emulateLink(t, p, 100)
		took, stall := silenceBeforeCalm(t, p, 4*time.Second)
		if took > calmWithin(stall) {
			t.Errorf("calm %v after the last server message, want ≤ %v (2 s + 100 ms watchdog tick + 50 ms polling + %v the page's main thread was blocked)",
				took, calmWithin(stall), stall)
		}
		if !state(p).Paused {
			t.Error("calm after the dead link, but the client is not paused")
		}
		a := e.waitConsole(3*time.Second, "link_lost alert", since(cut, alertCode("link_lost")))
		if d := a.At.Sub(cut); d > 2*time.Second {
			t.Errorf("therapist alerted %s after the cut, want ≤ 2 s", d)
		}
		if st, why := e.stored(); st != store.LivePaused || why != "link_lost" {
			t.Errorf("session stored as %s (%s), want paused (link_lost)", st, why)
		}
		SaveArtifact(t, "live-link-lost.png", p.Screenshot())
		t.Logf("calm %v after the last server message (main thread blocked ≤ %v), therapist alerted %v after the cut", took, stall, a.At.Sub(cut))

		emulateLink(t, p, 0)
		back := time.Now()
		p.WaitFor(`window.haven.state.connected === true`, 20*time.Second)
		e.waitConsole(5*time.Second, "link restored", since(back, alertCode("link_restored")))
		// connected again, but still calm: only the therapist's resume brings
		// the scene back. The server's word on the reconnect (paused, patient
		// connected) and a later frame at the headset on the ordered control
		// channel show the server had its chance to resume by itself.
		st := e.waitConsole(10*time.Second, "paused with the patient back", since(back, sessionState(store.LivePaused, true)))
		at := float64(st.At.UnixMilli())
		wait.Until(t, 10*time.Second, "a control frame at the headset after the reconnect", func() bool { return recvAfter(p, wire.Control, at) > 0 })
		if s := state(p); !s.Paused || s.Scene.Template != "neutral_room" {
			t.Fatalf("resumed without the therapist's word: %+v", s)
		}
		if st, _ := e.stored(); st != store.LivePaused {
			t.Fatalf("server resumed by itself: %s", st)
		}
		e.con.Send("cmd.resume", wire.Empty{})
		p.WaitFor(`window.haven.state.scene.template === "heights" && window.haven.state.panel === null`, 5*time.Second)
		// batches made while the link was dead were kept and resent: none missing, none twice
		p.WaitFor(`window.haven.state.pendingSignals <= 4`, 5*time.Second)
		checkSeqsComplete(t, e.signalSeqs())
	})

	// docs/protocol.md: the patient sends a heartbeat when nothing else went
	// out on control for 375 ms (checked every 250 ms), so its control
	// channel carries something every 500 ms, a heartbeat where nothing else.
	t.Run("the patient's control channel carries something every 500 ms", func(t *testing.T) {
		start := time.Now()
		t0 := float64(start.UnixMilli())
		var at []float64
		beats := 0
		wait.Until(t, 10*time.Second, "2 s of the patient's control frames", func() bool {
			at, beats = at[:0], 0
			for _, f := range tapped(p, "sent") {
				if f.Label == wire.Control && f.T >= t0 {
					at = append(at, f.T)
					if envType(f.Data) == "heartbeat" {
						beats++
					}
				}
			}
			slices.Sort(at)
			return len(at) > 1 && at[len(at)-1]-at[0] >= 2000
		})
		var worst float64
		for i := 1; i < len(at); i++ {
			worst = max(worst, at[i]-at[i-1])
		}
		// a busy page may stretch a gap, never to the 1.5 s after which the
		// server declares the link lost
		if mean := (at[len(at)-1] - at[0]) / float64(len(at)-1); mean > 650 || worst >= 1500 {
			t.Errorf("the patient's control frames every %.0f ms on average, worst gap %.0f ms; want every 500 ms", mean, worst)
		}
		t.Logf("%d control frames over %.0f ms (%d heartbeats), worst gap %.0f ms", len(at), at[len(at)-1]-at[0], beats, worst)
		if e.saw(since(start, alertCode("link_lost"))) {
			t.Error("the server lost the patient on a healthy link")
		}
	})
	checkPatientFrames(t, tapped(p, "sent"))

	t.Run("a reload mid-session reconnects, stays calm and continues its seqs", func(t *testing.T) {
		before := e.signalSeqs()
		t0 := time.Now()
		if err := p.Do(chromedp.Reload()); err != nil {
			t.Fatal(err)
		}
		p.WaitFor(`document.documentElement.dataset.ready === "1" && window.haven.state.connected === true`, 20*time.Second)
		installTap(p)
		e.waitConsole(10*time.Second, "reloaded headset", since(t0, sessionState(store.LivePaused, true)))
		if s := state(p); !s.Paused || s.Scene.Template != "neutral_room" || s.Panel == nil || *s.Panel != "lost" {
			t.Fatalf("after reload: %+v", s)
		}
		e.con.Send("cmd.resume", wire.Empty{})
		p.WaitFor(`!window.haven.state.paused && window.haven.state.panel === null && window.haven.state.scene.template === "heights"`, 5*time.Second)
		wait.Until(t, 10*time.Second, "a batch committed after the reload", func() bool { return len(e.signalSeqs()) > len(before) })
		after := e.signalSeqs()
		checkSeqsComplete(t, after)
		if len(after) <= len(before) {
			t.Errorf("no new batch committed after the reload (%d before, %d after)", len(before), len(after))
		}
		checkPatientFrames(t, tapped(p, "sent"))
	})

	t.Run("hard stop shows the remove-headset instructions and they stay", func(t *testing.T) {
		t0 := time.Now()
		e.con.Send("cmd.stop", wire.Empty{})
		// the server ends the session right after the hard stop, so the panel may already be the closing one
		p.WaitFor(`["hard_stop", "end"].includes(window.haven.state.panel) && window.haven.state.scene.template === "neutral_room"`, 3*time.Second)
		e.waitConsole(3*time.Second, "ended", since(t0, stateIs(store.LiveEnded)))
		// session.end follows the hard stop at once: once the page has taken
		// it (disconnected), the instructions must still be there
		p.WaitFor(`window.haven.state.connected === false`, 10*time.Second)
		s := state(p)
		if s.Panel == nil || (*s.Panel != "hard_stop" && *s.Panel != "end") || s.Scene.Template != "neutral_room" || s.Connected {
			t.Errorf("after the hard stop: %+v", s)
		}
		if !MustEval[bool](p, `document.getElementById('panel-title').textContent === `+jsString(removeHeadsetEN)+` && !document.getElementById('panel').hidden`) {
			t.Errorf("%q is not on screen after the session ended", removeHeadsetEN)
		}
		SaveArtifact(t, "live-hard-stop.png", p.Screenshot())
	})
	if errs := patientErrors(p); len(errs) > 0 {
		t.Errorf("the patient client logged errors: %v", errs)
	}
}

// removeHeadsetEN is client.remove_headset.title in i18n/locales/client.en.json.
const removeHeadsetEN = "Please take off the headset"
