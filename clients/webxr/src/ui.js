// 3D panels the patient sees in the headset: the "I need a break" target,
// message/narration panels, the SUDS rating panel, the breathing pacer and
// captions, one at a time through the panel manager (view() feeds the DOM
// equivalent outside immersive mode, panel.js). Text is troika-three-text with the
// locale's bundled font and direction (right-to-left for Arabic). Input:
// gaze dwell (1.5 s), controller rays (select), mouse/touch taps; the keyboard
// is handled by the app.
import * as THREE from 'three';
import { Text, configureTextBuilder } from 'troika-three-text';
import { fontFor, fontRuns, LATIN_FONT } from './i18n.js';
import { formatNumber } from './format.js';
import { Pacer, phaseKey } from './pacer.js';

const DWELL_S = 1.5;

// Typeset on the main thread: troika's worker rebuilds its code with
// `new Function`, which haven's Content-Security-Policy (script-src 'self',
// no 'unsafe-eval') forbids, so every panel stayed blank when served by the
// real server. Our panels hold a few short strings; the cost is negligible.
configureTextBuilder({ useWorker: false });

const PANEL_Z = -1.6;
const SCALE_STEP = 10;
/** SCALE: the rating buttons, 0–100 in steps of 10. */
export const SCALE = Array.from({ length: 100 / SCALE_STEP + 1 }, (_, i) => i * SCALE_STEP);
// Panel ranks: safety first (the session is over, the link is lost, the
// patient asked for a break), then the therapist's rating prompt, the
// breathing pacer and a self-paced cue.
const RANK = { end: 6, hard_stop: 6, lost: 5, break: 4 };

