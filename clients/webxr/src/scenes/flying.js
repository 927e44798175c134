// Fear of flying: a narrow-body cabin through the flight phases a clinician
// names (CLINICAL.md §4): boarding at the gate, taxi, take-off (the runway
// rushing past, the nose up), cruise above the clouds, turbulence, landing.
// The seat by the window or the aisle, and a cabin filling with passengers.
// The windows are real openings in the hull: the sky, clouds, the airport
// and the runway are outside them. Turbulence moves the cabin, never the
// patient's head (renderer shake, scaled down under reduced motion).
import { THREE, instanced, place, put, unit, X, finish, rng, tint, mergeUV, figureUniforms } from './kit.js';
import { outdoor, std } from './env.js';
import { canvasTexture, carpet, fabric, facade, grass } from './textures.js';
import { positional } from './sound.js';
import { figures, dress, HIP_Y, ARM_REST, ARM_PHONE } from './people.js';

const ROWS = 16;
const PITCH = 0.82; // seat pitch (m), a typical economy row
const SEATS = ROWS * 6;
const XS = [-1.45, -0.95, -0.45, 0.45, 0.95, 1.45];
const R = 2, CY = 1.25, LEN = 32; // hull radius, axis height, length
const CLOUDS = 60;
// per phase: nose pitch (rad), ground speed (m/s), altitude (m), engine level, seat-belt sign
const PHASE = {
  boarding: { pitch: 0, speed: 0, alt: 0, engine: 0.08, belt: 0 },
  taxi: { pitch: 0, speed: 7, alt: 0, engine: 0.3, belt: 1 },
  takeoff: { pitch: 0.14, speed: 75, alt: 250, engine: 1, belt: 1 },
  cruise: { pitch: 0, speed: 60, alt: 1100, engine: 0.45, belt: 0 },
  landing: { pitch: -0.05, speed: 65, alt: 60, engine: 0.5, belt: 1 },
  turbulence: { pitch: 0, speed: 60, alt: 1100, engine: 0.55, belt: 1 },
};

// the hull's inner skin: panels, and window openings (transparent) at eye height on both sides
function hullTexture() {
  const tex = canvasTexture(1024, 64, (g, w, h) => {
    g.fillStyle = '#e8e5de'; g.fillRect(0, 0, w, h);
    g.fillStyle = 'rgba(0,0,0,0.08)'; for (let x = 0; x < w; x += 64) g.fillRect(x, 0, 2, h);
    for (const u of [0.258, 0.742]) {
      const cx = u * w, ww = 34, hh = 20;
      g.fillStyle = '#cfcac0'; round(g, cx - ww / 2 - 6, h / 2 - hh / 2 - 8, ww + 12, hh + 16, 10); g.fill();
      g.clearRect(cx - ww / 2, h / 2 - hh / 2, ww, hh);
    }
  }, { key: 'hull' });
  tex.repeat.set(1, LEN / PITCH);
  return tex;
}

function round(g, x, y, w, h, r) {
  g.beginPath(); g.moveTo(x + r, y); g.arcTo(x + w, y, x + w, y + h, r); g.arcTo(x + w, y + h, x, y + h, r);
  g.arcTo(x, y + h, x, y, r); g.arcTo(x, y, x + w, y, r); g.closePath();
}

function cloudTexture() {
  const tex = canvasTexture(128, 64, (g, w, h) => {
    const r = rng(21);
    for (let i = 0; i < 26; i++) {
      const x = w * (0.15 + 0.7 * r()), y = h * (0.4 + 0.35 * r()), rad = 8 + r() * 16;
      const grad = g.createRadialGradient(x, y, 0, x, y, rad);
      grad.addColorStop(0, 'rgba(255,255,255,0.9)'); grad.addColorStop(1, 'rgba(255,255,255,0)');
      g.fillStyle = grad; g.fillRect(0, 0, w, h);
    }
  }, { key: 'cloud' });
  tex.wrapS = tex.wrapT = THREE.ClampToEdgeWrapping;
  return tex;
}

function runwayTexture() { // 60 m wide strip incl. shoulders, one repeat = 60 m long: centre line dashes, edge lines
  return canvasTexture(256, 256, (g, w) => {
    g.fillStyle = '#55575b'; g.fillRect(0, 0, w, w);
    for (let i = 0; i < 3000; i++) { const v = Math.random() * 60 | 0; g.fillStyle = `rgba(${v},${v},${v},0.2)`; g.fillRect(Math.random() * w, Math.random() * w, 2, 2); }
    g.fillStyle = '#eeeeea';
    g.fillRect(w * 0.49, 0, w * 0.02, w * 0.5); // centre line: 30 m dash, 30 m gap
    g.fillRect(w * 0.13, 0, w * 0.01, w); g.fillRect(w * 0.86, 0, w * 0.01, w); // edge lines
    g.fillStyle = '#6d7a4a'; g.fillRect(0, 0, w * 0.08, w); g.fillRect(w * 0.92, 0, w * 0.08, w);
  }, { key: 'runway' });
}

