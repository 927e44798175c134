// People for the scenes: one articulated figure, drawn as an InstancedMesh
// (one draw call for a whole crowd, audience or cabin) and posed on the GPU.
//
// Proportions are those of an adult as a fraction of stature H
// (Drillis & Contini 1966, as tabulated in D. A. Winter, Biomechanics and
// Motor Control of Human Movement, 4th ed., fig. 4.1): chin 0.870 H,
// shoulder 0.818 H, elbow 0.630 H, wrist 0.485 H, hip 0.530 H, knee
// 0.285 H, ankle 0.039 H; shoulder width 0.259 H, hip width 0.191 H, foot
// 0.152 H. The figure is built at H = 1.72 m, feet at y = 0, facing −z;
// each instance's matrix scales it to its own height and build.
//
// Each vertex belongs to a bone (pelvis, torso, head, upper and lower arms
// and legs) and a part (shirt, trousers, skin, hair, shoes…). The vertex
// shader bends the bones from four numbers per instance — gait phase, how
// much it walks, head yaw and pitch — and four more — lean, sitting, the
// right arm's task (resting, a raised hand, a phone), a seed for idle
// motion — and colours the parts from the instance's shirt colour and
// palette indices (skin, hair, trousers; variants: skirt, long hair,
// jacket, glasses). Idle motion (breathing, glances, shifting weight) runs on
// the GPU from the time uniform, so a still audience is never frozen.
// Faces stay simple on purpose: small dark eyes, brows, nose, lips and ears
// read as a face at a distance without the uncanny stare of a detailed one.
import { THREE, mergeUV, figureUniforms } from './kit.js';

const H = 1.72;
const Y = { chin: 0.870 * H, shoulder: 0.818 * H, elbow: 0.630 * H, wrist: 0.485 * H, hip: 0.530 * H, knee: 0.285 * H, ankle: 0.039 * H };
const SHOULDER_X = 0.259 * H / 2 - 0.02, HIP_X = 0.191 * H / 4 + 0.008;
const HEAD_Y = Y.chin + 0.105; // centre of the skull
/** HIP_Y is the height of the hip joint: a seated figure is placed hip-on-seat (y = seat − HIP_Y + 0.05). */
export const HIP_Y = Y.hip;
/** EYE_Y is the height of a standing figure's eyes. */
export const EYE_Y = HEAD_Y + 0.02;

// bones; the pivots are in the shader below
const PELVIS = 0, TORSO = 1, HEAD = 2, L_UPPER = 3, L_FORE = 4, R_UPPER = 5, R_FORE = 6, L_THIGH = 7, L_SHIN = 8, R_THIGH = 9, R_SHIN = 10;
// parts: how each is coloured (and hidden, for the variants)
const SHIRT = 0, TROUSERS = 1, SKIN_P = 2, HAIR_P = 3, SHOES = 4, FEATURES = 5, SKIRT = 6, LONG_HAIR = 7, SHIRT_FRONT = 8, GLASSES = 9, LIPS = 10, SHINS = 11, PHONE = 12;

/** SKIN tones, light to dark (sRGB). */
export const SKIN = [0xf1c7a5, 0xe0ac84, 0xc68a62, 0x9a6845, 0x6e472e, 0xf3d3bd];
const HAIR = [0x1b1512, 0x3b2a1e, 0x5e4230, 0x8a4f2c, 0xc9a46a, 0x9a9590];
const BOTTOMS = [0x262b36, 0x18181b, 0x3c3f44, 0xa08f6e, 0x3d5878, 0x4a3a2c, 0x2f3d2e, 0x5a2a32];
/** TOPS are the shirt and jacket colours of everyday clothing (not a rainbow): white, greys, navy, denim, burgundy, greens, mustard, beige, brick, muted pinks and blues. */
export const TOPS = [0xf2f0ea, 0xd9d6cf, 0x8d9096, 0x2b2f38, 0x22304f, 0x4d6f94, 0x6e2433, 0x355e45, 0x6b7a46, 0xc99a2e, 0xcbb592, 0x9c4a35, 0xc98f94, 0x93b3cf, 0x5b4f6e, 0x111214];
/** Variant bits for style(): a skirt or dress, long hair, a jacket over the shirt, glasses. */
export const SKIRT_V = 1, LONG_HAIR_V = 2, JACKET_V = 4, GLASSES_V = 8;
/** Right-arm tasks for the arm channel: resting, a hand raised (a question), holding a phone. */
export const ARM_REST = 0, ARM_RAISED = 1, ARM_PHONE = 2;

