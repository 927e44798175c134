// Acrophobia: the patient stands on a balcony `floor` storeys up a city
// building, the edge `edge_distance_m` ahead. The steps a clinician names
// (CLINICAL.md §4): the floor (3 m storeys, counted by the facade's windows
// and the balconies stacked below), looking over the edge, the railing
// taken away, a glass floor, wind and sway. Scale cues carry the height:
// a street grid with lane markings and zebra crossings, traffic and
// walking people (the crowd's articulated figures) far below, trees,
// facades whose storeys can be counted.
import { THREE, instanced, place, put, unit, X, finish, rng, boxUV, tint, mergeUV } from './kit.js';
import { outdoor, std } from './env.js';
import { facade, curtainWall, cityBlock, pavers, blob } from './textures.js';
import { positional } from './sound.js';
import { figures, dress, ARM_PHONE, ARM_REST } from './people.js';

const STOREY_M = 3;
const BLOCK = 60; // street grid pitch (m); roads 12 m wide on the block seams
const ROAD_X0 = 30, ROAD_Z0 = -12; // seams: x = 30 + 60k, z = −12 + 60k; the street in front runs along z = −12
const CARS = 110, PEOPLE = 240, TREES = 90, STREAKS = 90;
const SLAB_LEN = 5, SLAB_W = 4;
const WHITE = new THREE.Color(0xffffff);

