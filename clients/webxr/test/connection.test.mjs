import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection } from '../src/connection.js';

// Fakes of the browser's WebRTC objects: enough for the connection's life
// cycle, with every event fired by the test when it chooses.
class FakeChannel extends EventTarget {
  constructor(label) { super(); this.label = label; this.readyState = 'connecting'; this.sent = []; }
  send(s) { this.sent.push(s); }
  fire(type) { if (type === 'open') this.readyState = 'open'; if (type === 'close') this.readyState = 'closed'; this.dispatchEvent(new Event(type)); }
}
class FakePeer extends EventTarget {
  static all = [];
  constructor() { super(); this.channels = {}; this.iceGatheringState = 'complete'; this.connectionState = 'new'; this.closed = false; FakePeer.all.push(this); }
  createDataChannel(label) { return (this.channels[label] = new FakeChannel(label)); }
  async createOffer() { return { type: 'offer', sdp: 'v=0 offer' }; }
  async setLocalDescription(d) { this.localDescription = d; }
  async setRemoteDescription(d) { if (this.closed) throw new Error("signalingState is 'closed'"); this.remoteDescription = d; }
  close() { this.closed = true; } // the channels' close events come later, as over a real network
  open() { this.channels.control.fire('open'); this.channels.signals.fire('open'); }
}

// setup wires a connection to a fake server. refusals: error codes the
// WHIP endpoint answers with (409), one per attempt, before it accepts.
// The connection's timers (backoff, watchdog tick, heartbeat) run on node's
// mock clock, which advance() moves on: what happens after 450 ms depends on
// the backoff rules, not on how busy the machine is.
function setup(t, { refusals = [], clock } = {}) {
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
  FakePeer.all = [];
  globalThis.RTCPeerConnection = FakePeer;
  const whips = [], deletes = [];
  let n = 0;
  const fetchFn = async (url, opts = {}) => {
    if (url === '/api/join') return { ok: true, status: 200, json: async () => ({ session_id: 's1', token: 't', ice_servers: [] }) };
    if (opts.method === 'DELETE') { deletes.push({ url, ...opts }); return { ok: true, status: 204 }; }
    whips.push(url);
    const code = n < refusals.length ? refusals[n++] : null;
    if (code) return { ok: false, status: 409, json: async () => ({ error: { code, message: 'refused' } }) };
    return { ok: true, status: 201, headers: { get: () => '/api/sessions/s1/whip/p' }, text: async () => 'v=0 answer' };
  };
  const events = { lost: 0, open: 0, ended: 0, errors: [] };
  const page = new EventTarget();
  const conn = createConnection({
    storage: null, fetchFn, page, onMessage() {}, onOpen: () => events.open++, onLost: () => events.lost++,
    onEnded: () => events.ended++, onError: (e) => events.errors.push(e.message), clock,
  });
  t.after(() => conn.dispose());
  return { conn, whips, deletes, events, page };
}

// advance moves the mock clock on by ms in 10 ms steps, letting the
// promises each step's timers start (the fake fetch and SDP calls) settle
// before the next, as they would in real time.
async function advance(t, ms) {
  for (let done = 0; done < ms; done += 10) {
    t.mock.timers.tick(Math.min(10, ms - done));
    await new Promise((r) => setImmediate(r));
  }
}

test('a replaced connection closing late starts no second reconnect', async (t) => {
  const { conn, whips, events } = setup(t);
  await conn.join('ABCD-EFGH');
  FakePeer.all[0].open();
  assert.equal(conn.state().connected, true);

  conn.cut(); // the link dies: calm, and one reconnect is scheduled
  assert.equal(events.lost, 1);
  await advance(t, 450); // past the first backoff (250 ms ± 20 %): the second peer is dialling
  assert.equal(FakePeer.all.length, 2);
  const second = FakePeer.all[1];

  // Only now do the first peer's channels report their close.
  FakePeer.all[0].channels.control.fire('close');
  FakePeer.all[0].channels.signals.fire('close');
  await advance(t, 700);
  assert.equal(FakePeer.all.length, 2, 'the stale close must not tear down the attempt under way');
  assert.equal(second.closed, false);
  assert.deepEqual(events.errors, []);
  assert.equal(whips.length, 2);

  second.open();
  assert.equal(conn.state().connected, true);
});

