// Crowds / agoraphobia: a street, mall or subway platform with a crowd whose
// density, noise and the distance to the nearest exit grade the exposure
// (CLINICAL.md §4).
import { THREE, mat, box, plane, instanced, place, finish, personGeometry, damp, rng } from './kit.js';

const MAX = 400;
const LOOK = {
  street: { ground: 0x55585c, walls: 0xa89c8c, sky: 0x9cc8ec, light: 1.0 },
  mall: { ground: 0xd8d0c4, walls: 0xeae4da, sky: 0xf4efe6, light: 0.95 },
  subway: { ground: 0x6a6660, walls: 0x8c8a80, sky: 0x2a2a28, light: 0.6 },
};

export default function build(ctx) {
  const g = new THREE.Group();
  const groundMat = mat(0x55585c);
  g.add(plane(120, 120, groundMat));
  const wallMat = mat(0xa89c8c);
  const walls = instanced(new THREE.BoxGeometry(1, 1, 1), wallMat, 24);
  for (let i = 0; i < 12; i++) { place(walls, i * 2, -9, 5, -i * 10 + 20, 0, 0, 0, [2, 10, 9]); place(walls, i * 2 + 1, 9, 5, -i * 10 + 20, 0, 0, 0, [2, 10, 9]); }
  finish(walls, 24);
  g.add(walls);
  const exit = box(1.2, 0.4, 0.08, mat(0x1a8a3a, { emissive: 0x0d5a20 }));
  g.add(exit);
  const people = instanced(personGeometry(), mat(0xffffff, { vertexColors: true }), MAX);
  g.add(people);
  const r = rng(21);
  const folk = Array.from({ length: MAX }, (_, i) => {
    people.setColorAt(i, new THREE.Color().setHSL(r(), 0.45, 0.35 + r() * 0.3));
    return { x: (r() - 0.5) * 16, z: 10 - r() * 110, dir: r() < 0.5 ? 1 : -1, v: 0.8 + r() * 0.8, ph: r() * 6 };
  });
  const s = { surge: 0, bump: 0, exitZ: -5 };

  function update(p, t, dt) {
    const look = LOOK[p.scene];
    groundMat.color.setHex(look.ground);
    wallMat.color.setHex(look.walls);
    s.surge = damp(s.surge, 0, 2, dt);
    s.bump = damp(s.bump, 0, 0.4, dt);
    s.exitZ = damp(s.exitZ, -p.exit_distance_m, 0.8, dt);
    exit.position.set(0, 3, s.exitZ);
    // density 1 ≈ 400 people in the 16 × 110 m corridor (≈ 0.23 /m², a busy pavement)
    const n = Math.round(p.crowd_density * MAX);
    for (let i = 0; i < n; i++) {
      const f = folk[i];
      const speed = f.v * (1 + 1.5 * s.surge);
      f.z += f.dir * speed * dt;
      if (f.z > 12) f.z -= 110; else if (f.z < -100) f.z += 110;
      // people keep out of the viewer's personal space (0.6 m) unless a bump pushes one through
      let x = f.x;
      if (Math.abs(f.z) < 1.2 && Math.abs(x) < 0.6) x = Math.sign(x || 1) * (0.6 - (i === 0 ? s.bump * 0.4 : 0));
      place(people, i, x, Math.abs(Math.sin(t * 6 * f.v + f.ph)) * 0.03, f.z, 0, f.dir > 0 ? 0 : Math.PI, 0);
    }
    finish(people, n);
    ctx.shake.x = Math.sin(t * 20) * 0.02 * s.bump * ctx.motion;
    ctx.env.setSky(look.sky, look.sky);
    ctx.env.fog(15, 90);
    ctx.env.light(look.light);
    ctx.audio.noiseLevel(p.noise * 0.3);
  }

  function event(name) {
    if (name === 'crowd_surge') s.surge = 1;
    if (name === 'announcement') { ctx.audio.chime(); ctx.caption('client.event.announcement', 5000); }
    if (name === 'bump') { s.bump = 1; folk[0].z = 1; folk[0].x = 0.3; ctx.audio.thud(); }
  }
  return { group: g, update, event };
}
