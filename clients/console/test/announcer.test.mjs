import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAnnouncer } from '../src/announcer.js';

// A manual clock: timers run only when the test advances time.
function clock() {
  let now = 0;
  const timers = [];
  return {
    timer: (fn, ms) => { timers.push({ at: now + ms, fn }); },
    advance(ms) {
      const until = now + ms;
      for (;;) {
        timers.sort((a, b) => a.at - b.at);
        if (!timers.length || timers[0].at > until) break;
        const t = timers.shift();
        now = t.at;
        t.fn();
      }
      now = until;
    },
  };
}

test('two messages sent together are both spoken, in order, each held', () => {
  const c = clock();
  const region = { textContent: '' };
  const said = [];
  const a = createAnnouncer(region, { gap: 30, hold: 700, timer: c.timer, onSay: (m) => said.push(m) });
  a.say('Alert: heart rate above ceiling');
  a.say('Suggestion: Stay on this step — SUDS has not halved yet.');
  c.advance(30);
  assert.equal(region.textContent, 'Alert: heart rate above ceiling');
  c.advance(600);
  assert.equal(region.textContent, 'Alert: heart rate above ceiling', 'still held');
  c.advance(200);
  assert.equal(region.textContent, 'Suggestion: Stay on this step — SUDS has not halved yet.');
  assert.deepEqual(said, ['Alert: heart rate above ceiling', 'Suggestion: Stay on this step — SUDS has not halved yet.']);
});

test('a repeat queued right after itself is said once; empty messages are ignored', () => {
  const c = clock();
  const region = { textContent: '' };
  const said = [];
  const a = createAnnouncer(region, { timer: c.timer, onSay: (m) => said.push(m) });
  a.say('Saved');
  a.say('Patients');
  a.say('Patients');
  a.say('');
  c.advance(5000);
  assert.deepEqual(said, ['Saved', 'Patients']);
  assert.equal(a.pending(), 0);
});
