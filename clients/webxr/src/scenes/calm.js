// Calming places: beach, forest, night sky and the neutral room (the baseline
// and the scene the client falls back to on its own). Slow, predictable
// motion only — nothing here should startle: waves that roll in, leaves that
// move with the wind, gulls gliding, stars at the density of a dark site.
import { THREE, instanced, place, put, unit, X, finish, rng, tint, mergeUV } from './kit.js';
import { outdoor, indoor, std } from './env.js';
import { canvasTexture, sand, grass, wood, plaster, carpet, fabric } from './textures.js';
import { positional } from './sound.js';

// sun elevation (degrees) and light level per time of day
const TOD = { dawn: { elev: 3, light: 0.75, fog: 0xd9b8a8 }, day: { elev: 48, light: 1, fog: 0xc3d6e6 }, sunset: { elev: 1.5, light: 0.7, fog: 0xd49a78 } };

/**
 * daylight keeps the sky, the sun and the environment light on the time of
 * day; the environment is re-rendered only when the time changes. The scene
 * starts at the time of day it is loaded with (p0), so a load at dawn
 * prefilters the dawn sky once, not the midday sky and then the dawn one.
 */
function daylight(ctx, g, o, p0) {
  const tod = TOD[p0?.time_of_day] ? p0.time_of_day : 'day';
  const sun = outdoor(ctx, g, { ...o, elevation: TOD[tod].elev });
  const s = { elev: TOD[tod].elev, tod, light: TOD[tod].light, fog: new THREE.Color(), sunAt: NaN, lit: NaN };
  const tint = { sunColor: 0xfff1dd };
  return {
    sun,
    step(tod, t, dt) {
      const c = TOD[tod];
      s.elev += (c.elev - s.elev) * (1 - Math.exp(-dt / 1.5));
      s.light += (c.light - s.light) * (1 - Math.exp(-dt / 1.5));
      // the sun is moved, and the light set, only while they change: a call V8
      // does not inline boxes its number arguments (kit.js, easing)
      if (Math.abs(s.elev - s.sunAt) > 1e-4 || s.sunAt !== s.sunAt) { s.sunAt = s.elev; sun.setSun(s.elev, o.azimuth); }
      sun.tick(t);
      if (tod !== s.tod && Math.abs(s.elev - c.elev) < 0.5) { s.tod = tod; sun.relight(tod); }
      s.fog.setHex(c.fog);
      ctx.env.setSky(c.fog, c.fog);
      tint.sunColor = s.elev < 10 ? 0xffb27a : 0xfff1dd;
      ctx.env.lights(tint);
      if (s.light !== s.lit) { s.lit = s.light; ctx.env.light(s.light); }
    },
  };
}

function gullGeometry() { // a gull gliding: two swept wings and a body (1 m span)
  const wing = (side) => new THREE.BufferGeometry().setAttribute('position', new THREE.Float32BufferAttribute([0, 0, -0.1, side * 0.5, 0.05, 0.08, 0, 0, 0.12], 3));
  const parts = [wing(1), wing(-1), new THREE.ConeGeometry(0.05, 0.35, 5).rotateX(-Math.PI / 2).toNonIndexed()];
  for (const p of parts) { p.deleteAttribute('uv'); p.deleteAttribute('normal'); p.computeVertexNormals(); tint(p, 0xf2f2f0); }
  return mergeUV(parts);
}

