import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decode, Channel, backoffMs, Watchdog } from '../src/protocol.js';

class MemStorage {
  constructor() { this.m = new Map(); }
  getItem(k) { return this.m.has(k) ? this.m.get(k) : null; }
  setItem(k, v) { this.m.set(k, String(v)); }
  removeItem(k) { this.m.delete(k); }
}

test('decode accepts a v1 envelope and fills defaults', () => {
  const env = decode('{"v":1,"type":"heartbeat","seq":3,"ack":2,"t":10}');
  assert.deepEqual(env, { v: 1, type: 'heartbeat', seq: 3, ack: 2, t: 10, body: {} });
});

test('decode rejects malformed frames', () => {
  const bad = {
    'not json': 'nope',
    'array': '[1]',
    'wrong version': '{"v":2,"type":"x"}',
    'missing type': '{"v":1}',
    'negative seq': '{"v":1,"type":"x","seq":-1}',
    'fractional ack': '{"v":1,"type":"x","ack":1.5}',
    'body array': '{"v":1,"type":"x","body":[]}',
    'body null': '{"v":1,"type":"x","body":null}',
    'too large': `{"v":1,"type":"x","body":{"s":"${'a'.repeat(300000)}"}}`,
  };
  for (const [name, frame] of Object.entries(bad)) {
    assert.throws(() => decode(frame), /protocol:/, name);
  }
  assert.throws(() => decode(42), /not text/);
});

test('seq counts from 1 per channel and carries our ack', () => {
  const sent = [];
  const ch = new Channel('control', { now: () => 5 });
  ch.attach((s) => { sent.push(JSON.parse(s)); return true; });
  assert.equal(ch.receive({ seq: 1, ack: 0 }), true);
  assert.equal(ch.receive({ seq: 2, ack: 0 }), true);
  ch.send('scene.ready', { template: 'heights' });
  ch.send('client.state', {});
  assert.deepEqual(sent.map((e) => [e.seq, e.ack, e.t]), [[1, 2, 5], [2, 2, 5]]);
  assert.equal(ch.receive({ seq: 2, ack: 0 }), false, 'duplicate must not be handled twice');
});

test('durable messages survive until acknowledged and are resent in order', () => {
  const storage = new MemStorage();
  const ch = new Channel('signals', { storage });
  ch.send('signals.batch', { stream: 'hr' }, { durable: true }); // no transport: buffered only
  ch.send('signals.batch', { stream: 'eda' }, { durable: true });
  ch.send('signals.batch', { stream: 'rr' }, { durable: true });
  assert.equal(ch.pending(), 3);

  // a reload restores the outbox and continues the sequence
  const again = new Channel('signals', { storage });
  assert.deepEqual(again.outbox.map((e) => e.seq), [1, 2, 3]);
  const sent = [];
  again.attach((s) => { sent.push(JSON.parse(s)); return true; });
  assert.equal(again.resend(), 3);
  assert.deepEqual(sent.map((e) => e.body.stream), ['hr', 'eda', 'rr']);

  again.receive({ seq: 1, ack: 2, type: 'signals.ack' });
  assert.deepEqual(again.outbox.map((e) => e.seq), [3]);
  assert.equal(again.send('signals.batch', {}, { durable: true }).seq, 4);
  again.acknowledge(4);
  assert.equal(again.pending(), 0);
  assert.equal(new Channel('signals', { storage }).pending(), 0);
});

test('a failing transport keeps durable messages', () => {
  const ch = new Channel('signals');
  ch.attach(() => { throw new Error('closed'); });
  ch.send('signals.batch', {}, { durable: true });
  assert.equal(ch.resend(), 0);
  assert.equal(ch.pending(), 1);
});

test('newPeer restarts duplicate detection for a new connection', () => {
  const ch = new Channel('control');
  ch.receive({ seq: 9, ack: 0 });
  assert.equal(ch.receive({ seq: 1, ack: 0 }), false);
  ch.newPeer();
  assert.equal(ch.receive({ seq: 1, ack: 0 }), true);
});

test('backoff doubles with jitter and caps at 8 s', () => {
  const cases = [[0, 0.5, 250], [1, 0.5, 500], [3, 0.5, 2000], [6, 0.5, 8000], [20, 0.5, 8000], [0, 0, 200], [0, 1, 300]];
  for (const [n, r, want] of cases) assert.equal(backoffMs(n, () => r), want, `attempt ${n} rand ${r}`);
});

test('watchdog fires only after 2 s of silence once armed', () => {
  const w = new Watchdog();
  assert.equal(w.expired(1e9), false, 'not armed before the first message');
  w.feed(1000);
  assert.equal(w.expired(3000), false);
  assert.equal(w.expired(3001), true);
  w.feed(3001);
  assert.equal(w.expired(4500), false);
  w.reset();
  assert.equal(w.expired(1e9), false);
});
