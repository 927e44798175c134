// Shared building blocks for the procedural scenes. Everything repeated is an
// InstancedMesh or merged geometry so a whole template costs a few dozen draw
// calls (issue 6 budget: ≤ 100 draw calls, ≤ 150k triangles at max intensity).
import * as THREE from 'three';
import { mergeGeometries } from 'three/addons/utils/BufferGeometryUtils.js';

export { THREE };

const tmpM = new THREE.Matrix4();
const tmpQ = new THREE.Quaternion();
const tmpE = new THREE.Euler();
const tmpP = new THREE.Vector3();
const tmpS = new THREE.Vector3();

/** mat returns a flat-ish standard material; cheap enough for SwiftShader and a standalone headset. */
export function mat(color, extra = {}) {
  return new THREE.MeshLambertMaterial({ color, ...extra });
}

/** box/plane/cyl helpers return plain meshes positioned in one call. */
export function box(w, h, d, material, x = 0, y = 0, z = 0) {
  const m = new THREE.Mesh(new THREE.BoxGeometry(w, h, d), material);
  m.position.set(x, y, z);
  return m;
}

export function plane(w, d, material, y = 0) {
  const m = new THREE.Mesh(new THREE.PlaneGeometry(w, d), material);
  m.rotation.x = -Math.PI / 2;
  m.position.y = y;
  return m;
}

/** room returns an inward-facing box (walls, floor, ceiling in one draw call). */
export function room(w, h, d, color) {
  const m = new THREE.Mesh(new THREE.BoxGeometry(w, h, d), mat(color, { side: THREE.BackSide }));
  m.position.y = h / 2;
  return m;
}

/** instanced creates an InstancedMesh with capacity max and count 0. */
export function instanced(geometry, material, max) {
  const m = new THREE.InstancedMesh(geometry, material, max);
  m.count = 0;
  m.frustumCulled = false; // instances move around; the bounding sphere of instance 0 would cull wrongly
  return m;
}

/** place writes instance i: position, Euler rotation (x,y,z) and scale (number or [x,y,z]). */
export function place(mesh, i, x, y, z, rx = 0, ry = 0, rz = 0, s = 1) {
  tmpP.set(x, y, z);
  tmpQ.setFromEuler(tmpE.set(rx, ry, rz));
  if (Array.isArray(s)) tmpS.set(s[0], s[1], s[2]); else tmpS.set(s, s, s);
  tmpM.compose(tmpP, tmpQ, tmpS);
  mesh.setMatrixAt(i, tmpM);
}

/** finish marks instance data dirty after a round of place calls. */
export function finish(mesh, count) {
  mesh.count = count;
  mesh.instanceMatrix.needsUpdate = true;
  if (mesh.instanceColor) mesh.instanceColor.needsUpdate = true;
}

/** merge bakes several (geometry, matrix) parts into one geometry with vertex colours. */
export function merge(parts) {
  const geos = parts.map(([g, color, x = 0, y = 0, z = 0, rx = 0, ry = 0, rz = 0, s = 1]) => {
    const geo = g.index ? g.toNonIndexed() : g.clone();
    tmpP.set(x, y, z);
    tmpQ.setFromEuler(tmpE.set(rx, ry, rz));
    if (Array.isArray(s)) tmpS.set(s[0], s[1], s[2]); else tmpS.set(s, s, s);
    geo.applyMatrix4(tmpM.compose(tmpP, tmpQ, tmpS));
    const c = new THREE.Color(color);
    const n = geo.attributes.position.count;
    const col = new Float32Array(n * 3);
    for (let i = 0; i < n; i++) { col[i * 3] = c.r; col[i * 3 + 1] = c.g; col[i * 3 + 2] = c.b; }
    geo.setAttribute('color', new THREE.BufferAttribute(col, 3));
    for (const k of Object.keys(geo.attributes)) if (!['position', 'normal', 'color'].includes(k)) geo.deleteAttribute(k);
    return geo;
  });
  return mergeGeometries(geos);
}

