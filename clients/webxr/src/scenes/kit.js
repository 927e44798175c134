// Shared building blocks for the procedural scenes. Everything repeated is an
// InstancedMesh or merged geometry so a whole template costs a few dozen draw
// calls (budget per scene at every intensity: ≤ 100 draw calls, ≤ 300k
// triangles, ≤ 64 MiB of textures; docs/scenes/README.md).
import * as THREE from 'three';
import { mergeGeometries } from 'three/addons/utils/BufferGeometryUtils.js';

export { THREE };

const tmpM = new THREE.Matrix4();
const tmpQ = new THREE.Quaternion();
const tmpE = new THREE.Euler();
const tmpP = new THREE.Vector3();
const tmpS = new THREE.Vector3();

/** instanced creates an InstancedMesh with capacity max and count 0. */
export function instanced(geometry, material, max) {
  const m = new THREE.InstancedMesh(geometry, material, max);
  m.count = 0;
  m.frustumCulled = false; // instances move around; the bounding sphere of instance 0 would cull wrongly
  return m;
}

/** place writes instance i: position, Euler rotation (x,y,z) and scale (s uniform, or s, sy, sz). For load time: per frame, fill X and put(). */
export function place(mesh, i, x, y, z, rx = 0, ry = 0, rz = 0, s = 1, sy = s, sz = s) {
  tmpP.set(x, y, z);
  tmpQ.setFromEuler(tmpE.set(rx, ry, rz));
  tmpS.set(s, sy, sz);
  tmpM.compose(tmpP, tmpQ, tmpS);
  mesh.setMatrixAt(i, tmpM);
}

/**
 * X is the transform put() writes: position x, y, z; Euler rotation rx, ry,
 * rz; scale sx, sy, sz. Per-frame code fills it and calls put(mesh, i), so
 * no floating-point number crosses a call: V8 passes a double argument to a
 * call it does not inline as a new heap number, and place()'s nine per
 * instance per frame were most of what the scenes allocated
 * (bench/alloc_probe.mjs). at() sets all nine: at(x, y, z) then X[4] = yaw.
 */
export const X = new Float64Array(9);

/** unit resets X to no rotation and scale 1 (the position is left to the caller). */
export function unit() { X[3] = X[4] = X[5] = 0; X[6] = X[7] = X[8] = 1; }

/**
 * put writes instance i of mesh from X (see place): three's
 * Quaternion.setFromEuler (order XYZ) and Matrix4.compose written out on
 * plain numbers, straight into the instance matrix — no call inside, so no
 * number is boxed however the compiler inlines.
 */
export function put(mesh, i) {
  const hx = X[3] / 2, hy = X[4] / 2, hz = X[5] / 2;
  const c1 = Math.cos(hx), c2 = Math.cos(hy), c3 = Math.cos(hz), s1 = Math.sin(hx), s2 = Math.sin(hy), s3 = Math.sin(hz);
  const qx = s1 * c2 * c3 + c1 * s2 * s3, qy = c1 * s2 * c3 - s1 * c2 * s3, qz = c1 * c2 * s3 + s1 * s2 * c3, qw = c1 * c2 * c3 - s1 * s2 * s3;
  const x2 = qx + qx, y2 = qy + qy, z2 = qz + qz;
  const xx = qx * x2, xy = qx * y2, xz = qx * z2, yy = qy * y2, yz = qy * z2, zz = qz * z2, wx = qw * x2, wy = qw * y2, wz = qw * z2;
  const sx = X[6], sy = X[7], sz = X[8];
  const e = mesh.instanceMatrix.array, o = i * 16;
  e[o] = (1 - (yy + zz)) * sx; e[o + 1] = (xy + wz) * sx; e[o + 2] = (xz - wy) * sx; e[o + 3] = 0;
  e[o + 4] = (xy - wz) * sy; e[o + 5] = (1 - (xx + zz)) * sy; e[o + 6] = (yz + wx) * sy; e[o + 7] = 0;
  e[o + 8] = (xz + wy) * sz; e[o + 9] = (yz - wx) * sz; e[o + 10] = (1 - (xx + yy)) * sz; e[o + 11] = 0;
  e[o + 12] = X[0]; e[o + 13] = X[1]; e[o + 14] = X[2]; e[o + 15] = 1;
}

/** finish marks instance data dirty after a round of place calls. */
export function finish(mesh, count) {
  mesh.count = count;
  mesh.instanceMatrix.needsUpdate = true;
  if (mesh.instanceColor) mesh.instanceColor.needsUpdate = true;
}

// Easing towards a target with a time constant tau (frame-rate independent)
// is written inline in per-frame code, v += (target - v) * (1 - Math.exp(-dt / tau))
// (v *= Math.exp(-dt / tau) towards zero), not as a damp(v, target, tau, dt)
// helper: V8 boxes the double arguments and the result of a call it does not
// inline, and in the larger update functions the inlining budget runs out
// before such a call (bench/alloc_probe.mjs measured 16–70 B a frame from it).

/**
 * Uniform holds a number a shader reads and a scene changes every frame
 * (time, motion). It is a class of its own so its value stays an unboxed
 * double: a { value } literal shares its hidden class with every uniform
 * that holds a vector, a colour or a texture, so its value is a generic
 * field and each number stored there is a new heap number.
 */
export class Uniform {
  constructor(value = 0) { this.value = value; }
}

/** figureUniforms returns the time and motion uniforms the figures' shader reads (people.js). */
export function figureUniforms() { return { uTime: new Uniform(0), uMotion: new Uniform(1) }; }

/** rng is a small deterministic PRNG so every load of a scene looks the same (screenshots compare). */
export function rng(seed = 1) {
  let s = seed >>> 0;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 4294967296; };
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
