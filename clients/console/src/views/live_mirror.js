// The patient's-eye view on the live page: the session's own scene drawn by
// the headset's scene code (clients/webxr/src/scenes, lazily imported) from
// the headset's poses, a map from above of where the patient stands and
// looks, and the avoidance measures the server derives from the poses and
// the template's stimulus anchors — the measures also as text, the view's
// alternative. The view draws at most 10 frames a second and none while it
// is scrolled out of sight or the page is hidden.
import { h, mount } from '../dom.js';
import { clock } from '../session_model.js';
import { decodePose } from '../../../webxr/src/pose.js';

const SVG = 'http://www.w3.org/2000/svg';
const GAZE_DEG = 30; // the cone the time-on-stimulus figure counts (docs/domain.md)
const MAP_MIN_M = 6; // the map shows at least this many metres across

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c);
  return el;
}

/** yawOf is the heading of a head quaternion [x, y, z, w] seen from above: 0 looks down −z, positive turns left. */
export function yawOf([x, y, z, w]) {
  // forward = q · (0, 0, −1): fx = −2(xz + wy), fz = −(1 − 2(x² + y²))
  const fx = -2 * (x * z + w * y), fz = -(1 - 2 * (x * x + y * y));
  return Math.atan2(-fx, -fz);
}

/** avoidanceRows are the figures as label/value pairs: the panel's list, the status panel and the text alternative share them. */
export function avoidanceRows(app, a) {
  const { t } = app;
  const num = (n, o) => app.i18n.number(n, o);
  const m = a?.measures;
  if (!m || !m.observed_ms) return [];
  const rows = [
    [t('console.avoid.on_stimulus'), t('console.avoid.share_value', { Share: num(m.on_stimulus_share, { style: 'percent', maximumFractionDigits: 0 }), Time: clock(m.on_stimulus_ms, num), Total: clock(m.observed_ms, num) })],
    [t('console.avoid.away'), t('console.avoid.away_value', { Count: num(m.away_episodes), Longest: clock(m.longest_away_ms, num) })],
  ];
  if (typeof m.closest_m === 'number') rows.push([t('console.avoid.closest'), t('console.value.metres', { Value: num(m.closest_m, { maximumFractionDigits: 2 }) })]);
  // now: only while the scene has a stimulus (the calm scene of a break has none)
  if (a.anchors?.length) rows.push([t('console.avoid.now'), a.away ? t('console.avoid.now_away') : t('console.avoid.now_in_view')]);
  return rows;
}

