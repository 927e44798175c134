// Light for the procedural scenes: a physically based sky (three.js Sky) that
// also lights every PBR material through an environment map made from it at
// load (PMREMGenerator; nothing is downloaded), the sun aimed where the sky
// draws it, and shadows only where they carry depth (a small frustum around
// the patient: under the feet at a height, under a spider).
import * as THREE from 'three';
import { Sky } from 'three/addons/objects/Sky.js';
import { RoomEnvironment } from 'three/addons/environments/RoomEnvironment.js';
import { Uniform } from './kit.js';

/**
 * outdoor adds a sky dome to group and lights the scene from it. o: elevation
 * and azimuth of the sun (degrees), turbidity, rayleigh, clouds (0–1
 * coverage), exposure, hemi/sun intensity, shadow {extent (m), size (px),
 * center [x,y,z]}, interior (light from a room environment, for a cabin).
 * Returns {sky, sunDir, setSun(elev, az), tick(t), relight(name), dispose()}.
 */
export function outdoor(ctx, group, o = {}) {
  const sunDir = new THREE.Vector3();
  const sunOpts = { sunPos: sunDir };
  const sky = new Sky();
  sky.scale.setScalar(900);
  const u = sky.material.uniforms;
  u.time = new Uniform(0); // tick stores the time every frame (kit.js Uniform)
  u.turbidity.value = o.turbidity ?? 3;
  u.rayleigh.value = o.rayleigh ?? 1.2;
  u.mieCoefficient.value = o.mie ?? 0.004;
  u.mieDirectionalG.value = 0.8;
  u.cloudCoverage.value = o.clouds ?? 0.35;
  u.cloudDensity.value = o.cloudDensity ?? 0.5;
  u.cloudElevation.value = 0.5;
  const api = {
    sky,
    sunDir,
    setSun(elev, az) {
      const phi = THREE.MathUtils.degToRad(90 - elev), theta = THREE.MathUtils.degToRad(az);
      sunDir.setFromSphericalCoords(1, phi, theta);
      u.sunPosition.value.copy(sunDir);
      ctx.env.lights(sunOpts); // one options object for the life of the scene: setSun runs per frame in the calm scenes
    },
    tick(t) { u.time.value = t; },
  };
  api.setSun(o.elevation ?? 40, o.azimuth ?? 200);
  // the environment map is the same sky seen from the origin, blurred into PMREM levels
  const envScene = new THREE.Scene();
  const envSky = new Sky();
  envSky.scale.setScalar(50);
  for (const k of Object.keys(u)) envSky.material.uniforms[k].value = u[k].value?.clone ? u[k].value.clone() : u[k].value;
  envSky.material.uniforms.showSunDisc.value = 0; // the disc would make every surface glint
  envScene.add(envSky);
  if (o.ground) { // a coloured floor under the horizon so the environment is not sky below the feet
    const floor = new THREE.Mesh(new THREE.PlaneGeometry(200, 200), new THREE.MeshBasicMaterial({ color: o.ground }));
    floor.rotation.x = -Math.PI / 2; floor.position.y = -5;
    envScene.add(floor);
  }
  // the environment depends only on the sky's settings and the ground colour
  // (the map is kept for them and reused when the scene loads again)
  const key = 'sky:' + JSON.stringify([o.turbidity, o.rayleigh, o.mie, o.clouds, o.cloudDensity, o.elevation, o.azimuth, o.ground]);
  if (o.interior) { // seen from inside a cabin: the light inside comes from a room, not the sky
    const room = new RoomEnvironment();
    ctx.env.environment(room, { intensity: o.envIntensity ?? 0.5, sigma: 0.04, key: 'room' });
    room.traverse((x) => { x.geometry?.dispose(); }); // materials kept: see renderer dispose
  } else ctx.env.environment(envScene, { intensity: o.envIntensity ?? 0.8, key });
  /**
   * relight re-renders the environment light from the sky as it is now (a new
   * time of day); name (the time of day) keeps the map for this sky and that
   * sun, so a scene that loads again at that time reuses it.
   */
  api.relight = (name = '') => {
    envSky.material.uniforms.sunPosition.value.copy(u.sunPosition.value);
    if (!o.interior) ctx.env.environment(envScene, { intensity: o.envIntensity ?? 0.8, key: name && key + ':' + name });
  };
  // the sky's material is left to the garbage collector: disposing it would
  // delete its shader program, compiled again (seconds) by the next load
  api.dispose = () => { envSky.geometry.dispose(); };
  group.add(sky);
  ctx.env.lights({ hemi: o.hemi ?? 0.35, sun: o.sun ?? 2.2, sunColor: o.sunColor ?? 0xfff1dd, shadow: o.shadow, exposure: o.exposure ?? 0.6 });
  return api;
}

/** indoor lights a room from a procedural studio environment (three.js RoomEnvironment) plus the renderer's hemisphere and key lights. */
export function indoor(ctx, o = {}) {
  const room = new RoomEnvironment();
  ctx.env.environment(room, { intensity: o.envIntensity ?? 0.45, sigma: 0.04, key: 'room' });
  room.traverse((x) => { x.geometry?.dispose(); }); // materials kept: see renderer dispose
  ctx.env.lights({ hemi: o.hemi ?? 0.6, sun: o.key ?? 1.2, sunColor: o.keyColor ?? 0xfff4e6, sunPos: o.keyPos ?? new THREE.Vector3(0.3, 1, 0.4), shadow: o.shadow, exposure: o.exposure ?? 1 });
}

/** std returns a MeshStandardMaterial (PBR: roughness/metalness, lit by the environment map). */
export function std(color, o = {}) {
  return new THREE.MeshStandardMaterial({ color, roughness: 0.85, metalness: 0, ...o });
}
