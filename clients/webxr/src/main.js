// The patient app's entry point: loads the messages, wires the renderer, 3D
// panels, live session and join screen together, and exposes window.haven,
// the hook the browser tests and the console's preview use.
import { createRenderer } from './renderer.js';
import { createUI } from './ui.js';
import { createConnection } from './connection.js';
import { loadMessages, translator, pickLocale } from './i18n.js';
import { intensityParams, TEMPLATES } from './params.js';
import { PatientSession } from './session.js';
import { setupScreen } from './screen.js';
import { mountPanel } from './panel.js';
import { startPoseSender } from './pose.js';
import { createVoice } from './voice.js';
import { setupHeadsetVoice } from './voice_headset.js';

const $ = (id) => document.getElementById(id);
const query = new URLSearchParams(location.search);

async function main() {
  if (query.has('iwer')) await (await import('./iwer.js')).install(query.get('iwer'));
  const lang = { bundle: await loadMessages(pickLocale(query.get('locale') || localStorage.getItem('haven.locale'), navigator.languages || [])) };
  lang.t = translator(lang.bundle.messages);
  const t = () => lang.t;
  lang.token = () => conn.token(); // names the session, and so the clinic whose wording applies

  const session = new PatientSession({ t, locale: () => lang.bundle.locale, setStatus: (s) => { $('status').textContent = s; }, captionFor: (key, ms) => captionFor(lang, ui, key, ms) });
  const r = createRenderer($('view'), {
    caption: (key, ms) => ui.caption(lang.t(key), ms),
    onTap: (e) => ui.tap((e.clientX / innerWidth) * 2 - 1, -(e.clientY / innerHeight) * 2 + 1),
    onSceneChange: () => session.sceneReady(),
    onXREnd: () => session.sendState(),
    domOverlay: $('app'),
    // the scene gallery and previews show image-based light even on a software renderer
    lighting: query.get('lighting') === 'full' || query.has('preview') ? 'full' : 'auto',
  });
  const ui = createUI(r, { t: lang.t, locale: lang.bundle.locale, dir: lang.bundle.dir, onBreak: () => session.requestBreak(), onRate: (id, v) => session.rate(id, v), onNext: () => session.next() });
  Object.assign(session, { renderer: r, ui });
  const voice = createVoice({ mic: !query.has('preview') });
  const conn = createConnection({
    onMessage: (env) => { if (env.type === 'voice.state') talk.remote(env.body); else session.handle(env); },
    onOpen: () => { session.onOpen(); talk.onOpen().catch((err) => session.error(err)); },
    onLost: () => session.onLost(), onError: (err) => session.error(err),
    onEnded: () => session.end(), voice,
  });
  const talk = setupHeadsetVoice({ voice, conn, ui, audio: r.audio, t: () => lang.t });
  session.attach(conn);
  const poses = startPoseSender(r, (bytes) => conn.sendPose(bytes)); // the console's mirror and the avoidance measures
  r.calm(0);
  setInterval(() => { if (conn.state().connected) session.sendState(); }, 5000);

  const panel = mountPanel(ui, { t, xr: () => r.xrActive() && !r.domOverlay(), onBreak: () => session.requestBreak(), onRate: (v) => ui.rate(v), onReady: () => session.next() });
  let inXR = false;
  r.onFrame(() => { if (inXR !== r.xrActive()) { inXR = r.xrActive(); panel.refresh(); } });
  // ?locale= in the address is a choice made for this page, like the patient's own pick
  const screen = setupScreen({ r, ui, conn, session, lang, panel, explicitLocale: query.get('locale') || '' });
  if (query.has('preview')) { $('join').hidden = true; ui.setBreakAllowed(true); }
  else if (await conn.resumeStored()) {
    $('join').hidden = true;
    ui.setBreakAllowed(!session.ended);
    if (!session.ended) { // it may have ended while the page was away
      session.pause();
      ui.showMessage('lost', lang.t('client.lost.title'), session.lostBody('client.reconnected'), '');
      screen.resumeSensor();
    }
    screen.afterJoin(conn.state()); // the stored credentials carry the token (the clinic's wording) and the patient's language
  }
  exposeHook({ r, ui, conn, session, lang, screen, panel, talk, poses });
  document.documentElement.dataset.ready = '1';
}

/** captionFor shows a message that may live outside the client.* bundle (step labels, calming cues): fetched once by its id as prefix. */
const fetchedExtra = new Set();
async function captionFor(lang, ui, key, ms = 6000) {
  if (lang.t(key) === key && !fetchedExtra.has(key)) {
    fetchedExtra.add(key);
    const more = await loadMessages(lang.bundle.locale, { token: lang.token(), fetchFn: (url, o) => fetch(url.replace('prefix=client.', `prefix=${encodeURIComponent(key)}`), o) });
    Object.assign(lang.bundle.messages, more.messages);
    lang.t = translator(lang.bundle.messages);
  }
  ui.caption(lang.t(key), ms);
}

function exposeHook({ r, ui, conn, session, lang, screen, panel, talk, poses }) {
  window.haven = {
    get state() {
      const pacer = ui.pacerState();
      return {
        ...conn.state(), paused: session.paused, scene: r.scene(), xr: r.xrActive(), reference_space: r.referenceSpace(), turn_deg: Math.round(r.turnDeg()),
        info: r.info(), pacer: pacer && { phase: pacer.phase, level: pacer.level, cycle: pacer.cycle }, panel: ui.messageKind(), message: ui.messageText(),
        panels: ui.panelsShown(), top: ui.view().kind, open: ui.openPanels(), dom_panel: domPanel(), announcing: panel.announcing(), break_shown: ui.breakShown(), picked_locale: screen.picked(),
        suds: ui.sudsOpen(), last_suds: session.lastSuds, last_expectancy: session.lastExpectancy, cue: session.cueNow, ready: ui.readyShown(), locale: lang.bundle.locale, dir: lang.bundle.dir, text: ui.textState(),
        sensor: session.sensor ? session.sensor.kind : 'none', crisis: session.crisis, errors: [...session.errors], templates: r.templates,
        voice: { ...talk.state(), shown: ui.voiceShown() },
        pose_moved: poses.moved(),
      };
    },
    loadScene: ({ template, params, transition_ms = 0 }) => r.loadScene({ template, params, transition_ms }),
    setParams: (params, ms) => r.setParams(params, ms),
    event: (name) => r.event(name),
    intensityParams,
    schema: TEMPLATES,
    enterXR: () => r.enterXR().then(() => r.referenceSpace()),
    exitXR: () => r.exitXR(),
    pressBreak: () => session.requestBreak(),
    tap: (x, y) => ui.tap(x, y),
    rate: (v) => ui.rate(v),
    select: (v) => ui.select(v),
    ready: () => session.next(),
    startBreathing: (body) => ui.startBreathing(body),
    setLocale: (id) => screen.choose(id),
    setComfort: (c) => r.setComfort(c),
    setLook: (yaw, pitch) => r.setLook(yaw, pitch),
    cutConnection: () => conn.cut(),
    toggleMic: () => talk.toggle(),
    renderer: r,
  };
}

/** domPanel: the DOM panel as the page shows it (null when hidden). */
function domPanel() {
  const p = $('panel');
  if (p.hidden) return null;
  return { kind: p.dataset.kind, title: $('panel-title').textContent, body: $('panel-body').textContent, buttons: [...p.querySelectorAll('button:not([hidden])')].map((b) => b.textContent) };
}

main().catch((err) => {
  document.documentElement.dataset.ready = 'error';
  document.body.append(Object.assign(document.createElement('pre'), { textContent: String((err && err.stack) || err) }));
});