export function beach(ctx, p0) {
  const g = new THREE.Group();
  const day = daylight(ctx, g, { azimuth: 180, clouds: 0.3, turbidity: 2, exposure: 0.5, ground: 0xcdb88a }, p0);
  // sand sloping gently into the water, 4 m ripple texture
  const sandGeo = new THREE.PlaneGeometry(240, 140, 48, 40).rotateX(-Math.PI / 2);
  const sp = sandGeo.attributes.position;
  for (let i = 0; i < sp.count; i++) { const z = sp.getZ(i) - 40; sp.setY(i, Math.min(0.3, (z + 8) * 0.05)); }
  sandGeo.translate(0, 0, -40);
  sandGeo.computeVertexNormals();
  const sandTex = sand(); sandTex.repeat.set(60, 35);
  const beachSand = new THREE.Mesh(sandGeo, std(0xffffff, { map: sandTex, roughness: 1 }));
  g.add(beachSand);
  // the sea: rolling swell, reflective, lit by the sky
  const seaGeo = new THREE.PlaneGeometry(700, 420, 90, 60).rotateX(-Math.PI / 2);
  const base = seaGeo.attributes.position.array.slice();
  const sea = new THREE.Mesh(seaGeo, std(0x1f5f78, { roughness: 0.12, metalness: 0.15 }));
  sea.position.set(0, -0.3, -215);
  g.add(sea);
  const foamMat = new THREE.MeshBasicMaterial({ color: 0xffffff, transparent: true, opacity: 0.6, depthWrite: false, alphaMap: canvasTexture(8, 64, (c, w, h) => { const gr = c.createLinearGradient(0, 0, 0, h); gr.addColorStop(0, '#000'); gr.addColorStop(0.5, '#fff'); gr.addColorStop(1, '#000'); c.fillStyle = gr; c.fillRect(0, 0, w, h); }, { srgb: false }) });
  const foam = new THREE.Mesh(new THREE.PlaneGeometry(240, 2.5).rotateX(-Math.PI / 2), foamMat);
  g.add(foam);
  // a towel and a parasol: things of known size on the sand
  const props = new THREE.Mesh(mergeUV([
    tint(new THREE.BoxGeometry(0.9, 0.01, 1.8).translate(1.4, 0.01, -2.5), 0x2f7fbf),
    tint(new THREE.CylinderGeometry(0.025, 0.025, 2.2, 6).translate(2.3, 1.1, -3.2), 0xdddddd),
    tint(new THREE.ConeGeometry(1.1, 0.45, 12, 1, true).translate(2.3, 2.1, -3.2), 0xe0563a),
  ].map((x) => { x.deleteAttribute('uv'); return x; })), std(0xffffff, { vertexColors: true, side: THREE.DoubleSide }));
  props.castShadow = true;
  g.add(props);
  const gulls = instanced(gullGeometry(), std(0xffffff, { vertexColors: true, side: THREE.DoubleSide }), 10);
  g.add(gulls);
  const surf = positional(ctx, g, 'surf', 0, 0.5, -14, { ref: 8, volume: 0.6, seconds: 12 });
  const s = { waves: 0.3 };
  function update(p, t, dt) {
    day.step(p.time_of_day, t, dt);
    s.waves += (p.waves - s.waves) * (1 - Math.exp(-dt / 1));
    const pos = seaGeo.attributes.position, nor = seaGeo.attributes.normal;
    const m = ctx.motion, amp = 0.2 + s.waves, pa = pos.array, na = nor.array;
    for (let i = 0; i < pos.count; i++) {
      const x = base[i * 3], z = base[i * 3 + 2];
      const a1 = z * 0.12 + t * 0.9 * m, a2 = x * 0.05 + z * 0.03 + t * 0.5 * m;
      pa[i * 3 + 1] = (Math.sin(a1) * 0.35 + Math.sin(a2) * 0.2) * amp;
      // the normal from the swell's slopes, in place (computeVertexNormals allocates per call)
      const sx = Math.cos(a2) * 0.2 * 0.05 * amp, sz = (Math.cos(a1) * 0.35 * 0.12 + Math.cos(a2) * 0.2 * 0.03) * amp;
      const l = 1 / Math.sqrt(sx * sx + 1 + sz * sz);
      na[i * 3] = -sx * l; na[i * 3 + 1] = l; na[i * 3 + 2] = -sz * l;
    }
    pos.needsUpdate = true;
    nor.needsUpdate = true;
    const swash = Math.sin(t * 0.45 * m) * 0.5 + 0.5; // the wash runs up the sand and back
    foam.position.y = 0.02 + swash * 0.1 * s.waves; foam.position.z = -9 + swash * 2.5 * (0.3 + s.waves);
    foamMat.opacity = 0.25 + 0.5 * s.waves;
    const n = p.birds ? 10 : 0;
    for (let i = 0; i < n; i++) {
      const a = t * 0.06 * m + i * 0.63;
      X[0] = Math.cos(a) * (25 + i * 4); X[1] = 12 + i * 1.5 + Math.sin(t * 0.4 + i) * 1.5; X[2] = -45 + Math.sin(a) * 18;
      X[3] = Math.sin(t + i) * 0.1; X[4] = -a; X[5] = Math.cos(a) * 0.3; X[6] = X[7] = X[8] = 1.2;
      put(gulls, i);
    }
    finish(gulls, n);
    if (surf) surf.setVolume(0.25 + 0.9 * s.waves);
    ctx.env.fog(120, 900);
    ctx.audio.noiseLevel(0);
  }
  return { group: g, update, event() {}, dispose: () => day.sun.dispose(), lookPitch: -0.08 };
}

