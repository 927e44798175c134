// Claustrophobia: a small room, an elevator or an MRI bore. The steps a
// clinician names (CLINICAL.md §4): the space shrinks (room_size_m), fills
// with people, the door closes, the light dims, and the lift stops between
// floors. Surfaces carry their real scale (2 m wall texture repeats, 0.3 m
// floor tiles, a 1.2 m handrail), so a shrinking room reads as shrinking.
import { THREE, instanced, put, unit, X, finish, rng } from './kit.js';
import { indoor, std } from './env.js';
import { canvasTexture, plaster, wood, tiles } from './textures.js';
import { positional } from './sound.js';
import { figures, dress, ARM_REST } from './people.js';

const MAX = 6;

function brushedSteel() { // lift car panels: vertical brushing, a seam every 0.5 m (one repeat = 1 m)
  return canvasTexture(256, 256, (g, w, h) => {
    g.fillStyle = '#a9adb1'; g.fillRect(0, 0, w, h);
    const r = rng(17);
    for (let i = 0; i < 900; i++) { const x = r() * w, l = 55 + r() * 25; g.fillStyle = `hsla(210, 5%, ${l}%, 0.25)`; g.fillRect(x, 0, 1, h); }
    g.fillStyle = 'rgba(40,40,45,0.7)'; g.fillRect(0, 0, 2, h); g.fillRect(w / 2, 0, 2, h);
  }, { key: 'brushedSteel' });
}

function buttons() { // a lift's button panel: floor numbers (digits read in every shipped locale), a floor display
  return canvasTexture(128, 256, (g, w, h) => {
    g.fillStyle = '#2b2d30'; g.fillRect(0, 0, w, h);
    g.fillStyle = '#0b0b0b'; g.fillRect(w * 0.15, h * 0.05, w * 0.7, h * 0.14);
    g.fillStyle = '#ff5a36'; g.font = `bold ${h * 0.1}px sans-serif`; g.textAlign = 'center'; g.textBaseline = 'middle'; g.fillText('7', w / 2, h * 0.12);
    g.font = `${h * 0.05}px sans-serif`;
    for (let k = 0; k < 10; k++) {
      const x = w * (0.3 + (k % 2) * 0.4), y = h * (0.3 + Math.floor(k / 2) * 0.13);
      g.fillStyle = k === 7 ? '#ffd27a' : '#c8ccd0'; g.beginPath(); g.arc(x, y, w * 0.11, 0, 7); g.fill();
      g.fillStyle = '#2b2d30'; g.fillText(String(k), x, y + 1);
    }
  }, { key: 'liftButtons' });
}

