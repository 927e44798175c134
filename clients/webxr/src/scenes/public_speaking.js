// Public speaking: the patient stands at a lectern on a low stage facing an
// audience in tiered rows. The steps a clinician names (CLINICAL.md §4;
// audience sizes 3/6/15+ from published VRET systems): how many listen,
// whether they attend (heads turned to the speaker, nodding) or drift
// (leaning back, looking down at phones, away), hands raised for questions,
// and the light. Heads turn independently of bodies; the murmur of the room
// comes from the seats.
import { THREE, instanced, place, put, unit, X, finish, rng, tint, mergeUV } from './kit.js';
import { indoor, std } from './env.js';
import { carpet, wood, plaster, fabric } from './textures.js';
import { positional, oneShot } from './sound.js';
import { figures, dress, HIP_Y, ARM_RAISED, ARM_PHONE, ARM_REST } from './people.js';

const MAX = 30;
const PER_ROW = 6;
// lean (rad, + = back), head pitch (− = down), share looking at the speaker, nod rate
const ATTITUDE = {
  positive: { lean: -0.06, pitch: 0.05, attend: 1, nod: 1 },
  neutral: { lean: 0, pitch: 0, attend: 0.75, nod: 0.3 },
  bored: { lean: 0.16, pitch: -0.45, attend: 0.25, nod: 0 },
  hostile: { lean: 0.1, pitch: 0.12, attend: 0.95, nod: 0 },
};
const LIGHT = { dim: 0.35, normal: 1, spotlight: 0.3 };
const HANDS = { friendly: 1, neutral: 2, challenging: 5 };
const EYE = new THREE.Vector3(0, 1.9, 0); // the speaker's eyes in room space (stage 0.3 m + 1.6 m)

function chairGeometry() {
  const p = [
    new THREE.BoxGeometry(0.52, 0.1, 0.5).translate(0, 0.4, -0.05),
    new THREE.BoxGeometry(0.52, 0.66, 0.08).rotateX(0.12).translate(0, 0.78, 0.27),
    new THREE.BoxGeometry(0.06, 0.42, 0.45).translate(-0.29, 0.22, 0),
    new THREE.BoxGeometry(0.06, 0.42, 0.45).translate(0.29, 0.22, 0),
  ];
  return mergeUV(p.map((x) => tint(x, 0xffffff)));
}