function coniferGeometry() { // trunk and three stacked crowns, 1 unit ≈ 1 m at scale 1 (an 8 m tree)
  const p = [
    tint(new THREE.CylinderGeometry(0.12, 0.22, 3, 6).translate(0, 1.5, 0), 0x5b4330),
    tint(new THREE.ConeGeometry(1.9, 3.2, 8).translate(0, 3.4, 0), 0x2f5a2c),
    tint(new THREE.ConeGeometry(1.5, 2.8, 8).translate(0, 5, 0), 0x335f2f),
    tint(new THREE.ConeGeometry(1.0, 2.4, 8).translate(0, 6.6, 0), 0x3a6a34),
  ];
  return mergeUV(p.map((x) => { x.deleteAttribute('uv'); return x; }));
}

function broadleafGeometry() {
  const p = [
    tint(new THREE.CylinderGeometry(0.15, 0.25, 3.5, 6).translate(0, 1.75, 0), 0x5e4a36),
    tint(new THREE.IcosahedronGeometry(1.8, 1).translate(0, 4.6, 0), 0x4f7f35),
    tint(new THREE.IcosahedronGeometry(1.3, 1).translate(1.1, 4.0, 0.4), 0x5a8a3c),
    tint(new THREE.IcosahedronGeometry(1.2, 1).translate(-1.0, 4.2, -0.5), 0x477532),
  ];
  return mergeUV(p.map((x) => { x.deleteAttribute('uv'); return x.index ? x.toNonIndexed() : x; }));
}

