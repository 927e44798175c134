import { test } from 'node:test';
import assert from 'node:assert/strict';
import { move, gaps, newStepId, insertAfter, parseList, MAX_SUDS_GAP } from '../src/ladder_model.js';

const steps = (...suds) => suds.map((s, i) => ({ id: `step_${i + 1}`, expected_suds: s, intensity: i * 10 }));

test('move', async (t) => {
  const s = steps(40, 50, 60);
  for (const c of [
    { name: 'down one', from: 0, to: 1, want: ['step_2', 'step_1', 'step_3'] },
    { name: 'up to top', from: 2, to: 0, want: ['step_3', 'step_1', 'step_2'] },
    { name: 'clamped past end', from: 0, to: 9, want: ['step_2', 'step_3', 'step_1'] },
    { name: 'clamped before start', from: 1, to: -4, want: ['step_2', 'step_1', 'step_3'] },
    { name: 'no-op', from: 1, to: 1, want: ['step_1', 'step_2', 'step_3'] },
  ]) {
    await t.test(c.name, () => {
      assert.deepEqual(move(s, c.from, c.to).map((x) => x.id), c.want);
      assert.deepEqual(s.map((x) => x.id), ['step_1', 'step_2', 'step_3'], 'input unchanged');
    });
  }
});

test('gaps follow CLINICAL.md §1 (> 15 SUDS between neighbours)', async (t) => {
  assert.equal(MAX_SUDS_GAP, 15);
  for (const c of [
    { name: 'smooth ladder', suds: [40, 50, 60, 70], want: [] },
    { name: 'exactly 15 is fine', suds: [40, 55], want: [] },
    { name: 'jump of 16', suds: [40, 56], want: [{ from: 1, to: 2, gap: 16 }] },
    { name: 'drop counts too', suds: [70, 40, 45], want: [{ from: 1, to: 2, gap: -30 }] },
    { name: 'empty value ignored', suds: [40, '', 80], want: [] },
  ]) {
    await t.test(c.name, () => assert.deepEqual(gaps(steps(...c.suds).map((s, i) => ({ ...s, expected_suds: c.suds[i] === '' ? NaN : c.suds[i] }))), c.want));
  }
});

test('newStepId avoids used ids', () => {
  assert.equal(newStepId([{ id: 'step_2' }, { id: 'step_3' }]), 'step_4');
  assert.equal(newStepId([]), 'step_1');
});

test('insertAfter puts a step halfway', () => {
  const out = insertAfter(steps(40, 60), 0);
  assert.equal(out.length, 3);
  assert.equal(out[1].expected_suds, 50);
  assert.equal(out[1].intensity, 5);
  const end = insertAfter(steps(90), 0);
  assert.equal(end[1].expected_suds, 100);
  assert.equal(new Set(end.map((s) => s.id)).size, 2);
});

test('parseList', () => {
  assert.deepEqual(parseList('hold the rail\n, look away ,,\n'), ['hold the rail', 'look away']);
  assert.deepEqual(parseList(''), []);
});