export default function build(ctx) {
  const g = new THREE.Group();
  indoor(ctx, { keyPos: new THREE.Vector3(0.2, 1, 0.3), key: 1.1, hemi: 0.5, envIntensity: 0.5 });
  const roomTex = plaster(19, '#d8ccb6');
  const steelTex = brushedSteel();
  const wallMat = std(0xffffff, { map: roomTex, side: THREE.BackSide, roughness: 0.9 });
  const shell = new THREE.Mesh(new THREE.BoxGeometry(1, 1, 1), wallMat);
  g.add(shell);
  const floorWood = wood(23, 30, 42), floorTiles = tiles(24, '#6d6a66', '#3b3936');
  const floorMat = std(0xffffff, { map: floorWood, roughness: 0.6 });
  const floor = new THREE.Mesh(new THREE.PlaneGeometry(1, 1), floorMat);
  floor.rotation.x = -Math.PI / 2; floor.position.y = 0.003;
  g.add(floor);
  const lamp = new THREE.Mesh(new THREE.PlaneGeometry(0.6, 0.6), new THREE.MeshBasicMaterial({ color: 0xfff6e6 }));
  lamp.rotation.x = Math.PI / 2;
  g.add(lamp);
  // the MRI: a white bore with its light strip, the gantry face, the patient table
  const whiteMat = std(0xf4f4f2, { roughness: 0.35, side: THREE.DoubleSide });
  const bore = new THREE.Mesh(new THREE.CylinderGeometry(1, 1, 2.2, 40, 1, true), whiteMat);
  bore.rotation.x = Math.PI / 2;
  g.add(bore);
  const gantry = new THREE.Mesh(new THREE.RingGeometry(1, 2.4, 40, 1), std(0xe9ebee, { roughness: 0.4 }));
  g.add(gantry);
  const strip = new THREE.Mesh(new THREE.BoxGeometry(0.04, 0.01, 2.1), new THREE.MeshBasicMaterial({ color: 0x9fd4ff }));
  g.add(strip);
  // the door, the handrail and the button panel (elevator), a light switch and skirting (room)
  const doorMat = std(0x7a5c40, { map: wood(25, 28, 34), roughness: 0.5 });
  const door = new THREE.Mesh(new THREE.BoxGeometry(0.9, 2.1, 0.05), doorMat);
  g.add(door);
  const rail = new THREE.Mesh(new THREE.CylinderGeometry(0.02, 0.02, 1, 8).rotateZ(Math.PI / 2), std(0xcfd3d6, { metalness: 0.9, roughness: 0.25 }));
  g.add(rail);
  const panel = new THREE.Mesh(new THREE.PlaneGeometry(0.16, 0.32), new THREE.MeshBasicMaterial({ map: buttons() }));
  g.add(panel);

  // the other occupants: articulated figures (people.js), standing, idling;
  // the first between the patient and the door, then either side
  const people = figures(MAX, { detail: 'high' });
  g.add(people.mesh);
  const r = rng(9);
  const folk = Array.from({ length: MAX }, (_, i) => {
    const [top, skin, hair, bottom, bits] = dress(r);
    people.style(i, top, skin, hair, bottom, bits);
    return { a: -Math.PI / 2 + [0.45, -0.5, 1.25, -1.3, 2.2, -2.3][i], ph: r() * 6.28, yaw: 0, h: 0.92 + r() * 0.14, w: 0.94 + r() * 0.14, seed: r() };
  });
  const hum = positional(ctx, g, 'hum', 0, 2.3, 0, { ref: 1.5, volume: 0.3, seconds: 4 });
  const s = { size: 3, door: 0, light: 1, flicker: 0, stop: 0, slam: 0, kind: '', laidW: 0.5, laidDoor: 0.5, lit: NaN };

  function update(p, t, dt) {
    s.size += (p.room_size_m - s.size) * (1 - Math.exp(-dt / 0.6));
    s.door += ((p.door_closed || s.slam > 0.05 ? 1 : 0) - s.door) * (1 - Math.exp(-dt / (s.slam > 0.05 ? 0.05 : 0.8)));
    s.slam *= Math.exp(-dt / 0.3);
    s.light += (p.light_level - s.light) * (1 - Math.exp(-dt / 0.5));
    s.flicker *= Math.exp(-dt / 1.2);
    s.stop *= Math.exp(-dt / 0.4);
    const kind = p.variant, mri = kind === 'mri', lift = kind === 'elevator';
    const w = Math.max(1, s.size), h = lift ? 2.4 : 2.6;
    // the room's layout moves only while its size or the door moves (the eased
    // values settle to within a tenth of a millimetre): a frame at rest calls
    // none of these setters, whose number arguments V8 boxes when it does not inline them
    if (kind !== s.kind || Math.abs(w - s.laidW) > 1e-4 || Math.abs(s.door - s.laidDoor) > 1e-4) {
      shell.scale.set(w, h, w);
      shell.position.set(0, h / 2, 0);
      shell.visible = floor.visible = lamp.visible = !mri;
      if (kind !== s.kind) { // materials change with the variant only
        wallMat.map = lift ? steelTex : roomTex;
        wallMat.metalness = lift ? 0.7 : 0;
        wallMat.roughness = lift ? 0.35 : 0.9;
        floorMat.map = lift ? floorTiles : floorWood;
        door.material.color.setHex(lift ? 0xb8bcc0 : 0xffffff);
        door.material.metalness = lift ? 0.7 : 0;
      }
      (lift ? steelTex : roomTex).repeat.set(w / (lift ? 1 : 2), h / (lift ? 1 : 2));
      floorMat.map.repeat.set(w / 1.2, w / 1.2);
      floor.scale.set(w, w, 1);
      lamp.position.y = h - 0.01;
      bore.visible = gantry.visible = strip.visible = mri;
      // the bore narrows with room size: 3 m → a roomy 1.2 m radius, 1 m → 0.35 m (a closed-bore scanner is 0.3–0.35 m)
      const radius = 0.35 + (w - 1) * 0.42;
      bore.scale.set(radius, 1, radius);
      bore.position.set(0, 1.5, -0.6);
      gantry.scale.setScalar(radius);
      gantry.position.set(0, 1.5, 0.5);
      strip.position.set(0, 1.5 + radius - 0.02, -0.6);
      const dz = -w / 2 + 0.03;
      door.position.set(lift ? -0.45 * (1 - s.door) * 2 : -0.9 * (1 - s.door), 1.05, dz);
      door.scale.x = Math.min(1, w / 1.2);
      door.visible = !mri;
      rail.visible = lift;
      rail.scale.y = w - 0.2;
      rail.position.set(0, 0.95, w / 2 - 0.06);
      panel.visible = lift;
      panel.position.set(Math.min(0.7, w / 2 - 0.12), 1.3, dz + 0.04);
      s.kind = kind; s.laidW = w; s.laidDoor = s.door;
    }
    const n = mri ? 0 : Math.round(p.occupants);
    const ring = Math.max(0.45, w / 2 - 0.32);
    for (let i = 0; i < n; i++) {
      const f = folk[i];
      const x = Math.cos(f.a) * ring, z = Math.sin(f.a) * ring;
      const facing = Math.atan2(x, z); // towards the patient at the centre (nose −z)
      f.yaw += ((Math.sin(t * 0.2 + f.ph) > 0.7 ? 0.6 : 0) - f.yaw) * (1 - Math.exp(-dt / 0.7)); // a glance aside now and then
      unit(); X[0] = x; X[1] = 0; X[2] = z; X[4] = facing; X[6] = X[8] = f.w * f.h; X[7] = f.h;
      put(people.mesh, i);
      const A = people.anim, o = i * 8;
      A[o] = 0; A[o + 1] = 0; A[o + 2] = f.yaw * ctx.motion; A[o + 3] = -0.08;
      A[o + 4] = 0; A[o + 5] = 0; A[o + 6] = ARM_REST; A[o + 7] = f.seed;
    }
    people.uniforms.uTime.value = t; people.uniforms.uMotion.value = ctx.motion;
    people.finish(n);
    const flick = s.flicker > 0.05 && Math.sin(t * 47) > 0.2 ? 0.15 : 1;
    const lc = lamp.material.color, level = 0.3 + 0.7 * s.light * flick;
    lc.r = lc.g = lc.b = level;
    if (hum) hum.setVolume(mri ? 0.9 : 0.25);
    ctx.env.setSky(0x111111, 0x111111);
    ctx.env.fog(10, 40);
    if (s.light * flick !== s.lit) { s.lit = s.light * flick; ctx.env.light(s.lit); } // only when it changes: the call boxes its argument
    ctx.shake.y = (p.malfunction_stop || s.stop > 0.05 ? Math.sin(t * 25) * 0.01 * Math.max(s.stop, p.malfunction_stop ? 0.2 : 0) : 0) * ctx.motion;
    ctx.audio.hum(mri ? 0.25 : 0.05);
  }

  function event(name) {
    if (name === 'elevator_stops') { s.stop = 1; ctx.audio.thud(); }
    if (name === 'lights_flicker') s.flicker = 1;
    if (name === 'door_slams') { s.slam = 1; ctx.audio.thud(); }
  }
  return { group: g, update, event, lookPitch: -0.1 };
}