export function forest(ctx, p0) {
  const g = new THREE.Group();
  const day = daylight(ctx, g, { azimuth: 200, clouds: 0.4, exposure: 0.5, ground: 0x3d5a2a, shadow: { extent: 14, size: 1024, center: [0, 0, -6] } }, p0);
  const grassTex = grass(8, 88, 30); grassTex.repeat.set(80, 80);
  const ground = new THREE.Mesh(new THREE.PlaneGeometry(320, 320), std(0xffffff, { map: grassTex, roughness: 1 }));
  ground.rotation.x = -Math.PI / 2; ground.receiveShadow = true;
  g.add(ground);
  const path = new THREE.Mesh(new THREE.PlaneGeometry(1.6, 60).rotateX(-Math.PI / 2), std(0x8a7452, { roughness: 1 }));
  path.position.set(0.4, 0.01, -28);
  g.add(path);
  const TREES = 90;
  const r = rng(13);
  const conifers = instanced(coniferGeometry(), std(0xffffff, { vertexColors: true, flatShading: true }), TREES);
  const broad = instanced(broadleafGeometry(), std(0xffffff, { vertexColors: true, flatShading: true }), TREES);
  conifers.castShadow = broad.castShadow = true;
  const trees = Array.from({ length: TREES * 2 }, () => {
    let x, z;
    do { const a = r() * Math.PI * 2, d = 5 + r() * 70; x = Math.cos(a) * d; z = Math.sin(a) * d; } while (Math.abs(x - 0.4) < 2.5 && z < 0);
    return [x, z, 0.7 + r() * 0.7, r() * 6, r() * 6];
  });
  const bushes = instanced(new THREE.IcosahedronGeometry(0.6, 1), std(0x3f6a2e, { flatShading: true }), 60);
  for (let i = 0; i < 60; i++) { const a = r() * 6.28, d = 3 + r() * 25; place(bushes, i, Math.cos(a) * d, 0.25, Math.sin(a) * d, 0, r() * 6, 0, 1 + r(), 0.6 + r() * 0.5, 1 + r()); }
  finish(bushes, 60);
  g.add(conifers, broad, bushes);
  const birds = instanced(gullGeometry(), std(0x6b4a32, { side: THREE.DoubleSide }), 6);
  g.add(birds);
  const leaves = positional(ctx, g, 'leaves', -6, 4, -8, { ref: 6, volume: 0.4, seconds: 6 });
  const song = positional(ctx, g, 'birds', 5, 5, -10, { ref: 6, volume: 0, seconds: 9 });
  const s = { wind: 0.2 };
  function update(p, t, dt) {
    day.step(p.time_of_day, t, dt);
    s.wind += (p.wind - s.wind) * (1 - Math.exp(-dt / 1.5));
    const m = ctx.motion;
    for (let i = 0; i < TREES * 2; i++) {
      const tr = trees[i], x = tr[0], z = tr[1], k = tr[2], ph = tr[3], yaw = tr[4];
      const bend = Math.sin(t * 0.8 * m + ph) * 0.035 * s.wind * m;
      X[0] = x; X[1] = 0; X[2] = z; X[3] = bend * 0.5; X[4] = yaw; X[5] = bend; X[6] = X[7] = X[8] = k;
      put(i < TREES ? conifers : broad, i % TREES);
    }
    finish(conifers, TREES); finish(broad, TREES);
    const n = p.birdsong ? 6 : 0;
    for (let i = 0; i < n; i++) {
      X[0] = Math.cos(t * 0.25 * m + i) * 8; X[1] = 5 + Math.sin(t * 0.5 + i * 2); X[2] = -10 + Math.sin(t * 0.25 * m + i) * 4;
      X[3] = X[5] = 0; X[4] = -t * 0.25 - i; X[6] = X[7] = X[8] = 0.35;
      put(birds, i);
    }
    finish(birds, n);
    if (leaves) leaves.setVolume(0.15 + 0.8 * s.wind);
    if (song) song.setVolume(p.birdsong ? 0.5 : 0);
    ctx.env.fog(25, 140);
    ctx.audio.noiseLevel(0.02 + 0.06 * s.wind);
  }
  return { group: g, update, event() {}, dispose: () => day.sun.dispose(), lookPitch: -0.05 };
}