export function createUI(r, { t, locale, dir, onBreak, onRate, onNext }) {
  const { THREE: T, camera, scene, renderer } = r.three;
  const hud = new THREE.Group(); // lazily follows the head's yaw so panels stay in view without being glued to it
  scene.add(hud);
  const targets = []; // {mesh, select(point), hover(on)}
  let font = fontFor(locale), direction = dir;
  const num = (n) => formatNumber(n, locale); // the patient's digits (Arabic-Indic in some Arabic locales)

  function text(str, size, opts = {}) {
    const tx = new Text();
    Object.assign(tx, { fontSize: size, color: 0xffffff, anchorX: 'center', anchorY: 'middle', textAlign: 'center', maxWidth: opts.maxWidth ?? 1.2, unicodeFontsURL: 'fonts/unicode' });
    tx.renderOrder = 20;
    tx.material.depthTest = false;
    tx.userData.latin = !!opts.latin;
    setText(tx, str);
    return tx;
  }
  /** setText shows str with the locale's font and direction (LTR Latin for "latin" texts such as phone numbers), each run of another script in a bundled font that has it; done(tx) runs once it is laid out. */
  function setText(tx, str, done) {
    tx.font = tx.userData.latin ? LATIN_FONT : font;
    tx.direction = tx.userData.latin ? 'ltr' : direction;
    const { text: shown, styleRanges } = fontRuns(str, tx.font);
    tx.userData.source = String(str ?? '');
    tx.text = shown;
    tx.styleRanges = styleRanges;
    tx.sync(done && (() => done(tx)));
  }
  const texts = [];
  function addText(parent, str, size, x, y, opts) { const tx = text(str, size, opts); tx.position.set(x, y, 0.01); parent.add(tx); texts.push(tx); return tx; }
  const keyed = []; // [text, message id]: re-translated on a language change
  function label(parent, id, size, x, y, opts) { const tx = addText(parent, t(id), size, x, y, opts); keyed.push([tx, id]); return tx; }
  function card(w, h, color, opacity = 0.85) {
    const m = new THREE.Mesh(new THREE.PlaneGeometry(w, h), new THREE.MeshBasicMaterial({ color, transparent: true, opacity, depthTest: false, fog: false }));
    m.renderOrder = 10;
    return m;
  }

  // Everything the patient reads sits in panels3d, drawn only in the headset
  // (immersive mode). Outside it the same panels are DOM (panel.js), so a
  // screen, a keyboard and assistive technology reach them, and nothing is
  // drawn twice.
  const panels3d = new THREE.Group();
  hud.add(panels3d);

  // "I need a break": bottom of the view, whenever a break can be taken.
  const breakBtn = card(0.5, 0.14, 0x1f6f5c, 0.95);
  breakBtn.position.set(0, -0.62, PANEL_Z);
  label(breakBtn, 'client.break.button', 0.05, 0, 0);
  const dwellBar = card(0.5, 0.02, 0xffffff, 0.9);
  dwellBar.position.set(0, -0.06, 0.005);
  dwellBar.scale.x = 0.0001;
  breakBtn.add(dwellBar);
  panels3d.add(breakBtn);
  targets.push({ mesh: breakBtn, select: () => onBreak() });

  // Voice: "your therapist is speaking" high in the view (never over the
  // panels' text), and the patient's own microphone switch beside the break
  // target (on the reading side's far end: right, or left in RTL).
  const speakCard = card(0.66, 0.1, 0x1f5f8a, 0.92);
  speakCard.position.set(0, 0.62, PANEL_Z);
  label(speakCard, 'client.voice.speaking', 0.04, 0, 0);
  speakCard.visible = false;
  panels3d.add(speakCard);
  const micBtn = card(0.46, 0.1, 0x3a3f4a, 0.95);
  micBtn.position.set(0.5, -0.62, PANEL_Z);
  const micText = label(micBtn, 'client.voice.mute', 0.032, 0, 0);
  micBtn.visible = false;
  panels3d.add(micBtn);
  let onMic = () => {};
  targets.push({ mesh: micBtn, select: () => onMic() });
  const voiceView = { speaking: false, mic: 'none' };

  // "I'm ready": answers a self-paced calming cue (grounding), above the break target.
  const readyBtn = card(0.5, 0.12, 0x2b4f8a, 0.95);
  readyBtn.position.set(0, -0.3, PANEL_Z);
  label(readyBtn, 'client.cue.ready', 0.045, 0, 0);
  readyBtn.visible = false;
  panels3d.add(readyBtn);
  targets.push({ mesh: readyBtn, select: () => onNext() });

  // message / narration panel: grows with its body (the lost-link panel
  // lists the clinic's crisis line: number, text line, hours, date checked)
  const MSG_W = 1.3, MSG_H = 0.7, MSG_Y = 0.15;
  const msg = card(MSG_W, MSG_H, 0x102030, 0.88);
  msg.position.set(0, MSG_Y, PANEL_Z);
  const msgTitle = addText(msg, '', 0.065, 0, 0.2);
  const msgBody = addText(msg, '', 0.045, 0, -0.03);
  const msgExtra = addText(msg, '', 0.07, 0, -0.24, { latin: true });
  msg.visible = false;
  panels3d.add(msg);
  let msgH = MSG_H;
  function layoutMessage() {
    const b = msgBody.textRenderInfo && msgBody.textRenderInfo.blockBounds;
    const bodyH = msgBody.text && b ? b[3] - b[1] : 0;
    const extra = !!msgExtra.text;
    // title band 0.24 at the top, number band 0.17 (else 0.1 of margin) at the bottom
    const top = 0.24, bottom = extra ? 0.17 : 0.1;
    const h = Math.max(MSG_H, bodyH + top + bottom + 0.04);
    if (Math.abs(h - msgH) > 1e-3) {
      msg.geometry.dispose();
      msg.geometry = new THREE.PlaneGeometry(MSG_W, h);
      msgH = h;
      msg.position.y = MSG_Y + (h - MSG_H) / 2; // grows upwards: the break target below stays clear
    }
    msgTitle.position.y = h / 2 - 0.15;
    msgExtra.position.y = -h / 2 + 0.11;
    msgBody.position.y = ((h / 2 - top) + (-h / 2 + bottom)) / 2;
  }

  // captions
  const caption = addText(panels3d, '', 0.045, 0, -0.42, { maxWidth: 1.4 });
  caption.position.z = PANEL_Z;
  caption.outlineWidth = 0.004;
  caption.visible = false;
  let captionUntil = 0, captionText = '';

  // Rating panel (SUDS and expectancy): eleven buttons 0, 10, … 100, the
  // scale its question names ("from 0 to 100") in the clinic's steps of 10;
  // suds.rating carries the value as it is (docs/protocol.md: 0–100).
  const suds = card(1.4, 0.7, 0x102030, 0.9);
  suds.position.set(0, 0.1, PANEL_Z + 0.05);
  suds.visible = false;
  panels3d.add(suds);
  // One panel rates distress (SUDS) and expectancy: only its words change.
  const sudsWords = ['client.suds.prompt', 'client.suds.anchor_low', 'client.suds.anchor_high'];
  const expectancyWords = ['client.expectancy.prompt', 'client.expectancy.anchor_low', 'client.expectancy.anchor_high'];
  const ratingWords = [label(suds, sudsWords[0], 0.055, 0, 0.22), label(suds, sudsWords[1], 0.032, -0.5, -0.1, { maxWidth: 0.5 }),
    label(suds, sudsWords[2], 0.032, 0.5, -0.1, { maxWidth: 0.5 })];
  let words = sudsWords;
  function wordRating(ids) {
    words = ids;
    ratingWords.forEach((tx, i) => {
      const k = keyed.find((e) => e[0] === tx);
      k[1] = ids[i];
      setText(tx, t(ids[i]));
    });
  }
  const buttons = new THREE.InstancedMesh(new THREE.PlaneGeometry(0.11, 0.11), new THREE.MeshBasicMaterial({ color: 0xffffff, depthTest: false, fog: false }), SCALE.length);
  buttons.renderOrder = 11;
  const btnColor = (i, hot) => buttons.setColorAt(i, new THREE.Color().setHSL(0.33 - i * 0.033, 0.55, hot ? 0.6 : 0.38));
  // the scale runs in reading order: 0 on the left, or on the right in a right-to-left language
  const slotX = (i) => (direction === 'rtl' ? -1 : 1) * (i - 5) * 0.122;
  function placeButtons() {
    SCALE.forEach((_, i) => { buttons.setMatrixAt(i, new THREE.Matrix4().makeTranslation(slotX(i), 0.04, 0.005)); btnColor(i, false); });
    buttons.instanceMatrix.needsUpdate = true;
    numerals.forEach((tx, i) => { tx.position.x = slotX(i); });
    const side = direction === 'rtl' ? -1 : 1;
    ratingWords[1].position.x = -0.5 * side;
    ratingWords[2].position.x = 0.5 * side;
  }
  suds.add(buttons);
  const numerals = SCALE.map((v) => addText(suds, num(v), 0.038, 0, 0.04));
  placeButtons();
  let prompt = null, selected = null;
  targets.push({ mesh: buttons, select: (p, hit) => rate(SCALE[hit.instanceId ?? 0]) });
  /** select marks a value on the scale (keyboard); it snaps to the nearest step. */
  function select(v) {
    const i = Math.max(0, Math.min(SCALE.length - 1, Math.round(Number(v) / SCALE_STEP)));
    selected = SCALE[i];
    emit();
  }
  function rate(value) {
    if (!prompt || top() !== 'rating') return;
    const id = prompt;
    prompt = null;
    selected = null;
    onRate(id, Math.max(0, Math.min(100, Math.round(value / SCALE_STEP) * SCALE_STEP)));
    render();
  }

  // breathing pacer: a soft sphere that fills on inhale and empties on exhale
  const pacerGroup = new THREE.Group();
  pacerGroup.position.set(0, 0.05, PANEL_Z - 0.4);
  const orb = new THREE.Mesh(new THREE.IcosahedronGeometry(0.22, 3), new THREE.MeshBasicMaterial({ color: 0x7fd6c2, transparent: true, opacity: 0.75, fog: false }));
  pacerGroup.add(orb);
  const pacerLabel = addText(pacerGroup, '', 0.06, 0, -0.38);
  pacerGroup.visible = false;
  hud.add(pacerGroup);
  let pacer = null, pacerPhase = '';

  // The panel manager: what the patient sees is the single most important
  // thing at the moment (safety > the therapist's prompt > information).
  // Lower panels wait underneath: a SUDS prompt opened before a break is
  // asked again once the therapist resumes.
  const messages = new Map(); // kind → {title, body, extra}
  let ready = false, breakAllowed = false;
  const listeners = new Set();
  function top() {
    let best = null;
    for (const kind of messages.keys()) if (!best || RANK[kind] > RANK[best]) best = kind;
    if (best) return best;
    if (prompt) return 'rating';
    if (pacer) return 'pacer';
    if (ready) return 'ready';
    return null;
  }
  /** view describes the panel on top, for the DOM mirror and the tests. */
  function view() {
    const kind = top();
    const m = kind && messages.get(kind);
    const closing = messages.has('end') || messages.has('hard_stop');
    const v = { kind, breakShown: breakAllowed && !closing, caption: !m && captionText ? captionText : '' };
    if (m) Object.assign(v, { panel: 'message', id: `${kind}:${m.n}`, title: m.title, body: m.body, extra: m.extra, safety: true });
    else if (kind === 'rating') Object.assign(v, { panel: 'rating', id: `rating:${prompt}`, title: t(words[0]), low: t(words[1]), high: t(words[2]), scale: SCALE.map((x) => ({ value: x, label: num(x) })), selected });
    else if (kind === 'pacer') Object.assign(v, { panel: 'pacer', id: 'pacer', title: pacerPhase });
    else if (kind === 'ready') Object.assign(v, { panel: 'ready', id: `ready:${captionText}`, title: captionText, action: t('client.cue.ready') });
    return v;
  }
  let msgCount = 0;
  function render() {
    const kind = top();
    const m = kind && messages.get(kind);
    msg.visible = !!m;
    if (m && msg.userData.shown !== m) {
      msg.userData.shown = m;
      setText(msgTitle, m.title); setText(msgExtra, m.extra); setText(msgBody, m.body, layoutMessage);
      layoutMessage();
    }
    suds.visible = kind === 'rating';
    pacerGroup.visible = kind === 'pacer';
    readyBtn.visible = kind === 'ready';
    emit();
  }
  function emit() { const v = view(); for (const fn of listeners) fn(v); }

  // input: gaze dwell, controllers (and hands: a pinch is a select), taps
  const ray = new THREE.Raycaster();
  const gaze = { target: null, since: 0 };
  const controllers = [0, 1].map((i) => {
    const c = renderer.xr.getController(i);
    const line = new THREE.Line(new THREE.BufferGeometry().setFromPoints([new THREE.Vector3(), new THREE.Vector3(0, 0, -3)]), new THREE.LineBasicMaterial({ color: 0xffffff }));
    c.add(line);
    c.addEventListener('select', () => { const hit = pick(fromObject(c)); if (hit) hit.target.select(hit.point, hit.hit); });
    c.addEventListener('squeeze', () => { if (breakShown()) onBreak(); }); // grip button on either controller = break
    r.three.rig.add(c);
    return c;
  });
  function breakShown() { return breakAllowed && !messages.has('end') && !messages.has('hard_stop'); }
  // the targets shown and their meshes, gathered into arrays kept for the
  // page's life: the gaze is picked every frame, which allocates nothing
  const shownTargets = [], shownMeshes = [], hits = [];
  function visibleTargets() {
    shownTargets.length = shownMeshes.length = 0;
    for (const x of targets) if (isShown(x.mesh)) { shownTargets.push(x); shownMeshes.push(x.mesh); }
    return shownTargets;
  }
  function isShown(o) { for (let n = o; n; n = n.parent) if (!n.visible) return false; return true; }
  function fromObject(o) {
    const m = o.matrixWorld;
    ray.ray.origin.setFromMatrixPosition(m);
    ray.ray.direction.set(0, 0, -1).transformDirection(m);
    return ray;
  }
  function pick(rc) {
    const list = visibleTargets();
    hits.length = 0;
    rc.intersectObjects(shownMeshes, false, hits);
    if (!hits.length) return null;
    const target = list.find((x) => x.mesh === hits[0].object);
    return { target, point: hits[0].point, hit: hits[0] };
  }
  function tap(ndcX, ndcY) {
    ray.setFromCamera(new THREE.Vector2(ndcX, ndcY), camera);
    const hit = pick(ray);
    if (hit) hit.target.select(hit.point, hit.hit);
    return !!hit;
  }

  const camPos = new THREE.Vector3(), camDir = new THREE.Vector3();
  let yaw = null;
  r.onFrame((dt, now) => {
    panels3d.visible = r.xrActive();
    breakBtn.visible = breakShown();
    speakCard.visible = voiceView.speaking;
    micBtn.visible = voiceView.mic !== 'none' && !messages.has('end') && !messages.has('hard_stop');
    micBtn.position.x = direction === 'rtl' ? -0.5 : 0.5;
    camera.getWorldPosition(camPos);
    camera.getWorldDirection(camDir);
    const want = Math.atan2(-camDir.x, -camDir.z);
    if (yaw === null) yaw = want;
    let d = want - yaw;
    d = Math.atan2(Math.sin(d), Math.cos(d));
    if (Math.abs(d) > 0.5) yaw += d * (1 - Math.exp(-dt * 3)); // lazy follow beyond ~30°
    hud.position.copy(camPos);
    hud.position.y -= 0.05;
    hud.rotation.set(0, yaw, 0);
    hud.updateMatrixWorld(true);
    // gaze dwell on the centre of view
    ray.set(camPos, camDir);
    const hit = pick(ray);
    const tgt = hit ? hit.target : null;
    const key = tgt ? targets.indexOf(tgt) * 1000 + (hit.hit.instanceId ?? 999) : null; // a number: no string per frame
    if (key !== gaze.key) { gaze.key = key; gaze.since = now; }
    const k = key ? Math.min(1, (now - gaze.since) / DWELL_S) : 0;
    dwellBar.scale.x = tgt && tgt.mesh === breakBtn ? Math.max(0.0001, k) : 0.0001;
    const sel = selected === null ? -1 : SCALE.indexOf(selected);
    for (let i = 0; i < SCALE.length; i++) btnColor(i, (tgt?.mesh === buttons && hit.hit.instanceId === i) || i === sel);
    buttons.instanceColor.needsUpdate = true;
    if (tgt && k >= 1) { gaze.since = now + 2; tgt.select(hit.point, hit.hit); }
    // pacer
    if (pacer) {
      const st = pacer.at(performance.now());
      if (st.done) { pacer = null; pacerPhase = ''; render(); } else {
        orb.scale.setScalar(0.5 + 0.7 * st.level);
        const shown = t(phaseKey(st.phase));
        if (pacerLabel.userData.source !== shown) { setText(pacerLabel, shown); pacerPhase = shown; if (top() === 'pacer') emit(); }
      }
    }
    if (captionText && performance.now() > captionUntil) { captionText = ''; caption.visible = false; render(); }
    caption.visible = !!captionText && !messages.size;
  });

  return {
    /**
     * showMessage opens a safety panel of kind ("break", "lost", "hard_stop",
     * "end"; title, body, optional LTR extra line such as a phone number);
     * the highest-ranked open one is shown. null closes them all (resume).
     */
    showMessage(kind, title, body = '', extra = '') {
      if (!kind) messages.clear();
      else {
        if (!(kind in RANK)) throw new Error(`ui: unknown panel ${kind}`);
        messages.set(kind, { title, body, extra, n: ++msgCount });
        if (kind === 'end' || kind === 'hard_stop') { prompt = null; ready = false; pacer = null; }
      }
      render();
    },
    /** hideMessage closes one safety panel (the break panel once breathing begins). */
    hideMessage(kind) { if (messages.delete(kind)) render(); },
    messageKind: () => { const k = top(); return messages.has(k) ? k : null; },
    /** messageText: what the open panel says (for tests); null when none is open. */
    messageText: () => { const m = messages.get(top()); return m ? { title: m.title, body: m.body, extra: m.extra, height: msgH } : null; },
    /** caption shows a line for ms milliseconds; 0 keeps it until the next caption. */
    caption(str, ms = 5000) { captionText = String(str ?? ''); setText(caption, captionText); captionUntil = ms > 0 ? performance.now() + ms : Infinity; render(); },
    showReady(on) { ready = !!on; render(); },
    readyShown: () => top() === 'ready',
    askSuds(promptId) { wordRating(sudsWords); prompt = promptId; selected = null; render(); },
    /** askExpectancy opens the rating panel for the feared outcome's likelihood; it answers as prompt "expectancy:PHASE". */
    askExpectancy(phase) { wordRating(expectancyWords); prompt = `expectancy:${phase}`; selected = null; render(); },
    /** sudsOpen: the rating prompt on screen (null when none, or when a safety panel covers it). */
    sudsOpen: () => (top() === 'rating' ? prompt : null),
    sudsPending: () => prompt,
    /** openPanels: every panel open, shown or waiting underneath (for tests). */
    openPanels: () => [...messages.keys(), ...(prompt ? ['rating'] : []), ...(pacer ? ['pacer'] : []), ...(ready ? ['ready'] : [])],
    rate, select, selected: () => selected,
    startBreathing(body) { pacer = new Pacer(body, performance.now()); pacerPhase = ''; messages.delete('break'); render(); },
    stopBreathing() { pacer = null; pacerPhase = ''; render(); },
    pacerState: () => (pacer ? pacer.at(performance.now()) : null),
    /** setBreakAllowed shows the break control (once joined, or in preview); the closing panels never offer it. */
    setBreakAllowed(on) { breakAllowed = !!on; render(); },
    breakShown,
    view,
    /** onChange(fn) calls fn(view) whenever the panel on top changes. */
    onChange(fn) { listeners.add(fn); fn(view()); return () => listeners.delete(fn); },
    /** panelsShown: the 3D panels drawn now (for tests): at most one. */
    panelsShown: () => [[msg, 'message'], [suds, 'rating'], [pacerGroup, 'pacer'], [readyBtn, 'ready']].filter(([o]) => o.visible).map(([, n]) => n),
    tap,
    /** relabel re-reads every message after a language change and applies the locale's font and direction. */
    relabel(nt, nextLocale, nextDir) {
      t = nt; locale = nextLocale; font = fontFor(nextLocale); direction = nextDir;
      for (const tx of texts) if (!tx.userData.latin) setText(tx, tx.userData.source, tx === msgBody ? layoutMessage : undefined);
      for (const [tx, id] of keyed) setText(tx, t(id));
      numerals.forEach((tx, i) => setText(tx, num(SCALE[i])));
      placeButtons();
      emit();
    },
    textState: () => ({ font, direction }),
    /** setVoice shows the therapist speaking and the patient's microphone ('on', 'muted'; 'none' hides the switch); onToggle runs when the patient selects it. */
    setVoice({ speaking, mic }, onToggle) {
      voiceView.speaking = !!speaking;
      if (mic !== voiceView.mic) {
        voiceView.mic = mic;
        const k = keyed.find((e) => e[0] === micText);
        k[1] = mic === 'muted' ? 'client.voice.unmute' : 'client.voice.mute';
        setText(micText, t(k[1]));
        micBtn.material.color.setHex(mic === 'muted' ? 0x8a3a2b : 0x3a3f4a);
      }
      if (onToggle) onMic = onToggle;
    },
    voiceShown: () => ({ speaking: speakCard.visible, mic: micBtn.visible ? voiceView.mic : 'hidden' }),
    controllers,
  };
}
