// Live session view: join code (text, QR, link), the patient's connection
// and headset state, the current step and scene, the therapist's controls
// (intensity, parameters, events, next/previous step with the engine's
// suggestion and reason, SUDS prompt, calm now, pause/resume, stop, end),
// live charts, alerts with sound and timestamped notes. Everything the
// patient sees changes only through commands the server's protocol engine
// accepts; refusals are shown with their reason.
import { h, mount } from '../dom.js';
import { notAvailable } from '../forms.js';
import { errorBox } from '../shell.js';
import { connectConsole } from '../live_conn.js';
import { createCharts } from '../charts.js';
import { stateLabel } from './sessions.js';
import { joinPanel, controlsPanel, suggestionPanel, alertsPanel, notesPanel, statusPanel, timelinePanel, endText } from './live_panels.js';
import { endInfo } from '../session_model.js';
import { voicePanel } from './live_voice.js';
import { createVoice } from '../../../webxr/src/voice.js';
import { mirrorPanel } from './live_mirror.js';

export async function render(app, root, { id }) {
  const { t } = app;
  mount(root, h('h1', {}, t('console.session.live_title')));
  if (!app.api.has('POST', '/api/sessions/{id}/console/whip')) { root.append(notAvailable(app)); return null; }
  let sess;
  try { sess = await app.api.get(`/api/sessions/${encodeURIComponent(id)}`); } catch (err) { root.append(errorBox(app, err)); return null; }
  const patient = await app.api.get(`/api/patients/${encodeURIComponent(sess.patient_id)}`).catch(() => null);
  const protocol = await sessionProtocol(app, sess);

  const hook = (window.havenConsole.live = { link: 'connecting', state: sess.state, patient: false, client: null, scene: null, step: null, suggestion: null, alerts: [], refused: [], suds: [], metrics: 0, notes: [], resonance: [], timeline: [], phase: null, end: null, ended: false,
    provenance: sess.provenance === 'simulated' || sess.simulated || sess.practice ? 'simulated' : '' });
  const charts = createCharts(app);
  const ui = {};
  // #/sessions/{id}?role=observer: a supervisor who listens and never speaks
  const observer = new URLSearchParams(location.hash.split('?')[1] || '').get('role') === 'observer';
  hook.observer = observer;
  const ctx = { app, sess, protocol, hook, charts, ui, observer, send: (type, body, opts) => conn.send(type, body, opts) };
  const voice = createVoice({ mic: !observer, listen: observer ? 2 : 0 });
  ui.voice = voicePanel({ ...ctx, voice, observer });
  ui.status = statusPanel(ctx);
  ui.join = joinPanel(ctx);
  ui.controls = controlsPanel(ctx);
  ui.suggestion = suggestionPanel(ctx);
  ui.alerts = alertsPanel(ctx);
  ui.notes = notesPanel(ctx);
  ui.timeline = timelinePanel(ctx);
  ui.mirror = mirrorPanel(ctx);
  const total = protocol?.protocol?.steps?.length || 0;
  const allToggle = h('input', { type: 'checkbox', id: 'chart-all', onchange: (e) => charts.showAll(e.target.checked) });
  // The way in for a supervisor: the same session, listening only (and back).
  const live = `#/sessions/${encodeURIComponent(id)}`;
  const otherRole = sess.state === 'ended' ? null : observer
    ? h('a', { href: live, id: 'open-controls' }, t('console.session.open_controls'))
    : h('a', { href: `${live}?role=observer`, id: 'open-observer' }, t('console.session.observe'));
  mount(root,
    h('p', { class: 'no-print' }, h('a', { href: '#/sessions' }, t('core.back')), ' · ', h('a', { href: `${live}/report` }, t('console.report')), otherRole ? [' · ', otherRole] : null),
    h('h1', {}, t('console.session.live_title'), ' ', h('span', { translate: 'no', dir: 'auto' }, patient ? patient.code : '')),
    observer ? h('p', { class: 'notice', id: 'observer-note' }, t('console.session.observing')) : null,
    h('div', { class: 'live-grid' },
      // an observer changes nothing: no controls, join codes or notes (the server refuses them too)
      h('div', {}, ui.status.el, ui.suggestion.el, ui.mirror.el, observer ? null : ui.controls.el,
        h('section', { class: 'card', 'aria-labelledby': 'charts-h' }, h('h2', { id: 'charts-h' }, t('console.session.physiology')),
          h('label', { class: 'check', for: 'chart-all' }, allToggle, ' ', t('console.chart.whole_session')), charts.el)),
      h('div', {}, ui.voice.el, ui.alerts.el, ui.timeline.el, observer ? null : [ui.join.el, ui.notes.el])));

  // an ended session has nothing to connect to (the server would answer 409)
  const conn = sess.state === 'ended' ? { send: () => ({}), close() {}, attempts: () => 0 } : connectConsole({
    api: app.api, sessionId: id, iceServers: sess.ice_servers || [], observer, voice,
    onLink: (s) => { hook.link = s; ui.status.link(s); if (s === 'open') ui.voice.linkOpen(); },
    onMessage: (env) => handle(env),
    onPose: (frame) => ui.mirror.pose(frame),
    onEnded: () => ended(),
  });
  hook.attempts = () => conn.attempts();
  let lastState = sess.state;
  if (sess.state === 'ended') ended();

  // The end: controls off, no reconnecting (the connection stops itself),
  // and why it ended, from the events seen here or the stored timeline.
  async function ended() {
    if (hook.ended) return;
    hook.ended = true;
    hook.state = 'ended';
    hook.phase = null;
    hook.patient = false;
    hook.client = null;
    hook.suggestion = null;
    ui.suggestion.show(null);
    let events = hook.timeline;
    if (!events.some((e) => e.kind === 'engine.session.end' || (e.kind === 'state' && e.body.to === 'ended'))) {
      // this console was away at the end: the stored timeline says why
      events = await app.api.get(`/api/sessions/${encodeURIComponent(id)}/timeline`).then((tl) => (Array.isArray(tl) ? tl : tl.events || [])).catch(() => events);
    }
    hook.end = { info: endInfo(events, { ended: true }), total };
    hook.endText = endText(app, hook.end);
    ui.timeline.line(hook.endText, Date.now());
    ui.status.update(); ui.controls.update();
    // nothing is sent any more: new codes, the simulated patient and notes go too
    for (const el of [ui.join.el, ui.notes.el, ui.voice.el]) for (const c of el.querySelectorAll('button, input, textarea')) c.disabled = true;
    voice.setLive(false);
    app.setTitle(`${t('console.session.live_title')} · ${stateLabel(app, 'ended')}`);
  }
  const record = (kind, body, at) => ui.timeline.add({ kind, body: body || {}, at: at || Date.now() });

  function handle({ type, body, t: at }) {
    switch (type) {
      case 'hello': hook.state = body.state || hook.state; ui.status.update(); break;
      case 'session.state':
        if (hook.ended) break;
        Object.assign(hook, { state: body.state, reason: body.reason || '', patient: Boolean(body.patient_connected), client: body.client || null, observers: body.observers || 0 });
        hook.phase = body.phase && body.phase_left_ms > 0 ? { name: body.phase, until: Date.now() + body.phase_left_ms } : null;
        if (body.state !== lastState) { record('state', { from: lastState, to: body.state, reason: body.reason || '' }, at); lastState = body.state; }
        ui.status.update(); ui.controls.update();
        break;
      case 'session.end': record('engine.session.end', { reason: body.reason || '' }, at); break;
      case 'scene.ready': hook.scene = { template: body.template, params: body.params || {} }; ui.controls.scene(hook.scene); ui.mirror.scene(hook.scene); ui.status.update(); break;
      case 'avoidance': ui.mirror.avoidance(body); ui.status.update(); break;
      case 'suds.rating':
        if (typeof body.value === 'number') { record('suds', { value: body.value }, at); hook.suds.push({ t: at || Date.now(), value: body.value }); charts.suds(at || Date.now(), body.value); ui.status.update(); }
        break;
      case 'engine': engine(body.kind, body.body || {}, at || Date.now()); break;
      case 'alert': ui.alerts.add(body, at || Date.now()); record('alert', body, at); ui.mirror.alert(body.code); break;
      case 'metrics': hook.metrics++; charts.metrics(body.metrics || {}); ui.status.metrics(body.metrics || {}); break;
      case 'error': ui.alerts.error(body); break;
      case 'voice.state': ui.voice.remote(body); break;
      default: break;
    }
  }
  function engine(kind, b, at) {
    record(`engine.${kind}`, b, at);
    ui.mirror.engine(kind, b);
    switch (kind) {
      case 'suggest': hook.suggestion = b; ui.suggestion.show(b); break;
      case 'command.refused': hook.refused.push(b); ui.controls.refused(b); break;
      case 'step.enter': hook.step = b; hook.suggestion = null; ui.suggestion.show(null); charts.step(at); ui.status.update(); break;
      case 'resonance.window': hook.resonance.push(b); ui.status.update(); break;
      default: break;
    }
  }
  app.setTitle(`${t('console.session.live_title')} · ${stateLabel(app, sess.state)}`);
  return () => { conn.close(); charts.destroy(); ui.status.destroy(); ui.voice.destroy(); ui.mirror.destroy(); delete window.havenConsole.live; };
}

/** sessionProtocol fetches the exact protocol revision the session runs: a library protocol, or the clinic's own at the scheduled revision. */
export async function sessionProtocol(app, sess) {
  if (!sess.protocol_id) return null;
  const id = encodeURIComponent(sess.protocol_id);
  const library = await app.api.get(`/api/protocols/library/${id}`).catch(() => null);
  if (library || !sess.protocol_revision) return library;
  return app.api.get(`/api/protocols/${id}/revisions/${sess.protocol_revision}`).catch(() => null);
}
