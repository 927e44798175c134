// Acrophobia: the viewer stands on a balcony slab `floor` storeys up, the edge
// `edge_distance_m` ahead, with optional railing and glass floor; wind
// particles and building sway add intensity (CLINICAL.md §4).
import { THREE, mat, box, plane, instanced, place, finish, damp, rng } from './kit.js';

const STOREY_M = 3;
const BUILDINGS = 90;
const MOTES = 300;

export default function build(ctx) {
  const g = new THREE.Group();
  const world = new THREE.Group(); // everything below the balcony; moves down as floor rises
  g.add(world);
  world.add(plane(600, 600, mat(0x6f7f5c)));
  const streets = plane(600, 14, mat(0x3c3f44), 0.02);
  world.add(streets);

  const r = rng(7);
  const towers = instanced(new THREE.BoxGeometry(1, 1, 1), mat(0xb8b4ac), BUILDINGS);
  const towerData = [];
  for (let i = 0; i < BUILDINGS; i++) {
    const a = r() * Math.PI * 2, d = 25 + r() * 160;
    towerData.push({ x: Math.cos(a) * d, z: Math.sin(a) * d - 20, w: 8 + r() * 14, h: 10 + r() * 110, c: 0.6 + r() * 0.4 });
    towers.setColorAt(i, new THREE.Color().setScalar(towerData[i].c));
  }
  world.add(towers);

  // our own building face below the balcony
  const facade = box(30, 1, 6, mat(0x9a958c));
  world.add(facade);

  const slabMat = mat(0xd8d2c6, { transparent: true });
  const slab = box(4, 0.2, 1, slabMat);
  g.add(slab);
  const railMat = mat(0x444a50);
  const rail = new THREE.Group();
  rail.add(box(4, 0.05, 0.05, railMat, 0, 1.05, 0));
  const posts = instanced(new THREE.CylinderGeometry(0.02, 0.02, 1.05, 6), railMat, 9);
  for (let i = 0; i < 9; i++) place(posts, i, -2 + i * 0.5, 0.52, 0);
  finish(posts, 9);
  rail.add(posts);
  g.add(rail);

  const motes = instanced(new THREE.SphereGeometry(0.03, 4, 3), mat(0xffffff), MOTES);
  g.add(motes);
  const moteSeeds = Array.from({ length: MOTES }, () => [r() * 20 - 10, r() * 6 - 1, -r() * 20, r()]);

  const s = { y: -STOREY_M, edge: 4, rail: 1, glass: 0, gust: 0 };
  function update(p, t, dt) {
    s.y = damp(s.y, -p.floor * STOREY_M, 0.4, dt);
    s.edge = p.edge_distance_m;
    s.rail = damp(s.rail, p.railing ? 1 : 0, 0.3, dt);
    s.glass = damp(s.glass, p.glass_floor ? 1 : 0, 0.3, dt);
    s.gust = damp(s.gust, 0, 1.5, dt);
    world.position.y = s.y;
    facade.scale.y = -s.y;
    facade.position.set(0, -s.y / 2 - 0.2, 4); // front face 1 m behind the viewer: the balcony overhangs
    // slab from behind the viewer (z=+2) to the edge (z=-edge)
    const len = s.edge + 2;
    slab.scale.z = len;
    slab.position.set(0, -0.1, 2 - len / 2);
    slabMat.opacity = 1 - 0.8 * s.glass;
    slabMat.color.setHex(s.glass > 0.5 ? 0xa8d8ff : 0xd8d2c6);
    rail.position.z = -s.edge;
    rail.scale.y = Math.max(0.001, s.rail);
    rail.visible = s.rail > 0.01;
    const wind = Math.min(1, p.wind + s.gust);
    for (let i = 0; i < BUILDINGS; i++) {
      const b = towerData[i];
      place(towers, i, b.x, b.h / 2, b.z, 0, 0, 0, [b.w, b.h, b.w]);
    }
    finish(towers, BUILDINGS);
    const n = Math.round(wind * MOTES);
    for (let i = 0; i < n; i++) {
      const [x, y, z, ph] = moteSeeds[i];
      const xx = ((x + t * (2 + 8 * wind) + ph * 20) % 20) - 10;
      place(motes, i, xx, y + Math.sin(t * 2 + ph * 6) * 0.3, z);
    }
    finish(motes, n);
    // sway: the whole view rocks gently, never with reduced motion (ctx.motion scales it)
    const sway = (p.sway + s.gust) * ctx.motion;
    ctx.shake.roll = Math.sin(t * 0.7) * 0.02 * sway;
    ctx.shake.x = Math.sin(t * 0.5) * 0.05 * sway;
    ctx.env.setSky(0x9cc8ec, 0xc4dcef);
    ctx.env.fog(60, 420);
    ctx.env.light(1.0);
  }

  function event(name) {
    if (name === 'gust') { s.gust = 1; ctx.audio.noise(0.8, 1.5); }
    if (name === 'look_down_prompt') { ctx.caption('client.event.look_down', 5000); }
  }
  return { group: g, update, event, lookPitch: -0.3 }; // inline view starts a little below the horizon
}
