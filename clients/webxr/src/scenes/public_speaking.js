// Public speaking: the viewer stands at a lectern facing an audience whose
// size, attitude, question tone and the room lighting grade the exposure
// (CLINICAL.md §4; audience sizes 3/6/15+ from published VRET systems).
import { THREE, mat, box, room, instanced, place, finish, personGeometry, damp, rng } from './kit.js';

const MAX = 30;
const ATTITUDE = { // lean (rad, + = back), head nod speed, colour temperature of faces' shirts
  positive: { lean: -0.08, nod: 1.2, look: 0 },
  neutral: { lean: 0, nod: 0.3, look: 0 },
  bored: { lean: 0.2, nod: 0.1, look: 0.5 },
  hostile: { lean: 0.12, nod: 0, look: -0.15 },
};
const LIGHT = { dim: 0.35, normal: 0.9, spotlight: 0.25 };
const HANDS = { friendly: 1, neutral: 2, challenging: 5 };

export default function build(ctx) {
  const g = new THREE.Group();
  g.add(room(16, 5, 18, 0x8a7f74));
  g.add(box(1.2, 0.3, 2.2, mat(0x5a4a3a), 0, 0.15, 0.2)); // stage
  g.add(box(0.7, 1.1, 0.45, mat(0x6b4f35), 0, 0.85, -0.55)); // lectern
  const seats = instanced(new THREE.BoxGeometry(0.5, 0.45, 0.5), mat(0x7a2530), MAX);
  const people = instanced(personGeometry(), mat(0xffffff, { vertexColors: true }), MAX);
  const arms = instanced(new THREE.CylinderGeometry(0.045, 0.045, 0.6, 5), mat(0xe8c4a0), 6);
  const spot = new THREE.Mesh(new THREE.ConeGeometry(1.4, 5, 16, 1, true), new THREE.MeshBasicMaterial({ color: 0xfff3c0, transparent: true, opacity: 0.12, depthWrite: false, side: THREE.DoubleSide }));
  spot.position.set(0, 2.5, 0);
  g.add(seats, people, arms, spot);
  const r = rng(5);
  const pos = [];
  for (let i = 0; i < MAX; i++) {
    const row = Math.floor(i / 6), col = i % 6;
    pos.push([(col - 2.5) * 1.1 + (row % 2) * 0.3, -3 - row * 1.3, r()]);
    people.setColorAt(i, new THREE.Color().setHSL(r(), 0.35, 0.45));
  }
  const s = { lean: 0, look: 0, light: 0.9, spot: 0, yawn: -1, yawnT: 0, ask: 0, ring: 0 };

  function update(p, t, dt) {
    const a = ATTITUDE[p.attitude];
    s.lean = damp(s.lean, a.lean, 0.8, dt);
    s.look = damp(s.look, a.look, 0.8, dt);
    s.light = damp(s.light, LIGHT[p.lighting], 0.6, dt);
    s.spot = damp(s.spot, p.lighting === 'spotlight' ? 1 : 0, 0.6, dt);
    s.ask = damp(s.ask, 0, 2, dt);
    s.ring = damp(s.ring, 0, 1, dt);
    const n = Math.round(p.audience_size);
    for (let i = 0; i < n; i++) {
      const [x, z, ph] = pos[i];
      place(seats, i, x, 0.22, z - 0.05);
      const nod = Math.sin(t * a.nod * 3 + ph * 6) * 0.04 * (a.nod > 0 ? 1 : 0);
      const yawn = i === s.yawn ? Math.sin(Math.min(1, s.yawnT / 2) * Math.PI) * 0.25 : 0;
      const sideways = s.look * (ph - 0.5) * 2;
      place(people, i, x, 0, z, s.lean + nod - yawn, sideways, 0, [1, 0.85, 1]);
    }
    if (s.yawn >= 0) { s.yawnT += dt; if (s.yawnT > 2) s.yawn = -1; }
    finish(seats, n); finish(people, n);
    const hands = Math.min(n, Math.round(HANDS[p.qa_tone] * (0.3 + s.ask)));
    for (let i = 0; i < hands; i++) { const [x, z] = pos[(i * 5) % n]; place(arms, i, x + 0.2, 1.7, z, 0, 0, -0.2); }
    finish(arms, hands);
    spot.visible = s.spot > 0.02;
    spot.material.opacity = 0.12 * s.spot;
    ctx.env.setSky(0x1a1816, 0x1a1816);
    ctx.env.light(s.light + 0.5 * s.spot * 0.4 + (s.ring > 0.1 ? 0.05 * Math.sin(t * 30) : 0));
  }

  function event(name) {
    if (name === 'audience_yawns') { s.yawn = 1; s.yawnT = 0; }
    if (name === 'phone_rings') { s.ring = 1; ctx.audio.ring(); }
    if (name === 'question_asked') { s.ask = 1; ctx.caption('client.event.question_asked', 5000); }
  }
  return { group: g, update, event };
}