/** mirrorPanel(ctx) → {el, pose(ArrayBuffer), avoidance(body), engine(kind, body), ready(scene), alert(code), destroy()}. */
export function mirrorPanel({ app, hook }) {
  const { t } = app;
  const state = (hook.mirror = { template: '', frames: 0, camera: null, yaw_deg: null, running: false, drawn: 0 });
  const canvas = h('canvas', { id: 'mirror-view', role: 'img', 'aria-label': t('console.mirror.view_label_none') });
  const status = h('p', { class: 'hint', id: 'mirror-status' }, t('console.mirror.waiting'));
  const map = s('svg', { id: 'mirror-map', role: 'img', 'aria-labelledby': 'mirror-map-t', viewBox: '0 0 100 100', direction: 'ltr' });
  const mapTitle = s('title', { id: 'mirror-map-t' });
  mapTitle.textContent = t('console.mirror.map_label');
  const grid = s('g', { class: 'grid' });
  const stim = s('g', { class: 'stimulus' });
  const gaze = s('path', { class: 'gaze' });
  const dot = s('circle', { class: 'patient', r: 1.8, visibility: 'hidden' }); // shown from the first pose (not a stray dot in a corner)
  map.append(mapTitle, grid, stim, gaze, dot);
  const figures = h('dl', { class: 'kv', id: 'avoidance-figures', hidden: true });
  // before any measure: one line under the heading (not a second "Avoidance" as a term)
  const none = h('p', { class: 'hint', id: 'avoidance-none' }, t('console.avoid.none'));
  const legend = h('p', { class: 'hint legend' },
    h('span', { class: 'key patient' }, t('console.mirror.legend_patient')), ' ',
    h('span', { class: 'key gaze' }, t('console.mirror.legend_gaze')), ' ',
    h('span', { class: 'key stimulus' }, t('console.mirror.legend_stimulus')));
  const el = h('section', { class: 'card mirror', 'aria-labelledby': 'mirror-h' },
    h('h2', { id: 'mirror-h' }, t('console.mirror.title')),
    h('div', { class: 'mirror-row' }, h('div', { class: 'mirror-view' }, canvas),
      h('figure', { class: 'mirror-map' }, map, h('figcaption', {}, legend))),
    status,
    h('h3', { id: 'avoid-h' }, t('console.avoid.title')), none, figures);

  let r = null, disposed = false, visible = true, pending = null, calm = false, anchors = [];
  let box = { x0: -3, z0: -5, size: MAP_MIN_M }; // metres: x0 left, z0 far edge (−z is ahead)
  const ready = import('../../../webxr/src/renderer.js').then(({ createRenderer }) => {
    if (disposed) return;
    r = createRenderer(canvas, { xr: false, headPose: true, maxFps: 10 });
    r.onFrame(() => { state.drawn++; });
    if (pending) { load(pending); pending = null; }
    run();
    state.renderer = r;
  }).catch((err) => { console.error(err); status.textContent = t('console.mirror.unavailable'); });

  // Draw only while someone can see it.
  const run = () => { const on = visible && !document.hidden && !disposed; if (r && on !== state.running) { r.setRunning(on); state.running = on; } };
  const io = typeof IntersectionObserver === 'function' ? new IntersectionObserver((es) => { visible = es.some((e) => e.isIntersecting); run(); }) : null;
  io?.observe(canvas);
  document.addEventListener('visibilitychange', run);

  function sceneName(template) {
    const key = `env.${template}.label`;
    const name = t(key);
    return name === key ? template : name;
  }
  function load(scene) {
    if (!r) { pending = scene; return; }
    if (!r.templates.includes(scene.template)) { status.textContent = t('console.mirror.unavailable'); return; }
    const cur = r.scene();
    if (cur && cur.template === scene.template && !calm) r.setParams(scene.params || {}, 1000);
    else r.loadScene({ template: scene.template, params: scene.params || {}, transition_ms: 600 });
    calm = false;
    state.template = scene.template;
    canvas.setAttribute('aria-label', t('console.mirror.view_label', { Scene: sceneName(scene.template) }));
  }
  function toCalm() {
    calm = true;
    state.template = 'calm';
    if (r) r.calm(600);
  }

  // map: metres → the 100 × 100 viewBox, −z up
  const mx = (x) => ((x - box.x0) / box.size) * 100;
  const mz = (z) => ((z - box.z0) / box.size) * 100;
  function fitMap(head) {
    const xs = [0], zs = [0];
    if (head) { xs.push(head[0]); zs.push(head[2]); }
    for (const a of anchors) { xs.push(a.from[0], a.to[0]); zs.push(a.from[2], a.to[2]); }
    const size = Math.max(MAP_MIN_M, Math.max(...xs) - Math.min(...xs) + 2, Math.max(...zs) - Math.min(...zs) + 2);
    box = { size, x0: (Math.max(...xs) + Math.min(...xs)) / 2 - size / 2, z0: (Math.max(...zs) + Math.min(...zs)) / 2 - size / 2 };
    grid.replaceChildren();
    for (let m = Math.ceil(box.x0); m <= box.x0 + box.size; m++) grid.append(s('line', { x1: mx(m), x2: mx(m), y1: 0, y2: 100 }));
    for (let m = Math.ceil(box.z0); m <= box.z0 + box.size; m++) grid.append(s('line', { y1: mz(m), y2: mz(m), x1: 0, x2: 100 }));
    stim.replaceChildren();
    for (const a of anchors) {
      const title = s('title');
      title.textContent = t(a.label_key);
      const same = a.from[0] === a.to[0] && a.from[2] === a.to[2];
      stim.append(same ? s('circle', { cx: mx(a.from[0]), cy: mz(a.from[2]), r: 2.5 }, title)
        : s('line', { x1: mx(a.from[0]), y1: mz(a.from[2]), x2: mx(a.to[0]), y2: mz(a.to[2]) }, title));
    }
  }
  function drawHead(head) {
    const [x, , z] = head.pos;
    const yaw = yawOf(head.quat);
    const len = 1.5, cx = mx(x), cz = mz(z);
    const pt = (a) => `${mx(x - Math.sin(a) * len)} ${mz(z - Math.cos(a) * len)}`;
    const g = (GAZE_DEG * Math.PI) / 180;
    gaze.setAttribute('d', `M ${cx} ${cz} L ${pt(yaw - g)} A ${(len / box.size) * 100} ${(len / box.size) * 100} 0 0 0 ${pt(yaw + g)} Z`);
    dot.setAttribute('cx', cx); dot.setAttribute('cy', cz); dot.setAttribute('visibility', 'visible');
  }

  function pose(buf) {
    const f = decodePose(buf);
    if (!f) return;
    state.frames++;
    const q = f.head.quat, p = state.camera?.quat;
    // when (epoch ms) a new orientation reached the mirror: the browser tests time the relay with it
    if (!p || Math.abs(q[0] * p[0] + q[1] * p[1] + q[2] * p[2] + q[3] * p[3]) < 0.99999) state.turned_at = performance.timeOrigin + performance.now();
    state.camera = f.head;
    state.yaw_deg = Math.round((yawOf(f.head.quat) * 180) / Math.PI);
    if (state.frames === 1) { status.textContent = ''; fitMap(f.head.pos); }
    const [x, , z] = f.head.pos;
    if (x < box.x0 || x > box.x0 + box.size || z < box.z0 || z > box.z0 + box.size) fitMap(f.head.pos);
    drawHead(f.head);
    r?.setHead(f.head.pos, f.head.quat);
  }

  function avoidance(b) {
    hook.avoidance = b;
    const next = (b.anchors || []).map((a) => ({ ...a, from: a.from, to: a.to }));
    if (JSON.stringify(next) !== JSON.stringify(anchors)) { anchors = next; fitMap(state.camera?.pos); if (state.camera) drawHead(state.camera); }
    const rows = avoidanceRows(app, b);
    mount(figures, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
    figures.hidden = !rows.length;
    none.hidden = rows.length > 0;
  }

  return {
    el, pose, avoidance, ready: () => ready,
    /** scene follows the headset's scene.ready: what the patient sees, as applied. */
    scene: (sc) => load(sc),
    engine(kind, b) {
      if (kind === 'scene.set' && r && !calm) r.setParams(b.params || {}, 1000);
      else if (kind === 'scene.event' && r && !calm) r.event(b.event);
      else if (kind === 'calm.now' || kind === 'hard.stop') toCalm();
    },
    /** alert: the headset goes calm by itself on a break or a lost link. */
    alert(code) { if (code === 'break_requested' || code === 'link_lost' || code === 'patient_stop') toCalm(); },
    destroy() {
      disposed = true;
      io?.disconnect();
      document.removeEventListener('visibilitychange', run);
      if (r) { r.dispose(); r = null; }
    },
  };
}
