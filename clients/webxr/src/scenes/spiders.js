// Arachnophobia: spiders on a table in front of the viewer, inside a closed
// bowl, an open bowl or free; count, size, distance and speed grade the
// exposure, and they may walk towards the patient's resting hand (CLINICAL.md §4).
import { THREE, mat, box, room, instanced, place, finish, merge, damp, rng } from './kit.js';

const MAX = 12;
const TABLE_Y = 0.75;
const HAND = new THREE.Vector3(0.15, TABLE_Y + 0.03, -0.3);

function spiderGeometry() {
  // unit spider 1 m long: scaled to size_cm per instance
  const legs = [];
  for (let side = -1; side <= 1; side += 2) {
    for (let k = 0; k < 4; k++) {
      const a = (k - 1.5) * 0.45;
      legs.push([new THREE.CylinderGeometry(0.025, 0.018, 0.9, 4), 0x2a1d14, side * 0.32 * Math.cos(a), 0.12, -0.1 + Math.sin(a) * 0.45, Math.PI / 2 - 0.35, 0, side * (Math.PI / 2 - a * 0.2) - side * 0.3]);
    }
  }
  return merge([
    [new THREE.SphereGeometry(0.22, 8, 6), 0x3b2a1c, 0, 0.2, -0.22],
    [new THREE.SphereGeometry(0.3, 8, 6), 0x2f2016, 0, 0.22, 0.22, 0, 0, 0, [1, 0.8, 1.25]],
    ...legs,
  ]);
}

export default function build(ctx) {
  const g = new THREE.Group();
  g.add(room(6, 3, 7, 0xe6dfd2));
  const table = box(1.6, 0.06, 3.6, mat(0x8a6a4a), 0, TABLE_Y - 0.03, -1.6);
  g.add(table);
  const hand = box(0.09, 0.03, 0.18, mat(0xe0b89a), HAND.x, HAND.y - 0.01, HAND.z);
  g.add(hand);
  const bowlMat = mat(0xcfe8f4, { transparent: true, opacity: 0.35, side: THREE.DoubleSide, depthWrite: false });
  const bowl = new THREE.Mesh(new THREE.CylinderGeometry(0.22, 0.16, 0.16, 20, 1, true), bowlMat);
  const lid = new THREE.Mesh(new THREE.CircleGeometry(0.22, 20), bowlMat);
  lid.rotation.x = -Math.PI / 2;
  lid.position.y = 0.08;
  bowl.add(lid);
  g.add(bowl);
  const spiders = instanced(spiderGeometry(), mat(0xffffff, { vertexColors: true }), MAX + 1);
  g.add(spiders);
  const thread = box(0.002, 1, 0.002, mat(0xdddddd));
  g.add(thread);

  const r = rng(3);
  const bugs = Array.from({ length: MAX }, () => ({ a: r() * Math.PI * 2, rad: r(), x: 0, z: 0, heading: r() * 6, wander: r() * 10, boost: 0 }));
  const s = { bowlOpen: 0, free: 0, drop: -1, dropT: 0 };
  const center = new THREE.Vector3();

  function update(p, t, dt) {
    const size = p.size_cm / 100;
    center.set(0, TABLE_Y, -Math.max(0.25, p.distance_m));
    bowl.position.set(center.x, TABLE_Y + 0.08, center.z);
    const closed = p.container === 'closed_bowl';
    const free = p.container === 'free';
    s.free = damp(s.free, free ? 1 : 0, 0.6, dt);
    lid.visible = closed;
    bowl.visible = s.free < 0.98;
    bowlMat.opacity = 0.35 * (1 - s.free);
    const n = Math.round(p.count);
    const limit = free ? 0.6 : 0.13; // wander radius: bowl inner radius or table area
    for (let i = 0; i < n; i++) {
      const b = bugs[i];
      const speed = (0.01 + 0.12 * p.speed) * (1 + 6 * b.boost);
      b.boost = damp(b.boost, 0, 0.8, dt);
      b.heading += Math.sin(t * 0.7 + b.wander) * dt * 2;
      let tx = Math.cos(b.heading), tz = Math.sin(b.heading);
      if (p.approaches_hand && free) { // bias the walk towards the resting hand
        // each spider heads for its own spot around the hand so they gather, not stack
        const ox = Math.cos(i * 2.4) * (0.07 + 0.025 * i), oz = Math.sin(i * 2.4) * (0.07 + 0.025 * i);
        const hx = HAND.x + ox - (center.x + b.x), hz = HAND.z + oz - (center.z + b.z);
        const hl = Math.hypot(hx, hz) || 1;
        if (hl > 0.02) { tx = 0.3 * tx + hx / hl; tz = 0.3 * tz + hz / hl; } else { tx = 0; tz = 0; }
      }
      b.x += tx * speed * dt; b.z += tz * speed * dt;
      const d = Math.hypot(b.x, b.z);
      const maxD = p.approaches_hand && free ? 3 : limit;
      if (d > maxD) { b.x *= maxD / d; b.z *= maxD / d; b.heading += Math.PI * 0.7; }
      place(spiders, i, center.x + b.x, TABLE_Y, center.z + b.z, 0, -Math.atan2(tz, tx) - Math.PI / 2, 0, size);
    }
    let count = n;
    thread.visible = s.drop >= 0;
    if (s.drop >= 0) { // a spider lowers itself on a thread in front of the viewer
      s.dropT += dt;
      const y = Math.max(TABLE_Y, 2.6 - s.dropT * 0.5);
      place(spiders, n, 0.1, y, -0.6, 0, 0, 0, Math.max(size, 0.02));
      thread.scale.y = 3 - y;
      thread.position.set(0.1, y + (3 - y) / 2, -0.6);
      count++;
      if (s.dropT > 8) s.drop = -1;
    }
    finish(spiders, count);
    ctx.env.setSky(0xe6dfd2, 0xe6dfd2);
    ctx.env.light(0.9);
  }

  function event(name) {
    if (name === 'spider_drops') { s.drop = 0; s.dropT = 0; }
    if (name === 'spider_runs' && bugs.length) bugs[Math.floor(Math.random() * 3)].boost = 1;
  }
  return { group: g, update, event, lookPitch: -0.75 }; // inline view starts looking down at the table
}