function part(g, bone, p) {
  g.deleteAttribute('uv');
  const n = g.attributes.position.count, a = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) { a[i * 2] = bone; a[i * 2 + 1] = p; }
  g.setAttribute('aPart', new THREE.BufferAttribute(a, 2));
  return g.index ? g.toNonIndexed() : g;
}

// a limb segment from y0 down to y1 at x, tapering r0 → r1
function limb(x, y0, y1, r0, r1, seg, bone, p, z = 0) {
  return part(new THREE.CylinderGeometry(r0, r1, y0 - y1, seg, 1, true).translate(x, (y0 + y1) / 2, z), bone, p);
}

/**
 * figureGeometry builds the figure; detail 'high' (about 1,000 triangles,
 * for people within a few metres) or 'low' (about 350, for a crowd's far end).
 */
export function figureGeometry(detail = 'high') {
  const hi = detail === 'high';
  const seg = hi ? 10 : 6, lseg = hi ? 7 : 4;
  const parts = [];
  // torso: a lathe from the hips to the base of the neck, wider than deep;
  // below the belt it is trousers (pelvis), above it the shirt
  const prof = [[0.001, Y.hip - 0.06], [0.135, Y.hip - 0.04], [0.155, Y.hip + 0.03], [0.15, Y.hip + 0.1], [0.14, Y.hip + 0.17], [0.155, Y.elbow + 0.08],
    [0.175, Y.elbow + 0.2], [0.188, Y.shoulder - 0.06], [0.18, Y.shoulder - 0.005], [0.15, Y.shoulder + 0.028], [0.1, Y.shoulder + 0.048], [0.055, Y.shoulder + 0.06]];
  const torso = new THREE.LatheGeometry(prof.map(([r, y]) => new THREE.Vector2(r, y)), seg).scale(1, 1, 0.62);
  const belt = Y.hip + 0.09;
  const tp = torso.attributes.position, lower = [], upper = [];
  // split by height: one lathe, two parts (pelvis bone below the belt, torso above)
  const idx = torso.index.array;
  for (let i = 0; i < idx.length; i += 3) {
    const cy = (tp.getY(idx[i]) + tp.getY(idx[i + 1]) + tp.getY(idx[i + 2])) / 3;
    (cy < belt ? lower : upper).push(idx[i], idx[i + 1], idx[i + 2]);
  }
  const pelvis = torso.clone(); pelvis.setIndex(lower);
  torso.setIndex(upper);
  parts.push(part(pelvis, PELVIS, TROUSERS), part(torso, TORSO, SHIRT));
  // the shirt showing at the front of an open jacket
  parts.push(part(new THREE.PlaneGeometry(0.11, 0.2).rotateY(Math.PI).rotateX(-0.12).translate(0, Y.shoulder - 0.1, -0.111), TORSO, SHIRT_FRONT));
  parts.push(limb(0, Y.chin + 0.02, Y.shoulder + 0.02, 0.05, 0.058, lseg, TORSO, SKIN_P));
  // head: a skull narrowing to the jaw
  const head = new THREE.SphereGeometry(0.1, hi ? 12 : 7, hi ? 9 : 5);
  const hp = head.attributes.position;
  for (let i = 0; i < hp.count; i++) {
    const y = hp.getY(i), jaw = y < 0 ? 1 - 0.22 * (-y / 0.1) ** 1.5 : 1;
    hp.setXYZ(i, hp.getX(i) * 0.8 * jaw, y * 1.14, hp.getZ(i) * 0.95 * (y < 0 ? 0.93 + 0.07 * jaw : 1));
  }
  head.computeVertexNormals();
  parts.push(part(head.translate(0, HEAD_Y, 0), HEAD, SKIN_P));
  // the hair: a cap tilted back (the hairline above the brows, the back down to the nape)
  parts.push(part(new THREE.SphereGeometry(0.107, hi ? 12 : 7, hi ? 5 : 3, 0, Math.PI * 2, 0, Math.PI * 0.5).rotateX(0.28).scale(0.84, 1.16, 0.99).translate(0, HEAD_Y + 0.012, 0.008), HEAD, HAIR_P));
  // the back of the hair reaching the nape (short) or the shoulders (long),
  // behind the ears only (reaching round to the cheeks it read as a beard)
  parts.push(part(new THREE.CylinderGeometry(0.092, 0.074, 0.13, hi ? 8 : 4, 1, true, -Math.PI * 0.42, Math.PI * 0.84).scale(0.92, 1, 1.02).translate(0, HEAD_Y - 0.04, 0.01), HEAD, HAIR_P));
  parts.push(part(new THREE.CylinderGeometry(0.088, 0.105, 0.22, hi ? 8 : 4, 1, true, -Math.PI * 0.42, Math.PI * 0.84).scale(1, 1, 0.85).translate(0, HEAD_Y - 0.11, 0.025), HEAD, LONG_HAIR));
  if (hi) {
    for (const s of [-1, 1]) {
      parts.push(part(new THREE.SphereGeometry(0.009, 6, 4).scale(1.1, 0.7, 0.45).translate(s * 0.031, HEAD_Y + 0.012, -0.089), HEAD, FEATURES)); // eyes
      parts.push(part(new THREE.BoxGeometry(0.032, 0.006, 0.008).rotateZ(s * -0.12).translate(s * 0.032, HEAD_Y + 0.032, -0.091), HEAD, HAIR_P)); // brows
      parts.push(part(new THREE.SphereGeometry(0.022, 5, 3).scale(0.35, 1, 0.7).translate(s * 0.082, HEAD_Y + 0.002, 0.004), HEAD, SKIN_P)); // ears
      parts.push(part(new THREE.TorusGeometry(0.02, 0.0025, 3, 6).translate(s * 0.031, HEAD_Y + 0.012, -0.097), HEAD, GLASSES));
    }
    parts.push(part(new THREE.BoxGeometry(0.022, 0.003, 0.003).translate(0, HEAD_Y + 0.014, -0.097), HEAD, GLASSES));
    parts.push(part(new THREE.SphereGeometry(0.013, 5, 4).scale(0.85, 1.7, 1.1).translate(0, HEAD_Y - 0.01, -0.094), HEAD, SKIN_P)); // nose
    parts.push(part(new THREE.BoxGeometry(0.034, 0.008, 0.008).translate(0, HEAD_Y - 0.048, -0.082), HEAD, LIPS));
  } else {
    for (const s of [-1, 1]) parts.push(part(new THREE.BoxGeometry(0.022, 0.01, 0.01).translate(s * 0.031, HEAD_Y + 0.012, -0.088), HEAD, FEATURES));
  }
  // arms: sleeve to the wrist, then the hand; slightly away from the body
  for (const [s, up, fore] of [[-1, L_UPPER, L_FORE], [1, R_UPPER, R_FORE]]) {
    const x = s * SHOULDER_X;
    // the shoulder: a ball centred on the joint's pivot (the shader's), so a
    // swinging or raised arm turns it in place; it overlaps the torso's
    // rounded top, which reaches out to it, so no gap opens between them
    parts.push(part(new THREE.SphereGeometry(0.056, lseg, hi ? 5 : 3).scale(1, 0.9, 0.95).translate(x, Y.shoulder - 0.03, 0), up, SHIRT));
    parts.push(limb(x, Y.shoulder - 0.03, Y.elbow, 0.052, 0.042, lseg, up, SHIRT));
    parts.push(limb(x, Y.elbow + 0.01, Y.wrist, 0.043, 0.033, lseg, fore, SHIRT));
    parts.push(part(new THREE.SphereGeometry(0.05, hi ? 6 : 4, hi ? 4 : 3).scale(0.55, 1.25, 0.9).translate(x, Y.wrist - 0.055, 0), fore, SKIN_P));
    if (s > 0) parts.push(part(new THREE.BoxGeometry(0.072, 0.145, 0.01).translate(x, Y.wrist - 0.07, -0.045), fore, PHONE));
  }
  // legs: trousers to the ankle (bare shins under a skirt), shoes
  for (const [s, th, sh] of [[-1, L_THIGH, L_SHIN], [1, R_THIGH, R_SHIN]]) {
    const x = s * HIP_X;
    parts.push(limb(x, Y.hip + 0.04, Y.knee, 0.082, 0.058, lseg, th, TROUSERS));
    parts.push(limb(x, Y.knee + 0.01, Y.ankle + 0.02, 0.056, 0.04, lseg, sh, SHINS));
    parts.push(part(new THREE.SphereGeometry(0.06, hi ? 7 : 4, hi ? 3 : 2, 0, Math.PI * 2, 0, Math.PI / 2).scale(0.85, 1.1, 2.2).translate(x, 0, -0.045), sh, SHOES));
  }
  // a skirt or dress, over the trousers' place
  parts.push(part(new THREE.CylinderGeometry(0.16, 0.25, 0.46, seg, 1, true).scale(1, 1, 0.8).translate(0, Y.hip - 0.13, 0), PELVIS, SKIRT));
  const g = mergeUV(parts);
  g.computeBoundingSphere();
  return g;
}

