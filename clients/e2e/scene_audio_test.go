package e2e

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/havenvr/haven/server/wire"
)

// audioTapJS connects an AnalyserNode to the output of the patient's
// AudioListener — where every positional source of the scene (three.js
// PositionalAudio) is mixed for the head — and returns window.__audio with
// the context's state and level(ms): the mean RMS amplitude of the mix over
// ms milliseconds. The headset's own cue sounds (audio.js: chimes, wind
// noise) go to the destination directly and are not in this mix.
const audioTapJS = `(() => {
  const three = window.haven.renderer.three;
  const ac = three.THREE.AudioContext.getContext();
  const listener = three.camera.children.find((o) => o.type === 'AudioListener');
  const an = ac.createAnalyser();
  an.fftSize = 2048;
  listener.gain.connect(an);
  const buf = new Float32Array(an.fftSize);
  const playing = new Set();
  const A = three.THREE.Audio.prototype, play = A.play, stop = A.stop;
  A.play = function (...a) { playing.add(this); return play.apply(this, a); };
  A.stop = function (...a) { playing.delete(this); return stop.apply(this, a); };
  const rms = () => { an.getFloatTimeDomainData(buf); let s = 0; for (const v of buf) s += v * v; return Math.sqrt(s / buf.length); };
  window.__audio = {
    state: () => ac.state,
    // the sources still playing: the scene each belongs to shows in whether it is in the scene graph
    playing: () => [...playing].filter((a) => a.isPlaying).map((a) => { let o = a; while (o.parent) o = o.parent; return { seconds: a.buffer?.duration ?? 0, attached: o.isScene === true }; }),
    suspend: () => ac.suspend().then(() => ac.state),
    level: (ms) => new Promise((done) => {
      let sum = 0, n = 0;
      const id = setInterval(() => { sum += rms(); n++; }, 40);
      setTimeout(() => { clearInterval(id); done(n ? sum / n : 0); }, ms);
    }),
  };
  return true;
})()`

// TestSceneAudioPlaysAfterGesture: a headset's browser keeps audio
// suspended until a user gesture; the patient's press on Join unlocks it
// (screen.js → audio.js unlock); then the crowd's murmur plays from where
// the crowd is, grows quiet when the therapist's scene.set turns the noise
// and the crowd down, and stops when the scene changes (calm now: the
// neutral room has no sound sources).
func TestSceneAudioPlaysAfterGesture(t *testing.T) {
	e := startLive(t, map[string]any{"template": "crowds", "params": map[string]any{"crowd_density": 1, "noise": 1, "exit_distance_m": 20}})
	b := NewBrowser(t)
	p := e.openPatient(b, "/xr/index.html?locale=en", 320, 180)
	MustEval[bool](p, audioTapJS)
	// headless Chromium starts audio contexts running whatever its autoplay
	// policy (--autoplay-policy=user-gesture-required left it running), so
	// the page's context is suspended here as a headset's browser keeps it
	// until the first gesture
	if st := MustEval[string](p, `window.__audio.suspend()`); st != "suspended" {
		t.Fatalf("audio context is %q after suspend", st)
	}
	// a real click on Join: the gesture that unlocks audio (screen.js)
	if err := p.Do(chromedp.SendKeys(`#code`, e.joinCode()), chromedp.Click(`#join-btn`)); err != nil {
		t.Fatalf("joining: %v", err)
	}
	p.WaitFor(`window.haven.state.connected === true`, 60*time.Second)
	p.WaitFor(`window.__audio.state() === "running"`, 10*time.Second)
	liveInCrowd(t, e, p)

	// silence in Web Audio is exactly 0; the murmur at full noise, 6 m away,
	// is far above 1e-3 (−60 dBFS, the floor of what is audible at
	// ordinary listening levels) — wait for it, the sources start on the unlock
	p.WaitFor(`window.__audio.level(300).then((v) => v > 1e-3)`, 20*time.Second)
	loud := MustEval[float64](p, `window.__audio.level(1500)`)
	t.Logf("murmur at noise 1, density 1: RMS %.4f", loud)

	// the therapist turns noise and crowd down: the murmur's gain falls from
	// (0.2 + 1.6·1)(0.3 + 1) = 2.34 to (0.2 + 1.6·0)(0.3 + 0) = 0.06
	// (crowds.js), a 39× drop in amplitude; 8× is asked of a mix measured
	// over a second and a half of a murmur that swells and falls
	liveInCrowd(t, e, p)
	e.con.Send("cmd.scene.set", wire.CmdParams{Params: map[string]any{"noise": 0, "crowd_density": 0}})
	p.WaitFor(`window.haven.state.scene.params.noise === 0`, 10*time.Second)
	p.WaitFor(`window.haven.state.scene.current.noise < 0.001`, 10*time.Second) // the client eases parameter changes
	quiet := MustEval[float64](p, `window.__audio.level(1500)`)
	t.Logf("after scene.set noise 0, density 0: RMS %.4f", quiet)
	if !(quiet < loud/8) {
		t.Errorf("scene.set turned the crowd down but the murmur went from RMS %.4f to %.4f (want under %.4f)", loud, quiet, loud/8)
	}

	// calm now: the crowd scene is disposed, its sources stop; the neutral room has none
	e.con.Send("cmd.calm_now", wire.Empty{})
	p.WaitFor(`window.haven.state.scene.template === "neutral_room" && !window.haven.state.scene.loading`, 20*time.Second)
	p.WaitFor(`window.__audio.level(300).then((v) => v < 1e-5 || (console.warn('playing', v, JSON.stringify(window.__audio.playing())), false))`, 10*time.Second)
	if st := MustEval[string](p, `window.__audio.state()`); st != "running" {
		t.Errorf("audio context %q after the scene change; it should keep running for the next scene", st)
	}
}

// liveInCrowd waits until the patient's page shows the crowd in a live (not
// paused) session.
func liveInCrowd(t *testing.T, e *liveEnv, p *Page) {
	t.Helper()
	e.waitShowing(t, p, `s.scene?.template === "crowds"`, 2*time.Minute)
}
