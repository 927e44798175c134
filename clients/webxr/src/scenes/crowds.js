// Crowds / agoraphobia: a pedestrian street, a shopping mall or a subway
// platform. The steps a clinician names (CLINICAL.md §4): how dense the
// crowd is, how loud, and how far the way out is (the green exit sign).
// People walk both ways (articulated figures: legs, knees and arms in a
// gait, people.js), in varied clothes, heights and builds, a few standing,
// and keep out of the patient's personal space unless a bump breaks it.
import { THREE, instanced, put, unit, X, finish, rng, boxUV, tint, mergeUV, figureUniforms } from './kit.js';
import { outdoor, std } from './env.js';
import { canvasTexture, facade, pavers, tiles, plaster } from './textures.js';
import { positional } from './sound.js';
import { figures, dress, ARM_PHONE, ARM_REST } from './people.js';

const MAX = 300;
// sky and fog colour, light level of each setting (made once: update runs every frame)
const LOOK = { street: [0xa9c4de, 0xc5d2de, 1], mall: [0xf4efe6, 0xf4efe6, 1.1], subway: [0x2a2a28, 0x3a3a36, 0.75] };
const LEN = 110;

function exitSign() { // ISO 7010 E001-style pictogram: a figure running through a door, with an arrow (no words)
  return canvasTexture(256, 128, (g, w, h) => {
    g.fillStyle = '#128a3c'; g.fillRect(0, 0, w, h);
    g.fillStyle = '#ffffff';
    g.fillRect(w * 0.06, h * 0.15, w * 0.2, h * 0.7); g.fillStyle = '#128a3c'; g.fillRect(w * 0.09, h * 0.2, w * 0.14, h * 0.65);
    g.fillStyle = '#ffffff';
    g.beginPath(); g.arc(w * 0.4, h * 0.24, h * 0.09, 0, 7); g.fill();
    g.lineWidth = h * 0.09; g.strokeStyle = '#ffffff'; g.lineCap = 'round';
    g.beginPath(); g.moveTo(w * 0.39, h * 0.36); g.lineTo(w * 0.35, h * 0.6); g.lineTo(w * 0.42, h * 0.82); g.moveTo(w * 0.35, h * 0.6); g.lineTo(w * 0.27, h * 0.8);
    g.moveTo(w * 0.3, h * 0.42); g.lineTo(w * 0.39, h * 0.38); g.lineTo(w * 0.46, h * 0.5); g.stroke();
    g.beginPath(); g.moveTo(w * 0.6, h * 0.5); g.lineTo(w * 0.88, h * 0.5); g.stroke();
    g.beginPath(); g.moveTo(w * 0.94, h * 0.5); g.lineTo(w * 0.8, h * 0.3); g.lineTo(w * 0.8, h * 0.7); g.closePath(); g.fillStyle = '#ffffff'; g.fill();
  }, { key: 'exitSign' });
}

