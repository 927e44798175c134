import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stepSeries, points } from '../src/report_model.js';

test('stepSeries groups ratings by step', () => {
  const tl = [
    { kind: 'state', body: { to: 'live' } },
    { kind: 'suds.rating', at: 't0', body: { value: 20 } },
    { kind: 'engine.step.enter', at: 't1', body: { index: 0, step_id: 'a' } },
    { kind: 'suds.rating', at: 't2', body: { value: 60 } },
    { kind: 'suds.rating', at: 't3', body: { value: 30 } },
    { kind: 'engine.step.enter', at: 't4', body: { index: 1, step_id: 'b' } },
    { kind: 'suds.rating', at: 't5', body: { value: 'x' } },
  ];
  const got = stepSeries(tl);
  assert.deepEqual(got.map((s) => [s.index, s.stepId, s.ratings.map((r) => r.value)]), [[-1, '', [20]], [0, 'a', [60, 30]], [1, 'b', []]]);
});

test('stepSeries of an empty timeline is empty', () => assert.deepEqual(stepSeries([]), []));

test('points span the box and clamp', () => {
  assert.deepEqual(points([0, 100]), [[2, 30], [118, 2]]);
  assert.deepEqual(points([50]), [[60, 16]]);
  assert.deepEqual(points([-10, 150]), [[2, 30], [118, 2]]);
});
