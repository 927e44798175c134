// The panels of the live session view. Each returns {el, …update methods}
// and reads/writes the shared ctx (app, sess, protocol, hook, send).
import { h, mount } from '../dom.js';
import { copyButton } from '../forms.js';
import { paramInput } from '../params.js';
import { label } from './environments.js';
import { stateLabel } from './sessions.js';

/** statusPanel: session state, link, patient connection and headset, current step, latest SUDS and HR. */
export function statusPanel({ app, hook, protocol }) {
  const { t } = app;
  const dl = h('dl', { class: 'kv' });
  const linkEl = h('span', {});
  // Not a live region: it refreshes every second with the metrics. Changes
  // that matter (state, patient link) are announced once instead.
  const el = h('section', { class: 'card', 'aria-labelledby': 'st-h' }, h('h2', { id: 'st-h' }, t('console.status')), dl);
  let hr = null, said = '';
  const total = protocol?.protocol?.steps?.length || 0;
  function update() {
    const step = hook.step;
    const stepDoc = step && protocol?.protocol?.steps?.[step.index];
    const client = hook.client;
    const rows = [
      [t('console.status'), stateLabel(app, hook.state) + (hook.reason ? ` · ${reasonText(app, hook.reason)}` : '')],
      [t('console.session.connection'), linkEl],
      [t('console.session.patient'), hook.patient ? t('console.session.patient_connected') : t('console.session.patient_disconnected')],
      [t('console.session.headset'), client ? `${client.xr ? t('console.session.headset_vr') : t('console.session.headset_inline')} · ${t('console.value.fps', { Value: app.i18n.number(Math.round(client.fps || 0)) })}` : '—'],
      [t('console.session.current_step'), step ? `${t('console.protocol.step', { Number: app.i18n.number((step.index ?? 0) + 1) })}${total ? ` / ${app.i18n.number(total)}` : ''}${stepDoc ? ` · ${t('console.protocol.expected_suds')} ${app.i18n.number(stepDoc.expected_suds)}` : ''}` : '—'],
      [t('console.session.scene'), hook.scene ? h('span', {}, hook.sceneLabel || h('span', { translate: 'no' }, hook.scene.template)) : '—'],
      [t('console.session.current_suds'), hook.suds.length ? app.i18n.number(hook.suds.at(-1).value) : '—'],
      [t('bio.metric.hr'), hr !== null ? t('console.value.bpm', { Value: app.i18n.number(Math.round(hr)) }) : '—'],
    ];
    if (hook.resonance.length) rows.push([t('console.resonance.title'), resonanceList(app, hook.resonance)]);
    mount(dl, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
    const news = `${rows[0][1]} · ${rows[2][1]}`;
    if (news !== said) { if (said) app.announce(news); said = news; }
  }
  update();
  return {
    el, update,
    link(s) { linkEl.textContent = t(`console.link.${s}`); },
    metrics(m) { if (typeof m.hr_bpm === 'number') { hr = m.hr_bpm; update(); } },
  };
}

/** resonanceList shows a resonance assessment's recorded windows and the best rate so far (CLINICAL.md §7). */
function resonanceList(app, windows) {
  const { t } = app;
  const rate = (v) => app.i18n.number(v, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  const best = windows.at(-1).best_breaths_per_min;
  return h('div', { id: 'resonance' },
    h('ul', {}, windows.map((w) => h('li', {}, w.error
      ? t('console.resonance.too_short', { Rate: rate(w.breaths_per_min) })
      : t('console.resonance.window', { Rate: rate(w.breaths_per_min), Power: app.i18n.number(Math.round(w.lf_peak_ms2)) })))),
    best ? h('p', { class: 'best' }, h('strong', {}, t('console.resonance.best', { Rate: rate(best) }))) : null);
}

/** reasonText localizes a state or refusal reason code, falling back to a generic line. */
export function reasonText(app, code) {
  const key = `console.reason.${code}`;
  return app.i18n.has(key) ? app.t(key) : app.t('console.reason.other');
}

/** joinPanel: issue the single-use join code, show it as text, QR and link; optionally attach a simulated patient. */
export function joinPanel({ app, sess }) {
  const { t } = app;
  const out = h('div', { 'aria-live': 'polite' });
  const issue = async () => {
    try {
      const r = await app.api.post(`/api/sessions/${encodeURIComponent(sess.id)}/join-code`);
      const link = r.url || new URL(r.link, location.origin).href;
      window.havenConsole.live.joinCode = r.code;
      mount(out, h('p', { class: 'joincode', translate: 'no', dataset: { code: r.code } }, r.code),
        h('p', { class: 'hint' }, t('console.session.join_code_hint')),
        r.qr_png ? h('img', { src: r.qr_png, width: 160, height: 160, alt: t('console.session.qr_alt') }) : null,
        h('p', { class: 'linkbox' }, h('code', { translate: 'no' }, link), ' ', copyButton(app, link)),
        h('p', { class: 'hint' }, t('console.users.expires'), ' ', h('time', { datetime: r.expires_at }, app.i18n.date(r.expires_at))));
      app.announce(t('console.session.join_code'));
    } catch (e) { mount(out, h('p', { class: 'error', role: 'alert' }, e.message)); }
  };
  const simulate = app.api.has('POST', '/api/sessions/{id}/simulate') ? h('button', { type: 'button', onclick: async (e) => {
    e.target.disabled = true;
    try { await app.api.post(`/api/sessions/${encodeURIComponent(sess.id)}/simulate`); app.announce(t('console.session.simulated')); } catch (err) { e.target.disabled = false; app.alert(err.message); }
  } }, t('console.session.simulate')) : null;
  return { el: h('section', { class: 'card', 'aria-labelledby': 'join-h' }, h('h2', { id: 'join-h' }, t('console.session.join_code')),
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'primary', onclick: issue }, t('console.session.new_code')), simulate), out) };
}

