package e2e

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/havenvr/haven/server/store"
)

// writeVoiceWAV writes 10 s of a speech-like test voice — a tone at freq
// Hz, amplitude 0.5, opened and closed four times a second like syllables
// (so the browser's noise suppression does not take it for steady noise) —
// as 48 kHz mono 16-bit PCM (the WAV layout of the RIFF/WAVE spec).
func writeVoiceWAV(t *testing.T, freq float64) string {
	t.Helper()
	const rate, secs = 48000, 10
	n := rate * secs
	data := make([]byte, 44+2*n)
	copy(data, "RIFF")
	binary.LittleEndian.PutUint32(data[4:], uint32(36+2*n))
	copy(data[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(data[16:], 16)
	binary.LittleEndian.PutUint16(data[20:], 1) // PCM
	binary.LittleEndian.PutUint16(data[22:], 1) // mono
	binary.LittleEndian.PutUint32(data[24:], rate)
	binary.LittleEndian.PutUint32(data[28:], rate*2)
	binary.LittleEndian.PutUint16(data[32:], 2)
	binary.LittleEndian.PutUint16(data[34:], 16)
	copy(data[36:], "data")
	binary.LittleEndian.PutUint32(data[40:], uint32(2*n))
	for i := range n {
		ts := float64(i) / rate
		env := 0.55 + 0.45*math.Sin(2*math.Pi*4*ts) // four "syllables" a second, never silent
		v := 0.5 * env * math.Sin(2*math.Pi*freq*ts)
		binary.LittleEndian.PutUint16(data[44+2*i:], uint16(int16(v*32767)))
	}
	path := filepath.Join(t.TempDir(), fmt.Sprintf("voice-%g.wav", freq))
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// headsetVoice and consoleVoice read what a page hears: {bytes, energy}.
const (
	headsetHeard = `window.haven.state.voice`
	consoleHeard = `(window.havenConsole.live.voice.levels.patient || {bytes: 0, energy: 0})`
)

// consoleVoiceDiag summarises the console's live view for a failure message.
const consoleVoiceDiag = `JSON.stringify({hash: location.hash, link: window.havenConsole.live?.link, patient: window.havenConsole.live?.patient,
  voice: window.havenConsole.live?.voice, panel: !!document.querySelector('#voice'), errors: document.querySelector('.error:not([hidden])')?.textContent})`

type heard struct {
	Bytes  float64 `json:"bytes"`
	Energy float64 `json:"energy"`
}

// rising waits until a page's incoming voice has grown by more than a
// second of speech would: bytes and totalAudioEnergy (getStats) both up.
func rising(t *testing.T, p *Page, expr, what string) {
	t.Helper()
	h0 := MustEval[heard](p, expr)
	p.WaitFor(fmt.Sprintf(`(() => { const h = %s; return h.bytes > %f + 2000 && h.energy > %f + 0.005; })()`, expr, h0.Bytes, h0.Energy), 30*time.Second)
}

// silent waits until a page's incoming voice has stopped: neither bytes nor
// energy moved over a whole second (muting swaps the track out: no packets).
func silent(t *testing.T, p *Page, expr, what string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		h0 := MustEval[heard](p, expr)
		p.WaitFor(`new Promise((r) => setTimeout(() => r(true), 1000))`, 5*time.Second) // one window of the page's own clock
		h1 := MustEval[heard](p, expr)
		if h1.Bytes == h0.Bytes && h1.Energy == h0.Energy {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still arriving (%+v → %+v)", what, h0, h1)
		}
	}
}

// observerPublishes makes, in the observer's page, the offer a microphone
// would (its fake device) and posts it as an observer: the answer's status
// and error code.
const observerPublishes = `(async () => {
  const me = await (await fetch('/api/me')).json();
  const pc = new RTCPeerConnection();
  pc.createDataChannel('control'); pc.createDataChannel('signals');
  const s = await navigator.mediaDevices.getUserMedia({ audio: true });
  pc.addTrack(s.getAudioTracks()[0], s);
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((r) => { if (pc.iceGatheringState === 'complete') r(); pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && r(); setTimeout(r, 3000); });
  const id = decodeURIComponent(location.hash.split('/')[2].split('?')[0]);
  const res = await fetch('/api/sessions/' + encodeURIComponent(id) + '/console/whip?role=observer', { method: 'POST', body: pc.localDescription.sdp,
    headers: { 'Content-Type': 'application/sdp', 'X-CSRF-Token': me.csrf_token } });
  pc.close();
  let code = ''; try { code = (await res.json()).error.code; } catch {}
  return res.status + ' ' + code;
})()`

// TestVoiceBrowser: two-way voice between the therapist's console and the
// patient's headset, each a Chromium with a fake microphone (a 440 Hz and a
// 660 Hz test voice), through the real server. The therapist holds
// push-to-talk: the headset's inbound audio (getStats bytes and
// totalAudioEnergy) rises, "your therapist is speaking" shows and the scene
// is ducked; releasing stops it. The patient's voice reaches the console's
// meter likewise; the patient mutes themselves and the console says so and
// hears nothing. An observer hears both sides, has no microphone control,
// and an offer with a microphone from it is refused. In English and
// Arabic, with screenshots.
func TestVoiceBrowser(t *testing.T) {
	env := StartConsole(t)
	bT := NewMediaBrowser(t, writeVoiceWAV(t, 440))
	bP := NewMediaBrowser(t, writeVoiceWAV(t, 660))
	for _, locale := range []string{"en", "ar"} {
		t.Run(locale, func(t *testing.T) {
			p := env.SignIn(t, bT, locale, store.RoleTherapist)
			p.Diag = consoleVoiceDiag
			MustEval[bool](p, `(() => { window.confirm = () => true; return true; })()`)
			patientID := createPatient(t, p, locale, "P-"+strings.ToUpper(store.RandomToken(4)))
			sessionID := scheduleSession(t, p, locale, patientID)
			Wait(t, p, `window.havenConsole.live.link === 'open' && document.querySelector('#voice-talk')`, 15*time.Second)
			Do(t, p, chromedp.Click(`#join-h ~ .actions button.primary`))
			Wait(t, p, `/^[A-Z2-9]{4}-[A-Z2-9]{4}$/.test(document.querySelector('.joincode')?.textContent || '')`, 10*time.Second)
			code := MustEval[string](p, `document.querySelector('.joincode').textContent`)

			h := openPatientPage(t, bP, env.URL+"/xr/index.html?locale="+locale+"&iwer=quest3", 960, 540)
			h.Diag = `JSON.stringify({voice: window.haven.state.voice, connected: window.haven.state.connected, errors: window.haven.state.errors, paused: window.haven.state.paused})`
			Do(t, h, chromedp.SendKeys(`#code`, code), chromedp.Click(`#join-btn`))
			h.WaitFor(`window.haven.state.connected === true && window.haven.state.voice.mic === 'on' && window.haven.state.voice.sending`, 45*time.Second)
			Wait(t, p, `window.havenConsole.live.patient === true && window.havenConsole.live.voice.patient === 'on'`, 30*time.Second)

			// The therapist talks (push-to-talk held from the keyboard).
			MustEval[bool](p, `(() => { document.querySelector('#voice-talk').dispatchEvent(new KeyboardEvent('keydown', { key: ' ', bubbles: true })); return true; })()`)
			Wait(t, p, `window.havenConsole.live.voice.live === true`, 10*time.Second)
			rising(t, h, headsetHeard, "the therapist's voice at the headset")
			h.WaitFor(`window.haven.state.voice.speaking && window.haven.state.voice.ducked && window.haven.state.voice.shown.speaking && !document.getElementById('voice-badge').hidden`, 10*time.Second)
			if got, want := MustEval[string](h, `document.getElementById('voice-badge').textContent`), msg(t, env, locale, "client.voice.speaking"); got != want {
				t.Errorf("headset badge %q, want %q", got, want)
			}
			SaveArtifact(t, "voice-headset-"+locale+"-speaking.png", h.Screenshot())
			SaveArtifact(t, "voice-console-"+locale+"-talking.png", p.Screenshot())
			// In the headset: the same indicator in the view (emulated Quest 3).
			MustEval[string](h, `window.haven.enterXR()`)
			h.WaitFor(`window.haven.state.xr && window.haven.state.voice.shown.speaking`, 20*time.Second)
			SaveArtifact(t, "voice-headset-"+locale+"-xr-speaking.png", h.Screenshot())
			MustEval[bool](h, `window.haven.exitXR().then(() => true)`)

			// Released: nothing more reaches the headset.
			MustEval[bool](p, `(() => { document.querySelector('#voice-talk').dispatchEvent(new KeyboardEvent('keyup', { key: ' ', bubbles: true })); return true; })()`)
			silent(t, h, headsetHeard, "the therapist's voice after release")
			h.WaitFor(`!window.haven.state.voice.speaking && !window.haven.state.voice.ducked`, 10*time.Second)

			// The patient's voice reaches the console's meter.
			rising(t, p, consoleHeard, "the patient's voice at the console")
			Wait(t, p, `document.querySelector('#voice-patient-meter').value > 0`, 10*time.Second)

			// An observer: listens to both, no microphone control, may not publish.
			o := env.SignIn(t, bT, locale, store.RoleTherapist)
			Go(t, o, "#/sessions/"+sessionID+"?role=observer")
			Wait(t, o, `window.havenConsole.live && window.havenConsole.live.link === 'open' && document.querySelector('#voice-listen-only')`, 15*time.Second)
			if n := MustEval[int](o, `document.querySelectorAll('#voice-talk, #voice-mute, input[name=voice-mode]').length`); n != 0 {
				t.Errorf("observer has %d microphone controls", n)
			}
			rising(t, o, `(window.havenConsole.live.voice.levels.patient || {bytes: 0, energy: 0})`, "the patient's voice at the observer")
			if got := MustEval[string](o, observerPublishes); got != "403 media_refused" {
				t.Errorf("observer's offer with a microphone answered %q, want 403 media_refused", got)
			}
			SaveArtifact(t, "voice-observer-"+locale+".png", o.Screenshot())

			// The patient mutes themselves: the console says so and hears nothing.
			Do(t, h, chromedp.Click(`#mic-toggle`))
			h.WaitFor(`window.haven.state.voice.mic === 'muted' && !window.haven.state.voice.sending`, 10*time.Second)
			Wait(t, p, `window.havenConsole.live.voice.patient === 'muted' && !document.querySelector('#voice-patient-state').hidden`, 10*time.Second)
			if got, want := MustEval[string](p, `document.querySelector('#voice-patient-state').textContent`), msg(t, env, locale, "console.voice.patient_muted"); got != want {
				t.Errorf("console shows %q, want %q", got, want)
			}
			silent(t, p, consoleHeard, "the patient's voice after muting")
			CheckPage(t, p, locale, "voice-live")
			SaveArtifact(t, "voice-console-"+locale+"-patient-muted.png", p.Screenshot())
		})
	}
}
