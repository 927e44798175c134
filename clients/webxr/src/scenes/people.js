// People for the scenes: low-poly figures built once and drawn as
// InstancedMesh, with instance colour for clothing or skin. Heads and legs
// are separate instances so they can turn and swing on their own.
import { THREE, tint, mergeUV } from './kit.js';

/** SKIN tones from light to dark for heads and hands. */
export const SKIN = [0xf1c7a5, 0xe0ac84, 0xc68a62, 0x9a6845, 0x6e472e, 0xf3d3bd];

/** seatedFigure is a seated person without the head (heads turn on their own): torso, thighs, shins, forearms resting; facing −z, white where instance colour (clothing) shows. */
export function seatedFigure() {
  const p = [
    tint(new THREE.CylinderGeometry(0.17, 0.2, 0.62, 8).translate(0, 0.78, 0), 0xffffff),
    tint(new THREE.SphereGeometry(0.2, 8, 4, 0, Math.PI * 2, 0, Math.PI / 2).scale(1, 0.45, 0.8).translate(0, 1.08, 0), 0xffffff),
    tint(new THREE.BoxGeometry(0.36, 0.15, 0.48).translate(0, 0.5, -0.2), 0x2d3340),
    tint(new THREE.BoxGeometry(0.14, 0.48, 0.13).translate(-0.1, 0.22, -0.42), 0x2d3340),
    tint(new THREE.BoxGeometry(0.14, 0.48, 0.13).translate(0.1, 0.22, -0.42), 0x2d3340),
    tint(new THREE.BoxGeometry(0.14, 0.06, 0.26).translate(-0.1, 0.02, -0.48), 0x1b1b1b),
    tint(new THREE.BoxGeometry(0.14, 0.06, 0.26).translate(0.1, 0.02, -0.48), 0x1b1b1b),
    tint(new THREE.CylinderGeometry(0.05, 0.045, 0.5, 6).rotateX(0.9).translate(-0.23, 0.78, -0.15), 0xffffff),
    tint(new THREE.CylinderGeometry(0.05, 0.045, 0.5, 6).rotateX(0.9).translate(0.23, 0.78, -0.15), 0xffffff),
    tint(new THREE.SphereGeometry(0.045, 6, 4).translate(-0.2, 0.62, -0.33), 0xd2a684),
    tint(new THREE.SphereGeometry(0.045, 6, 4).translate(0.2, 0.62, -0.33), 0xd2a684),
  ];
  return mergeUV(p.map((x) => { x.deleteAttribute('uv'); return x; }));
}

/** headGeometry is a head with hair, nose and neck (nose towards −z), so its turn reads from a distance; instance colour is the skin. */
export function headGeometry() {
  const p = [
    tint(new THREE.SphereGeometry(0.11, 12, 10).scale(0.9, 1.1, 1), 0xffffff),
    tint(new THREE.SphereGeometry(0.115, 12, 8, 0, Math.PI * 2, 0, Math.PI * 0.55).scale(0.95, 1.1, 1.05).translate(0, 0.015, 0.015), 0x2a1c14),
    tint(new THREE.ConeGeometry(0.02, 0.05, 4).rotateX(-Math.PI / 2).translate(0, -0.01, -0.11), 0xffffff),
    tint(new THREE.SphereGeometry(0.014, 6, 4).translate(-0.035, 0.025, -0.095), 0x1a1a1a),
    tint(new THREE.SphereGeometry(0.014, 6, 4).translate(0.035, 0.025, -0.095), 0x1a1a1a),
    tint(new THREE.BoxGeometry(0.05, 0.008, 0.01).translate(0, -0.045, -0.1), 0x7a3b30),
    tint(new THREE.CylinderGeometry(0.05, 0.06, 0.1, 6).translate(0, -0.14, 0), 0xffffff),
  ];
  return mergeUV(p.map((x) => { x.deleteAttribute('uv'); return x; }));
}

/** standingBody is a standing person's torso and arms (head and legs are separate instances: skin colour, swing); feet at y = 0, facing −z, neck top at 1.58. */
export function standingBody() {
  const p = [
    tint(new THREE.CylinderGeometry(0.18, 0.15, 0.62, 8).translate(0, 1.22, 0), 0xffffff),
    tint(new THREE.SphereGeometry(0.19, 8, 4, 0, Math.PI * 2, 0, Math.PI / 2).scale(1, 0.4, 0.75).translate(0, 1.52, 0), 0xffffff),
    tint(new THREE.CylinderGeometry(0.05, 0.045, 0.6, 6).translate(-0.22, 1.22, 0), 0xffffff),
    tint(new THREE.CylinderGeometry(0.05, 0.045, 0.6, 6).translate(0.22, 1.22, 0), 0xffffff),
    tint(new THREE.CylinderGeometry(0.16, 0.17, 0.12, 8).translate(0, 0.86, 0), 0x2d3340),
  ];
  return mergeUV(p.map((x) => { x.deleteAttribute('uv'); return x; }));
}

/** legGeometry is one leg with its shoe, pivoting at the hip (y = 0.9): rotate about x to swing it. */
export function legGeometry() {
  const p = [
    tint(new THREE.CylinderGeometry(0.075, 0.06, 0.84, 6).translate(0, -0.42, 0), 0xffffff),
    tint(new THREE.BoxGeometry(0.1, 0.07, 0.25).translate(0, -0.87, -0.05), 0x1b1b1b),
  ];
  return mergeUV(p.map((x) => { x.deleteAttribute('uv'); return x; }));
}
