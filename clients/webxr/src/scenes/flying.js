// Fear of flying: an aircraft cabin through the flight phases (boarding →
// taxi → take-off → cruise → landing, plus turbulence), seat by the window or
// the aisle, and a cabin filling with passengers (CLINICAL.md §4).
import { THREE, mat, box, instanced, place, finish, personGeometry, damp, rng } from './kit.js';

const ROWS = 14;
const SEATS = ROWS * 6;
const SKYBLUE = new THREE.Color(0x9cc8ec);
const SKYGLOW = new THREE.Color(0x5a8ab0);
// per phase: pitch (rad), ground speed (m/s seen outside), altitude shown outside (m), engine rumble
const PHASE = {
  boarding: { pitch: 0, speed: 0, alt: 0, rumble: 0.05 },
  taxi: { pitch: 0, speed: 6, alt: 0, rumble: 0.2 },
  takeoff: { pitch: 0.16, speed: 70, alt: 300, rumble: 0.6 },
  cruise: { pitch: 0, speed: 60, alt: 2500, rumble: 0.3 },
  landing: { pitch: -0.06, speed: 60, alt: 200, rumble: 0.45 },
  turbulence: { pitch: 0, speed: 60, alt: 2500, rumble: 0.4 },
};

export default function build(ctx) {
  const g = new THREE.Group();
  const cabin = new THREE.Group();
  g.add(cabin);
  const hull = new THREE.Mesh(new THREE.CylinderGeometry(2, 2, 30, 20, 1, true), mat(0xe9e6df, { side: THREE.BackSide }));
  hull.rotation.x = Math.PI / 2;
  hull.position.set(0, 1.2, -10);
  cabin.add(hull);
  cabin.add(box(3.8, 0.05, 30, mat(0x4a5668), 0, 0, -10));
  const seats = instanced(new THREE.BoxGeometry(0.5, 1.1, 0.55), mat(0x2b3a67), SEATS);
  const people = instanced(personGeometry(), mat(0xffffff, { vertexColors: true }), SEATS);
  const r = rng(11);
  const order = Array.from({ length: SEATS }, (_, i) => i).sort(() => r() - 0.5);
  const seatPos = [];
  for (let row = 0; row < ROWS; row++) {
    for (let k = 0; k < 6; k++) {
      const x = [-1.45, -0.95, -0.45, 0.45, 0.95, 1.45][k];
      seatPos.push([x, 0.25 - row * 0.9]); // row 0 is the patient's row, the rest ahead
    }
  }
  seatPos.forEach(([x, z], i) => place(seats, i, x, 0.55, z));
  finish(seats, SEATS);
  seatPos.forEach((_, i) => people.setColorAt(i, new THREE.Color().setHSL(r(), 0.4, 0.5)));
  cabin.add(seats, people);
  const windowMat = mat(0x9cc8ec, { emissive: 0x5a8ab0 });
  const windows = instanced(new THREE.BoxGeometry(0.05, 0.35, 0.25), windowMat, ROWS * 2);
  for (let row = 0; row < ROWS; row++) { place(windows, row * 2, -1.9, 1.3, -0.2 - row * 0.9); place(windows, row * 2 + 1, 1.9, 1.3, -0.2 - row * 0.9); }
  finish(windows, ROWS * 2);
  cabin.add(windows);
  const sign = box(0.3, 0.12, 0.02, mat(0x222222, { emissive: 0x000000 }), 0, 2.6, -1.2);
  cabin.add(sign);

  const s = { pitch: 0, speed: 0, alt: 0, travel: 0, jolt: 0, chime: 0, seatX: 0 };
  function update(p, t, dt) {
    const ph = PHASE[p.phase];
    s.pitch = damp(s.pitch, ph.pitch, 2, dt);
    s.speed = damp(s.speed, ph.speed, 3, dt);
    s.alt = damp(s.alt, ph.alt, 4, dt);
    s.travel += s.speed * dt;
    s.jolt = damp(s.jolt, 0, 0.5, dt);
    s.chime = damp(s.chime, 0, 1.5, dt);
    s.seatX = damp(s.seatX, p.window_seat ? -1.45 : -0.45, 0.8, dt);
    // the viewer sits in row 0; the cabin shifts so the chosen seat is under them
    cabin.position.x = -s.seatX;
    const turb = (p.phase === 'turbulence' ? Math.max(0.3, p.turbulence) : p.turbulence * 0.3) + s.jolt;
    const m = ctx.motion;
    ctx.shake.y = (Math.sin(t * 13) * 0.5 + Math.sin(t * 7.3)) * 0.02 * turb * m;
    ctx.shake.roll = Math.sin(t * 2.1) * 0.03 * turb * m;
    ctx.shake.pitch = s.pitch;
    const pax = Math.round(p.crowding * SEATS);
    for (let i = 0; i < pax; i++) {
      const k = order[i];
      if (k === (p.window_seat ? 0 : 2)) continue; // the patient's own seat stays free
      const [x, z] = seatPos[k];
      place(people, i, x, 0.25, z - 0.05, 0, Math.PI, 0, [1, 0.75, 1]);
    }
    finish(people, pax);
    // the windows show what is outside: apron grey-green on the ground, sky and passing cloud aloft
    const air = Math.min(1, s.alt / 300);
    windowMat.color.setHex(0x7a8a6a).lerp(SKYBLUE, air);
    windowMat.emissive.setHex(0x303828).lerp(SKYGLOW, air).multiplyScalar(0.7 + 0.3 * Math.sin(s.travel * 0.02) * air);
    sign.material.emissive.setHex(s.chime > 0.05 ? 0xffc040 : 0x221100);
    ctx.env.setSky(s.alt > 1000 ? 0x7fb4e8 : 0xa8c8e0, 0xc8dcec);
    ctx.env.fog(20, 60);
    ctx.env.light(0.95);
    ctx.audio.hum(ph.rumble * 0.4);
  }

  function event(name) {
    if (name === 'turbulence_jolt') s.jolt = 1.5;
    if (name === 'seatbelt_chime') { s.chime = 1; ctx.audio.chime(); }
    if (name === 'captain_announcement') { ctx.audio.chime(); ctx.caption('client.event.captain_announcement', 6000); }
  }
  return { group: g, update, event };
}
