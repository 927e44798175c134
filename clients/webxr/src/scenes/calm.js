// Calming places: beach, forest, night sky and the neutral room (the baseline
// and the scene the client falls back to on its own). Slow, predictable motion
// only — nothing here should startle.
import { THREE, mat, box, room, plane, instanced, place, finish, damp, rng, SKY } from './kit.js';

function skyFor(ctx, tod, s, dt, sun) {
  const c = SKY[tod];
  s.sky.lerp(new THREE.Color(c.sky), 1 - Math.exp(-dt / 1.5));
  s.sunY = damp(s.sunY, c.sunY, 1.5, dt);
  s.light = damp(s.light, c.light, 1.5, dt);
  ctx.env.setSky(s.sky.getHex(), s.sky.getHex());
  ctx.env.light(s.light);
  if (sun) { sun.position.set(0, 5 + s.sunY * 120, -300); sun.material.color.setHex(c.sun); }
}

export function beach(ctx) {
  const g = new THREE.Group();
  g.add(plane(200, 120, mat(0xe6d3a3), 0));
  const seaGeo = new THREE.PlaneGeometry(400, 300, 60, 40);
  seaGeo.rotateX(-Math.PI / 2);
  const base = seaGeo.attributes.position.array.slice();
  const sea = new THREE.Mesh(seaGeo, mat(0x2f7fa8));
  sea.position.set(0, -0.05, -160);
  g.add(sea);
  const sun = new THREE.Mesh(new THREE.SphereGeometry(12, 16, 10), new THREE.MeshBasicMaterial({ color: 0xffffff, fog: false }));
  g.add(sun);
  const birds = instanced(new THREE.ConeGeometry(0.3, 1.2, 3), mat(0x333333), 12);
  g.add(birds);
  const s = { sky: new THREE.Color(0x8fc6ee), sunY: 0.8, light: 1, waves: 0 };
  function update(p, t, dt) {
    skyFor(ctx, p.time_of_day, s, dt, sun);
    s.waves = damp(s.waves, p.waves, 1, dt);
    const pos = seaGeo.attributes.position;
    for (let i = 0; i < pos.count; i++) {
      const x = base[i * 3], z = base[i * 3 + 2];
      pos.array[i * 3 + 1] = (Math.sin(z * 0.15 + t * 1.2) * 0.6 + Math.sin(x * 0.08 + t * 0.7) * 0.3) * s.waves;
    }
    pos.needsUpdate = true;
    seaGeo.computeVertexNormals();
    const n = p.birds ? 12 : 0;
    for (let i = 0; i < n; i++) {
      const a = t * 0.1 + i * 0.5;
      place(birds, i, Math.cos(a) * (30 + i * 3), 18 + Math.sin(t + i) * 2, -60 + Math.sin(a) * 20, Math.PI / 2, 0, -a);
    }
    finish(birds, n);
    ctx.env.fog(80, 500);
    ctx.audio.noiseLevel(0.05 + 0.15 * s.waves);
  }
  return { group: g, update, event() {} };
}

export function forest(ctx) {
  const g = new THREE.Group();
  g.add(plane(300, 300, mat(0x4d6b35)));
  const TREES = 160;
  const trunks = instanced(new THREE.CylinderGeometry(0.15, 0.25, 4, 6), mat(0x5b4030), TREES);
  const crowns = instanced(new THREE.ConeGeometry(1.6, 5, 7), mat(0x2f5a2a), TREES);
  const r = rng(13);
  const trees = Array.from({ length: TREES }, () => { const a = r() * Math.PI * 2, d = 4 + r() * 60; return [Math.cos(a) * d, Math.sin(a) * d, 0.7 + r() * 0.8, r() * 6]; });
  g.add(trunks, crowns);
  const birds = instanced(new THREE.SphereGeometry(0.12, 6, 4), mat(0xb04a2a), 8);
  g.add(birds);
  const s = { sky: new THREE.Color(0x8fc6ee), sunY: 0.8, light: 1, wind: 0 };
  function update(p, t, dt) {
    skyFor(ctx, p.time_of_day, s, dt, null);
    s.wind = damp(s.wind, p.wind, 1.5, dt);
    for (let i = 0; i < TREES; i++) {
      const [x, z, k, ph] = trees[i];
      const bend = Math.sin(t * 0.8 + ph) * 0.04 * s.wind;
      place(trunks, i, x, 2 * k, z, 0, 0, bend * 0.3, k);
      place(crowns, i, x + bend * 4 * k, 5.5 * k, z, 0, 0, bend, k);
    }
    finish(trunks, TREES); finish(crowns, TREES);
    const n = p.birdsong ? 8 : 0;
    for (let i = 0; i < n; i++) place(birds, i, Math.cos(t * 0.3 + i) * 6, 3 + Math.sin(t * 0.5 + i * 2), -6 + Math.sin(t * 0.3 + i) * 3);
    finish(birds, n);
    ctx.env.fog(20, 120);
    ctx.audio.noiseLevel(0.04 + 0.12 * s.wind);
  }
  return { group: g, update, event() {} };
}