/** controlsPanel: intensity, parameters, events, steps, SUDS prompt, calm, pause/resume, stop, end. */
export function controlsPanel(ctx) {
  const { app, hook, send, sess } = ctx;
  const { t } = app;
  const level = h('output', { for: 'live-intensity' }, '—');
  const slider = h('input', { id: 'live-intensity', type: 'range', min: 0, max: 100, step: 5, value: '0',
    oninput: () => { level.textContent = app.i18n.number(Number(slider.value)); },
    onchange: () => cmd('cmd.intensity', { intensity: Number(slider.value) }) });
  const params = h('div', {});
  const events = h('div', { class: 'actions' });
  const refusal = h('p', { class: 'error', role: 'alert', hidden: true });
  const pause = h('button', { type: 'button', class: 'pause-resume', onclick: () => cmd(hook.state === 'paused' ? 'cmd.resume' : 'cmd.pause') }, t('console.session.pause'));
  let tpl = null, inputs = {};
  function cmd(type, body = {}) {
    refusal.hidden = true;
    const env = send(type, body);
    window.havenConsole.live.lastCommand = { type, seq: env.seq };
    app.announce(t('console.session.sent'));
  }
  async function scene(s) {
    if (!tpl || tpl.id !== s.template) {
      try { tpl = await app.api.get(`/api/templates/${encodeURIComponent(s.template)}`); } catch { tpl = null; }
      hook.sceneLabel = tpl ? label(app, tpl) : '';
      ctx.ui.status.update();
      inputs = {};
      if (tpl) for (const p of tpl.params) inputs[p.name] = paramInput(app, p, s.params[p.name], () => {});
      mount(params, tpl ? h('form', { class: 'params', onsubmit: (e) => { e.preventDefault(); cmd('cmd.scene.set', { params: Object.fromEntries(Object.entries(inputs).map(([k, i]) => [k, i.get()])) }); } },
        h('fieldset', {}, h('legend', {}, t('console.env.parameters')), Object.values(inputs).map((i) => i.el)),
        h('button', { type: 'submit' }, t('console.session.apply'))) : null);
      mount(events, tpl ? tpl.events.map((e) => h('button', { type: 'button', onclick: () => cmd('cmd.event', { event: e.id }) }, label(app, e))) : null);
    } else {
      for (const [k, v] of Object.entries(s.params)) if (inputs[k] && document.activeElement?.name !== `params.${k}`) inputs[k].set(v);
    }
  }
  function update() {
    pause.textContent = hook.state === 'paused' ? t('console.session.resume') : t('console.session.pause');
    const ended = hook.state === 'ended';
    for (const b of el.querySelectorAll('button, input, select')) b.disabled = ended;
  }
  const el = h('section', { class: 'card', 'aria-labelledby': 'ctl-h' }, h('h2', { id: 'ctl-h' }, t('console.session.controls')),
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'calm calm-now', onclick: () => cmd('cmd.calm_now') }, t('console.session.calm_now')),
      pause,
      h('button', { type: 'button', class: 'ask-suds', onclick: () => cmd('cmd.suds_prompt') }, t('console.session.ask_suds'))),
    sess.kind === 'exposure' && sess.protocol_id ? h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'step-back', onclick: () => cmd('cmd.step_back') }, t('console.session.previous_step')),
      h('button', { type: 'button', onclick: () => cmd('cmd.stay') }, t('console.session.stay')),
      h('button', { type: 'button', class: 'primary advance', onclick: () => cmd('cmd.advance') }, t('console.session.next_step')),
      h('button', { type: 'button', class: 'ask-expectancy', onclick: () => cmd('cmd.expectancy_prompt', { phase: 'after' }) }, t('console.session.ask_expectancy'))) : null,
    h('div', { class: 'field' }, h('label', { for: 'live-intensity' }, t('console.session.intensity')), ' ', level, slider),
    refusal, params, h('h3', {}, t('console.events')), events,
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'report-dizziness', onclick: () => cmd('cmd.report', { kind: 'dizziness' }) }, t('console.session.report_dizziness')),
      h('button', { type: 'button', class: 'danger report-seizure', onclick: () => { if (confirm(t('console.session.seizure_confirm'))) cmd('cmd.report', { kind: 'seizure' }); } }, t('console.session.report_seizure')),
      h('button', { type: 'button', class: 'danger hard-stop', onclick: () => { if (confirm(t('console.session.stop_confirm'))) cmd('cmd.stop'); } }, t('console.session.stop')),
      h('button', { type: 'button', class: 'danger end-session', onclick: () => { if (confirm(t('console.session.end_confirm'))) cmd('cmd.end'); } }, t('console.session.end'))));
  return {
    el, scene, update,
    refused(b) { refusal.textContent = `${t('console.session.refused')} ${reasonText(app, b.reason)}`; refusal.hidden = false; },
  };
}