export default function build(ctx) {
  const g = new THREE.Group();
  const cabin = new THREE.Group();
  g.add(cabin);
  const outside = new THREE.Group(); // the world outside the hull: moves past as the aircraft flies
  g.add(outside);
  const sun = outdoor(ctx, g, { elevation: 35, azimuth: 250, clouds: 0.45, turbidity: 2.5, exposure: 0.5, hemi: 0.5, sun: 1.4, ground: 0x6f7a5a, interior: true });

  const hullMat = std(0xffffff, { map: hullTexture(), alphaTest: 0.5, side: THREE.BackSide, roughness: 0.7 });
  const hull = new THREE.Mesh(new THREE.CylinderGeometry(R, R, LEN, 48, 1, true), hullMat);
  hull.rotation.x = Math.PI / 2;
  hull.position.set(0, CY, -LEN / 2 + 3);
  cabin.add(hull);
  const ends = new THREE.Mesh(mergeUV([
    new THREE.CircleGeometry(R, 32).translate(0, CY, -LEN + 3),
    new THREE.CircleGeometry(R, 32).rotateY(Math.PI).translate(0, CY, 3),
  ].map((x) => tint(x, 0xd8d4cc))), std(0xffffff, { vertexColors: true }));
  cabin.add(ends);
  const carpetTex = carpet(6, 220, 25, 30); carpetTex.repeat.set(3.8 / 2, LEN / 2);
  const floor = new THREE.Mesh(new THREE.PlaneGeometry(3.8, LEN), std(0xffffff, { map: carpetTex, roughness: 1 }));
  floor.rotation.x = -Math.PI / 2; floor.position.set(0, 0, -LEN / 2 + 3);
  cabin.add(floor);
  // overhead bins and the ceiling panel between them
  const binParts = [];
  for (const side of [-1, 1]) {
    binParts.push(new THREE.BoxGeometry(0.75, 0.42, LEN).rotateZ(side * 0.35).translate(side * 1.3, 2.35, -LEN / 2 + 3));
  }
  binParts.push(new THREE.BoxGeometry(1.4, 0.05, LEN).translate(0, 2.75, -LEN / 2 + 3));
  const bins = new THREE.Mesh(mergeUV(binParts.map((x) => tint(x, 0xf1eee8))), std(0xffffff, { vertexColors: true, roughness: 0.5 }));
  cabin.add(bins);
  // seat-belt and reading-light panels under the bins, one per row and side
  const signs = instanced(new THREE.BoxGeometry(0.3, 0.02, 0.12), new THREE.MeshBasicMaterial({ color: 0xffffff }), ROWS * 2);
  for (let row = 0; row < ROWS; row++) for (const [k, side] of [[0, -1], [1, 1]]) place(signs, row * 2 + k, side * 0.9, 2.12, -0.6 - row * PITCH, 0, 0, side * -0.35);
  for (let i = 0; i < ROWS * 2; i++) signs.setColorAt(i, new THREE.Color(0xe8e4da)); // made here: update writes the colours in place
  finish(signs, ROWS * 2);
  cabin.add(signs);

  // seats (upholstery), passengers (bodies, heads turning now and then)
  const seatGeo = mergeUV([
    new THREE.BoxGeometry(0.46, 0.12, 0.46).translate(0, 0.42, -0.02),
    new THREE.BoxGeometry(0.46, 0.68, 0.1).rotateX(0.12).translate(0, 0.78, 0.24),
    new THREE.BoxGeometry(0.05, 0.06, 0.4).translate(-0.25, 0.62, 0),
    new THREE.BoxGeometry(0.28, 0.3, 0.06).translate(0, 0.2, 0.1),
  ].map((x) => tint(x, 0xffffff)));
  const seatFabric = fabric(7, 215, 30, 42); seatFabric.repeat.set(3, 3);
  const seats = instanced(seatGeo, std(0xffffff, { map: seatFabric, roughness: 0.9 }), SEATS);
  const seatPos = [];
  for (let row = 0; row < ROWS; row++) for (let k = 0; k < 6; k++) seatPos.push([XS[k], -0.12 - row * PITCH]); // row 0: the patient's eyes above its cushion
  seatPos.forEach(([x, z], i) => place(seats, i, x, 0, z));
  finish(seats, SEATS);
  // passengers: articulated, seated figures (people.js); the nearest rows in
  // full detail, the rest (mostly hidden by seat backs) in less
  const u = figureUniforms();
  const near = figures(SEATS, { detail: 'high', uniforms: u });
  const far = figures(SEATS, { detail: 'low', uniforms: u });
  const wardrobe = figures(SEATS, { detail: 'low', uniforms: u });
  const r = rng(11);
  const order = Array.from({ length: SEATS }, (_, i) => i).filter((i) => i >= 6).sort(() => r() - 0.5);
  order.unshift(1, 3, 0, 2, 4, 5); // crowding starts beside the patient: the neighbours in their own row come first
  const pax = order.map((k, i) => {
    const [top, skin, hair, bottom, bits] = dress(r);
    wardrobe.style(i, top, skin, hair, bottom, bits);
    return { k, ph: r() * 6.28, yaw: 0, look: (r() - 0.5) * 0.9, h: 0.93 + r() * 0.14, w: 0.94 + r() * 0.14, seed: r(), reader: r() < 0.25, slot: -1 };
  });
  let restyle = true;
  cabin.add(seats, near.mesh, far.mesh);
  const engineL = positional(ctx, cabin, 'engine', -4.5, 1, -6, { ref: 4, volume: 0, seconds: 5, seed: 3 });
  const engineR = positional(ctx, cabin, 'engine', 4.5, 1, -6, { ref: 4, volume: 0, seconds: 5, seed: 4 });

  // outside: the airport (terminal, runway, grass), fields, the cloud deck
  const grassTex = grass(8, 80, 34); grassTex.repeat.set(1200 / 4, 4800 / 4);
  const land = new THREE.Mesh(new THREE.PlaneGeometry(1200, 4800), std(0xffffff, { map: grassTex, roughness: 1 }));
  land.rotation.x = -Math.PI / 2;
  outside.add(land);
  const rwTex = runwayTexture(); rwTex.repeat.set(1, 4800 / 60);
  const runway = new THREE.Mesh(new THREE.PlaneGeometry(60, 4800), std(0xffffff, { map: rwTex, roughness: 0.9 }));
  runway.rotation.x = -Math.PI / 2; runway.position.set(-2, 0.02, 0);
  outside.add(runway);
  const termTex = facade(9); termTex.repeat.set(1, 1);
  const terminal = new THREE.Mesh(new THREE.BoxGeometry(40, 14, 220), std(0xffffff, { map: termTex, roughness: 0.6 }));
  terminal.position.set(-70, 7, -60);
  outside.add(terminal);
  const cloudMat = new THREE.MeshBasicMaterial({ map: cloudTexture(), transparent: true, depthWrite: false, side: THREE.DoubleSide, fog: false, opacity: 0.95 });
  const clouds = instanced(new THREE.PlaneGeometry(1, 0.5).rotateY(Math.PI / 2), cloudMat, CLOUDS);
  const cloudData = Array.from({ length: CLOUDS }, (_, i) => ({ x: (i % 2 ? 1 : -1) * (60 + r() * 500), y: -120 + r() * 260, z: r() * 2400 - 1200, s: 80 + r() * 220 }));
  g.add(clouds);

  const s = { pitch: 0, speed: 0, alt: 0, travel: 0, jolt: 0, chime: 0, seatX: 0, belt: 0, engine: 0 };
  const beltOn = new THREE.Color(0xffc24a), beltOff = new THREE.Color(0xe8e4da);
  function update(p, t, dt) {
    sun.tick(t);
    const ph = PHASE[p.phase];
    s.pitch += (ph.pitch - s.pitch) * (1 - Math.exp(-dt / 2));
    s.speed += (ph.speed - s.speed) * (1 - Math.exp(-dt / 3));
    s.alt += (ph.alt - s.alt) * (1 - Math.exp(-dt / 4));
    s.engine += (ph.engine - s.engine) * (1 - Math.exp(-dt / 1.5));
    s.belt += ((ph.belt || s.chime > 0.05 ? 1 : 0) - s.belt) * (1 - Math.exp(-dt / 0.2));
    s.travel = (s.travel + s.speed * dt) % 1200;
    s.jolt *= Math.exp(-dt / 0.5);
    s.chime *= Math.exp(-dt / 1.5);
    s.seatX += ((p.window_seat ? XS[0] : XS[2]) - s.seatX) * (1 - Math.exp(-dt / 0.8));
    // the patient sits in row 0; the cabin shifts so the chosen seat is under them
    cabin.position.x = -s.seatX;
    const turb = (p.phase === 'turbulence' ? Math.max(0.35, p.turbulence) : p.turbulence * 0.3) + s.jolt;
    const m = ctx.motion;
    ctx.shake.y = (Math.sin(t * 13) * 0.5 + Math.sin(t * 7.3)) * 0.02 * turb * m;
    ctx.shake.roll = Math.sin(t * 2.1) * 0.03 * turb * m;
    ctx.shake.pitch = s.pitch * Math.max(0.3, m); // the nose rises on take-off; reduced motion shows less of it
    // outside: the ground slides back and drops away
    // travel wraps at 1200 m: a whole number of texture repeats (fields, not
    // set(): a call V8 does not inline boxes its number arguments)
    outside.position.x = -s.seatX; outside.position.y = -s.alt * 0.6 - 2.2; outside.position.z = s.travel;
    land.visible = runway.visible = terminal.visible = s.alt < 900;
    for (let i = 0; i < CLOUDS; i++) {
      const c = cloudData[i];
      const z = ((c.z + s.travel * 1.2 + 1200) % 2400) - 1200;
      unit(); X[0] = c.x - s.seatX; X[1] = c.y - s.alt * 0.15 + 40; X[2] = z; X[6] = X[7] = X[8] = c.s;
      put(clouds, i);
    }
    finish(clouds, s.alt > 120 ? CLOUDS : 0);
    const n = Math.round(p.crowding * (SEATS - 1));
    let shown = 0, nn = 0, nf = 0;
    u.uTime.value = t; u.uMotion.value = m;
    const mine = p.window_seat ? 0 : 2;
    for (let i = 0; i < SEATS && shown < n; i++) {
      const ps = pax[i];
      if (ps.k === mine) continue; // the patient's own seat stays free
      const x = seatPos[ps.k][0], z = seatPos[ps.k][1];
      const close = ps.k < 30; // the first five rows
      const fig = close ? near : far, k = close ? nn++ : nf++;
      if (ps.slot !== k + (close ? 0 : SEATS)) { fig.copyStyle(k, wardrobe, i); ps.slot = k + (close ? 0 : SEATS); restyle = true; }
      // hip joint just above the cushion (0.48 m): thighs on the seat, feet on the floor
      unit(); X[0] = x; X[1] = 0.53 - HIP_Y * ps.h; X[2] = z + 0.02; X[6] = X[8] = ps.w * ps.h; X[7] = ps.h;
      put(fig.mesh, k);
      // now and then a passenger glances aside or out of the window; some read or look at a phone
      ps.yaw += ((Math.sin(t * 0.13 + ps.ph) > 0.85 ? ps.look : 0) - ps.yaw) * (1 - Math.exp(-dt / 0.8));
      const A = fig.anim, o = k * 8;
      A[o] = 0; A[o + 1] = 0; A[o + 2] = ps.yaw; A[o + 3] = ps.reader ? -0.45 : Math.sin(t * 0.3 + ps.ph) * 0.04 * m;
      A[o + 4] = 0.12; A[o + 5] = 1; A[o + 6] = ps.reader ? ARM_PHONE : ARM_REST; A[o + 7] = ps.seed;
      shown++;
    }
    near.finish(nn, restyle); far.finish(nf, restyle);
    restyle = false;
    // the seat-belt signs: one colour between off and on, written into every sign
    const b = s.belt, sr = beltOff.r + (beltOn.r - beltOff.r) * b, sg = beltOff.g + (beltOn.g - beltOff.g) * b, sb = beltOff.b + (beltOn.b - beltOff.b) * b;
    const sc = signs.instanceColor.array;
    for (let i = 0; i < ROWS * 2; i++) { sc[i * 3] = sr; sc[i * 3 + 1] = sg; sc[i * 3 + 2] = sb; }
    signs.instanceColor.needsUpdate = true;
    const level = s.engine * (0.7 + 0.3 * Math.min(1, s.speed / 60));
    engineL?.setVolume(level * 1.2); engineR?.setVolume(level * 1.2);
    ctx.env.setSky(0x9cc0e0, 0xc8d8e6);
    ctx.env.fog(300, 2000);
    ctx.env.light(1);
  }
  function event(name) {
    if (name === 'turbulence_jolt') s.jolt = 1.5;
    if (name === 'seatbelt_chime') { s.chime = 1; ctx.audio.chime(); }
    if (name === 'captain_announcement') { ctx.audio.chime(); ctx.caption('client.event.captain_announcement', 6000); }
  }
  return { group: g, update, event, dispose: sun.dispose, eye: 1.2, lookYaw: 0.45, lookPitch: -0.05 }; // seated eye height in the inline view
}
