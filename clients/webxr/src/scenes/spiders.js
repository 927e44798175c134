// Arachnophobia: spiders on a wooden table in front of the seated patient,
// inside a closed glass bowl, an open bowl or free. The steps a clinician
// names (CLINICAL.md §4): how many, how big (leg span, 1–15 cm), how far
// (3 m down to 20 cm), how they move, and — at the top — walking up to the
// patient's resting hand until one stands on it, and at the very top one
// sits on the back of the hand (in the headset the hand holding the
// controller, which it follows). Every spider has eight
// two-segment legs placed by a procedural alternating-tetrapod gait with
// two-bone inverse kinematics, and casts a shadow on the table.
import { THREE, instanced, place, put, unit, X, finish, rng, tint, mergeUV } from './kit.js';
import { indoor, std } from './env.js';
import { wood, plaster, blob, tiles } from './textures.js';

const MAX = 12;
const N = MAX + 2; // + the one on the hand, + the one that drops on a thread
const TABLE_Y = 0.75;
const HAND = new THREE.Vector3(0.12, TABLE_Y, -0.42);
// unit spider: leg span ≈ 1 (scaled to size_cm), body along −z (forward)
const FEMUR = 0.24, TIBIA = 0.3, BODY_Y = 0.13;
const HIPS = [];
const REST = [];
for (let k = 0; k < 4; k++) {
  const a = [-0.95, -0.35, 0.3, 0.95][k]; // leg pairs fan from forward to back
  for (const side of [-1, 1]) {
    HIPS.push([side * 0.055, BODY_Y, -0.02 + k * 0.025]);
    REST.push([side * Math.cos(a) * 0.46, 0, Math.sin(a) * 0.46 + 0.02]);
  }
}
// alternating tetrapod: L1 R2 L3 R4 step together, then the other four
const GROUP = [0, 1, 1, 0, 0, 1, 1, 0];

// The spider being posed (position x, y, z, cos and sin of its yaw, scale)
// and the joints of the leg being placed (hip, knee, foot: 3 × xyz), kept in
// typed arrays rather than passed: no call per leg boxes a floating-point
// argument (kit.js X), and the leg's joints are plain numbers, not vectors.
const F = new Float64Array(6);
const J = new Float64Array(9);
const HIP = 0, KNEE = 3, FOOT = 6;

// toTable maps joint j from unit spider space to the table: rotate by yaw, scale, translate (F).
function toTable(j) {
  const sc = F[5], vx = J[j] * sc, vz = J[j + 2] * sc;
  J[j] = F[0] + vx * F[3] + vz * F[4];
  J[j + 1] = F[1] + J[j + 1] * sc;
  J[j + 2] = F[2] - vx * F[4] + vz * F[3];
}

// segment writes instance i of mesh: a unit cylinder (along y) stretched from
// joint a to joint b, radius r = rk × the spider's scale. The rotation taking
// y onto the direction d is the shortest arc, R = I + K + K²/(1 + d.y) with
// K the cross-product matrix of y × d, written out (column-major, as three).
function segment(mesh, i, a, b, rk) {
  let dx = J[b] - J[a], dy = J[b + 1] - J[a + 1], dz = J[b + 2] - J[a + 2];
  const len = Math.sqrt(dx * dx + dy * dy + dz * dz) || 1e-6;
  dx /= len; dy /= len; dz /= len;
  const k = 1 / Math.max(1e-6, 1 + dy), r = rk * F[5];
  const e = mesh.instanceMatrix.array, o = i * 16;
  e[o] = (1 - dx * dx * k) * r; e[o + 1] = -dx * r; e[o + 2] = -dx * dz * k * r; e[o + 3] = 0;
  e[o + 4] = dx * len; e[o + 5] = dy * len; e[o + 6] = dz * len; e[o + 7] = 0;
  e[o + 8] = -dx * dz * k * r; e[o + 9] = -dz * r; e[o + 10] = (1 - dz * dz * k) * r; e[o + 11] = 0;
  e[o + 12] = (J[a] + J[b]) / 2; e[o + 13] = (J[a + 1] + J[b + 1]) / 2; e[o + 14] = (J[a + 2] + J[b + 2]) / 2; e[o + 15] = 1;
}

