import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodePose, decodePose } from '../src/pose.js';

// The same frame as server/wire TestPoseBytes, byte for byte: the Go
// decoder and this encoder agree on the layout of docs/protocol.md.
test('encodePose writes the documented layout', () => {
  const h = Math.SQRT1_2;
  const bytes = encodePose({ t: 1000, head: { pos: [0.1, 1.6, -0.5], quat: [0, 0, 0, 1] }, right: { pos: [0.25, 1, -0.3], quat: [0, h, 0, h] } });
  const hex = Buffer.from(bytes).toString('hex');
  assert.equal(hex, '0102' + 'e8030000' + '0a00a000ceff' + '00000000' + '0000ff7f' + '19006400e2ff' + '0000825a' + '0000825a');
  const back = decodePose(bytes);
  assert.equal(back.t, 1000);
  assert.deepEqual(back.head.pos, [0.1, 1.6, -0.5]);
  assert.equal(back.left, null);
  assert.ok(Math.abs(back.right.quat[1] - h) < 1 / 32767);
});

test('decodePose refuses what is not a frame', () => {
  assert.equal(decodePose(new Uint8Array([1, 0, 0])), null);
  assert.equal(decodePose(new Uint8Array(20).fill(0)), null); // version 0
  const ok = encodePose({ t: 1, head: { pos: [0, 0, 0], quat: [0, 0, 0, 1] } });
  const flagged = ok.slice(); flagged[1] = 1; // says a left hand follows, none does
  assert.equal(decodePose(flagged), null);
});
