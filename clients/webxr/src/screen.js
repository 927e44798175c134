// The DOM around the 3D view: the join screen (large code entry), language
// picker, comfort settings, sensor pairing and the keyboard, which reaches
// every panel only while a session is live and the session view has focus.
import { loadMessages, translator, LOCALES } from './i18n.js';
import { pairBluetooth, simulatedSensor } from './sensors.js';
import { CALM } from './params.js';

const $ = (id) => document.getElementById(id);

// where the language the patient picked on this headset is remembered: the
// page's own choice (sessionStorage, survives a reload mid-session) beats
// the patient record's language; an older choice in localStorage (another
// patient on a shared headset, maybe) only sets the page before joining
const PICKED = 'haven.locale.picked';
const BREAK_KEY = 'haven.break_key';

export function setupScreen({ r, ui, conn, session, lang, panel, explicitLocale }) {
  const t = (id, data) => lang.t(id, data);
  let picked = explicitLocale || readPicked();

  function applyDom() {
    document.documentElement.lang = lang.bundle.locale;
    document.documentElement.dir = lang.bundle.dir;
    for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
    const err = $('join-error');
    if (err.dataset.key) err.textContent = t(err.dataset.key);
  }
  async function setLocale(id) {
    const token = conn.token();
    lang.bundle = await loadMessages(id, { token });
    lang.t = translator(lang.bundle.messages);
    applyDom();
    // which wording the page shows: the built-in texts, or (once joined) the clinic's own
    document.documentElement.dataset.wording = token ? 'clinic' : 'builtin';
    sel.value = lang.bundle.locale;
    ui.relabel(lang.t, lang.bundle.locale, lang.bundle.dir);
    panel?.refresh();
  }
  /** choose is the patient's own pick: remembered, and it outranks the record's language. */
  async function choose(id) {
    picked = id;
    try { localStorage.setItem('haven.locale', id); sessionStorage.setItem(PICKED, id); } catch { /* private mode */ }
    await setLocale(id);
  }
  // A selector acts only on the explicit "Apply" (WCAG 3.2.2): moving
  // through the options with the arrow keys changes nothing.
  const sel = $('locale');
  for (const l of LOCALES) {
    const o = new Option(l.name, l.id, false, l.id === lang.bundle.locale);
    o.lang = l.id;
    sel.append(o);
  }
  $('locale-apply').addEventListener('click', () => choose(sel.value));
  applyDom();

  setupComfort(r);
  const useSensor = setupSensors({ r, conn, session, t });
  // once joined, the clinic is known: its own wording replaces the built-in
  // texts, in the patient record's language unless the patient picked one
  const afterJoin = (creds) => setLocale(picked || (creds && creds.locale) || lang.bundle.locale);
  setupJoin({ r, conn, session, t, ui, useSensor, onJoined: afterJoin });
  // after a reload mid-session: restart the simulation if that was the source in a practice session (a strap needs a new user gesture to pair)
  const resumeSensor = () => { if (sessionStorage.getItem('haven.sensor') === 'simulated' && conn.state().practice) useSensor('simulated'); };
  addEventListener('keydown', (e) => keyboard(e, { r, ui, session, conn }));
  return { setLocale, choose, resumeSensor, afterJoin, picked: () => picked };
}

function readPicked() { try { return sessionStorage.getItem(PICKED) || ''; } catch { return ''; } }

/** breakKey is the key that asks for a break ("" when the patient turned it off). */
export function breakKey() {
  try { const k = localStorage.getItem(BREAK_KEY); return k === null ? 'b' : k; } catch { return 'b'; }
}

function setupComfort(r) {
  const read = () => r.setComfort({
    posture: document.querySelector('input[name=posture]:checked').value,
    vignette: $('vignette').checked, snapTurn: $('snap').checked, reducedMotion: $('reduced').checked,
  });
  for (const el of document.querySelectorAll('#join input[type=checkbox], #join input[type=radio]')) el.addEventListener('change', read);
  if (matchMedia('(prefers-reduced-motion: reduce)').matches) $('reduced').checked = true;
  read();
  const key = $('break-key');
  key.value = breakKey();
  key.addEventListener('change', () => { try { localStorage.setItem(BREAK_KEY, key.value); } catch { /* private mode */ } });
}

// sensors: raw strap bytes, or the labelled simulation when it was chosen
// (never started by the headset on its own); batches are kept until acknowledged
function setupSensors({ r, conn, session, t }) {
  const emit = (batch) => conn.sendSignals(batch);
  const arousal = () => { const s = r.scene(); return !s || session.paused || s.template === CALM.template ? 0 : 0.5; };
  const batchMs = () => session.batchMs; // the server's hello.batch_ms (docs/protocol.md)
  function useSensor(s) {
    session.sensor?.stop();
    session.sensor = s;
    try { sessionStorage.setItem('haven.sensor', s.kind); } catch { /* private mode */ }
    const label = s.kind === 'simulated' ? t('client.sensor.simulated') : t('client.sensor.paired', { Name: s.name });
    $('sensor-status').textContent = label;
    $('sensor-badge').textContent = label;
    $('sensor-badge').hidden = false;
    session.sendState();
  }
  $('use-sim').addEventListener('click', () => useSensor(simulatedSensor(emit, { arousal, batchMs })));
  $('pair-ble').addEventListener('click', async () => {
    try { useSensor(await pairBluetooth(emit, { batchMs })); } catch { $('sensor-status').textContent = t('client.sensor.failed'); }
  });
  if (!navigator.bluetooth) $('pair-ble').disabled = true;
  return (kind) => { if (kind === 'simulated' && session.sensor?.kind !== 'simulated') useSensor(simulatedSensor(emit, { arousal, batchMs })); };
}

