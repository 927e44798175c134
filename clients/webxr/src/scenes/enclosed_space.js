// Claustrophobia: a small room, an elevator or an MRI bore that shrinks
// (room_size_m), fills with occupants, closes its door, dims, and may stop
// (CLINICAL.md §4).
import { THREE, mat, box, instanced, place, finish, personGeometry, damp, rng } from './kit.js';

const WALL = { small_room: 0xcdbfa8, elevator: 0x9ea4aa, mri: 0xf2f2f2 };

export default function build(ctx) {
  const g = new THREE.Group();
  const wallMat = mat(0xcdbfa8, { side: THREE.BackSide });
  const shell = new THREE.Mesh(new THREE.BoxGeometry(1, 1, 1), wallMat);
  g.add(shell);
  const bore = new THREE.Mesh(new THREE.CylinderGeometry(1, 1, 2.2, 24, 1, true), mat(0xf4f4f4, { side: THREE.BackSide }));
  bore.rotation.x = Math.PI / 2;
  g.add(bore);
  const door = box(0.9, 2.1, 0.05, mat(0x6d5a48));
  g.add(door);
  const panel = box(0.15, 0.3, 0.02, mat(0x222222, { emissive: 0x113311 }));
  g.add(panel);
  const people = instanced(personGeometry(), mat(0xffffff, { vertexColors: true }), 6);
  const r = rng(9);
  const spots = Array.from({ length: 6 }, (_, i) => { people.setColorAt(i, new THREE.Color().setHSL(r(), 0.3, 0.45)); return [Math.cos(i * 1.05 + 0.5), Math.sin(i * 1.05 + 0.5)]; });
  g.add(people);
  const s = { size: 3, door: 0, light: 1, flicker: 0, stop: 0, slam: 0, mri: 0 };

  function update(p, t, dt) {
    s.size = damp(s.size, p.room_size_m, 0.6, dt);
    s.door = damp(s.door, p.door_closed || s.slam > 0.05 ? 1 : 0, s.slam > 0.05 ? 0.05 : 0.8, dt);
    s.slam = damp(s.slam, 0, 0.3, dt);
    s.light = damp(s.light, p.light_level, 0.5, dt);
    s.flicker = damp(s.flicker, 0, 1.2, dt);
    s.stop = damp(s.stop, 0, 0.4, dt);
    s.mri = damp(s.mri, p.variant === 'mri' ? 1 : 0, 0.5, dt);
    const w = Math.max(1, s.size), h = p.variant === 'elevator' ? 2.4 : 2.6;
    wallMat.color.setHex(WALL[p.variant]);
    shell.scale.set(w, h, w);
    shell.position.set(0, h / 2, 0);
    shell.visible = s.mri < 0.99;
    bore.visible = s.mri > 0.01;
    // the bore narrows with room size: 3 m → roomy 1.2 m radius, 1 m → 0.35 m
    const radius = 0.35 + (Math.max(1, s.size) - 1) * 0.42;
    bore.scale.set(radius, 1, radius);
    bore.position.set(0, 1.5, -0.6);
    const dz = -w / 2 + 0.03;
    door.position.set(-0.9 * (1 - s.door) , 1.05, dz);
    door.scale.x = Math.min(1, w / 1.2);
    panel.position.set(Math.min(0.7, w / 2 - 0.1), 1.3, dz + 0.01);
    panel.material.emissive.setHex(p.malfunction_stop ? 0x661111 : 0x113311);
    const n = p.variant === 'mri' ? 0 : Math.round(p.occupants);
    const ring = Math.max(0.45, w / 2 - 0.35);
    for (let i = 0; i < n; i++) place(people, i, spots[i][0] * ring, 0, spots[i][1] * ring, 0, Math.atan2(-spots[i][0], -spots[i][1]), 0);
    finish(people, n);
    const flick = s.flicker > 0.05 && Math.sin(t * 47) > 0.2 ? 0.15 : 1;
    ctx.env.setSky(0x111111, 0x111111);
    ctx.env.light(s.light * flick);
    ctx.shake.y = (p.malfunction_stop || s.stop > 0.05 ? Math.sin(t * 25) * 0.01 * Math.max(s.stop, p.malfunction_stop ? 0.2 : 0) : 0) * ctx.motion;
    ctx.audio.hum(p.variant === 'mri' ? 0.25 : 0.05);
  }

  function event(name) {
    if (name === 'elevator_stops') { s.stop = 1; ctx.audio.thud(); }
    if (name === 'lights_flicker') s.flicker = 1;
    if (name === 'door_slams') { s.slam = 1; ctx.audio.thud(); }
  }
  return { group: g, update, event };
}
