// The headset's side of voice (issue 18): the microphone is on once the
// session connects (the patient can mute it, in the view or on the page),
// the therapist's voice plays with the scene's sound ducked under it, and
// "your therapist is speaking" shows while it does. The therapist's own
// microphone state (voice.state) is kept for the page and tests.
import { MIC } from './voice.js';

/** POLL_MS: how often the therapist's voice level is read (getStats). */
const POLL_MS = 150;

/**
 * setupHeadsetVoice({voice, conn, ui, audio, t, doc}) → {onOpen(), remote(body), toggle(), state()}.
 * t() returns the current translator (the language may change mid-session).
 */
export function setupHeadsetVoice({ voice, conn, ui, audio, t, doc = globalThis.document }) {
  const st = { mic: MIC.none, therapist: MIC.none, speaking: false, level: 0, energy: 0, bytes: 0, ducked: false };
  const btn = doc.getElementById('mic-toggle'), badge = doc.getElementById('voice-badge');
  let started = false;

  function tell() {
    st.mic = !voice.available() ? MIC.none : voice.live() ? MIC.on : MIC.muted;
    conn.sendControl('voice.state', { mic: st.mic });
    render();
  }
  async function toggle() {
    await voice.setLive(!voice.live());
    tell();
  }
  function render() {
    const tr = t();
    btn.hidden = st.mic === MIC.none;
    btn.textContent = tr(st.mic === MIC.muted ? 'client.voice.unmute' : 'client.voice.mute');
    btn.setAttribute('aria-pressed', String(st.mic === MIC.muted));
    badge.hidden = !st.speaking;
    badge.textContent = tr('client.voice.speaking');
    ui.setVoice({ speaking: st.speaking, mic: st.mic }, toggle);
  }
  btn.addEventListener('click', () => toggle());
  ui.onChange(() => render()); // a language change relabels the panels: the page's words follow

  setInterval(async () => {
    const l = (await voice.levels()).therapist;
    Object.assign(st, { level: l?.level || 0, energy: l?.energy || 0, bytes: l?.bytes || 0 });
    const speaking = Boolean(l?.speaking);
    if (speaking !== st.speaking) {
      st.speaking = speaking;
      audio.duck(speaking);
      st.ducked = audio.ducked();
      render();
    }
  }, POLL_MS);

  return {
    /** onOpen: the first connection turns the microphone on; every (re)connection tells the server its state. */
    async onOpen() {
      if (!started) { started = true; await voice.setLive(true); }
      voice.unlock();
      tell();
    },
    remote({ role, mic }) { if (role === 'therapist') st.therapist = mic; },
    toggle,
    relabel: render,
    state: () => ({ ...st, sending: voice.sending() }),
  };
}
