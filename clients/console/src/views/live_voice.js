// The live view's voice panel (issue 18): the therapist talks to the patient
// through the session's own connection — push-to-talk (held button or the
// Space key) or open microphone, with mute — and hears the patient, whose
// voice level shows on a meter and whose own mute is shown. An observer
// hears both sides and has no microphone control at all. Voice is never
// recorded; the panel says so.
import { h } from '../dom.js';
import { MIC } from '../../../webxr/src/voice.js';
import { pushToTalk } from '../ptt.js';

/** LEVEL_MS: how often the meters read the incoming voices (getStats). */
const LEVEL_MS = 150;

/**
 * voicePanel({app, hook, send, voice, observer}) → {el, linkOpen(), remote(state), destroy()}.
 * voice is the connection's createVoice(); send puts voice.state on control.
 */
export function voicePanel({ app, hook, send, voice, observer }) {
  const { t } = app;
  const v = (hook.voice = { mode: 'ptt', live: false, mic: observer ? MIC.none : MIC.ptt, patient: MIC.none, therapist: MIC.none, levels: {}, observer });
  const meter = (id, labelId) => h('meter', { id, min: 0, max: 1, low: 0.02, high: 0.5, optimum: 0.2, value: 0, 'aria-labelledby': labelId });
  const patientMeter = meter('voice-patient-meter', 'voice-patient-label');
  const patientNote = h('p', { id: 'voice-patient-state', class: 'notice', 'aria-live': 'polite', hidden: true });
  const rows = [h('div', { class: 'voice-meter' }, h('span', { id: 'voice-patient-label' }, t('console.voice.patient_level')), patientMeter), patientNote];
  let therapistMeter = null;
  const mine = h('p', { id: 'voice-mine', 'aria-live': 'polite' });
  let controls = null, talk = null, mute = null, unlisten = () => {};

  if (observer) {
    therapistMeter = meter('voice-therapist-meter', 'voice-therapist-label');
    rows.push(h('div', { class: 'voice-meter' }, h('span', { id: 'voice-therapist-label' }, t('console.voice.therapist_level')), therapistMeter));
    controls = h('p', { id: 'voice-listen-only', class: 'notice' }, t('console.voice.listen_only'));
  } else {
    const mode = (m) => h('label', { class: 'check' },
      h('input', { type: 'radio', name: 'voice-mode', value: m, id: `voice-mode-${m}`, checked: m === v.mode, onchange: () => setMode(m) }), ' ', t(`console.voice.mode_${m}`));
    talk = h('button', { type: 'button', id: 'voice-talk', class: 'primary big', 'aria-pressed': 'false' }, t('console.voice.hold'));
    mute = h('button', { type: 'button', id: 'voice-mute', 'aria-pressed': 'false', hidden: true, onclick: () => setOpen(!v.live) }, t('console.voice.mute'));
    // Push-to-talk: live while the button (pointer or keyboard) or Space is held.
    unlisten = pushToTalk(talk, hold, () => v.mode === 'ptt');
    controls = h('div', { class: 'voice-controls' },
      h('fieldset', { class: 'inline' }, h('legend', {}, t('console.voice.mode')), mode('ptt'), mode('open')),
      h('div', { class: 'row' }, talk, mute));
  }
  const el = h('section', { class: 'card voice', id: 'voice', 'aria-labelledby': 'voice-h' },
    h('h2', { id: 'voice-h' }, t('console.voice.title')), controls, observer ? null : mine, ...rows,
    h('p', { class: 'hint' }, t('console.voice.not_recorded')));

  function tell() {
    v.mic = !voice.available() ? MIC.none : v.mode === 'open' ? (v.live ? MIC.on : MIC.muted) : MIC.ptt;
    if (!observer) send('voice.state', { mic: v.mic });
    render();
  }
  async function hold(on) {
    if (v.mode !== 'ptt') return;
    v.live = await voice.setLive(on);
    render();
    if (on && !voice.available()) tell();
  }
  async function setOpen(on) {
    v.live = await voice.setLive(on);
    tell();
  }
  async function setMode(m) {
    v.mode = m;
    v.live = await voice.setLive(m === 'open');
    tell();
  }
  function render() {
    if (observer) return;
    const none = !voice.available();
    mine.textContent = t(none ? 'console.voice.mine_none' : v.live ? 'console.voice.mine_live' : 'console.voice.mine_off');
    mine.className = v.live ? 'voice-live' : '';
    talk.hidden = v.mode !== 'ptt';
    mute.hidden = v.mode !== 'open';
    talk.setAttribute('aria-pressed', String(v.live && v.mode === 'ptt'));
    talk.classList.toggle('talking', v.live && v.mode === 'ptt');
    mute.setAttribute('aria-pressed', String(!v.live));
    mute.textContent = t(v.live ? 'console.voice.mute' : 'console.voice.unmute');
  }
  function renderPatient() {
    const key = !hook.patient ? '' : { [MIC.muted]: 'console.voice.patient_muted', [MIC.none]: 'console.voice.patient_none' }[v.patient] || '';
    patientNote.hidden = !key;
    patientNote.textContent = key ? t(key) : '';
    patientNote.dataset.mic = v.patient;
  }
  const timer = setInterval(async () => {
    v.levels = await voice.levels();
    patientMeter.value = v.levels.patient?.level || 0;
    if (therapistMeter) therapistMeter.value = v.levels.therapist?.level || 0;
    renderPatient();
  }, LEVEL_MS);
  render();
  renderPatient();
  return {
    el,
    /** linkOpen: a (re)opened connection is told this side's microphone. */
    linkOpen() { if (!observer) send('voice.state', { mic: v.mic }); },
    /** remote applies a voice.state from the server. */
    remote({ role, mic }) {
      if (role === 'patient') v.patient = mic;
      if (role === 'therapist') v.therapist = mic;
      renderPatient();
    },
    destroy() { clearInterval(timer); unlisten(); voice.setLive(false); },
  };
}
