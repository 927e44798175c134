import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readParam, stepFor, unitKey, choiceKey } from '../src/params.js';

test('readParam converts by schema type', async (t) => {
  for (const c of [
    { name: 'int', p: { type: 'int' }, raw: '12', want: 12 },
    { name: 'int garbage is null', p: { type: 'int' }, raw: 'x', want: null },
    { name: 'float', p: { type: 'float' }, raw: '0.25', want: 0.25 },
    { name: 'float empty is null', p: { type: 'float' }, raw: '', want: null },
    { name: 'bool from checked', p: { type: 'bool' }, raw: 'on', checked: true, want: true },
    { name: 'enum stays text', p: { type: 'enum' }, raw: 'free', want: 'free' },
  ]) await t.test(c.name, () => assert.equal(readParam(c.p, c.raw, c.checked), c.want));
});

test('stepFor', () => {
  assert.equal(stepFor({ type: 'int', min: 1, max: 30 }), 1);
  assert.equal(stepFor({ type: 'float', min: 0, max: 1 }), 0.05);
  assert.equal(stepFor({ type: 'float', min: 0, max: 4 }), 0.1);
  assert.equal(stepFor({ type: 'float', min: 5, max: 40 }), 1);
});

test('message keys of units and choices', () => {
  assert.equal(unitKey('people/m²'), 'console.unit.people_per_m2');
  assert.equal(unitKey('m'), 'console.unit.m');
  assert.equal(choiceKey('closed_bowl'), 'console.choice.closed_bowl');
});
