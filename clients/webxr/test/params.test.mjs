import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TEMPLATES, normalize, Tween, intensityParams } from '../src/params.js';

test('normalize clamps, coerces and fills defaults', () => {
  assert.deepEqual(normalize('heights', { floor: 99.4, wind: -1, railing: 'true', bogus: 1 }),
    { floor: 30, edge_distance_m: 4, railing: true, glass_floor: false, wind: 0, sway: 0 });
  assert.equal(normalize('spiders', { container: 'jar' }).container, 'closed_bowl');
  assert.equal(normalize('spiders', { count: 'NaN' }).count, 0);
  assert.throws(() => normalize('volcano', {}), /unknown template/);
});

test('tween eases numbers and switches enums at the midpoint', () => {
  const tw = new Tween('spiders', { count: 0, distance_m: 3 });
  tw.set({ count: 12, distance_m: 1, container: 'free' }, 1000, 0);
  assert.equal(tw.step(0).distance_m, 3);
  assert.equal(tw.step(0).container, 'closed_bowl');
  const mid = tw.step(500);
  assert.ok(Math.abs(mid.distance_m - 2) < 1e-9);
  assert.equal(mid.container, 'free');
  const q = tw.step(250).distance_m;
  assert.ok(q < 3 && q > 2, 'moves continuously, no jump');
  assert.equal(tw.step(1000).distance_m, 1);
  assert.equal(tw.done(1000), true);
  tw.set({ speed: 1 }, 0, 2000);
  assert.equal(tw.current.count, 12, 'a partial set keeps earlier targets');
});

test('intensityParams grades every template from its calm end to its hard end', () => {
  for (const id of Object.keys(TEMPLATES)) {
    const lo = intensityParams(id, 0), hi = intensityParams(id, 100);
    assert.deepEqual(normalize(id, lo), lo, `${id} at 0 is valid`);
    assert.deepEqual(normalize(id, hi), hi, `${id} at 100 is valid`);
    assert.notDeepEqual(lo, hi, id);
  }
  assert.equal(intensityParams('heights', 100).edge_distance_m, 0);
  assert.equal(intensityParams('heights', 100).railing, false);
  assert.equal(intensityParams('spiders', 100).container, 'free');
  assert.equal(intensityParams('enclosed_space', 100).light_level, 0.2);
});