export default function build(ctx) {
  const g = new THREE.Group();
  const sun = outdoor(ctx, g, { elevation: 55, azimuth: 150, clouds: 0.4, exposure: 0.5, ground: 0x8a867e });
  const r = rng(21);

  // street: paved, shop and office fronts either side (3 m storeys)
  const street = new THREE.Group();
  const paveTex = pavers(31, '#a9a39a'); paveTex.repeat.set(20 / 2, 130 / 2);
  const streetFloor = new THREE.Mesh(new THREE.PlaneGeometry(20, 130), std(0xffffff, { map: paveTex }));
  streetFloor.rotation.x = -Math.PI / 2; streetFloor.position.z = -45;
  const fronts = [];
  for (let i = 0; i < 11; i++) for (const side of [-1, 1]) {
    const h = 12 + Math.floor(r() * 5) * 3;
    fronts.push(boxUV(8, h, 10, [12, 12], [side * 14, 0, 15 - i * 10.5], new THREE.Color().setHSL(0.06 + r() * 0.06, 0.2 + r() * 0.2, 0.6 + r() * 0.3)));
  }
  street.add(streetFloor, new THREE.Mesh(mergeUV(fronts), std(0xffffff, { map: facade(5), vertexColors: true })));
  g.add(street);

  // mall: polished tiles, shopfronts with glazing, a ceiling with light panels
  const mall = new THREE.Group();
  const mallTex = tiles(12, '#e9e5dc', '#b8b2a6'); mallTex.repeat.set(20 / 1.2, 130 / 1.2);
  const mallFloor = new THREE.Mesh(new THREE.PlaneGeometry(20, 130), std(0xffffff, { map: mallTex, roughness: 0.2 }));
  mallFloor.rotation.x = -Math.PI / 2; mallFloor.position.z = -45;
  const wallTex = plaster(13, '#efe9df'); wallTex.repeat.set(30, 3);
  const mallShell = new THREE.Mesh(new THREE.BoxGeometry(20, 7, 130), std(0xffffff, { map: wallTex, side: THREE.BackSide }));
  mallShell.position.set(0, 3.5, -45);
  const shopParts = [];
  for (let i = 0; i < 13; i++) for (const side of [-1, 1]) {
    shopParts.push(tint(new THREE.BoxGeometry(0.1, 3, 7).translate(side * 9.9, 1.7, 15 - i * 9.5), 0x9fb8c8));
    shopParts.push(tint(new THREE.BoxGeometry(0.2, 0.7, 7.4).translate(side * 9.85, 3.7, 15 - i * 9.5), new THREE.Color().setHSL(r(), 0.5, 0.45)));
  }
  for (let i = 0; i < 20; i++) shopParts.push(tint(new THREE.BoxGeometry(3, 0.05, 1.2).translate(0, 6.95, 18 - i * 6.5), 0xfffaf0));
  const shops = new THREE.Mesh(mergeUV(shopParts.map((x) => { x.deleteAttribute('uv'); return x; })), std(0xffffff, { vertexColors: true, roughness: 0.15, metalness: 0.1, emissive: 0x222222 }));
  mall.add(mallFloor, mallShell, shops);
  g.add(mall);

  // subway: a platform with its yellow edge line, the track bed, tiled walls, a low ceiling
  const subway = new THREE.Group();
  const platTex = tiles(14, '#bdb7aa', '#77736b'); platTex.repeat.set(12 / 1.2, 130 / 1.2);
  const plat = new THREE.Mesh(new THREE.PlaneGeometry(12, 130), std(0xffffff, { map: platTex, roughness: 0.5 }));
  plat.rotation.x = -Math.PI / 2; plat.position.set(-2, 0, -45);
  const subTiles = tiles(15, '#e8e2c8', '#9d9a86'); subTiles.repeat.set(110, 4);
  const tunnel = new THREE.Mesh(new THREE.BoxGeometry(22, 4.5, 130), std(0xffffff, { map: subTiles, side: THREE.BackSide, roughness: 0.3 }));
  tunnel.position.set(0, 1.15, -45);
  const subParts = [
    tint(new THREE.BoxGeometry(0.5, 0.02, 130).translate(3.6, 0.011, -45), 0xf2c500),
    tint(new THREE.BoxGeometry(7, 1.1, 130).translate(7.5, -0.55, -45), 0x2b2a28),
    tint(new THREE.BoxGeometry(0.15, 0.15, 130).translate(6.2, -0.95, -45), 0x8a8a8a),
    tint(new THREE.BoxGeometry(0.15, 0.15, 130).translate(7.7, -0.95, -45), 0x8a8a8a),
  ];
  for (let i = 0; i < 26; i++) subParts.push(tint(new THREE.BoxGeometry(0.25, 0.05, 2.4).translate(0, 3.37, 18 - i * 5), 0xfff8e8));
  const subMesh = new THREE.Mesh(mergeUV(subParts.map((x) => { x.deleteAttribute('uv'); return x; })), std(0xffffff, { vertexColors: true, roughness: 0.6, emissive: 0x111111 }));
  subway.add(plat, tunnel, subMesh);
  g.add(subway);

  const exitMat = new THREE.MeshBasicMaterial({ map: exitSign() });
  const exit = new THREE.Mesh(new THREE.PlaneGeometry(1.2, 0.6), exitMat);
  g.add(exit);

  // people: articulated figures (people.js), near ones in full detail, the
  // crowd's far end in less; a few stand still in pairs, talking or on a phone
  const u = figureUniforms();
  const near = figures(MAX, { detail: 'high', uniforms: u });
  const far = figures(MAX, { detail: 'low', uniforms: u });
  const all = figures(MAX, { detail: 'low', uniforms: u }); // the wardrobe: every person's clothes, copied to near or far per frame
  g.add(near.mesh, far.mesh);
  const folk = Array.from({ length: MAX }, (_, i) => {
    const [top, skin, hair, bottom, bits] = dress(r);
    all.style(i, top, skin, hair, bottom, bits);
    const still = i % 9 === 4; // about one in nine stands: a pair talking, someone on the phone
    return { x: (r() - 0.5) * 15, z: 12 - r() * LEN, dir: r() < 0.5 ? 1 : -1, v: still ? 0 : 1.05 + r() * 0.5, ph: r() * 6.28, h: 0.92 + r() * 0.16, w: 0.94 + r() * 0.14,
      look: 0, still, phone: still && r() < 0.5, seed: r(), slot: -1 };
  });
  const murmur = positional(ctx, g, 'murmur', 0, 1.5, -6, { ref: 4, volume: 0, seconds: 6, seed: 9 });
  const s = { surge: 0, bump: 0, exitZ: -5 };
  let restyle = true;

  function update(p, t, dt) {
    sun.tick(t);
    const kind = p.scene;
    street.visible = kind === 'street'; mall.visible = kind === 'mall'; subway.visible = kind === 'subway';
    sun.sky.visible = kind === 'street';
    s.surge *= Math.exp(-dt / 2);
    s.bump *= Math.exp(-dt / 0.4);
    s.exitZ += (-p.exit_distance_m - s.exitZ) * (1 - Math.exp(-dt / 0.8));
    exit.position.set(kind === 'street' ? 0 : 0, kind === 'subway' ? 2.9 : 3.2, s.exitZ);
    // density 1 ≈ 300 people in the 15 × 110 m walk (≈ 0.2 /m², a busy pavement at rush hour)
    const n = Math.round(p.crowd_density * MAX);
    const m = ctx.motion;
    const halfW = kind === 'subway' ? 3 : 7.5, cx = kind === 'subway' ? -2 : 0;
    u.uTime.value = t; u.uMotion.value = m;
    let nn = 0, nf = 0;
    for (let i = 0; i < n; i++) {
      const f = folk[i];
      const speed = f.v * (1 + 1.5 * s.surge);
      f.z += f.dir * speed * dt;
      if (f.z > 12) f.z -= LEN; else if (f.z < 12 - LEN) f.z += LEN;
      // people keep out of the patient's personal space (0.6 m) unless a bump pushes one through
      let x = cx + f.x / 7.5 * halfW;
      if (Math.abs(f.z) < 1.2 && Math.abs(x) < 0.6) x = Math.sign(x || 1) * (0.6 - (i === 0 ? s.bump * 0.4 : 0));
      // a stride of about 0.75 m (leg swing per metre walked), so faster walkers step faster
      const walking = f.v > 0 ? 1 : 0;
      const stride = f.ph + f.z * f.dir * 4.2 * walking;
      const yaw = f.still ? (f.phone ? f.ph : (i % 2 ? 1.2 : -1.9)) : f.dir > 0 ? Math.PI : 0; // a standing pair turns to each other
      const bob = walking * Math.abs(Math.cos(stride)) * 0.025 * m;
      const close = f.z > -16 && f.z < 10;
      const fig = close ? near : far;
      const k = close ? nn++ : nf++;
      if (f.slot !== k + (close ? 0 : MAX)) { fig.copyStyle(k, all, i); f.slot = k + (close ? 0 : MAX); restyle = true; }
      unit(); X[0] = x; X[1] = bob; X[2] = f.z; X[4] = yaw; X[6] = X[8] = f.w * f.h; X[7] = f.h;
      put(fig.mesh, k);
      const o = k * 8, A = fig.anim;
      A[o] = stride; A[o + 1] = walking * Math.max(0.3, m); A[o + 2] = f.look; A[o + 3] = f.phone ? -0.5 : -0.05;
      A[o + 4] = 0; A[o + 5] = 0; A[o + 6] = f.phone ? ARM_PHONE : ARM_REST; A[o + 7] = f.seed;
    }
    near.finish(nn, restyle); far.finish(nf, restyle);
    restyle = false;
    if (murmur) murmur.setVolume((0.2 + 1.6 * p.noise) * (0.3 + p.crowd_density));
    ctx.shake.x = Math.sin(t * 20) * 0.02 * s.bump * m;
    const look = LOOK[kind];
    ctx.env.setSky(look[0], look[1]);
    ctx.env.fog(20, kind === 'street' ? 160 : 110);
    ctx.env.light(look[2]);
    ctx.audio.noiseLevel(p.noise * 0.2);
  }

  function event(name) {
    if (name === 'crowd_surge') s.surge = 1;
    if (name === 'announcement') { ctx.audio.chime(); ctx.caption('client.event.announcement', 5000); }
    if (name === 'bump') { s.bump = 1; folk[0].z = 1; folk[0].x = 0.3; ctx.audio.thud(); }
  }
  return { group: g, update, event, dispose: sun.dispose, lookPitch: -0.08 };
}