test('a message or open on a replaced connection is ignored', async (t) => {
  const { conn } = setup(t);
  await conn.join('ABCD-EFGH');
  const first = FakePeer.all[0];
  conn.cut();
  first.open(); // the old peer's channels open late
  assert.equal(conn.state().connected, false);
});

test('a headset refused as the second one retries quietly until the old link is gone', async (t) => {
  const { conn, whips, events } = setup(t, { refusals: [null, 'session_full'] });
  await conn.join('ABCD-EFGH');
  FakePeer.all[0].open();
  conn.cut();
  await advance(t, 450); // first retry: refused, the server still holds the dying link
  assert.equal(conn.state().busy, true);
  await advance(t, 900); // second retry (500 ms ± 20 %): accepted
  assert.equal(whips.length, 3);
  assert.equal(conn.state().busy, false);
  FakePeer.all.at(-1).open();
  assert.equal(conn.state().connected, true);
  assert.deepEqual(events.errors, [], 'a known refusal is not an error');
});

test('a session that ended while away stops the reconnecting', async (t) => {
  const { conn, whips, events } = setup(t, { refusals: [null, 'session_state'] });
  await conn.join('ABCD-EFGH');
  FakePeer.all[0].open();
  conn.cut();
  await advance(t, 1500);
  assert.equal(events.ended, 1);
  assert.equal(whips.length, 2, 'no attempt after the server said the session is over');
  assert.deepEqual(events.errors, []);
});

test('leaving the page tells the server the link is gone', async (t) => {
  const { conn, deletes, page } = setup(t);
  await conn.join('ABCD-EFGH');
  FakePeer.all[0].open();
  page.dispatchEvent(new Event('pagehide'));
  assert.equal(deletes.length, 1);
  assert.equal(deletes[0].keepalive, true);
  assert.match(deletes[0].url, /\/api\/sessions\/s1\/whip\/p$/);
  assert.equal(deletes[0].headers.Authorization, 'Bearer t');
});

// Heartbeats fill only the silences (docs/protocol.md): the server hears any
// message as life. The connection's clock moves with the mock timers, so
// the 500 ms figure is the protocol's, not the machine's.
function heartbeatRig(t) {
  let now = 0;
  const rig = setup(t, { clock: () => now });
  const beats = []; // clock times of the heartbeats put on control
  rig.step = (ms) => {
    now += ms;
    t.mock.timers.tick(ms);
    const sent = FakePeer.all[0].channels.control.sent;
    for (const s of sent.splice(0)) if (JSON.parse(s).type === 'heartbeat') beats.push(now);
  };
  rig.beats = beats;
  return rig;
}

test('a silent headset sends a heartbeat every 500 ms', async (t) => {
  const { conn, step, beats } = heartbeatRig(t);
  await conn.join('ABCD-EFGH');
  FakePeer.all[0].open();
  for (let i = 0; i < 12; i++) step(250); // 3 s of silence
  assert.deepEqual(beats, [250, 750, 1250, 1750, 2250, 2750]);
});

test('a headset sending other control messages sends no heartbeats; batches do not replace them', async (t) => {
  const { conn, step, beats } = heartbeatRig(t);
  await conn.join('ABCD-EFGH');
  FakePeer.all[0].open();
  for (let i = 0; i < 12; i++) { conn.sendControl('client.state', { xr: true, fps: 72, comfort: 'ok', sensor: 'simulated' }); step(250); }
  assert.deepEqual(beats, []);
  for (let i = 0; i < 4; i++) step(250); // control goes quiet: the heartbeats are back at once
  assert.deepEqual(beats, [3250, 3750]);
  // The server may hold back its reads of signals while its store is busy,
  // so batches are no sign of life there: they do not stop the heartbeats.
  for (let i = 0; i < 8; i++) { conn.sendSignals({ stream: 'eda', unit: 'uS', rate_hz: 32, t0: i * 250, values: [2] }); step(250); }
  assert.deepEqual(beats, [3250, 3750, 4250, 4750, 5250, 5750]);
});