export function nightSky(ctx) {
  const g = new THREE.Group();
  g.add(plane(300, 300, mat(0x1a2418)));
  const MAXSTARS = 2000;
  const r = rng(17);
  const pts = new Float32Array(MAXSTARS * 3);
  for (let i = 0; i < MAXSTARS; i++) {
    const u = r() * Math.PI * 2, v = Math.acos(r() * 0.95); // upper hemisphere
    pts.set([Math.cos(u) * Math.sin(v) * 400, Math.cos(v) * 400 + 5, Math.sin(u) * Math.sin(v) * 400], i * 3);
  }
  const starGeo = new THREE.BufferGeometry();
  starGeo.setAttribute('position', new THREE.BufferAttribute(pts, 3));
  const stars = new THREE.Points(starGeo, new THREE.PointsMaterial({ color: 0xffffff, size: 2, sizeAttenuation: false, fog: false }));
  g.add(stars);
  const auroraMat = new THREE.MeshBasicMaterial({ color: 0x40ff9a, transparent: true, opacity: 0, side: THREE.DoubleSide, depthWrite: false, fog: false });
  const auroraGeo = new THREE.PlaneGeometry(400, 60, 40, 1);
  const auroraBase = auroraGeo.attributes.position.array.slice();
  const aurora = new THREE.Mesh(auroraGeo, auroraMat);
  aurora.position.set(0, 120, -250);
  g.add(aurora);
  const streak = box(0.6, 0.6, 30, new THREE.MeshBasicMaterial({ color: 0xffffff, fog: false }));
  g.add(streak);
  const s = { aurora: 0, shoot: 0, count: 800 };
  function update(p, t, dt) {
    s.count = damp(s.count, p.stars, 0.8, dt);
    starGeo.setDrawRange(0, Math.round(s.count));
    s.aurora = damp(s.aurora, p.aurora ? 0.45 : 0, 2, dt);
    auroraMat.opacity = s.aurora;
    aurora.visible = s.aurora > 0.01;
    const pos = auroraGeo.attributes.position;
    for (let i = 0; i < pos.count; i++) pos.array[i * 3 + 2] = Math.sin(auroraBase[i * 3] * 0.02 + t * 0.3) * 25;
    pos.needsUpdate = true;
    const period = 6;
    const k = (t % period) / period;
    streak.visible = p.shooting_stars && k < 0.25;
    streak.position.set(-150 + k * 1200, 200 - k * 300, -300);
    streak.rotation.y = Math.PI / 2;
    ctx.env.setSky(0x050814, 0x050814);
    ctx.env.fog(500, 1000);
    ctx.env.light(0.25);
  }
  return { group: g, update, event() {} };
}

const TINT = { warm: 0xf0dcc0, neutral: 0xe4e4e0, cool: 0xd0dcec };

export function neutralRoom(ctx) {
  const g = new THREE.Group();
  const wallMat = mat(0xe4e4e0, { side: THREE.BackSide });
  const shell = new THREE.Mesh(new THREE.BoxGeometry(6, 3, 6), wallMat);
  shell.position.y = 1.5;
  g.add(shell);
  g.add(box(1.6, 0.45, 0.7, mat(0x7d8f9a), 0, 0.22, 2.2)); // a sofa behind, a plant ahead: a lived-in calm
  g.add(new THREE.Mesh(new THREE.CylinderGeometry(0.2, 0.15, 0.4, 10), mat(0xa0674a)).translateX(1.8).translateY(0.2).translateZ(-2.4));
  g.add(new THREE.Mesh(new THREE.IcosahedronGeometry(0.45, 1), mat(0x4f8a4a)).translateX(1.8).translateY(0.8).translateZ(-2.4));
  const s = { light: 0.8, tint: new THREE.Color(0xe4e4e0) };
  function update(p, t, dt) {
    s.light = damp(s.light, p.light_level, 0.8, dt);
    s.tint.lerp(new THREE.Color(TINT[p.tint]), 1 - Math.exp(-dt / 0.8));
    wallMat.color.copy(s.tint);
    ctx.env.setSky(0x222222, 0x222222);
    ctx.env.light(s.light);
  }
  return { group: g, update, event() {} };
}