export default function build(ctx) {
  const g = new THREE.Group();
  const world = new THREE.Group(); // the city: moves down as the floor rises
  g.add(world);
  const sun = outdoor(ctx, g, { elevation: 46, azimuth: 128, clouds: 0.35, turbidity: 4, rayleigh: 1.8, exposure: 0.42, ground: 0x5d6157, shadow: { extent: 5, size: 1024, center: [0, 0, -2] } });

  // ground: the street grid, seamlessly repeating 60 m blocks
  const SIZE = BLOCK * 26;
  const groundTex = cityBlock();
  groundTex.repeat.set(SIZE / BLOCK, SIZE / BLOCK);
  groundTex.offset.set(-((SIZE / 2 + ROAD_X0) / BLOCK % 1), -((SIZE / 2 - ROAD_Z0) / BLOCK % 1));
  groundTex.anisotropy = 8;
  const ground = new THREE.Mesh(new THREE.PlaneGeometry(SIZE, SIZE), std(0xffffff, { map: groundTex, roughness: 0.95 }));
  ground.rotation.x = -Math.PI / 2;
  world.add(ground);

  // towers on the blocks: low and open across the street, taller with distance
  const r = rng(7);
  const punched = [], glass = [];
  for (let i = -7; i <= 7; i++) {
    for (let j = -7; j <= 6; j++) {
      if (i === 0 && j >= 0 && j <= 0) continue; // our own block (the building we stand in)
      if (i === 0 && j === -1) continue; // a park across the street: the view down stays open
      const cx = i * BLOCK, cz = ROAD_Z0 + 30 + j * BLOCK;
      const dist = Math.hypot(cx, cz);
      const lots = dist < 90 ? 2 : 1 + Math.floor(r() * 3);
      for (let k = 0; k < lots; k++) {
        const w = lots === 1 ? 22 + r() * 18 : 12 + r() * 10, d = lots === 1 ? 22 + r() * 18 : 14 + r() * 10;
        const ox = lots === 1 ? 0 : (k % 2 ? 1 : -1) * 11 + (r() - 0.5) * 4, oz = lots === 1 ? 0 : (k < 2 ? -1 : 1) * (lots > 2 ? 11 : 0) + (r() - 0.5) * 6;
        const tall = dist < 90 ? 9 + r() * 18 : r() < 0.35 ? 12 + r() * 15 : 18 + r() * Math.min(130, dist * 0.35);
        const h = Math.round(tall / STOREY_M) * STOREY_M;
        const shade = new THREE.Color().setHSL(0.05 + r() * 0.07, 0.1 + r() * 0.25, 0.55 + r() * 0.35);
        const isGlass = h > 45 && r() < 0.55;
        (isGlass ? glass : punched).push(boxUV(w, h, d, [12, 12], [cx + ox, 0, cz + oz], isGlass ? new THREE.Color().setHSL(0.1 + r() * 0.5, 0.08, 0.75 + r() * 0.25) : shade, [0.5, 0.99], Math.floor(r() * 2) * Math.PI / 2));
      }
    }
  }
  const facadeTex = facade(3);
  world.add(new THREE.Mesh(mergeUV(punched), std(0xffffff, { map: facadeTex, vertexColors: true, roughness: 0.8 })));
  world.add(new THREE.Mesh(mergeUV(glass), std(0xffffff, { map: curtainWall(), vertexColors: true, roughness: 0.3, metalness: 0.3 })));

  // our building: 31 storeys of the same facade, its top at our feet; the part
  // below the street is hidden by the ground, so the floor never rescales it
  const ours = new THREE.Mesh(boxUV(30, 31 * STOREY_M, 18, [12, 12], [0, -31 * STOREY_M - 0.25, 10], 0xd9d2c4), std(0xffffff, { map: facadeTex, vertexColors: true, roughness: 0.8 }));
  g.add(ours);
  // the neighbours' balconies, one per storey on either side: count them down
  // Materials here share their shader programs where the look allows (the
  // same features: vertex colours, per-instance colour): the first scene a
  // page loads pays for compiling each distinct program, the largest part of
  // its load under software WebGL (docs/scenes/README.md, "Load time")
  const balcony = instanced(tint(new THREE.BoxGeometry(3.4, 0.22, 2), 0xdcd6ca), std(0xffffff, { vertexColors: true }), 64);
  for (let k = 0; k < 64; k++) balcony.setColorAt(k, WHITE);
  for (let k = 0; k < 32; k++) {
    place(balcony, k * 2, -9, -0.11 - k * STOREY_M, 0);
    place(balcony, k * 2 + 1, 9, -0.11 - k * STOREY_M, 0);
  }
  finish(balcony, 62);
  balcony.castShadow = true;
  g.add(balcony);

  // trees along the pavements near us
  const treeGeo = mergeUV([
    tint(new THREE.CylinderGeometry(0.18, 0.25, 3, 5).translate(0, 1.5, 0), 0x5a4330),
    tint(new THREE.IcosahedronGeometry(2.2, 0).translate(0, 4.2, 0), 0x4f7a35),
  ].map((x) => { x.deleteAttribute('uv'); return x; }));
  const trees = instanced(treeGeo, std(0xffffff, { vertexColors: true }), TREES); // crowns of flat facets already (icosahedron, detail 0)
  for (let i = 0; i < TREES; i++) trees.setColorAt(i, WHITE); // the cars' program: vertex and instance colour
  for (let i = 0; i < TREES; i++) {
    const along = (i % 30) * 8 - 120, side = Math.floor(i / 30);
    const z = side === 0 ? ROAD_Z0 - 8 : side === 1 ? ROAD_Z0 + 8 : ROAD_Z0 - 30 + ((i * 7) % 20);
    const x = side === 2 ? -20 + (i % 10) * 4.5 : side === 1 && Math.abs(along) < 18 ? along + Math.sign(along + 0.1) * 24 : along;
    place(trees, i, x, 0, z, 0, r() * 6, 0, 0.8 + r() * 0.5);
  }
  finish(trees, TREES);
  world.add(trees);

  // traffic: cars, vans and buses along the seams, both directions, two lanes
  // each; a body, a glasshouse and four wheels (a vehicle type is a scale of
  // the same shape: one draw call for all of them)
  const wheels = [];
  for (const [wx, wz] of [[-0.82, -1.35], [0.82, -1.35], [-0.82, 1.4], [0.82, 1.4]]) wheels.push(tint(new THREE.CylinderGeometry(0.32, 0.32, 0.22, 10).rotateZ(Math.PI / 2).translate(wx, 0.32, wz), 0x1a1a1a));
  const carGeo = mergeUV([
    tint(new THREE.BoxGeometry(1.8, 0.62, 4.4).translate(0, 0.66, 0), 0xffffff),
    tint(new THREE.BoxGeometry(1.64, 0.5, 2.3).translate(0, 1.2, 0.15), 0x2a3038),
    ...wheels,
  ].map((x) => { x.deleteAttribute('uv'); return x; }));
  const cars = instanced(carGeo, std(0xffffff, { vertexColors: true, roughness: 0.35, metalness: 0.4 }), CARS);
  const carData = [];
  const PAINT = [0xf2f2f2, 0x1e1e1e, 0xb01c1c, 0x2a4f8f, 0x9aa0a6, 0xd9c21e, 0x3f6b3f, 0x5a5a5a];
  // [width, height, length] scale of the car shape: a car (4.4 m), a van (5.1 m, 2.1 m tall), a bus (12 m)
  const KIND = [[1, 1, 1], [1.08, 1.5, 1.16], [1.38, 2.2, 2.7]];
  for (let i = 0; i < CARS; i++) {
    const alongX = i % 3 !== 0; // most traffic on the street in front and its parallels
    const seam = alongX ? ROAD_Z0 + BLOCK * (i % 6 === 1 ? 1 : i % 6 === 2 ? -1 : 0) : ROAD_X0 + BLOCK * (Math.floor(r() * 8) - 4);
    const dir = r() < 0.5 ? 1 : -1;
    const kind = i % 13 === 5 ? 2 : i % 7 === 3 ? 1 : 0;
    carData.push({ alongX, seam, dir, lane: dir * (1.8 + (r() < 0.5 ? 0 : 3.2)), s: r() * 720 - 360, v: (kind === 2 ? 6 : 7) + r() * 7, k: KIND[kind] });
    cars.setColorAt(i, new THREE.Color(kind === 2 ? [0xc8262c, 0x1f5fa8, 0xe6e2d6][i % 3] : PAINT[Math.floor(r() * PAINT.length)]));
  }
  world.add(cars);

  // people on the pavements: articulated, dressed, walking figures (people.js,
  // the crowd's, in low detail: seen from 3 to 90 m up), most along the
  // street in front, some along the cross streets
  const people = figures(PEOPLE, { detail: 'low' });
  world.add(people.mesh);
  const walkers = [];
  for (let i = 0; i < PEOPLE; i++) {
    const [top, skin, hair, bottom, bits] = dress(r);
    people.style(i, top, skin, hair, bottom, bits);
    // the cross streets either side of the view (x = ±30) from the street in front out to 200 m
    const side = r() < 0.5 ? -1 : 1, alongX = i % 5 < 3;
    const seam = alongX ? ROAD_Z0 : ROAD_X0 - BLOCK * (i % 2);
    const lo = alongX ? -150 : -200, hi = alongX ? 150 : ROAD_Z0;
    walkers.push({ alongX, off: seam + side * (7.2 + r() * 1.6), lo, hi, s: lo + r() * (hi - lo), v: (r() < 0.5 ? -1 : 1) * (1.1 + r() * 0.5), ph: r() * 6.28,
      h: 0.92 + r() * 0.16, w: 0.94 + r() * 0.14, phone: r() < 0.15, seed: r() });
  }
  positional(ctx, world, 'traffic', 0, 1, ROAD_Z0, { ref: 12, rolloff: 1.2, volume: 1.2, seconds: 8 });

  // the balcony: paving slabs (0.5 m joints underfoot), then glass on a steel frame
  const paveTex = pavers(4);
  paveTex.repeat.set(SLAB_W / 2, SLAB_LEN / 2);
  const slabMat = std(0xffffff, { map: paveTex, transparent: true, roughness: 0.9 });
  const slab = new THREE.Mesh(new THREE.BoxGeometry(SLAB_W, 0.25, SLAB_LEN), slabMat);
  slab.receiveShadow = true;
  const glassMat = std(0xcfe9ef, { transparent: true, opacity: 0, roughness: 0.04, metalness: 0.1, depthWrite: false, envMapIntensity: 1.5 });
  const glassPane = new THREE.Mesh(new THREE.BoxGeometry(SLAB_W, 0.04, SLAB_LEN), glassMat);
  glassPane.position.y = 0.1;
  const frameParts = [];
  for (let k = 0; k <= 4; k++) frameParts.push(tint(new THREE.BoxGeometry(SLAB_W, 0.06, 0.06).translate(0, 0.09, -SLAB_LEN / 2 + k * SLAB_LEN / 4), 0x9aa2a8));
  for (let k = 0; k <= 2; k++) frameParts.push(tint(new THREE.BoxGeometry(0.06, 0.06, SLAB_LEN).translate(-SLAB_W / 2 + k * SLAB_W / 2, 0.09, 0), 0x9aa2a8));
  const frame = new THREE.Mesh(mergeUV(frameParts), std(0xffffff, { vertexColors: true, metalness: 0.8, roughness: 0.35 }));
  const deck = new THREE.Group();
  deck.add(slab, glassPane, frame);
  g.add(deck);
  // a soft contact shadow where the patient stands
  const feet = new THREE.Mesh(new THREE.PlaneGeometry(0.9, 0.7), new THREE.MeshBasicMaterial({ color: 0x000000, alphaMap: blob(), transparent: true, opacity: 0.45, depthWrite: false }));
  feet.rotation.x = -Math.PI / 2;
  feet.position.set(0, 0.006, 0.05);
  g.add(feet);

  // railing: steel posts every 0.5 m, a handrail at 1.05 m and a mid rail
  const railMat = std(0x3b4148, { metalness: 0.85, roughness: 0.35, vertexColors: true }); // the parts are tinted white: the frame's program
  const rail = new THREE.Group();
  const railParts = [
    tint(new THREE.BoxGeometry(SLAB_W, 0.06, 0.08).translate(0, 1.05, 0), 0xffffff),
    tint(new THREE.BoxGeometry(SLAB_W, 0.03, 0.03).translate(0, 0.5, 0), 0xffffff),
    tint(new THREE.BoxGeometry(0.06, 0.06, 2).translate(-SLAB_W / 2, 1.05, 1), 0xffffff),
    tint(new THREE.BoxGeometry(0.06, 0.06, 2).translate(SLAB_W / 2, 1.05, 1), 0xffffff),
  ];
  for (let i = 0; i <= 8; i++) railParts.push(tint(new THREE.BoxGeometry(0.03, 1.05, 0.03).translate(-SLAB_W / 2 + i * 0.5, 0.525, 0), 0xffffff));
  const railMesh = new THREE.Mesh(mergeUV(railParts.map((x) => { x.deleteAttribute('uv'); return x; })), railMat);
  railMesh.castShadow = true;
  rail.add(railMesh);
  g.add(rail);
  // the low concrete upstand that stays when the railing goes: the last thing between the feet and the drop
  const lip = new THREE.Mesh(tint(new THREE.BoxGeometry(SLAB_W, 0.06, 0.12), 0xcfc8bb), std(0xffffff, { vertexColors: true }));
  g.add(lip);

  // wind: streaks of air rushing past, in proportion to the wind
  const streaks = instanced(new THREE.BoxGeometry(0.6, 0.006, 0.006), new THREE.MeshBasicMaterial({ color: 0xffffff, transparent: true, opacity: 0.35, depthWrite: false }), STREAKS);
  const streakSeeds = Array.from({ length: STREAKS }, () => [r() * 30 - 15, r() * 5 - 1.5, -0.5 - r() * 14, r()]);
  g.add(streaks);

  const s = { y: -STOREY_M, edge: 4, rail: 1, glass: 0, gust: 0 };
  function update(p, t, dt) {
    sun.tick(t);
    s.y += (-p.floor * STOREY_M - s.y) * (1 - Math.exp(-dt / 0.4));
    s.edge = p.edge_distance_m;
    s.rail += ((p.railing ? 1 : 0) - s.rail) * (1 - Math.exp(-dt / 0.3));
    s.glass += ((p.glass_floor ? 1 : 0) - s.glass) * (1 - Math.exp(-dt / 0.3));
    s.gust *= Math.exp(-dt / 1.5);
    world.position.y = s.y;
    // the deck runs from inside the facade (z = +1) to the edge
    deck.position.z = -s.edge + SLAB_LEN / 2;
    slab.position.y = -0.125;
    slabMat.opacity = 1 - s.glass;
    slab.visible = s.glass < 0.99;
    glassMat.opacity = 0.18 * s.glass;
    glassPane.visible = frame.visible = s.glass > 0.01;
    feet.material.opacity = 0.45 * (1 - 0.5 * s.glass);
    rail.position.z = -s.edge;
    rail.scale.y = Math.max(0.001, s.rail);
    rail.visible = s.rail > 0.01;
    lip.position.y = 0.03; lip.position.z = -s.edge + 0.06;
    for (let i = 0; i < CARS; i++) {
      const c = carData[i];
      c.s += c.v * c.dir * dt;
      if (c.s > 360) c.s -= 720; else if (c.s < -360) c.s += 720;
      unit(); X[1] = 0; X[6] = c.k[0]; X[7] = c.k[1]; X[8] = c.k[2];
      if (c.alongX) { X[0] = c.s; X[2] = c.seam + c.lane; X[4] = c.dir > 0 ? Math.PI / 2 : -Math.PI / 2; }
      else { X[0] = c.seam + c.lane; X[2] = c.s; X[4] = c.dir > 0 ? 0 : Math.PI; }
      put(cars, i);
    }
    finish(cars, CARS);
    people.uniforms.uTime.value = t; people.uniforms.uMotion.value = ctx.motion;
    for (let i = 0; i < PEOPLE; i++) {
      const w = walkers[i];
      w.s += w.v * dt;
      if (w.s > w.hi) w.s -= w.hi - w.lo; else if (w.s < w.lo) w.s += w.hi - w.lo;
      const fwd = w.v > 0;
      unit(); X[6] = X[8] = w.w * w.h; X[7] = w.h;
      if (w.alongX) { X[0] = w.s; X[2] = w.off; X[4] = fwd ? -Math.PI / 2 : Math.PI / 2; } // the nose (−z) along the walk
      else { X[0] = w.off; X[2] = w.s; X[4] = fwd ? Math.PI : 0; }
      put(people.mesh, i);
      // a stride of about 0.75 m: the gait's phase advances 4.2 rad per metre walked (crowds.js)
      const A = people.anim, o = i * 8;
      A[o] = w.ph + w.s * (fwd ? 4.2 : -4.2); A[o + 1] = 1; A[o + 2] = 0; A[o + 3] = w.phone ? -0.5 : -0.05;
      A[o + 4] = 0; A[o + 5] = 0; A[o + 6] = w.phone ? ARM_PHONE : ARM_REST; A[o + 7] = w.seed;
    }
    people.finish(PEOPLE);
    const wind = Math.min(1, p.wind + s.gust);
    const n = Math.round(wind * STREAKS);
    for (let i = 0; i < n; i++) {
      const sd = streakSeeds[i], x = sd[0], y = sd[1], z = sd[2], ph = sd[3];
      const xx = ((x + t * (6 + 14 * wind) * (0.7 + ph) + 15) % 30) - 15;
      unit(); X[0] = xx; X[1] = y + Math.sin(t * 1.5 + ph * 6) * 0.2; X[2] = z; X[5] = Math.sin(t + ph * 9) * 0.05;
      put(streaks, i);
    }
    finish(streaks, n);
    ctx.audio.noiseLevel(0.04 + 0.45 * wind);
    // sway: the whole view rocks gently, never beyond the sway parameter (ctx.motion scales it for reduced motion)
    const sway = (p.sway + s.gust) * ctx.motion;
    ctx.shake.roll = Math.sin(t * 0.7) * 0.02 * sway;
    ctx.shake.x = Math.sin(t * 0.5) * 0.05 * sway;
    ctx.env.setSky(0xaac6e0, 0xc3d0dc);
    ctx.env.fog(120, 1100);
    ctx.env.light(1.0);
  }

  function event(name) {
    if (name === 'gust') { s.gust = 1; ctx.audio.noise(0.8, 1.5); }
    if (name === 'look_down_prompt') { ctx.caption('client.event.look_down', 5000); }
  }
  return { group: g, update, event, dispose: sun.dispose, lookPitch: -0.55 }; // inline view starts looking out and down over the street
}