/** codeProblem checks a join code as the server reads it (server/live normalizeCode: 8 letters and digits, dashes and spaces ignored). */
export function codeProblem(raw) {
  const code = String(raw ?? '').replace(/[\s-]/g, '');
  if (!code) return 'client.join.code_missing';
  if (!/^[A-Za-z0-9]{8}$/.test(code)) return 'client.join.code_format';
  return '';
}

function setupJoin({ r, conn, session, t, ui, useSensor, onJoined }) {
  // a join link (/j/CODE) lands on /xr/#code=CODE: the code travels in the
  // fragment so no server log sees it; fill it in and drop it from the address bar
  const linked = new URLSearchParams(location.hash.slice(1)).get('code');
  if (linked) {
    $('code').value = linked;
    history.replaceState(null, '', location.pathname + location.search);
  }
  const code = $('code'), err = $('join-error');
  function showError(key) {
    err.dataset.key = key;
    err.textContent = key ? t(key) : '';
    if (key) code.setAttribute('aria-invalid', 'true'); else code.removeAttribute('aria-invalid');
  }
  code.addEventListener('input', () => { if (err.dataset.key) showError(''); });
  $('join-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    r.audio.unlock();
    const problem = codeProblem(code.value);
    if (problem) { showError(problem); code.focus(); return; }
    showError('');
    $('join-btn').disabled = true;
    try {
      const creds = await conn.join(code.value);
      $('join').hidden = true;
      ui.setBreakAllowed(true);
      // only a practice session the therapist chose runs the (labelled) simulation; a real patient's headset never invents readings
      if (conn.state().practice) useSensor('simulated');
      session.setStatus(t('client.join.connecting'));
      await onJoined(creds);
      // in the patient's language now; the link may already be up
      session.setStatus(t(conn.state().connected ? 'client.waiting' : 'client.join.connecting'));
      $('app').focus({ preventScroll: true }); // the join form is gone: the session view takes the keyboard
      if (navigator.xr && await navigator.xr.isSessionSupported('immersive-vr').catch(() => false)) $('enter-vr').hidden = false;
    } catch (ex) {
      if (!$('join').hidden) {
        showError([401, 404, 410].includes(ex.status) ? 'client.join.bad_code' : 'client.join.failed');
        code.focus();
      } else session.error(ex);
    } finally { $('join-btn').disabled = false; }
  });
  $('enter-vr').addEventListener('click', () => r.enterXR().then(() => session.sendState()).catch((ex) => session.setStatus(ex.message)));
}

/**
 * live: a session is joined and not over, and the key was pressed in the
 * session view — not in a form field, not on the join screen (WCAG 2.1.4:
 * single-key shortcuts only where they cannot fire by accident).
 */
function inSessionView(e, session, conn) {
  const el = e.target instanceof Element ? e.target : document.body; // a key sent to the window itself
  if (el.closest('input, select, textarea, #join, [contenteditable]')) return false;
  if (!$('join').hidden || session.ended) return false;
  return !!conn.state().session_id;
}

// keyboard: the break key (B unless remapped or off); on a rating prompt
// 0–9 (×10), arrows ±10, Enter sends; Enter or N answers a self-paced cue;
// arrows snap-turn otherwise
function keyboard(e, { r, ui, session, conn }) {
  if (e.ctrlKey || e.metaKey || e.altKey || !inSessionView(e, session, conn)) return;
  const bk = breakKey();
  if (bk && e.key.toLowerCase() === bk && ui.breakShown()) { e.preventDefault(); session.requestBreak(); return; }
  if (ui.sudsOpen()) {
    const inScale = e.target instanceof Element && e.target.closest('#panel-scale');
    const cur = ui.selected();
    if (/^[0-9]$/.test(e.key)) ui.select(Number(e.key) * 10);
    else if (!inScale && (e.key === 'ArrowRight' || e.key === 'ArrowUp' || e.key === '+')) ui.select((cur ?? 40) + 10);
    else if (!inScale && (e.key === 'ArrowLeft' || e.key === 'ArrowDown' || e.key === '-')) ui.select((cur ?? 60) - 10);
    else if (e.key === 'Enter' && !inScale && cur !== null) ui.rate(cur);
    else return;
    e.preventDefault();
    return;
  }
  if (ui.readyShown() && (e.key === 'Enter' || e.key === 'n' || e.key === 'N') && !(e.target instanceof HTMLButtonElement)) { session.next(); e.preventDefault(); return; }
  if (r.comfort().snapTurn && !(e.target instanceof HTMLButtonElement) && (e.key === 'ArrowLeft' || e.key === 'ArrowRight')) r.snapTurn(e.key === 'ArrowLeft' ? -1 : 1);
}
