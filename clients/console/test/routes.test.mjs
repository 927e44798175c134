import { test } from 'node:test';
import assert from 'node:assert/strict';
import { match } from '../src/routes.js';

const ROUTES = [
  { path: '/patients' }, { path: '/patients/:id' }, { path: '/sessions/:id/report' }, { path: '/invite/:token' },
];

test('match', async (t) => {
  for (const c of [
    { name: 'static', in: '/patients', want: ['/patients', {}] },
    { name: 'trailing slash', in: '/patients/', want: ['/patients', {}] },
    { name: 'param', in: '/patients/abc', want: ['/patients/:id', { id: 'abc' }] },
    { name: 'query ignored', in: '/patients/abc?x=1', want: ['/patients/:id', { id: 'abc' }] },
    { name: 'nested', in: '/sessions/s1/report', want: ['/sessions/:id/report', { id: 's1' }] },
    { name: 'encoded', in: '/invite/a%2Fb', want: ['/invite/:token', { token: 'a/b' }] },
    { name: 'unknown', in: '/nope', want: null },
    { name: 'empty param', in: '/sessions//report', want: null },
  ]) {
    await t.test(c.name, () => {
      const m = match(c.in, ROUTES);
      assert.deepEqual(m && [m.route.path, m.params], c.want);
    });
  }
});
