// The `pose` channel's frame (docs/protocol.md, "Pose channel"): the head
// and, when tracked, the hands, 20 bytes for the head and 14 per hand,
// little-endian. The headset encodes; the console's mirror decodes.

export const POSE_VERSION = 1;
const HEADER = 6, XF = 14, Q = 32767;

const i16 = (v) => Math.max(-32768, Math.min(32767, Math.round(Number.isFinite(v) ? v : 0)));

/**
 * encodePose({t, head, left?, right?}) → Uint8Array. t: ms (wraps at 2^32);
 * head/left/right: {pos: [x, y, z] metres, quat: [x, y, z, w]} in the scene's frame.
 */
export function encodePose({ t, head, left = null, right = null }) {
  const n = HEADER + XF * (1 + (left ? 1 : 0) + (right ? 1 : 0));
  const out = new Uint8Array(n);
  const v = new DataView(out.buffer);
  v.setUint8(0, POSE_VERSION);
  v.setUint8(1, (left ? 1 : 0) | (right ? 2 : 0));
  v.setUint32(2, t >>> 0, true);
  let off = HEADER;
  for (const x of [head, left, right]) {
    if (!x) continue;
    for (let i = 0; i < 3; i++) v.setInt16(off + 2 * i, i16(x.pos[i] * 100), true);
    for (let i = 0; i < 4; i++) v.setInt16(off + 6 + 2 * i, i16(x.quat[i] * Q), true);
    off += XF;
  }
  return out;
}

/** decodePose(ArrayBuffer | Uint8Array) → {t, head, left, right} or null for a frame that is not one. */
export function decodePose(data) {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  if (bytes.length < HEADER + XF || bytes[0] !== POSE_VERSION || bytes[1] > 3) return null;
  const flags = bytes[1];
  if (bytes.length !== HEADER + XF * (1 + (flags & 1) + ((flags >> 1) & 1))) return null;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let off = HEADER;
  const xf = () => {
    const pos = [0, 1, 2].map((i) => v.getInt16(off + 2 * i, true) / 100);
    const quat = [0, 1, 2, 3].map((i) => v.getInt16(off + 6 + 2 * i, true) / Q);
    off += XF;
    return { pos, quat };
  };
  const head = xf();
  const left = flags & 1 ? xf() : null;
  const right = flags & 2 ? xf() : null;
  return { t: v.getUint32(2, true), head, left, right };
}

/**
 * startPoseSender sends the patient's view 20 times a second while it moves
 * (and twice a second while it is still, so the console's map stays alive):
 * the camera's world pose — the head in XR, the drag-to-look view inline —
 * and the controllers' grips when tracked. send(bytes) returns false when
 * the channel is not open. Returns {stop(), moved()}: moved() is when (epoch
 * ms) the head last moved and the orientation it moved to, as first sent.
 */
export function startPoseSender(r, send, { hz = 20 } = {}) {
  const { THREE, camera, rig, renderer } = r.three;
  const grips = [0, 1].map((i) => {
    const g = renderer.xr.getControllerGrip(i);
    g.addEventListener('connected', (e) => { g.userData.hand = e.data?.handedness; });
    g.addEventListener('disconnected', () => { g.userData.hand = null; });
    rig.add(g);
    return g;
  });
  const p = new THREE.Vector3(), q = new THREE.Quaternion();
  const last = { p: new THREE.Vector3(1e9, 0, 0), q: new THREE.Quaternion(), at: 0 };
  let moved = null;
  const xf = (o) => { o.getWorldPosition(p); o.getWorldQuaternion(q); return { pos: [p.x, p.y, p.z], quat: [q.x, q.y, q.z, q.w] }; };
  const stop = r.onFrame(() => {
    const now = performance.now();
    if (now - last.at < 1000 / hz) return;
    camera.updateMatrixWorld();
    const head = xf(camera);
    const moved_ = p.distanceTo(last.p) > 0.005 || q.angleTo(last.q) > 0.009; // 5 mm, half a degree
    if (!moved_ && now - last.at < 500) return;
    const frame = { t: now, head };
    for (const g of grips) if (g.visible && (g.userData.hand === 'left' || g.userData.hand === 'right')) frame[g.userData.hand] = xf(g);
    if (send(encodePose(frame))) {
      last.p.fromArray(head.pos); last.q.fromArray(head.quat); last.at = now;
      if (moved_) moved = { at: performance.timeOrigin + now, quat: head.quat };
    }
  });
  return { stop, moved: () => moved };
}
