import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { clock, endInfo, endMessage, describe } from '../src/session_model.js';

test('clock counts down in m:ss, rounding up', () => {
  assert.equal(clock(180000), '3:00');
  assert.equal(clock(161001), '2:42');
  assert.equal(clock(1), '0:01');
  assert.equal(clock(-5), '0:00');
});

// Issue 15: a session the therapist ended at step 1 of 10 said "Every step is
// done": the engine runs the cool-down and then ends as "completed".
test('the end reason is the cool-down\'s reason, with the step reached', () => {
  const events = [
    { kind: 'engine.baseline.start', body: { duration_ms: 180000 } },
    { kind: 'engine.step.enter', body: { index: 0, step_id: 'step_01' } },
    { kind: 'engine.cooldown.start', body: { reason: 'therapist_end', duration_ms: 180000 } },
    { kind: 'engine.session.end', body: { reason: 'completed' } },
    { kind: 'state', body: { from: 'live', to: 'ended', reason: 'completed' } },
  ];
  const info = endInfo(events);
  assert.deepEqual(info, { reason: 'therapist_end', step: 1 });
  assert.deepEqual(endMessage(info, 10), { id: 'console.end.therapist_end_at', data: { Step: 1, Total: 10, Reason: 'therapist_end' } });
  assert.equal(endInfo(events.slice(0, 3)), null, 'not ended yet');
  assert.equal(endMessage(endInfo([{ kind: 'engine.cooldown.start', body: { reason: 'ladder_complete' } }, { kind: 'state', body: { to: 'ended', reason: 'completed' } }]), 10).id, 'console.end.ladder_complete');
  assert.equal(endMessage({ reason: 'therapist_end', step: 0 }, 10).id, 'console.end.therapist_end', 'ended before any step');
  assert.equal(endMessage({ reason: 'something_new', step: 2 }, 10).id, 'console.end.other');
});

test('bookkeeping entries are left out; the rest are described', () => {
  assert.equal(describe({ kind: 'engine.scene.set', body: {} }), null);
  assert.equal(describe({ kind: 'engine.timeline.fear_level', body: {} }), null);
  assert.deepEqual(describe({ kind: 'engine.suggest', body: { action: 'advance', reason: 'suds_halved' } }), { id: 'console.tl.suggest', action: 'advance', reason: 'suds_halved' });
  assert.equal(describe({ kind: 'alert', body: { code: 'hr_ceiling', fired: false } }).alert, 'hr_ceiling');
  assert.equal(describe({ kind: 'engine.baseline.start', body: { duration_ms: 180000 } }).count, 3);
  assert.deepEqual(describe({ kind: 'command', body: { type: 'cmd.intensity', body: { intensity: 40 } } }).data, { Value: 40 });
});

// Every reason code the engine and the live hub can send (read from their Go
// sources) has words in the console, so "reason not shown" cannot appear.
test('every reason code the server sends has console words in every locale', () => {
  const dirs = ['../../../protocols', '../../../server/live'];
  let src = '';
  for (const d of dirs) for (const f of readdirSync(new URL(d, import.meta.url))) {
    if (f.endsWith('.go') && !f.endsWith('_test.go')) src += readFileSync(new URL(`${d}/${f}`, import.meta.url), 'utf8');
  }
  const codes = new Set();
  for (const re of [/refuse\([^,"]*,?\s*"(\w+)"\)/g, /finishBlock\("(\w+)"\)/g, /endSession\("(\w+)"\)/g, /hardStop\("(\w+)"\)/g,
    /softPause\("(\w+)"/g, /pause\("(\w+)"/g, /reason = "(\w+)"/g, /connLost\("(\w+)"\)/g, /linkDownIn\{\w+, "(\w+)"\}/g, /suggest\(T\w+, "(\w+)"\)/g]) {
    for (const m of src.matchAll(re)) codes.add(m[1]);
  }
  assert.ok(codes.size > 30, `found only ${codes.size} codes`);
  for (const loc of ['en', 'ar', 'es', 'de', 'fr', 'pt-BR', 'zh-Hans']) {
    const msgs = JSON.parse(readFileSync(new URL(`../../../i18n/locales/console.${loc}.json`, import.meta.url), 'utf8'));
    const missing = [...codes].filter((c) => !(`console.reason.${c}` in msgs) && !(`console.suggest.reason.${c}` in msgs));
    assert.deepEqual(missing, [], `${loc}: reason codes without words`);
  }
});
