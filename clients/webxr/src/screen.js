// The DOM around the 3D view: the join screen (large code entry), language
// picker, comfort settings, sensor pairing, the always-visible DOM break
// button and the keyboard fallback for every 3D control.
import { loadMessages, translator, LOCALES } from './i18n.js';
import { pairBluetooth, simulatedSensor } from './sensors.js';
import { CALM } from './params.js';

const $ = (id) => document.getElementById(id);

export function setupScreen({ r, ui, conn, session, lang }) {
  const t = (id, data) => lang.t(id, data);

  function applyDom() {
    document.documentElement.lang = lang.bundle.locale;
    document.documentElement.dir = lang.bundle.dir;
    for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  }
  async function setLocale(id) {
    localStorage.setItem('haven.locale', id);
    lang.bundle = await loadMessages(id, { token: conn.token() });
    lang.t = translator(lang.bundle.messages);
    applyDom();
    ui.relabel(lang.t, lang.bundle.locale, lang.bundle.dir);
  }
  const sel = $('locale');
  for (const l of LOCALES) sel.append(new Option(l.name, l.id, false, l.id === lang.bundle.locale));
  sel.addEventListener('change', () => setLocale(sel.value));
  applyDom();

  setupComfort(r);
  const useSensor = setupSensors({ r, conn, session, t });
  // once joined, the clinic is known: its own wording replaces the built-in texts
  setupJoin({ r, conn, session, t, useSensor, onJoined: () => setLocale(lang.bundle.locale) });
  // after a reload mid-session: restart the simulation if that was the source (a strap needs a new user gesture to pair)
  const resumeSensor = () => { if (sessionStorage.getItem('haven.sensor') === 'simulated' && conn.state().practice) useSensor('simulated'); };
  $('break').addEventListener('click', () => session.requestBreak());
  addEventListener('keydown', (e) => keyboard(e, { r, ui, session }));
  return { setLocale, resumeSensor };
}

function setupComfort(r) {
  const read = () => r.setComfort({
    posture: document.querySelector('input[name=posture]:checked').value,
    vignette: $('vignette').checked, snapTurn: $('snap').checked, reducedMotion: $('reduced').checked,
  });
  for (const el of document.querySelectorAll('#join input[type=checkbox], #join input[type=radio]')) el.addEventListener('change', read);
  if (matchMedia('(prefers-reduced-motion: reduce)').matches) $('reduced').checked = true;
  read();
}

// sensors: raw strap bytes or the labelled simulation; batches are kept until acknowledged
function setupSensors({ r, conn, session, t }) {
  const emit = (batch) => conn.sendSignals(batch);
  const arousal = () => { const s = r.scene(); return !s || session.paused || s.template === CALM.template ? 0 : 0.5; };
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
  $('use-sim').addEventListener('click', () => useSensor(simulatedSensor(emit, { arousal })));
  $('pair-ble').addEventListener('click', async () => {
    try { useSensor(await pairBluetooth(emit)); } catch { $('sensor-status').textContent = t('client.sensor.failed'); }
  });
  if (!navigator.bluetooth) $('pair-ble').disabled = true;
  return (kind) => { if (!session.sensor && kind === 'simulated') useSensor(simulatedSensor(emit, { arousal })); };
}

function setupJoin({ r, conn, session, t, useSensor, onJoined }) {
  // a join link (/j/CODE) lands on /xr/#code=CODE: the code travels in the
  // fragment so no server log sees it; fill it in and drop it from the address bar
  const linked = new URLSearchParams(location.hash.slice(1)).get('code');
  if (linked) {
    $('code').value = linked;
    history.replaceState(null, '', location.pathname + location.search);
  }
  $('join-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    r.audio.unlock();
    $('join-error').textContent = '';
    $('join-btn').disabled = true;
    try {
      await conn.join($('code').value);
      $('join').hidden = true;
      onJoined();
      // only a practice session the therapist chose runs the (labelled) simulation; a real patient's headset never invents readings
      if (conn.state().practice) useSensor('simulated');
      session.setStatus(t('client.join.connecting'));
      if (navigator.xr && await navigator.xr.isSessionSupported('immersive-vr').catch(() => false)) $('enter-vr').hidden = false;
    } catch (err) {
      $('join-error').textContent = t([401, 404, 410].includes(err.status) ? 'client.join.bad_code' : 'client.join.failed');
    } finally { $('join-btn').disabled = false; }
  });
  $('enter-vr').addEventListener('click', () => r.enterXR().then(() => session.sendState()).catch((err) => session.setStatus(err.message)));
}

// keyboard: B = break; digits, arrows and Enter for SUDS; Enter or N answers a self-paced cue; arrows snap-turn otherwise
function keyboard(e, { r, ui, session }) {
  if (e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement) return;
  if (e.key === 'b' || e.key === 'B') { session.requestBreak(); return; }
  if (ui.sudsOpen()) {
    if (/^[0-9]$/.test(e.key)) ui.setSlider(Number(e.key) * 10);
    else if (e.key === 'ArrowRight' || e.key === 'ArrowUp' || e.key === '+') ui.setSlider(ui.slider() + 5);
    else if (e.key === 'ArrowLeft' || e.key === 'ArrowDown' || e.key === '-') ui.setSlider(ui.slider() - 5);
    else if (e.key === 'Enter') ui.rate(ui.slider());
    else return;
    e.preventDefault();
    return;
  }
  if (ui.readyShown() && (e.key === 'Enter' || e.key === 'n' || e.key === 'N')) { session.next(); e.preventDefault(); return; }
  if (r.comfort().snapTurn && (e.key === 'ArrowLeft' || e.key === 'ArrowRight')) r.snapTurn(e.key === 'ArrowLeft' ? -1 : 1);
}