export function nightSky(ctx) {
  const g = new THREE.Group();
  ctx.env.lights({ hemi: 0.25, sun: 0.25, sunColor: 0x9fb4ff, skyColor: 0x4a5a8a, groundColor: 0x101010, sunPos: new THREE.Vector3(-0.4, 0.6, -0.3) });
  // the sky dome: a deep gradient to a faint glow at the horizon
  const dome = new THREE.Mesh(new THREE.SphereGeometry(800, 32, 16), new THREE.MeshBasicMaterial({ side: THREE.BackSide, fog: false, depthWrite: false, map: canvasTexture(4, 256, (c, w, h) => {
    const gr = c.createLinearGradient(0, 0, 0, h); gr.addColorStop(0, '#02040c'); gr.addColorStop(0.42, '#0a1430'); gr.addColorStop(0.5, '#1c2a48'); gr.addColorStop(0.55, '#05070a'); gr.addColorStop(1, '#000');
    c.fillStyle = gr; c.fillRect(0, 0, w, h);
  }) }));
  dome.renderOrder = -1;
  g.add(dome);
  const grassTex = grass(8, 110, 12); grassTex.repeat.set(60, 60);
  const ground = new THREE.Mesh(new THREE.PlaneGeometry(400, 400), std(0xffffff, { map: grassTex, roughness: 1 }));
  ground.rotation.x = -Math.PI / 2;
  g.add(ground);
  // a tree line on the horizon, black against the sky
  const r = rng(17);
  const line = instanced(new THREE.ConeGeometry(3, 12, 6), new THREE.MeshBasicMaterial({ color: 0x020303, fog: false }), 140);
  for (let i = 0; i < 140; i++) { const a = (i / 140) * Math.PI * 2 + r() * 0.03, d = 150 + r() * 40; place(line, i, Math.cos(a) * d, 5, Math.sin(a) * d, 0, 0, 0, 1, 0.6 + r() * 0.8, 1); }
  finish(line, 140);
  g.add(line);
  // stars: magnitudes drawn so counts grow ~3× per magnitude (as the real sky does); 40 % crowd the Milky Way band
  const MAXSTARS = 2000;
  const pos = new Float32Array(MAXSTARS * 3), col = new Float32Array(MAXSTARS * 3);
  const v = new THREE.Vector3(), band = new THREE.Vector3(0.3, 0.5, 0.81).normalize();
  for (let i = 0; i < MAXSTARS; i++) {
    do {
      v.set(r() * 2 - 1, r() * 2 - 1, r() * 2 - 1);
      if (i % 5 < 2) v.addScaledVector(band, -v.dot(band) * (0.85 + 0.1 * r())); // pull towards the galactic plane
    } while (v.lengthSq() > 1 || v.lengthSq() < 0.01 || v.clone().normalize().y < 0.04);
    v.normalize().multiplyScalar(700);
    pos.set([v.x, v.y, v.z], i * 3);
    const mag = Math.log(1 + r() * 19) / Math.log(20); // most stars faint, a few bright
    const b = 0.25 + 0.75 * (1 - mag) ** 2;
    const warm = r();
    col.set([b * (warm > 0.8 ? 1 : 0.85), b * 0.9, b * (warm < 0.3 ? 1 : 0.85)], i * 3);
  }
  const starGeo = new THREE.BufferGeometry();
  starGeo.setAttribute('position', new THREE.BufferAttribute(pos, 3));
  starGeo.setAttribute('color', new THREE.BufferAttribute(col, 3));
  const stars = new THREE.Points(starGeo, new THREE.PointsMaterial({ size: 2.2, sizeAttenuation: false, vertexColors: true, fog: false, depthWrite: false }));
  g.add(stars);
  const auroraMat = new THREE.MeshBasicMaterial({ color: 0x40ff9a, transparent: true, opacity: 0, side: THREE.DoubleSide, depthWrite: false, fog: false, blending: THREE.AdditiveBlending,
    alphaMap: canvasTexture(128, 128, (c, w, h) => {
      const gr = c.createLinearGradient(0, 0, 0, h); gr.addColorStop(0, '#000'); gr.addColorStop(0.3, '#666'); gr.addColorStop(0.85, '#fff'); gr.addColorStop(1, '#000'); c.fillStyle = gr; c.fillRect(0, 0, w, h);
      const side = c.createLinearGradient(0, 0, w, 0); side.addColorStop(0, 'rgba(0,0,0,1)'); side.addColorStop(0.25, 'rgba(0,0,0,0)'); side.addColorStop(0.75, 'rgba(0,0,0,0)'); side.addColorStop(1, 'rgba(0,0,0,1)'); c.fillStyle = side; c.fillRect(0, 0, w, h); // soft ends
    }, { srgb: false }) });
  const auroraGeo = new THREE.PlaneGeometry(500, 90, 60, 1);
  const auroraBase = auroraGeo.attributes.position.array.slice();
  const aurora = new THREE.Mesh(auroraGeo, auroraMat);
  aurora.position.set(0, 130, -300);
  g.add(aurora);
  const streak = new THREE.Mesh(new THREE.BoxGeometry(0.8, 0.8, 40), new THREE.MeshBasicMaterial({ color: 0xffffff, fog: false, transparent: true }));
  streak.rotation.y = Math.PI / 2;
  g.add(streak);
  const crickets = positional(ctx, g, 'leaves', 3, 0.3, -4, { ref: 3, volume: 0.12, seconds: 6, seed: 5 });
  const s = { aurora: 0, count: 800 };
  function update(p, t, dt) {
    s.count += (p.stars - s.count) * (1 - Math.exp(-dt / 0.8));
    starGeo.setDrawRange(0, Math.round(s.count));
    s.aurora += ((p.aurora ? 0.5 : 0) - s.aurora) * (1 - Math.exp(-dt / 2));
    auroraMat.opacity = s.aurora;
    aurora.visible = s.aurora > 0.01;
    const ap = auroraGeo.attributes.position;
    const m = ctx.motion;
    for (let i = 0; i < ap.count; i++) ap.array[i * 3 + 2] = Math.sin(auroraBase[i * 3] * 0.015 + t * 0.2 * m) * 40;
    ap.needsUpdate = true;
    const k = (t % 9) / 9; // a slow shooting star every 9 s, a quarter of a second long in view
    streak.visible = p.shooting_stars && k < 0.12;
    streak.position.set(-200 + k * 2400, 320 - k * 900, -500);
    if (crickets) crickets.setVolume(0.12);
    ctx.env.setSky(0x02040c, 0x05070a);
    ctx.env.fog(200, 700);
    ctx.env.light(0.5);
  }
  return { group: g, update, event() {}, lookPitch: 0.25 };
}