function bodyGeometry() {
  const parts = [
    tint(new THREE.SphereGeometry(0.075, 10, 8).scale(1, 0.7, 1.2).translate(0, BODY_Y, -0.03), 0x3a2818), // cephalothorax
    tint(new THREE.SphereGeometry(0.12, 12, 10).scale(1, 0.85, 1.35).translate(0, BODY_Y + 0.02, 0.17), 0x2e1f14), // abdomen
    tint(new THREE.SphereGeometry(0.07, 10, 6).scale(0.55, 0.3, 1.45).translate(0, BODY_Y + 0.105, 0.16), 0x6b5238), // folium marking
    tint(new THREE.SphereGeometry(0.022, 6, 4).translate(-0.03, BODY_Y + 0.005, -0.125), 0x2a1a10), // pedipalps
    tint(new THREE.SphereGeometry(0.022, 6, 4).translate(0.03, BODY_Y + 0.005, -0.125), 0x2a1a10),
    tint(new THREE.SphereGeometry(0.012, 5, 4).translate(-0.018, BODY_Y + 0.04, -0.11), 0x050505), // eyes
    tint(new THREE.SphereGeometry(0.012, 5, 4).translate(0.018, BODY_Y + 0.04, -0.11), 0x050505),
  ];
  return mergeUV(parts.map((g) => { g.deleteAttribute('uv'); return g; }));
}

