import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createVoice, MIC, SPEAKING_LEVEL, SPEAKING_HOLD_MS } from '../src/voice.js';

// Fakes of the browser's WebRTC objects the voice module touches.
class FakeSender { constructor() { this.track = null; this.calls = []; } async replaceTrack(t) { this.track = t; this.calls.push(t); } }
class FakePeer extends EventTarget {
  constructor() { super(); this.transceivers = []; this.stats = new Map(); }
  addTransceiver(kind, init) { const t = { kind, direction: init.direction, sender: new FakeSender() }; this.transceivers.push(t); return t; }
  async getStats() { return this.stats; }
  track(id, streamId) { const e = new Event('track'); Object.assign(e, { track: { id, kind: 'audio' }, streams: [{ id: streamId }] }); this.dispatchEvent(e); }
}
const fakeDoc = () => ({ body: { append() {} }, createElement: () => ({ dataset: {}, play: async () => {} }) });
const mic = { id: 'mic' };
const granted = async () => ({ getAudioTracks: () => [mic] });

test('the headset and the therapist offer one send-and-receive section; an observer two receive-only ones', () => {
  const speaker = new FakePeer(), observer = new FakePeer();
  createVoice({ getUserMedia: granted, doc: fakeDoc() }).prepare(speaker);
  createVoice({ mic: false, listen: 2, getUserMedia: granted, doc: fakeDoc() }).prepare(observer);
  assert.deepEqual(speaker.transceivers.map((t) => t.direction), ['sendrecv']);
  assert.deepEqual(observer.transceivers.map((t) => t.direction), ['recvonly', 'recvonly']);
});

test('mute and push-to-talk swap the track: no packets while off, and a new connection carries the live microphone', async () => {
  const v = createVoice({ getUserMedia: granted, doc: fakeDoc() });
  const pc = new FakePeer();
  v.prepare(pc);
  const sender = pc.transceivers[0].sender;
  assert.equal(await v.setLive(true), true);
  assert.equal(sender.track, mic);
  assert.equal(await v.setLive(false), false);
  assert.equal(sender.track, null);
  await v.setLive(true);
  const next = new FakePeer(); // the link was lost: a new connection
  v.prepare(next);
  await Promise.resolve();
  assert.equal(next.transceivers[0].sender.track, mic);
});

test('a refused microphone leaves the side without one (voice.state "none"), and never asks again', async () => {
  let asked = 0;
  const v = createVoice({ getUserMedia: async () => { asked++; throw new Error('NotAllowedError'); }, doc: fakeDoc() });
  v.prepare(new FakePeer());
  assert.equal(await v.setLive(true), false);
  assert.equal(v.available(), false);
  await v.setLive(true);
  assert.equal(asked, 1);
  assert.equal(MIC.none, 'none');
});

test('levels name each voice by its stream and hold "speaking" across short pauses', async () => {
  const v = createVoice({ mic: false, listen: 2, getUserMedia: granted, doc: fakeDoc() });
  const pc = new FakePeer();
  v.prepare(pc);
  pc.track('t1', 'patient');
  pc.track('t2', 'therapist');
  pc.stats.set('a', { type: 'inbound-rtp', kind: 'audio', trackIdentifier: 't1', audioLevel: SPEAKING_LEVEL * 10, totalAudioEnergy: 0.5, bytesReceived: 900 });
  pc.stats.set('b', { type: 'inbound-rtp', kind: 'audio', trackIdentifier: 't2', audioLevel: 0, totalAudioEnergy: 0, bytesReceived: 30 });
  let l = await v.levels();
  assert.equal(l.patient.speaking, true);
  assert.equal(l.patient.bytes, 900);
  assert.equal(l.therapist.speaking, false);
  pc.stats.get('a').audioLevel = 0; // a pause between words
  l = await v.levels();
  assert.equal(l.patient.speaking, true, `still speaking within ${SPEAKING_HOLD_MS} ms`);
});