const TINT = { warm: 0xffd9b0, neutral: 0xffffff, cool: 0xd4e2ff };

export function neutralRoom(ctx) {
  const g = new THREE.Group();
  indoor(ctx, { keyPos: new THREE.Vector3(-0.6, 0.8, -0.3), key: 1.2, hemi: 0.5, envIntensity: 0.55, shadow: { extent: 4, size: 1024, center: [0, 0, -1] } });
  const wallTex = plaster(31, '#ebe5da'); wallTex.repeat.set(3, 1.5);
  const shell = new THREE.Mesh(new THREE.BoxGeometry(6, 3, 6), std(0xffffff, { map: wallTex, side: THREE.BackSide }));
  shell.position.y = 1.5;
  g.add(shell);
  const floorTex = wood(32, 32, 52); floorTex.repeat.set(5, 5);
  const floor = new THREE.Mesh(new THREE.PlaneGeometry(6, 6), std(0xffffff, { map: floorTex, roughness: 0.55 }));
  floor.rotation.x = -Math.PI / 2; floor.position.y = 0.002; floor.receiveShadow = true;
  g.add(floor);
  const rugTex = carpet(33, 30, 25, 55); rugTex.repeat.set(1.2, 0.9);
  const rug = new THREE.Mesh(new THREE.PlaneGeometry(2.4, 1.8), std(0xffffff, { map: rugTex, roughness: 1 }));
  rug.rotation.x = -Math.PI / 2; rug.position.set(0, 0.006, -0.9); rug.receiveShadow = true;
  g.add(rug);
  // a window with soft daylight, a sofa, a low table, a lamp, a plant, a picture
  const win = new THREE.Mesh(new THREE.PlaneGeometry(1.8, 1.3), new THREE.MeshBasicMaterial({ map: canvasTexture(64, 64, (c, w, h) => {
    const gr = c.createLinearGradient(0, 0, 0, h); gr.addColorStop(0, '#bcd9f2'); gr.addColorStop(0.7, '#e8f1f7'); gr.addColorStop(0.72, '#9bb58a'); gr.addColorStop(1, '#7f9a70'); c.fillStyle = gr; c.fillRect(0, 0, w, h);
    c.fillStyle = '#f3f1ec'; c.fillRect(w / 2 - 1, 0, 2, h); c.fillRect(0, h / 2 - 1, w, 2);
  }) }));
  win.position.set(-1.1, 1.6, -2.99);
  g.add(win);
  const sofa = new THREE.Mesh(mergeUV([
    new THREE.BoxGeometry(2, 0.42, 0.9).translate(0, 0.21, 0),
    new THREE.BoxGeometry(2, 0.5, 0.22).translate(0, 0.66, 0.34),
    new THREE.BoxGeometry(0.2, 0.3, 0.9).translate(-1, 0.57, 0),
    new THREE.BoxGeometry(0.2, 0.3, 0.9).translate(1, 0.57, 0),
  ].map((x) => tint(x, 0xffffff))), std(0xffffff, { map: fabric(34, 200, 18, 52), roughness: 0.95 }));
  sofa.position.set(0.9, 0, -2.4); sofa.rotation.y = 0;
  sofa.castShadow = true;
  const sofaTex = sofa.material.map; sofaTex.repeat.set(4, 2);
  g.add(sofa);
  const furniture = new THREE.Mesh(mergeUV([
    tint(new THREE.BoxGeometry(1, 0.04, 0.55).translate(0, 0.4, -1.2), 0x8a6442),
    tint(new THREE.BoxGeometry(0.04, 0.38, 0.04).translate(-0.46, 0.19, -1.44), 0x5a4030),
    tint(new THREE.BoxGeometry(0.04, 0.38, 0.04).translate(0.46, 0.19, -1.44), 0x5a4030),
    tint(new THREE.BoxGeometry(0.04, 0.38, 0.04).translate(-0.46, 0.19, -0.96), 0x5a4030),
    tint(new THREE.BoxGeometry(0.04, 0.38, 0.04).translate(0.46, 0.19, -0.96), 0x5a4030),
    tint(new THREE.CylinderGeometry(0.2, 0.15, 0.4, 14).translate(-2.3, 0.2, -2.4), 0xb0704f),
    tint(new THREE.CylinderGeometry(0.012, 0.012, 1.5, 6).translate(2.3, 0.75, -2.5), 0x333333),
    tint(new THREE.CylinderGeometry(0.14, 0.22, 0.28, 16, 1, true).translate(2.3, 1.55, -2.5), 0xf3e6cc),
    tint(new THREE.BoxGeometry(0.9, 0.65, 0.03).translate(0.9, 1.65, -2.98), 0x6f5a44),
    tint(new THREE.BoxGeometry(0.8, 0.55, 0.01).translate(0.9, 1.65, -2.96), 0x7fa3b8),
  ].map((x) => { x.deleteAttribute('uv'); return x; })), std(0xffffff, { vertexColors: true, roughness: 0.6, side: THREE.DoubleSide }));
  furniture.castShadow = true;
  g.add(furniture);
  const leaves = instanced(new THREE.IcosahedronGeometry(0.16, 0).scale(0.6, 1.6, 0.25), std(0x4f8a4a, { flatShading: true }), 24);
  const r = rng(35);
  const leafData = Array.from({ length: 24 }, () => [r() * 6.28, 0.35 + r() * 0.6, r() * 0.6, r() * 6]);
  g.add(leaves);
  const s = { light: 0.8, tint: new THREE.Color(0xffffff), target: new THREE.Color() };
  const lightOpts = { sunColor: 0xffffff, skyColor: 0xffffff };
  function update(p, t, dt) {
    s.light += (p.light_level - s.light) * (1 - Math.exp(-dt / 0.8));
    s.target.setHex(TINT[p.tint]);
    s.tint.lerp(s.target, 1 - Math.exp(-dt / 0.8));
    for (let i = 0; i < 24; i++) { // the plant's leaves stir in the air of the room
      const lf = leafData[i], a = lf[0], h = lf[1], tilt = lf[2], ph = lf[3];
      unit(); X[0] = -2.3 + Math.cos(a) * 0.12; X[1] = 0.4 + h; X[2] = -2.4 + Math.sin(a) * 0.12;
      X[3] = tilt + Math.sin(t * 0.5 + ph) * 0.03 * ctx.motion; X[4] = a; X[5] = 0.3 + tilt;
      put(leaves, i);
    }
    finish(leaves, 24);
    lightOpts.sunColor = lightOpts.skyColor = s.tint.getHex();
    ctx.env.lights(lightOpts);
    ctx.env.setSky(0x222222, 0x222222);
    ctx.env.fog(20, 60);
    ctx.env.light(0.4 + 0.9 * s.light);
  }
  return { group: g, update, event() {}, lookPitch: -0.15 };
}