// the vertex shader: bone pivots (metres, figure space) and the pose
const POSE_GLSL = /* glsl */ `
attribute vec2 aPart;
attribute vec4 aAnimA; // gait phase (rad), walking 0–1, head yaw, head pitch
attribute vec4 aAnimB; // lean (rad, + back), sitting 0–1, right arm task, seed
attribute vec4 aStyle; // skin, hair, trousers (palette indices), variant bits
uniform float uTime;
uniform float uMotion;
mat3 figRotX(float a) { float c = cos(a), s = sin(a); return mat3(1.0, 0.0, 0.0, 0.0, c, s, 0.0, -s, c); }
mat3 figRotY(float a) { float c = cos(a), s = sin(a); return mat3(c, 0.0, -s, 0.0, 1.0, 0.0, s, 0.0, c); }
mat3 figRotZ(float a) { float c = cos(a), s = sin(a); return mat3(c, s, 0.0, -s, c, 0.0, 0.0, 0.0, 1.0); }
bool figBit(float bits, float b) { return mod(floor(bits / b), 2.0) > 0.5; }
// the bone's transform as a rotation and a translation (p' = figR p + figT),
// built joint by joint from the hand or foot up to the hips: the same for
// the position and the normal, computed once per vertex
mat3 figR; vec3 figT;
void figJoint(mat3 r, vec3 pivot) { figR = r * figR; figT = r * figT + pivot - r * pivot; }
void figBone() {
  figR = mat3(1.0); figT = vec3(0.0);
  float bone = aPart.x;
  float ph = aAnimA.x, walk = aAnimA.y, sit = aAnimB.y, arm = aAnimB.z, seed = aAnimB.w;
  float idle = uMotion * (1.0 - walk);
  float t = uTime + seed * 37.0;
  if (bone >= 7.0) { // legs: knee, then hip; walking or seated
    float left = bone < 8.5 ? 1.0 : -1.0;
    float p = ph + (left > 0.0 ? 0.0 : 3.14159);
    float thigh = sin(p) * 0.42 * walk + sit * 1.52;
    float knee = -max(0.0, sin(p - 1.3)) * 0.75 * walk - sit * 1.45;
    float x = left * -${HIP_X.toFixed(4)};
    if (bone == 8.0 || bone == 10.0) figJoint(figRotX(knee), vec3(x, ${Y.knee.toFixed(4)}, 0.0));
    figJoint(figRotX(thigh), vec3(x, ${Y.hip.toFixed(4)}, 0.0));
    return;
  }
  if (bone == 0.0) return;
  if (bone >= 3.0) { // arms: elbow, then shoulder
    float right = bone > 4.5 ? 1.0 : 0.0;
    float side = right > 0.5 ? 1.0 : -1.0;
    float p = ph + (right > 0.5 ? 0.0 : 3.14159);
    float swing = -sin(p) * 0.32 * walk + sin(t * 0.9) * 0.02 * idle;
    float elbow = 0.18 + 0.2 * walk + sit * 0.95;
    float lift = sit * 0.35;
    float abd = 0.06;
    if (right > 0.5 && arm > 0.5 && arm < 1.5) { lift = 2.75 * arm + sin(t * 2.0) * 0.05 * uMotion; elbow = 0.25; abd = 0.12; }
    if (right > 0.5 && arm > 1.5) { lift = 0.45 + sit * 0.1; elbow = 1.35; abd = -0.05; }
    float x = side * ${SHOULDER_X.toFixed(4)};
    if (bone == 4.0 || bone == 6.0) figJoint(figRotX(elbow), vec3(x, ${Y.elbow.toFixed(4)}, 0.0));
    figJoint(figRotZ(side * abd) * figRotX(lift + swing), vec3(x, ${(Y.shoulder - 0.03).toFixed(4)}, 0.0));
  } else if (bone == 2.0) { // head: yaw and pitch at the neck
    float yaw = aAnimA.z + sin(t * 0.23) * 0.14 * idle + sin(t * 0.61) * 0.05 * idle;
    float pitch = aAnimA.w + sin(t * 0.31 + 1.7) * 0.05 * idle;
    figJoint(figRotY(yaw) * figRotX(pitch), vec3(0.0, ${(Y.chin + 0.01).toFixed(4)}, 0.02));
  }
  // the upper body: breathing and shifting weight; walking leans a little forward
  float lean = aAnimB.x - 0.05 * walk + sin(t * 1.55) * 0.012 * idle;
  float roll = sin(t * 0.27) * 0.02 * idle * (1.0 - sit) + sin(ph) * 0.03 * walk;
  figJoint(figRotZ(roll) * figRotX(lean), vec3(0.0, ${(Y.hip + 0.05).toFixed(4)}, 0.0));
}
// figHidden: a variant's part this instance does not wear
bool figHidden() {
  float p = aPart.y, bits = aStyle.w;
  if (p == ${SKIRT}.0) return !figBit(bits, ${SKIRT_V}.0);
  if (p == ${LONG_HAIR}.0) return !figBit(bits, ${LONG_HAIR_V}.0);
  if (p == ${GLASSES}.0) return !figBit(bits, ${GLASSES_V}.0);
  if (p == ${PHONE}.0) return aAnimB.z < 1.5;
  if (p == ${SHIRT_FRONT}.0) return !figBit(bits, ${JACKET_V}.0);
  return false;
}
`;

