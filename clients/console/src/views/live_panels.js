// The panels of the live session view. Each returns {el, …update methods}
// and reads/writes the shared ctx (app, sess, protocol, hook, send).
import { h, mount } from '../dom.js';
import { copyButton } from '../forms.js';
import { paramInput } from '../params.js';
import { label } from './environments.js';
import { stateLabel } from './sessions.js';
import { clock, describe, endMessage, stepName } from '../session_model.js';
import { avoidanceRows } from './live_mirror.js';

/** MAX_JUMP is the intensity change (points of 100) above which the console asks before sending it. */
export const MAX_JUMP = 20;

/** statusPanel: session state, timed phase with its countdown, link, patient and headset, current step (named), latest SUDS and HR, and after the end why it ended. */
export function statusPanel({ app, hook, protocol }) {
  const { t } = app;
  const dl = h('dl', { class: 'kv' });
  const linkEl = h('span', {});
  const phaseEl = h('span', { id: 'phase-countdown', class: 'countdown' });
  const endEl = h('p', { class: 'notice end-reason', id: 'end-reason', hidden: true });
  const simEl = h('p', { class: 'notice', id: 'simulated-data', hidden: true }, t('console.session.simulated_notice'));
  // Not a live region: it refreshes every second with the metrics. Changes
  // that matter (state, patient link, phase) are announced once instead.
  const el = h('section', { class: 'card', 'aria-labelledby': 'st-h' }, h('h2', { id: 'st-h' }, t('console.status')), endEl, simEl, dl);
  let hr = null, said = '';
  const steps = protocol?.protocol?.steps || [];
  const total = steps.length;
  const num = (n, o) => app.i18n.number(n, o);
  function phaseText() {
    const ph = hook.phase;
    if (!ph || hook.state === 'ended') return '';
    const left = clock(ph.until - Date.now(), num);
    hook.phaseLeft = left;
    return t(`console.phase.${ph.name}`, { Time: left });
  }
  function update() {
    const step = hook.step;
    const stepDoc = step && steps[step.index];
    const client = hook.client;
    // simulated physiology is said so: the headset's sensor, or the session's recorded provenance
    // (once seen it stays said: the headset's state is gone after the end, the data is not)
    const simulated = hook.simulated = Boolean(hook.simulated || client?.sensor === 'simulated' || hook.provenance === 'simulated' || hook.simulatedPatient);
    simEl.hidden = !simulated;
    const end = hook.end ? endText(app, hook.end) : '';
    phaseEl.textContent = phaseText();
    const rows = [
      [t('console.status'), stateLabel(app, hook.state) + (hook.state === 'paused' && hook.reason ? ` · ${reasonText(app, hook.reason)}` : '')],
      hook.phase && hook.state !== 'ended' ? [t('console.session.phase'), phaseEl] : null,
      [t('console.session.connection'), linkEl],
      [t('console.session.patient'), hook.patient ? t('console.session.patient_connected') : t('console.session.patient_disconnected')],
      [t('console.session.headset'), client ? `${client.xr ? t('console.session.headset_vr') : t('console.session.headset_inline')} · ${t('console.value.fps', { Value: num(Math.round(client.fps || 0)) })}` : '—'],
      [t('console.session.current_step'), step ? h('span', { id: 'current-step' }, stepLine(app, step.index, total, stepDoc),
        stepDoc ? ` · ${t('console.protocol.expected_suds')} ${num(stepDoc.expected_suds)}` : '') : '—'],
      // a clinic's own scene may be named in another script: its direction is its own
      [t('console.session.scene'), hook.scene ? h('span', { dir: 'auto' }, hook.sceneLabel || h('span', { translate: 'no' }, hook.scene.template)) : '—'],
      [t('console.session.current_suds'), hook.suds.length ? num(hook.suds.at(-1).value) : '—'],
      [t('bio.metric.hr'), hr !== null ? [t('console.value.bpm', { Value: num(Math.round(hr)) }), simulated ? h('span', { class: 'badge sim' }, t('console.session.simulated_data')) : null] : '—'],
    ].filter(Boolean);
    rows.push(...avoidanceRows(app, hook.avoidance).slice(0, 2)); // time on stimulus and looking away, beside SUDS and HR
    if (hook.resonance.length) rows.push([t('console.resonance.title'), resonanceList(app, hook.resonance)]);
    mount(dl, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
    endEl.textContent = end;
    endEl.hidden = !end;
    const news = [rows[0][1], hook.patient ? t('console.session.patient_connected') : t('console.session.patient_disconnected'),
      hook.phase && hook.state !== 'ended' ? t(`console.phase.${hook.phase.name}_name`) : '', end].filter(Boolean).join(' · ');
    if (news !== said) { if (said) app.announce(news); said = news; }
  }
  // the countdown ticks on its own; nothing else on the panel changes with it
  const tick = setInterval(() => { if (hook.phase) phaseEl.textContent = phaseText(); }, 1000);
  update();
  return {
    el, update,
    destroy: () => clearInterval(tick),
    link(s) { linkEl.textContent = t(`console.link.${s}`); },
    metrics(m) { if (typeof m.hr_bpm === 'number') { hr = m.hr_bpm; update(); } },
  };
}

/** stepLine is "Step 2 of 10: Balcony, third floor" (the step's own name when the ladder has one). */
export function stepLine(app, index, total, stepDoc) {
  const { t } = app;
  const data = { Step: app.i18n.number(index + 1), Total: app.i18n.number(total) };
  const head = total ? t('console.tl.step_of', data) : t('console.tl.step', data);
  const name = stepName(stepDoc);
  const words = name.text || (name.key && app.i18n.has(name.key) ? t(name.key) : '');
  return words ? `${head}: ${words}` : head;
}

/** endText is the true end reason in words ("Ended by the therapist at step 1 of 10."). */
export function endText(app, end) {
  const m = endMessage(end.info, end.total);
  if (!m) return '';
  return app.t(m.id, { ...m.data, Step: app.i18n.number(m.data.Step), Total: app.i18n.number(m.data.Total), Reason: reasonText(app, m.data.Reason) });
}

/** alertName names an alert by its code ("Heart rate above ceiling"). */
export function alertName(app, code) {
  return app.i18n.has(`console.alert.${code}`) ? app.t(`console.alert.${code}`) : app.t('console.alert.other');
}

/** suggestionText is what the engine suggests and why: "Next step — SUDS has halved since the step began." */
export function suggestionText(app, s) {
  const { t } = app;
  const action = app.i18n.has(`console.suggest.action.${s.action}`) ? t(`console.suggest.action.${s.action}`) : t('console.suggest.title');
  return `${action} — ${reasonText(app, s.reason)}`;
}

/** commandName names a therapist command for a refusal ("Next step"). */
const COMMAND_LABELS = { advance: 'console.session.next_step', step_back: 'console.session.previous_step', stay: 'console.session.stay',
  set_params: 'console.env.parameters', fire_event: 'console.events', calm_now: 'console.session.calm_now', pause: 'console.session.pause',
  resume: 'console.session.resume', stop: 'console.session.stop', end: 'console.session.end' };
function commandName(app, cmd) {
  return app.t(COMMAND_LABELS[cmd] || 'console.command.other');
}

/**
 * eventText puts one timeline event into words (session_model.describe),
 * or returns '' for the bookkeeping entries the clinician does not need.
 */
export function eventText(app, e, ctx) {
  const d = describe(e, ctx);
  if (!d) return '';
  const { t } = app;
  const data = { ...(d.data || {}) };
  for (const k of ['Step', 'Total', 'Value']) if (typeof data[k] === 'number') data[k] = app.i18n.number(data[k]);
  let text = d.count !== undefined ? app.i18n.plural(d.id, d.count, data) : t(d.id, data);
  if (d.id.startsWith('console.tl.step')) text = stepLine(app, e.body.index, ctx.total || 0, (ctx.steps || [])[e.body.index]);
  if (d.action !== undefined) text += ` ${app.i18n.has(`console.suggest.action.${d.action}`) ? t(`console.suggest.action.${d.action}`) : t('console.suggest.title')}`;
  if (d.command) text += ` ${commandName(app, d.command)}`;
  if (d.alert !== undefined) text += ` ${alertName(app, d.alert)}`;
  if (d.reason) text += ` — ${reasonText(app, d.reason)}`;
  return text;
}

/** eventNodes is eventText with the clinician's own words (a note) kept apart and marked as not for translation; [] when nothing is said. */
export function eventNodes(app, e, ctx) {
  const text = eventText(app, e, ctx);
  if (!text) return [];
  return e.kind === 'note' && e.body?.text ? [text, ': ', h('span', { translate: 'no', dir: 'auto' }, e.body.text)] : [text];
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

/** reasonText puts a state, refusal or suggestion reason code into words; an unknown code is named, never hidden. */
export function reasonText(app, code) {
  for (const key of [`console.reason.${code}`, `console.suggest.reason.${code}`]) if (app.i18n.has(key)) return app.t(key);
  return app.t('console.reason.other', { Code: code });
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
    try {
      // the practice runs as a copy of this session for the clinic's training patient: open it
      const practice = await app.api.post(`/api/sessions/${encodeURIComponent(sess.id)}/simulate`);
      window.havenConsole.live.simulatedPatient = true;
      app.announce(t('console.session.simulated'));
      if (practice.id !== sess.id) location.hash = `#/sessions/${encodeURIComponent(practice.id)}`;
    } catch (err) { e.target.disabled = false; mount(out, h('p', { class: 'error', role: 'alert' }, err.message)); }
  } }, t('console.session.simulate')) : null;
  return { el: h('section', { class: 'card', 'aria-labelledby': 'join-h' }, h('h2', { id: 'join-h' }, t('console.session.join_code')),
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'primary', onclick: issue }, t('console.session.new_code')), simulate), out) };
}