export default function build(ctx) {
  const g = new THREE.Group();
  g.position.y = -0.3; // the patient stands on the stage: its top is the floor under the feet
  indoor(ctx, { keyPos: new THREE.Vector3(0.3, 1, -0.6), key: 1.4, hemi: 0.45, envIntensity: 0.5, shadow: { extent: 8, size: 1024, center: [0, 0, -6] } });
  const wallTex = plaster(12, '#d9cbb6'); wallTex.repeat.set(8, 3);
  const hall = new THREE.Mesh(new THREE.BoxGeometry(16, 6, 20), std(0xffffff, { map: wallTex, side: THREE.BackSide }));
  hall.position.set(0, 3, -6);
  g.add(hall);
  const carpetTex = carpet(6, 352, 40, 26); carpetTex.repeat.set(8, 10);
  const floor = new THREE.Mesh(new THREE.PlaneGeometry(16, 20), std(0xffffff, { map: carpetTex, roughness: 1 }));
  floor.rotation.x = -Math.PI / 2; floor.position.set(0, 0.003, -6); floor.receiveShadow = true;
  g.add(floor);
  // tiers: each row 0.18 m above the one in front, carpeted
  const tiers = new THREE.Mesh(mergeUV([0, 1, 2, 3, 4].map((k) => new THREE.BoxGeometry(12, 0.18 * (k + 1), 1.3).translate(0, 0.09 * (k + 1), -3.3 - k * 1.3))), std(0xffffff, { map: carpetTex, roughness: 1 }));
  tiers.receiveShadow = true;
  g.add(tiers);
  const stageTex = wood(15, 30, 40); stageTex.repeat.set(6 / 1.2, 2.6 / 1.2);
  const stage = new THREE.Mesh(new THREE.BoxGeometry(8, 0.3, 2.6), std(0xffffff, { map: stageTex, roughness: 0.5 }));
  stage.position.set(0, 0.15, 0.3);
  g.add(stage);
  const lectern = new THREE.Mesh(mergeUV([
    new THREE.BoxGeometry(0.5, 1.0, 0.4).translate(0.45, 0.8, -0.6),
    new THREE.BoxGeometry(0.6, 0.04, 0.45).rotateX(0.3).translate(0.45, 1.32, -0.62),
  ].map((x) => tint(x, 0xffffff))), std(0xffffff, { map: wood(16, 22, 30), roughness: 0.4 }));
  g.add(lectern);
  // a projection screen behind the audience's heads? no: a clock and doors on the back wall give the room its scale
  const back = new THREE.Mesh(mergeUV([
    tint(new THREE.BoxGeometry(1.2, 2.2, 0.06).translate(-5, 1.1 + 0.9, -15.95), 0x6b4a30),
    tint(new THREE.BoxGeometry(1.2, 2.2, 0.06).translate(5, 1.1 + 0.9, -15.95), 0x6b4a30),
    tint(new THREE.CylinderGeometry(0.3, 0.3, 0.05, 20).rotateX(Math.PI / 2).translate(0, 4, -15.95), 0xf4f1ea),
    tint(new THREE.BoxGeometry(0.4, 0.18, 0.04).translate(-5, 3.4, -15.94), 0x1f9d55),
  ].map((x) => { x.deleteAttribute('uv'); return x; })), std(0xffffff, { vertexColors: true, roughness: 0.5 }));
  g.add(back);

  const lamps = instanced(new THREE.BoxGeometry(1.2, 0.05, 0.6), new THREE.MeshBasicMaterial({ color: 0xfff6e0 }), 12);
  for (let k = 0; k < 12; k++) place(lamps, k, (k % 3 - 1) * 4.5, 5.97, -1 - Math.floor(k / 3) * 4);
  finish(lamps, 12);
  g.add(lamps);
  const chairs = instanced(chairGeometry(), std(0xffffff, { map: fabric(7, 350, 45, 28), roughness: 0.9 }), MAX);
  // the audience: articulated, seated figures (people.js) that cast shadows
  const people = figures(MAX, { detail: 'high', shadow: true });
  g.add(chairs, people.mesh);
  const r = rng(5);
  const seats = [];
  // fill from the front centre outwards so a small audience sits where the speaker looks
  const order = [];
  for (let row = 0; row < 5; row++) for (let c = 0; c < PER_ROW; c++) order.push([row, c, Math.abs(c - 2.5) + row * 1.6]);
  order.sort((a, b) => a[2] - b[2]);
  for (const [row, c] of order) {
    const x = (c - 2.5) * 1.25 + (row % 2) * 0.2, z = -3.5 - row * 1.3, y = 0.18 * (row + 1);
    seats.push({ x, y, z, ph: r() * 6.28, look: (r() - 0.5) * 1.6, phoneUser: r() < 0.6, yaw: 0, pitch: 0, h: 0.93 + r() * 0.14, w: 0.94 + r() * 0.14, seed: r() });
    const i = seats.length - 1;
    const [top, skin, hair, bottom, bits] = dress(r);
    people.style(i, top, skin, hair, bottom, bits);
    place(chairs, i, x, y, z, 0, Math.PI, 0);
  }
  finish(chairs, 0);
  const murmur = positional(ctx, g, 'murmur', 0, 1.2, -6, { ref: 3, volume: 0, seconds: 6 });

  const spot = new THREE.Mesh(new THREE.ConeGeometry(1.2, 5.5, 20, 1, true), new THREE.MeshBasicMaterial({ color: 0xfff3c0, transparent: true, opacity: 0.1, depthWrite: false, side: THREE.DoubleSide, fog: false }));
  spot.position.set(0, 2.9, 0);
  g.add(spot);
  const s = { lean: 0, pitch: 0, attend: 1, nod: 0, light: 1, spot: 0, yawn: -1, yawnT: 0, ask: 0, ring: 0, cough: 8, lit: NaN };

  function update(p, t, dt) {
    const a = ATTITUDE[p.attitude];
    s.lean += (a.lean - s.lean) * (1 - Math.exp(-dt / 0.8));
    s.pitch += (a.pitch - s.pitch) * (1 - Math.exp(-dt / 0.8));
    s.attend += (a.attend - s.attend) * (1 - Math.exp(-dt / 1));
    s.nod += (a.nod - s.nod) * (1 - Math.exp(-dt / 1));
    s.light += (LIGHT[p.lighting] - s.light) * (1 - Math.exp(-dt / 0.6));
    s.spot += ((p.lighting === 'spotlight' ? 1 : 0) - s.spot) * (1 - Math.exp(-dt / 0.6));
    s.ask *= Math.exp(-dt / 2);
    s.ring *= Math.exp(-dt / 1);
    const n = Math.round(p.audience_size);
    const m = ctx.motion;
    const hands = Math.min(n, Math.round(HANDS[p.qa_tone] * (0.4 + s.ask)));
    people.uniforms.uTime.value = t; people.uniforms.uMotion.value = m;
    for (let i = 0; i < n; i++) {
      const st = seats[i];
      const idle = Math.sin(t * 0.4 + st.ph) * 0.02 * m; // shifting in the seat (breathing is the shader's)
      const lean = s.lean + idle;
      // hip joint a little above the cushion (0.45 m): thighs on the seat, feet on the floor
      unit(); X[0] = st.x; X[1] = st.y + (0.5 - HIP_Y * st.h); X[2] = st.z; X[4] = Math.PI; X[6] = X[8] = st.w * st.h; X[7] = st.h;
      put(people.mesh, i);
      // head: towards the speaker when attending, else towards its own point of interest
      const attending = ((st.ph * 7) % 1) < s.attend;
      const hx = st.x, hy = st.y + 1.25, hz = st.z - lean * 0.5;
      const toYaw = Math.atan2(-(EYE.x - hx), -(EYE.z - hz)); // the nose (−z) turned to the speaker
      const ex = EYE.x - hx, ez = EYE.z - hz;
      const toPitch = Math.atan2(EYE.y - hy, Math.sqrt(ex * ex + ez * ez));
      const looking = attending ? toYaw : Math.PI + st.look + Math.sin(t * 0.15 + st.ph) * 0.5;
      const down = p.attitude === 'bored' && st.phoneUser && !attending;
      st.yaw += (looking - st.yaw) * (1 - Math.exp(-dt / 0.6));
      st.pitch += ((down ? -0.6 : attending ? toPitch + s.pitch : s.pitch) - st.pitch) * (1 - Math.exp(-dt / 0.6));
      const nod = s.nod * Math.max(0, Math.sin(t * 2.2 + st.ph)) ** 8 * 0.18 * m;
      const yawn = i === s.yawn ? Math.sin(Math.min(1, s.yawnT / 2.5) * Math.PI) * 0.45 : 0;
      // the head's yaw is the body's (turned by π to face the stage) plus its own; a raised
      // hand asks a question, a phone is held in the lap when bored
      let yaw = st.yaw - Math.PI;
      yaw = Math.atan2(Math.sin(yaw), Math.cos(yaw));
      const A = people.anim, o = i * 8;
      A[o] = 0; A[o + 1] = 0; A[o + 2] = yaw; A[o + 3] = st.pitch - nod + yawn;
      A[o + 4] = lean; A[o + 5] = 1; A[o + 6] = i < hands ? ARM_RAISED : down ? ARM_PHONE : ARM_REST; A[o + 7] = st.seed;
    }
    people.finish(n);
    chairs.count = n;
    if (s.yawn >= 0) { s.yawnT += dt; if (s.yawnT > 2.5) s.yawn = -1; }
    if (murmur) murmur.setVolume(0.15 + 0.03 * n * (p.attitude === 'bored' || p.attitude === 'hostile' ? 1.6 : 1));
    s.cough -= dt;
    if (s.cough < 0 && dt < 1) { // now and then someone coughs, somewhere in the room
      const st = seats[Math.floor((t * 7) % n)];
      oneShot(ctx, g, 'cough', st.x, st.y + 1.3, st.z, { ref: 2, volume: 0.8 });
      s.cough = 12 + ((t * 13) % 15);
    }
    spot.visible = s.spot > 0.02;
    spot.material.opacity = 0.1 * s.spot;
    ctx.env.setSky(0x1a1816, 0x1a1816);
    ctx.env.fog(30, 80);
    const lit = s.light + 0.6 * s.spot + (s.ring > 0.1 ? 0.05 * Math.sin(t * 30) : 0);
    if (lit !== s.lit) { s.lit = lit; ctx.env.light(lit); } // only when it changes: the call boxes its argument
  }

  function event(name) {
    if (name === 'audience_yawns') { s.yawn = 1; s.yawnT = 0; }
    if (name === 'phone_rings') { s.ring = 1; ctx.audio.ring(); }
    if (name === 'question_asked') { s.ask = 1; ctx.caption('client.event.question_asked', 5000); }
  }
  return { group: g, update, event, lookPitch: -0.12 };
}