/** person is a low-poly standing figure (body, head, legs) in one geometry, 1 unit = 1 m, feet at y=0. */
export function personGeometry() {
  return merge([
    [new THREE.CylinderGeometry(0.17, 0.2, 0.7, 7), 0xffffff, 0, 1.1, 0],
    [new THREE.SphereGeometry(0.12, 7, 5), 0xe8c4a0, 0, 1.6, 0],
    [new THREE.CylinderGeometry(0.07, 0.07, 0.75, 5), 0x334455, -0.09, 0.38, 0],
    [new THREE.CylinderGeometry(0.07, 0.07, 0.75, 5), 0x334455, 0.09, 0.38, 0],
  ]);
}

/** damp moves value towards target with time constant tau seconds (frame-rate independent). */
export function damp(value, target, tau, dt) {
  return target + (value - target) * Math.exp(-dt / Math.max(1e-3, tau));
}

/** rng is a small deterministic PRNG so every load of a scene looks the same (screenshots compare). */
export function rng(seed = 1) {
  let s = seed >>> 0;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 4294967296; };
}

/** skyColors per time of day for the calming scenes. */
export const SKY = {
  dawn: { sky: 0xf3b9a0, fog: 0xe8c0b0, sun: 0xffc89a, light: 0.7, sunY: 0.15 },
  day: { sky: 0x8fc6ee, fog: 0xbfdcf0, sun: 0xffffff, light: 1.0, sunY: 0.8 },
  sunset: { sky: 0xe27d50, fog: 0xc98a70, sun: 0xffa060, light: 0.55, sunY: 0.05 },
};

/** lerpColor blends two hex colours into target (a THREE.Color). */
export function lerpColor(target, a, b, k) {
  return target.set(a).lerp(new THREE.Color(b), k);
}

/**
 * boxUV returns a box whose UVs are in texture repeats: tile = [metres per
 * repeat across, metres per repeat up], so a facade texture keeps 3 m
 * storeys on any building. Roof and floor faces sample the point roofUV.
 * With position [x,y,z] (the box's base centre) and color it is ready to merge.
 */
export function boxUV(w, h, d, tile, pos = [0, 0, 0], color = 0xffffff, roofUV = [0.5, 0.99], ry = 0) {
  const g = new THREE.BoxGeometry(w, h, d);
  const uv = g.attributes.uv;
  const faces = [[d, h], [d, h], null, null, [w, h], [w, h]]; // +x −x +y −y +z −z
  for (let f = 0; f < 6; f++) {
    for (let k = 0; k < 4; k++) {
      const i = f * 4 + k;
      if (!faces[f]) { uv.setXY(i, roofUV[0], roofUV[1]); continue; }
      uv.setXY(i, uv.getX(i) * faces[f][0] / tile[0], uv.getY(i) * faces[f][1] / tile[1]);
    }
  }
  g.rotateY(ry);
  g.translate(pos[0], pos[1] + h / 2, pos[2]);
  return tint(g, color);
}

/** tint gives geometry a constant vertex colour (for merged parts sharing one material). */
export function tint(g, color) {
  const c = new THREE.Color(color), n = g.attributes.position.count;
  const col = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) { col[i * 3] = c.r; col[i * 3 + 1] = c.g; col[i * 3 + 2] = c.b; }
  g.setAttribute('color', new THREE.BufferAttribute(col, 3));
  return g;
}

/** mergeUV merges geometries that all carry position, normal, uv and color (see boxUV, tint). */
export function mergeUV(geos) {
  const mixed = geos.some((g) => !g.index);
  const flat = mixed ? geos.map((g) => (g.index ? g.toNonIndexed() : g)) : geos;
  const out = mergeGeometries(flat);
  for (const g of geos) g.dispose();
  return out;
}
