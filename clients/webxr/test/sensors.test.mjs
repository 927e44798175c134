import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base64, simulatedSensor } from '../src/sensors.js';

test('base64 encodes characteristic bytes like Go encodes []byte', () => {
  assert.equal(base64(new Uint8Array([0x16, 0x48, 0x00, 0x03]).buffer), 'FkgAAw==');
  assert.equal(base64(new DataView(new Uint8Array([1, 255, 16]).buffer, 1)), '/xA=');
});

test('simulated sensor: HR 1 Hz, RR per beat, EDA 32 Hz in 250 ms batches', () => {
  let clock = 1_000_000;
  const out = [];
  const s = simulatedSensor((b) => out.push(b), { now: () => clock, rand: () => 0.5 });
  s.stop(); // drive it by hand
  for (let i = 0; i < 40; i++) { clock += 250; s.step(); } // 10 s
  const by = (k) => out.filter((b) => b.stream === k);
  const eda = by('eda');
  assert.equal(eda.length, 40);
  assert.ok(eda.every((b) => b.values.length === 8 && b.rate_hz === 32 && b.unit === 'uS'));
  assert.equal(by('hr').reduce((n, b) => n + b.values.length, 0), 10);
  const rr = by('rr').flatMap((b) => b.values);
  assert.ok(rr.length >= 10 && rr.length <= 14, `beats in 10 s at ~70 bpm: ${rr.length}`);
  assert.ok(rr.every((v) => v > 500 && v < 1100));
  for (const b of by('rr')) {
    assert.equal(b.ts.length, b.values.length);
    assert.equal(b.ts[0], 0, 'ts are offsets from t0');
    for (let i = 1; i < b.ts.length; i++) assert.equal(b.ts[i] - b.ts[i - 1], b.values[i], 'each RR ends at its own beat');
  }
  for (const b of by('hr')) assert.ok(b.values.every((v) => v > 55 && v < 100));
});

test('arousal raises simulated heart rate', () => {
  const mean = (a) => {
    let clock = 0; const hr = [];
    const s = simulatedSensor((b) => { if (b.stream === 'hr') hr.push(...b.values); }, { now: () => clock, rand: () => 0.5, arousal: () => a });
    s.stop();
    for (let i = 0; i < 200; i++) { clock += 250; s.step(); }
    return hr.reduce((x, y) => x + y, 0) / hr.length;
  };
  assert.ok(mean(1) - mean(0) > 15);
});

test('simulated sensor at the hello\'s 1 s cadence: one batch a stream a second, the same samples', () => {
  const run = (batchMs) => {
    let clock = 1_000_000;
    const out = [];
    const s = simulatedSensor((b) => out.push(b), { now: () => clock, rand: () => 0.5, batchMs: () => batchMs });
    s.stop();
    for (let i = 0; i < 40; i++) { clock += 250; s.step(); } // 10 s
    return out;
  };
  const fast = run(undefined), slow = run(1000);
  const by = (out, k) => out.filter((b) => b.stream === k);
  const eda = by(slow, 'eda');
  assert.equal(eda.length, 10, 'one EDA batch a second');
  assert.ok(eda.every((b) => b.values.length === 32), '32 Hz × 1 s');
  for (let i = 1; i < eda.length; i++) assert.equal(eda[i].t0 - eda[i - 1].t0, 1000, 'each batch continues the last');
  assert.equal(by(fast, 'eda').length, 40, 'without a cadence from the server: every 250 ms, as before');
  // the same samples, only fewer messages
  for (const k of ['eda', 'hr', 'rr']) {
    assert.deepEqual(by(slow, k).flatMap((b) => b.values), by(fast, k).flatMap((b) => b.values), k);
  }
  const beats = (out) => by(out, 'rr').flatMap((b) => b.ts.map((o) => b.t0 + o));
  assert.deepEqual(beats(slow), beats(fast), 'each RR keeps the time of its beat');
  assert.ok(slow.length <= 30 && fast.length >= 60, `${slow.length} batches at 1 s, ${fast.length} at 250 ms`);
});