/** controlsPanel: intensity, parameters, events, steps, SUDS prompt, calm, pause/resume, stop, end. */
export function controlsPanel(ctx) {
  const { app, hook, send, sess } = ctx;
  const { t } = app;
  const level = h('output', { for: 'live-intensity' }, '—');
  // The slider commits when it is let go (pointer) or when arrow keys pause
  // for SETTLE_MS, and never more often than every SETTLE_MS: sixteen arrow
  // presses are one command, not sixteen scene reloads. A jump of more than
  // MAX_JUMP points asks first.
  const SETTLE_MS = 500;
  const maxJump = Number(app.me?.clinic?.max_intensity_jump) || MAX_JUMP;
  let committed = 0, settle = null;
  const slider = h('input', { id: 'live-intensity', type: 'range', min: 0, max: 100, step: 5, value: '0',
    oninput: () => { level.textContent = app.i18n.number(Number(slider.value)); },
    onchange: () => { clearTimeout(settle); settle = setTimeout(commitIntensity, SETTLE_MS); },
    onpointerup: () => { clearTimeout(settle); settle = setTimeout(commitIntensity, 0); } });
  function commitIntensity() {
    settle = null;
    const v = Number(slider.value);
    if (v === committed) return;
    if (Math.abs(v - committed) > maxJump && !confirm(t('console.session.intensity_confirm', { From: app.i18n.number(committed), To: app.i18n.number(v) }))) {
      slider.value = String(committed);
      level.textContent = app.i18n.number(committed);
      return;
    }
    if (cmd('cmd.intensity', { intensity: v }) === false) return; // not sent: the next change or release tries again
    committed = v;
    window.havenConsole.live.intensitySent = (window.havenConsole.live.intensitySent || 0) + 1;
  }
  const params = h('div', {});
  const events = h('div', { class: 'actions' });
  const refusal = h('p', { class: 'error', role: 'alert', hidden: true });
  const pause = h('button', { type: 'button', class: 'pause-resume', onclick: () => cmd(hook.state === 'paused' ? 'cmd.resume' : 'cmd.pause') }, t('console.session.pause'));
  let tpl = null, inputs = {};
  function cmd(type, body = {}) {
    refusal.hidden = true;
    const env = send(type, body);
    if (env.sent === false) { // the link is down: nothing went out, and the therapist must know
      refusal.textContent = t('console.session.not_sent');
      refusal.hidden = false;
      app.announce(refusal.textContent);
      return false;
    }
    window.havenConsole.live.lastCommand = { type, seq: env.seq };
    ctx.ui.timeline?.add({ kind: 'command', body: { type, body }, at: Date.now() });
    app.announce(t('console.session.sent'));
    return true;
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
    for (const b of el.querySelectorAll('button, input, select, textarea')) b.disabled = ended;
    if (ended) clearTimeout(settle);
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
    refused(b) {
      refusal.textContent = `${t('console.session.refused')} ${commandName(app, b.command)} — ${reasonText(app, b.reason)}`;
      refusal.hidden = false;
    },
  };
}