/** suggestionPanel shows the engine's suggestion (action + reason) with one-click accept or dismiss. */
export function suggestionPanel({ app, send }) {
  const { t } = app;
  const body = h('div', {});
  const el = h('section', { class: 'card suggestion', 'aria-labelledby': 'sg-h', hidden: true }, h('h2', { id: 'sg-h' }, t('console.suggest.title')), body);
  const CMD = { advance: 'cmd.advance', step_back: 'cmd.step_back', stay: 'cmd.stay', end: 'cmd.end', calm_now: 'cmd.calm_now' };
  return {
    el,
    show(s) {
      el.hidden = !s;
      if (!s) { mount(body); return; }
      const key = `console.suggest.reason.${s.reason}`;
      mount(body, h('p', {}, h('strong', {}, t(`console.suggest.action.${s.action}`)), ' — ', app.i18n.has(key) ? t(key) : t('console.reason.other')),
        h('div', { class: 'actions' },
          CMD[s.action] ? h('button', { type: 'button', class: 'primary', onclick: () => { send(CMD[s.action]); el.hidden = true; } }, t('console.suggest.accept')) : null,
          h('button', { type: 'button', onclick: () => { send('cmd.stay'); el.hidden = true; } }, t('console.suggest.dismiss'))));
      app.announce(t('console.suggest.title'));
    },
  };
}

/** alertsPanel lists alerts newest first, announces them and beeps (WebAudio) unless muted. */
export function alertsPanel({ app, hook }) {
  const { t } = app;
  const list = h('ul', { class: 'alerts' });
  const sound = h('input', { type: 'checkbox', id: 'alert-sound', checked: true });
  let audio = null;
  function beep() {
    if (!sound.checked) return;
    try {
      audio ||= new AudioContext();
      const o = audio.createOscillator(), g = audio.createGain();
      o.frequency.value = 880; g.gain.value = 0.15;
      o.connect(g).connect(audio.destination);
      o.start(); o.stop(audio.currentTime + 0.25);
    } catch { /* no audio device: the visual alert remains */ }
  }
  function text(a) {
    const data = { Value: app.i18n.number(a.value ?? 0, { maximumFractionDigits: 0 }), Threshold: app.i18n.number(a.threshold ?? 0, { maximumFractionDigits: 0 }) };
    if (a.message_id && app.i18n.has(a.message_id)) return t(a.message_id, data);
    if (app.i18n.has(`console.alert.${a.code}`)) return t(`console.alert.${a.code}`, data);
    return t('console.alert.other');
  }
  const el = h('section', { class: 'card', 'aria-labelledby': 'al-h' }, h('h2', { id: 'al-h' }, t('console.alerts')),
    h('label', { class: 'check', for: 'alert-sound' }, sound, ' ', t('console.alert.sound')), list);
  return {
    el,
    add(a, at) {
      hook.alerts.push(a);
      const msg = text(a) + (a.reason ? ` · ${reasonText(app, a.reason)}` : '');
      list.prepend(h('li', { class: a.fired === false ? 'ok' : '' }, h('time', { datetime: new Date(at).toISOString() }, app.i18n.time(at)), ' ', a.fired === false ? `${t('bio.alert.cleared')} ${msg}` : msg));
      if (a.fired !== false) { app.alert(msg); beep(); }
    },
    error(e) { list.prepend(h('li', {}, e.message || t('error.bad_request'))); },
  };
}

/** notesPanel: timestamped notes, sent durably on the control channel (acknowledged after commit). */
export function notesPanel({ app, hook, send }) {
  const { t } = app;
  const list = h('ol', { class: 'notes' });
  const box = h('textarea', { id: 'note-text', rows: 3, maxlength: 4000 });
  const form = h('form', { onsubmit: (e) => {
    e.preventDefault();
    const text = box.value.trim();
    if (!text) return;
    send('note', { text }, { durable: true });
    const at = Date.now();
    hook.notes.push({ at, text });
    list.prepend(h('li', {}, h('time', { datetime: new Date(at).toISOString() }, app.i18n.time(at)), ' ', h('span', { translate: 'no' }, text)));
    box.value = '';
    app.announce(t('console.saved'));
  } }, h('label', { for: 'note-text' }, t('console.note.add')), box, h('button', { type: 'submit' }, t('console.note.add')));
  return { el: h('section', { class: 'card', 'aria-labelledby': 'nt-h' }, h('h2', { id: 'nt-h' }, t('console.notes')), form, list) };
}