const COLOR_GLSL = /* glsl */ `
  {
    float p = aPart.y, bits = aStyle.w;
    vec3 top = vec3(1.0);
    #ifdef USE_INSTANCING_COLOR
      top = instanceColor.rgb;
    #endif
    vec3 skin = uSkin[int(aStyle.x)], hair = uHair[int(aStyle.y)], bottom = uBottom[int(aStyle.z)];
    vec3 c = top;
    if (p == ${SHIRT}.0 && figBit(bits, ${JACKET_V}.0)) c = bottom * 1.1;
    else if (p == ${TROUSERS}.0) c = bottom;
    else if (p == ${SKIN_P}.0) c = skin;
    else if (p == ${HAIR_P}.0 || p == ${LONG_HAIR}.0) c = hair;
    else if (p == ${SHOES}.0) c = figBit(bits, ${SKIRT_V}.0) ? vec3(0.05, 0.035, 0.03) : vec3(0.09, 0.075, 0.065);
    else if (p == ${FEATURES}.0) c = vec3(0.035, 0.025, 0.02);
    else if (p == ${SKIRT}.0) c = bottom;
    else if (p == ${GLASSES}.0) c = vec3(0.03);
    else if (p == ${LIPS}.0) c = skin * vec3(0.78, 0.58, 0.55);
    else if (p == ${SHINS}.0) c = figBit(bits, ${SKIRT_V}.0) ? skin * 0.92 : bottom;
    else if (p == ${PHONE}.0) c = vec3(0.55, 0.7, 0.9);
    vColor = vec4(c, 1.0); // vColor exists: every figure has an instance colour (USE_INSTANCING_COLOR)
  }
`;