/** suggestionPanel shows the engine's suggestion (action + reason) with one-click accept or dismiss. */
export function suggestionPanel({ app, send, observer }) {
  const { t } = app;
  const body = h('div', {});
  const el = h('section', { class: 'card suggestion', 'aria-labelledby': 'sg-h', hidden: true }, h('h2', { id: 'sg-h' }, t('console.suggest.title')), body);
  const CMD = { advance: 'cmd.advance', step_back: 'cmd.step_back', stay: 'cmd.stay', end: 'cmd.end', calm_now: 'cmd.calm_now' };
  return {
    el,
    show(s) {
      el.hidden = !s;
      if (!s) { mount(body); return; }
      mount(body, h('p', {}, h('strong', {}, app.i18n.has(`console.suggest.action.${s.action}`) ? t(`console.suggest.action.${s.action}`) : t('console.suggest.title')), ' — ', reasonText(app, s.reason)),
        observer ? null : h('div', { class: 'actions' },
          CMD[s.action] ? h('button', { type: 'button', class: 'primary', onclick: () => { send(CMD[s.action]); el.hidden = true; } }, t('console.suggest.accept')) : null,
          h('button', { type: 'button', onclick: () => { send('cmd.stay'); el.hidden = true; } }, t('console.suggest.dismiss'))));
      app.announce(`${t('console.suggest.title')}: ${suggestionText(app, s)}`);
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
    if (a.message_id && a.message_id !== 'bio.alert.cleared' && app.i18n.has(a.message_id)) return t(a.message_id, data);
    return alertName(app, a.code);
  }
  const el = h('section', { class: 'card', 'aria-labelledby': 'al-h' }, h('h2', { id: 'al-h' }, t('console.alerts')),
    h('label', { class: 'check', for: 'alert-sound' }, sound, ' ', t('console.alert.sound')), list);
  // One line per alert (by code): a repeat updates its line and counts it,
  // a clearing names the alert that cleared.
  const lines = new Map();
  return {
    el,
    add(a, at) {
      hook.alerts.push(a);
      const fired = a.fired !== false;
      const name = alertName(app, a.code);
      let line = lines.get(a.code);
      if (!line) { line = { li: h('li', { dataset: { code: a.code } }), times: 0 }; lines.set(a.code, line); }
      if (fired) line.times++;
      const msg = fired ? text(a) + (a.reason ? ` · ${reasonText(app, a.reason)}` : '') : t('console.alert.cleared_named', { Name: name });
      line.li.className = fired ? '' : 'ok';
      mount(line.li, h('time', { datetime: new Date(at).toISOString() }, app.i18n.time(at)), ' ', msg,
        line.times > 1 ? h('span', { class: 'count' }, ' · ', app.i18n.plural('console.alert.times', line.times)) : null);
      list.prepend(line.li);
      if (fired) { app.alert(msg); beep(); } else app.announce(msg);
    },
    error(e) { list.prepend(h('li', {}, e.message || t('error.bad_request'))); },
  };
}

/**
 * timelinePanel is the live session's timeline beside the controls: every
 * step, suggestion, refusal, alert, pause and note in words, newest first,
 * from the same descriptions the report uses.
 */
export function timelinePanel({ app, hook, protocol }) {
  const { t } = app;
  const steps = protocol?.protocol?.steps || [];
  const list = h('ol', { class: 'timeline', reversed: true });
  // until the first event the box says what will appear in it (an observer
  // joining a quiet session would otherwise see an empty frame)
  const empty = h('p', { class: 'hint', id: 'timeline-empty' }, t('console.session.timeline_empty'));
  const el = h('section', { class: 'card', 'aria-labelledby': 'tl-h' }, h('h2', { id: 'tl-h' }, t('console.session.timeline')),
    h('div', { class: 'timeline-scroll', tabindex: '0', role: 'region', 'aria-labelledby': 'tl-h' }, empty, list));
  const prepend = (li) => { empty.hidden = true; list.prepend(li); };
  return {
    el,
    add(e) {
      hook.timeline.push(e);
      const nodes = eventNodes(app, e, { total: steps.length, steps });
      if (!nodes.length) return;
      prepend(h('li', { dataset: { kind: e.kind } }, h('time', { datetime: new Date(e.at).toISOString() }, app.i18n.time(e.at)), ' ', nodes));
    },
    line(text, at) {
      prepend(h('li', { dataset: { kind: 'end' } }, h('time', { datetime: new Date(at).toISOString() }, app.i18n.time(at)), ' ', text));
    },
  };
}

/** notesPanel: timestamped notes, sent durably on the control channel (acknowledged after commit). */
export function notesPanel({ app, hook, send, ui }) {
  const { t } = app;
  const list = h('ol', { class: 'notes' });
  // dir=auto: a note in English on an Arabic page (or the reverse) reads in its own direction
  const box = h('textarea', { id: 'note-text', rows: 3, maxlength: 4000, dir: 'auto' });
  const form = h('form', { onsubmit: (e) => {
    e.preventDefault();
    const text = box.value.trim();
    if (!text) return;
    send('note', { text }, { durable: true });
    const at = Date.now();
    hook.notes.push({ at, text });
    list.prepend(h('li', {}, h('time', { datetime: new Date(at).toISOString() }, app.i18n.time(at)), ' ', h('span', { translate: 'no', dir: 'auto' }, text)));
    ui.timeline?.add({ kind: 'note', body: { text }, at });
    box.value = '';
    app.announce(t('console.saved'));
  } }, h('label', { for: 'note-text' }, t('console.note.add')), box, h('button', { type: 'submit' }, t('console.note.add')));
  return { el: h('section', { class: 'card', 'aria-labelledby': 'nt-h' }, h('h2', { id: 'nt-h' }, t('console.notes')), form, list) };
}
