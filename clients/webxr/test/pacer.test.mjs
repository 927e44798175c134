import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pacer } from '../src/pacer.js';

const box = { phases: [{ phase: 'inhale', s: 4 }, { phase: 'hold', s: 4 }, { phase: 'exhale', s: 4 }, { phase: 'hold', s: 4 }], cycles: 2 };

test('box breathing phases switch at exact 4 s boundaries', () => {
  const p = new Pacer(box, 1000);
  const cases = [
    [1000, 'inhale', 0, 0], [4999, 'inhale', 0, 0], [5000, 'hold', 1, 0], [9000, 'exhale', 2, 0],
    [13000, 'hold', 3, 0], [16999, 'hold', 3, 0], [17000, 'inhale', 0, 1],
  ];
  for (const [now, phase, index, cycle] of cases) {
    const s = p.at(now);
    assert.deepEqual([s.phase, s.index, s.cycle], [phase, index, cycle], `at ${now}`);
  }
  assert.equal(p.at(33000).done, true, 'two cycles of 16 s end at 32 s');
  assert.equal(p.at(32999).done, false);
});

test('level rises on inhale, holds, falls on exhale', () => {
  const p = new Pacer(box, 0);
  const cases = [[0, 0], [2000, 0.5], [4000, 1], [6000, 1], [10000, 0.5], [12000, 0], [14000, 0]];
  for (const [now, level] of cases) assert.ok(Math.abs(p.at(now).level - level) < 1e-9, `level at ${now}: ${p.at(now).level}`);
});

test('4-7-8 timing and remaining seconds', () => {
  const p = new Pacer({ phases: [{ phase: 'inhale', s: 4 }, { phase: 'hold', s: 7 }, { phase: 'exhale', s: 8 }], cycles: null }, 0);
  assert.equal(p.cycleMs, 19000);
  assert.equal(p.at(4000).phase, 'hold');
  assert.equal(p.at(4000).remainingS, 7);
  assert.equal(p.at(11000).phase, 'exhale');
  assert.equal(p.totalMs, Infinity);
  assert.equal(p.at(1e7).done, false);
});

test('cyclic sighing splits the rise between inhale and top-up by duration', () => {
  const p = new Pacer({ phases: [{ phase: 'inhale', s: 2 }, { phase: 'inhale_top', s: 1 }, { phase: 'exhale', s: 6 }], duration_s: 300 }, 0);
  assert.ok(Math.abs(p.at(2000).level - 2 / 3) < 1e-9);
  assert.ok(Math.abs(p.at(3000).level - 1) < 1e-9);
  assert.equal(p.totalMs, 300000);
  assert.equal(p.at(300000).done, true);
});

test('duration and cycles: whichever ends first', () => {
  const p = new Pacer({ ...box, cycles: 10, duration_s: 20 }, 0);
  assert.equal(p.totalMs, 20000);
});

test('rejects malformed phase lists', () => {
  for (const bad of [{}, { phases: [] }, { phases: [{ phase: 'inhale', s: 0 }] }, { phases: [{ s: 4 }] }, { phases: [null] }]) {
    assert.throws(() => new Pacer(bad, 0), /pacer:/);
  }
});

test('phase names map to the client.breathing messages', async () => {
  const { phaseKey } = await import('../src/pacer.js');
  const cases = { inhale: 'client.breathing.in', inhale_top: 'client.breathing.top_up', exhale: 'client.breathing.out', hold: 'client.breathing.hold', rest: 'client.breathing.hold' };
  for (const [phase, key] of Object.entries(cases)) assert.equal(phaseKey(phase), key, phase);
});