const srgb = (hex) => new THREE.Color(hex); // THREE.Color converts sRGB hex to the linear working space
const PALETTES = { uSkin: { value: SKIN.map(srgb) }, uHair: { value: HAIR.map(srgb) }, uBottom: { value: BOTTOMS.map(srgb) } };

// patch makes a built-in material pose and colour figures; every figure
// material shares one program (customProgramCacheKey), compiled once.
function patch(material, uniforms, colour) {
  material.onBeforeCompile = (shader) => {
    Object.assign(shader.uniforms, uniforms, colour ? PALETTES : {});
    shader.vertexShader = shader.vertexShader
      .replace('#include <common>', `#include <common>\n${POSE_GLSL}${colour ? 'uniform vec3 uSkin[6]; uniform vec3 uHair[6]; uniform vec3 uBottom[8];' : ''}`)
      // the standard shader computes normals before positions, the depth shader positions only
      .replace('#include <beginnormal_vertex>', 'figBone();\nvec3 objectNormal = figR * normal;\n#ifdef USE_TANGENT\nvec3 objectTangent = vec3(tangent.xyz);\n#endif')
      .replace('#include <begin_vertex>', `${colour ? '' : 'figBone();'}\nvec3 transformed = figHidden() ? vec3(0.0, -50.0, 0.0) : figR * position + figT;`)
      .replace('#include <color_vertex>', colour ? COLOR_GLSL : '#include <color_vertex>');
  };
  material.customProgramCacheKey = () => (colour ? 'haven-figure' : 'haven-figure-depth');
  return material;
}