export default function build(ctx) {
  const g = new THREE.Group();
  indoor(ctx, { keyPos: new THREE.Vector3(-0.5, 1, 0.25), key: 1.6, hemi: 0.35, envIntensity: 0.5, shadow: { extent: 2, size: 1024, center: [0, TABLE_Y, -1.6] } });
  // the room: painted walls, wooden floor, a window with daylight
  const wallTex = plaster(11, '#e9e2d4'); wallTex.repeat.set(4, 2);
  const walls = new THREE.Mesh(new THREE.BoxGeometry(6, 3, 7), std(0xffffff, { map: wallTex, side: THREE.BackSide }));
  walls.position.set(0, 1.5, -1.5);
  g.add(walls);
  const floorTex = tiles(10, '#cfc9bd', '#8d877c'); floorTex.repeat.set(6 / 1.2, 7 / 1.2);
  const floor = new THREE.Mesh(new THREE.PlaneGeometry(6, 7), std(0xffffff, { map: floorTex, roughness: 0.5 }));
  floor.rotation.x = -Math.PI / 2; floor.position.set(0, 0.002, -1.5);
  g.add(floor);
  const win = new THREE.Mesh(new THREE.PlaneGeometry(1.6, 1.2), new THREE.MeshBasicMaterial({ color: 0xcfe6fa }));
  win.position.set(0.6, 1.7, -4.99);
  g.add(win);
  // things of known size on the table: a mug (9.5 cm), a paperback (18 × 11 cm), a pencil
  const props = new THREE.Mesh(mergeUV([
    tint(new THREE.CylinderGeometry(0.042, 0.04, 0.095, 16).translate(-0.4, TABLE_Y + 0.0475, -0.55), 0x2f6f8f),
    tint(new THREE.TorusGeometry(0.025, 0.007, 6, 10, Math.PI).rotateZ(-Math.PI / 2).translate(-0.442, TABLE_Y + 0.05, -0.55), 0x2f6f8f),
    tint(new THREE.BoxGeometry(0.11, 0.022, 0.18).rotateY(0.3).translate(0.42, TABLE_Y + 0.011, -0.9), 0xa8322b),
    tint(new THREE.CylinderGeometry(0.0035, 0.0035, 0.17, 6).rotateZ(Math.PI / 2).rotateY(0.5).translate(0.3, TABLE_Y + 0.004, -0.6), 0xe0b020),
  ].map((x) => { x.deleteAttribute('uv'); return x; })), std(0xffffff, { vertexColors: true, roughness: 0.4 }));
  props.castShadow = true;
  g.add(props);
  // the table: solid wood, 3.6 m long so a spider can start 3 m away
  const topTex = wood(21, 36, 62); topTex.repeat.set(1.2 / 1.2, 3.8 / 1.2);
  const table = new THREE.Mesh(new THREE.BoxGeometry(1.2, 0.05, 3.8), std(0xffffff, { map: topTex, roughness: 0.45 }));
  table.position.set(0, TABLE_Y - 0.025, -1.75);
  table.receiveShadow = true;
  g.add(table);
  const legs = new THREE.Mesh(mergeUV([[-0.52, -0.2], [0.52, -0.2], [-0.52, -3.55], [0.52, -3.55]].map(([x, z]) => { const b = new THREE.BoxGeometry(0.07, TABLE_Y - 0.05, 0.07).translate(x, (TABLE_Y - 0.05) / 2, z); b.deleteAttribute('uv'); return tint(b, 0x4a3322); })), std(0xffffff, { vertexColors: true }));
  g.add(legs);
  // the patient's resting hand, palm down
  const handParts = [tint(new THREE.SphereGeometry(0.05, 12, 8).scale(0.9, 0.28, 1.15).translate(0, 0.014, 0.02), 0xd9ab8c)];
  for (let f = 0; f < 4; f++) handParts.push(tint(new THREE.CapsuleGeometry(0.0085, 0.055 + (f === 1 || f === 2 ? 0.012 : 0), 3, 6).rotateX(Math.PI / 2).translate(-0.03 + f * 0.02, 0.01, -0.06 - (f === 1 || f === 2 ? 0.006 : 0)), 0xd9ab8c));
  handParts.push(tint(new THREE.CapsuleGeometry(0.01, 0.045, 3, 6).rotateX(Math.PI / 2).rotateY(-0.7).translate(-0.058, 0.008, -0.005), 0xd9ab8c));
  handParts.push(tint(new THREE.CylinderGeometry(0.03, 0.034, 0.16, 10).scale(1.25, 0.8, 1).rotateX(Math.PI / 2).translate(0, 0.02, 0.13), 0xd9ab8c));
  const hand = new THREE.Mesh(mergeUV(handParts.map((x) => { x.deleteAttribute('uv'); return x; })), std(0xffffff, { vertexColors: true, roughness: 0.6 }));
  hand.position.copy(HAND); hand.rotation.y = -0.25;
  hand.castShadow = true;
  g.add(hand);

  // the bowl: glass, with a lid when closed
  const glassMat = std(0xdff2f7, { transparent: true, opacity: 0.22, roughness: 0.05, metalness: 0, side: THREE.DoubleSide, depthWrite: false, envMapIntensity: 2 });
  const bowl = new THREE.Mesh(new THREE.LatheGeometry([[0.001, 0], [0.14, 0.005], [0.2, 0.05], [0.22, 0.12], [0.215, 0.17]].map(([x, y]) => new THREE.Vector2(x, y)), 24), glassMat);
  const lid = new THREE.Mesh(new THREE.CylinderGeometry(0.225, 0.225, 0.008, 24), glassMat);
  lid.position.y = 0.174;
  bowl.add(lid);
  g.add(bowl);

  // spiders: bodies, 16 leg segments each, a contact shadow each
  const bodies = instanced(bodyGeometry(), std(0xffffff, { vertexColors: true, roughness: 0.55 }), N);
  const segs = instanced(new THREE.CylinderGeometry(1, 0.75, 1, 5, 1), std(0xffffff, { roughness: 0.6 }), N * 16);
  const shadows = instanced(new THREE.PlaneGeometry(1, 1).rotateX(-Math.PI / 2), new THREE.MeshBasicMaterial({ color: 0x000000, alphaMap: blob(), transparent: true, opacity: 0.5, depthWrite: false }), N);
  bodies.castShadow = segs.castShadow = true;
  for (let i = 0; i < N * 16; i++) segs.setColorAt(i, new THREE.Color(i % 2 ? 0x4a3524 : 0x2a1c12));
  g.add(bodies, segs, shadows);
  const thread = new THREE.Mesh(new THREE.CylinderGeometry(0.0006, 0.0006, 1, 3), new THREE.MeshBasicMaterial({ color: 0xeeeeee }));
  g.add(thread);

  const r = rng(3);
  const bugs = Array.from({ length: N }, (_, i) => ({
    x: (r() - 0.5) * 0.2, z: (r() - 0.5) * 0.2, heading: r() * 6.28, wander: r() * 10, boost: 0, phase: r(), pause: r() * 3, stride: 0, v: 0,
    yaw: 0, lift: 0,
  }));
  const s = { free: 0, drop: -1, dropT: 0, held: false };
  const center = new THREE.Vector3();
  // the hand in the headset: the grip pose of the right controller (else the
  // first tracked one) brought into this scene's space; everything here is
  // made once and reused per frame
  const xr = ctx.three?.renderer?.xr, rig = ctx.three?.camera?.parent;
  const gripM = new THREE.Matrix4(), toLocal = new THREE.Matrix4(), onHandPos = new THREE.Vector3(), handFwd = new THREE.Vector3();
  const ON_HAND = new THREE.Vector3(0, 0.03, 0.015); // the back of the hand, in the hand's space (palm down, fingers along −z)
  // the grip space's −z runs along the controller's handle, which a relaxed
  // hand holds pointing forward and about 45° up (Meta's grip pose, as IWER
  // emulates it): pitched down by that, the hand lies flat, back up
  const GRIP_TO_HAND = new THREE.Matrix4().makeRotationX(-Math.PI / 4);
  function followController() {
    const session = xr?.isPresenting ? xr.getSession() : null;
    if (!session) return false;
    const srcs = session.inputSources;
    let k = -1;
    for (let j = 0; j < srcs.length; j++) if (srcs[j].gripSpace && (k < 0 || srcs[j].handedness === 'right')) k = j;
    if (k < 0) return false;
    const grip = xr.getControllerGrip(k);
    if (!grip.visible) return false;
    gripM.copy(grip.matrix);
    if (rig) gripM.premultiply(rig.matrixWorld);
    g.updateWorldMatrix(true, false);
    gripM.premultiply(toLocal.copy(g.matrixWorld).invert()).multiply(GRIP_TO_HAND);
    gripM.decompose(hand.position, hand.quaternion, hand.scale);
    return true;
  }

  // pose writes spider i from P: body at (x, y, z) facing yaw, scale sc, legs
  // stepping at gait phase ph with stride st (unit lengths); hanging on a thread or not
  // P[7] is the height of the surface under it (its contact shadow)
  const P = new Float64Array(8);
  function pose(i, hang) {
    const x = P[0], y = P[1], z = P[2], yaw = P[3], sc = P[4], ph = P[5], st = P[6];
    unit(); X[0] = x; X[1] = y; X[2] = z; X[4] = yaw; X[6] = X[7] = X[8] = sc;
    put(bodies, i);
    unit(); X[0] = x; X[1] = P[7] + 0.001; X[2] = z; X[6] = X[7] = X[8] = hang ? 0 : sc * 1.1;
    put(shadows, i);
    F[0] = x; F[1] = y; F[2] = z; F[3] = Math.cos(yaw); F[4] = Math.sin(yaw); F[5] = sc;
    for (let l = 0; l < 8; l++) {
      const hp = HIPS[l], rp = REST[l];
      const local = (ph + GROUP[l] * 0.5) % 1; // 0–0.5 swing (foot moves forward, lifted), 0.5–1 stance
      const swing = local < 0.5;
      const u = swing ? local / 0.5 : (local - 0.5) / 0.5;
      const off = swing ? -st / 2 + st * u : st / 2 - st * u; // along −z (forward) in body space
      const lift = swing ? Math.sin(Math.PI * u) * 0.08 * Math.min(1, st * 8) : 0;
      // hang: on a thread the legs fold up under the body
      const fx = hang ? rp[0] * 0.5 : rp[0], fz = hang ? rp[2] * 0.5 : rp[2] - off;
      const fy = hang ? BODY_Y - 0.08 : lift;
      // two-bone IK in the vertical plane hip→foot: the knee rises above the line
      let dx = fx - hp[0], dy = fy - hp[1], dz = fz - hp[2];
      const dl = Math.sqrt(dx * dx + dy * dy + dz * dz) || 1e-6;
      const dist = Math.min(FEMUR + TIBIA - 1e-3, Math.max(0.05, dl));
      dx /= dl; dy /= dl; dz /= dl;
      const a = (FEMUR * FEMUR - TIBIA * TIBIA + dist * dist) / (2 * dist);
      const hk = Math.sqrt(Math.max(0, FEMUR * FEMUR - a * a));
      let ux = -dx * dy, uy = 1 - dy * dy, uz = -dz * dy; // up, less its part along d
      const ul = Math.sqrt(ux * ux + uy * uy + uz * uz) || 1;
      ux /= ul; uy /= ul; uz /= ul;
      J[HIP] = hp[0]; J[HIP + 1] = hp[1]; J[HIP + 2] = hp[2];
      J[KNEE] = hp[0] + dx * a + ux * hk; J[KNEE + 1] = hp[1] + dy * a + uy * hk; J[KNEE + 2] = hp[2] + dz * a + uz * hk;
      J[FOOT] = hp[0] + dx * dist; J[FOOT + 1] = hp[1] + dy * dist; J[FOOT + 2] = hp[2] + dz * dist;
      // to table space: rotate by yaw, scale, translate
      toTable(HIP); toTable(KNEE); toTable(FOOT);
      segment(segs, i * 16 + l * 2, HIP, KNEE, 0.015);
      segment(segs, i * 16 + l * 2 + 1, KNEE, FOOT, 0.011);
    }
  }

  function update(p, t, dt) {
    const size = p.size_cm / 100;
    center.set(0, TABLE_Y, -Math.max(0.3, p.distance_m));
    bowl.position.set(center.x, TABLE_Y, center.z);
    const closed = p.container === 'closed_bowl';
    const free = p.container === 'free';
    s.free += ((free ? 1 : 0) - s.free) * (1 - Math.exp(-dt / 0.6));
    lid.visible = closed;
    bowl.visible = s.free < 0.98;
    glassMat.opacity = 0.22 * (1 - s.free);
    const n = Math.round(p.count);
    const limit = free ? 0.55 : Math.max(0.02, 0.15 - size * 0.4); // wander radius: inside the bowl, or the table
    const speedK = ctx.motion < 1 ? 0.4 : 1; // reduced motion: slower, never still — the spider is still legible
    for (let i = 0; i < n; i++) {
      const b = bugs[i];
      b.boost *= Math.exp(-dt / 0.8);
      b.pause -= dt;
      const moving = b.pause < 0 || b.boost > 0.1;
      if (b.pause < -2 - b.wander * 0.4) b.pause = (1 - p.speed) * (1 + (b.wander % 3)); // real spiders dash and stop
      const speed = moving ? (0.015 + 0.25 * p.speed) * (1 + 5 * b.boost) * speedK * Math.max(0.4, size * 12) : 0;
      b.heading += Math.sin(t * 0.7 + b.wander) * dt * 1.5;
      let tx = Math.sin(b.heading), tz = -Math.cos(b.heading);
      let hx = 0, hz = 0, toHand = 1;
      if (p.approaches_hand && free) { // walk along a path towards the resting hand; the first one onto it
        const ring = i === 0 && !p.on_hand ? 0 : 0.08 + 0.03 * i; // with one already on the hand, the others gather round it
        const ox = Math.cos(i * 2.4) * ring, oz = Math.sin(i * 2.4) * ring;
        hx = HAND.x + ox - (center.x + b.x); hz = HAND.z + 0.02 + oz - (center.z + b.z);
        toHand = Math.sqrt(hx * hx + hz * hz);
        if (toHand > 0.015) { tx = 0.35 * tx + hx / toHand; tz = 0.35 * tz + hz / toHand; } else { tx = tz = 0; }
      }
      const tl = Math.sqrt(tx * tx + tz * tz) || 1;
      b.v += ((toHand > 0.015 ? speed : 0) - b.v) * (1 - Math.exp(-dt / 0.15));
      b.x += (tx / tl) * b.v * dt; b.z += (tz / tl) * b.v * dt;
      const d = Math.sqrt(b.x * b.x + b.z * b.z);
      const maxD = p.approaches_hand && free ? 3.5 : limit;
      if (d > maxD) { b.x *= maxD / d; b.z *= maxD / d; b.heading += Math.PI * 0.6; }
      // free spiders stay on the table top (1.2 × 3.8 m): at an edge they turn back
      const ex = center.x + b.x, ez = center.z + b.z;
      if (ex < -0.54 || ex > 0.54 || ez < -3.6 || ez > 0.1) {
        b.x = Math.min(0.54, Math.max(-0.54, ex)) - center.x; b.z = Math.min(0.1, Math.max(-3.6, ez)) - center.z;
        b.heading += Math.PI * 0.6;
      }
      if (tl > 0.01) b.yaw += (Math.atan2(-tx, -tz) - b.yaw) * (1 - Math.exp(-dt / 0.12));
      // gait: one full cycle per stride of 0.35 leg spans
      b.phase = (b.phase + (b.v / Math.max(1e-3, size)) / 0.35 * dt) % 1;
      const stride = Math.min(0.3, b.v / Math.max(1e-3, size) * 0.25);
      const wx = center.x + b.x, wz = center.z + b.z;
      const hdx = wx - HAND.x, hdz = wz - HAND.z - 0.02;
      const onHand = hdx * hdx + hdz * hdz < 0.06 * 0.06 ? 0.03 : 0; // standing on the back of the hand
      b.lift += (onHand - b.lift) * (1 - Math.exp(-dt / 0.2));
      P[0] = wx; P[1] = TABLE_Y + b.lift; P[2] = wz; P[3] = b.yaw; P[4] = size; P[5] = b.phase; P[6] = stride; P[7] = TABLE_Y + b.lift;
      pose(i, false);
    }
    let count = n;
    // the hand: resting on the table, or in the headset where the controller is
    const held = followController();
    if (held !== s.held) {
      if (!held) { hand.position.copy(HAND); hand.rotation.set(0, -0.25, 0); hand.scale.set(1, 1, 1); }
      s.held = held;
    }
    if (p.on_hand) { // the top step: a spider on the back of the hand, turning slowly and shifting its feet
      const hs = bugs[MAX];
      hand.updateMatrix();
      onHandPos.copy(ON_HAND).applyMatrix4(hand.matrix);
      handFwd.set(0, 0, -1).applyQuaternion(hand.quaternion);
      hs.phase = (hs.phase + dt * 0.35 * speedK) % 1;
      P[0] = onHandPos.x; P[1] = onHandPos.y; P[2] = onHandPos.z;
      P[3] = Math.atan2(-handFwd.x, -handFwd.z) + 2.6 + Math.sin(t * 0.23 * speedK) * 0.5; // facing up the arm, towards the patient
      P[4] = size; P[5] = hs.phase; P[6] = 0.04 + 0.03 * Math.max(0, Math.sin(t * 0.9)); P[7] = onHandPos.y - 0.006;
      pose(count, false);
      // its shadow falls on the back of the hand, not on the table round it
      unit(); X[0] = P[0]; X[1] = P[7] + 0.001; X[2] = P[2]; X[6] = X[7] = X[8] = Math.min(size * 1.1, 0.07);
      put(shadows, count);
      count++;
    }
    thread.visible = s.drop >= 0;
    if (s.drop >= 0) { // a spider lowers itself on a thread in front of the patient's face
      s.dropT += dt;
      const sc = Math.max(size, 0.03);
      const y = Math.max(TABLE_Y + 0.35, 2.9 - s.dropT * 0.35 * Math.max(0.4, ctx.motion));
      P[0] = 0.05; P[1] = y; P[2] = -0.55; P[3] = Math.sin(t * 0.6) * 0.4; P[4] = sc; P[5] = P[6] = 0; P[7] = TABLE_Y;
      pose(count, true);
      thread.scale.y = 3 - y - BODY_Y * sc;
      thread.position.set(0.05, y + BODY_Y * sc + thread.scale.y / 2, -0.55);
      count++;
      if (s.dropT > 14) s.drop = -1;
    }
    finish(bodies, count); finish(shadows, count);
    segs.count = count * 16; segs.instanceMatrix.needsUpdate = true;
    ctx.env.setSky(0xe6dfd2, 0xe6dfd2);
    ctx.env.fog(20, 60);
    ctx.env.light(1);
  }

  function event(name) {
    if (name === 'spider_drops') { s.drop = 0; s.dropT = 0; }
    if (name === 'spider_runs') { for (let i = 0; i < 3; i++) { bugs[i].boost = 1; bugs[i].pause = 0; } }
  }
  return { group: g, update, event, lookPitch: -0.75, eye: 1.2 }; // seated at the table in the inline view // inline view starts looking down the table
}
