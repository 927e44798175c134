// Heart-rate sensors. Web Bluetooth Heart Rate Service (0x180D) with the Heart
// Rate Measurement characteristic (0x2A37, Bluetooth GATT HRS 1.0 §3.1):
// notifications are forwarded raw (base64) with arrival times in `ble_hrs`
// batches; the server decodes them. Without a strap, a clearly labelled
// simulated sensor produces HR 1 Hz, RR per beat and EDA 32 Hz (DESIGN.md §4
// rates). Batches leave at the cadence the server's hello names (batch_ms,
// 250 ms to 1 s, docs/protocol.md; 250 ms until it is known): both sensors
// check every 250 ms and send what they hold once that much time has passed.

const BATCH_MS = 250;

/** due reports whether a batch made at now, the last having left at last, is due at the cadence every() (ms). */
function due(now, last, every) {
  const ms = Number(every());
  const cadence = Number.isFinite(ms) ? Math.min(1000, Math.max(BATCH_MS, ms)) : BATCH_MS;
  return now - last >= cadence - BATCH_MS / 2;
}

/** base64 encodes a DataView / ArrayBuffer the way the server's JSON []byte expects (server/wire SignalsBatch.Raw). */
export function base64(buf) {
  const b = buf instanceof DataView ? new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) : new Uint8Array(buf);
  let s = '';
  for (const x of b) s += String.fromCharCode(x);
  return btoa(s);
}

/** pairBluetooth asks the user for a strap (needs a user gesture) and streams raw notifications to emit(batch). */
export async function pairBluetooth(emit, { batchMs = () => BATCH_MS } = {}) {
  if (!navigator.bluetooth) throw new Error('sensors: Web Bluetooth unavailable');
  const device = await navigator.bluetooth.requestDevice({ filters: [{ services: [0x180d] }] });
  const server = await device.gatt.connect();
  const service = await server.getPrimaryService(0x180d);
  const chr = await service.getCharacteristic(0x2a37);
  let raw = [], ts = [], t0 = null, last = -Infinity;
  chr.addEventListener('characteristicvaluechanged', (e) => {
    const now = Date.now();
    if (t0 === null) t0 = now;
    raw.push(base64(e.target.value)); ts.push(now - t0); // ts are offsets from t0 when rate_hz is 0
  });
  await chr.startNotifications();
  const timer = setInterval(() => {
    if (!raw.length || !due(Date.now(), last, batchMs)) return;
    last = Date.now();
    emit({ stream: 'ble_hrs', unit: 'raw', rate_hz: 0, t0, ts, raw, source: { kind: 'sensor', name: (device.name || 'Bluetooth heart rate strap').slice(0, 64) } });
    raw = []; ts = []; t0 = null;
  }, BATCH_MS);
  return { kind: 'ble', name: device.name || 'Heart rate strap', stop() { clearInterval(timer); try { device.gatt.disconnect(); } catch { /* gone */ } } };
}

/**
 * simulatedSensor produces plausible streams: HR around a resting 70 bpm with
 * respiratory sinus arrhythmia (0.1 Hz, the HRV peak resonance breathing
 * targets), RR per beat, and EDA (µS) with a slow tonic drift and occasional
 * SCRs. arousal() (0..1) lets the current exposure raise HR and SCR rate.
 */
export function simulatedSensor(emit, { arousal = () => 0, now = () => Date.now(), rand = Math.random, batchMs = () => BATCH_MS } = {}) {
  let beatAt = now(), lastHr = now(), tonic = 2.0, scr = 0, nextScr = now() + 8000;
  let hrBuf = [], rrBuf = [], rrTs = [], hrT0 = null, rrT0 = null;
  const eda = [];
  // EDA runs on its own 32 Hz sample clock: timers fire late under load, and a
  // batch stamped "now" would overlap the previous one's samples (the server
  // refuses time going backwards). Each step emits the samples due so far.
  const EDA_MS = 1000 / 32;
  let edaNext = now(), edaT0 = null, last = now();
  // provenance on every batch: generated samples, never the patient's body (docs/protocol.md)
  const source = { kind: 'simulator', name: 'Haven headset demo sensor' };
  function step() {
    const t = now();
    const a = Math.max(0, Math.min(1, arousal()));
    const hr = 70 + 25 * a + 4 * Math.sin((2 * Math.PI * t) / 10000) + (rand() - 0.5) * 2;
    for (;;) { // one RR interval per beat, stamped at the beat that ends it
      const rr = Math.round(60000 / hr);
      if (beatAt + rr > t) break;
      beatAt += rr;
      if (rrT0 === null) rrT0 = beatAt;
      rrBuf.push(rr); rrTs.push(beatAt - rrT0); // offsets from t0 (rate_hz 0: irregular samples)
    }
    if (t - lastHr >= 1000) { if (hrT0 === null) hrT0 = t; hrBuf.push(Math.round(hr * 10) / 10); lastHr = t; }
    if (t >= nextScr) { scr = 0.3 + 0.4 * a; nextScr = t + (12000 - 8000 * a) * (0.5 + rand()); }
    tonic += (2 + 3 * a - tonic) * 0.0005;
    if (t - edaNext > 5000) { // a suspended tab: leave a gap rather than invent minutes of samples
      flushEda();
      edaNext = t;
    }
    if (!eda.length) edaT0 = Math.round(edaNext);
    for (; edaNext < t; edaNext += EDA_MS) { scr *= 0.985; eda.push(Math.round((tonic + scr) * 1000) / 1000); }
    if (!due(t, last, batchMs)) return; // held for the hello's cadence: samples keep their own times
    last = t;
    if (hrBuf.length) { emit({ stream: 'hr', unit: 'bpm', rate_hz: 1, t0: hrT0, values: hrBuf, source }); hrBuf = []; hrT0 = null; }
    if (rrBuf.length) { emit({ stream: 'rr', unit: 'ms', rate_hz: 0, t0: rrT0, ts: rrTs, values: rrBuf, source }); rrBuf = []; rrTs = []; rrT0 = null; }
    flushEda();
  }
  function flushEda() { if (eda.length) emit({ stream: 'eda', unit: 'uS', rate_hz: 32, t0: edaT0, values: eda.splice(0), source }); }
  const timer = setInterval(step, BATCH_MS);
  return { kind: 'simulated', name: 'simulated', step, stop() { clearInterval(timer); } };
}