/**
 * figures makes an InstancedMesh of up to max people (detail 'high' or
 * 'low'). Per frame, write each person's matrix (kit.js put) and its pose
 * into anim (8 floats a person: phase, walking, head yaw, head pitch, lean,
 * sitting, arm task, seed), then call finish(n). style(i, …) dresses person
 * i once. uniforms.uTime (seconds) drives idle motion, uMotion scales it
 * (reduced motion). shadow: the figures cast shadows (posed in the shadow pass too).
 */
export function figures(max, { detail = 'high', shadow = false, uniforms } = {}) {
  const u = uniforms || figureUniforms();
  const geo = figureGeometry(detail);
  const a = new THREE.InstancedBufferAttribute(new Float32Array(max * 4), 4);
  const b = new THREE.InstancedBufferAttribute(new Float32Array(max * 4), 4);
  const st = new THREE.InstancedBufferAttribute(new Float32Array(max * 4), 4);
  a.setUsage(THREE.DynamicDrawUsage); b.setUsage(THREE.DynamicDrawUsage);
  geo.setAttribute('aAnimA', a); geo.setAttribute('aAnimB', b); geo.setAttribute('aStyle', st);
  const material = patch(new THREE.MeshStandardMaterial({ color: 0xffffff, roughness: 0.85, metalness: 0 }), u, true);
  const mesh = new THREE.InstancedMesh(geo, material, max);
  mesh.count = 0;
  mesh.frustumCulled = false;
  mesh.instanceMatrix.setUsage(THREE.DynamicDrawUsage);
  for (let i = 0; i < max; i++) mesh.setColorAt(i, WHITE);
  if (shadow) {
    mesh.castShadow = true;
    mesh.customDepthMaterial = patch(new THREE.MeshDepthMaterial({ depthPacking: THREE.RGBADepthPacking }), u, false);
  }
  const anim = new Float32Array(max * 8);
  return {
    mesh, uniforms: u, anim, max,
    /** style dresses person i: top (a TOPS colour), skin, hair and trousers (palette indices), variant bits. */
    style(i, top, skin, hair, bottom, bits) {
      mesh.setColorAt(i, tmpC.setHex(top));
      st.setXYZW(i, skin % SKIN.length, hair % HAIR.length, bottom % BOTTOMS.length, bits);
      st.needsUpdate = true;
    },
    /** copyStyle gives person i of this mesh the clothes of person j of other (a crowd's near and far meshes). */
    copyStyle(i, other, j) {
      const src = other.mesh.instanceColor.array, dst = mesh.instanceColor.array;
      dst[i * 3] = src[j * 3]; dst[i * 3 + 1] = src[j * 3 + 1]; dst[i * 3 + 2] = src[j * 3 + 2];
      const s = other.mesh.geometry.attributes.aStyle.array, d = st.array;
      d[i * 4] = s[j * 4]; d[i * 4 + 1] = s[j * 4 + 1]; d[i * 4 + 2] = s[j * 4 + 2]; d[i * 4 + 3] = s[j * 4 + 3];
    },
    /** finish shows n people and uploads what changed this frame. */
    finish(n, restyled = false) {
      mesh.count = n;
      const A = a.array, B = b.array;
      for (let i = 0; i < n; i++) {
        const o = i * 8, q = i * 4;
        A[q] = anim[o]; A[q + 1] = anim[o + 1]; A[q + 2] = anim[o + 2]; A[q + 3] = anim[o + 3];
        B[q] = anim[o + 4]; B[q + 1] = anim[o + 5]; B[q + 2] = anim[o + 6]; B[q + 3] = anim[o + 7];
      }
      a.needsUpdate = b.needsUpdate = true;
      mesh.instanceMatrix.needsUpdate = true;
      if (restyled) { mesh.instanceColor.needsUpdate = true; st.needsUpdate = true; }
    },
  };
}
const WHITE = new THREE.Color(0xffffff);
const tmpC = new THREE.Color();

/** dress picks a plausible outfit from r (a kit.js rng): [top, skin, hair, bottom, bits]. */
export function dress(r) {
  const skirt = r() < 0.22, long = skirt ? r() < 0.75 : r() < 0.12;
  const bits = (skirt ? SKIRT_V : 0) | (long ? LONG_HAIR_V : 0) | (r() < 0.25 ? JACKET_V : 0) | (r() < 0.2 ? GLASSES_V : 0);
  const old = r() < 0.15;
  return [TOPS[Math.floor(r() * TOPS.length)], Math.floor(r() * SKIN.length), old ? 5 : Math.floor(r() * 5), Math.floor(r() * BOTTOMS.length), bits];
}
