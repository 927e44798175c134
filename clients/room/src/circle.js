// The support circle in 3D: the room's calming scene (the headset's own
// scene builders, clients/webxr/src/scenes, drawn by its renderer), a seat
// for each person present with the moderator's seat marked, and on each
// seat an anonymous figure the member chose — a simple shape, a colour and
// an accessory, never a camera image or a face — whose head and hands
// follow the member's pose, glowing while they speak, their pseudonym
// above. The same view runs in a headset (WebXR), on a phone (touch to
// look) and on a laptop (mouse); in a headset the chat and the crisis
// resources appear on a panel beside the member (drawPanel).
import * as THREE from 'three';
import { createRenderer } from '../../webxr/src/renderer.js';
import { COLOURS, ringSize, seatPlace } from './layout.js';

const EYE = 1.2; // seated eye height (m)
const MOD_SEAT = 0xd9a93b; // the moderator's seat: a gold cushion and ring

function bodyGeometry(shape) {
  switch (shape) {
    case 'bell': return new THREE.LatheGeometry([[0, 0], [0.26, 0], [0.24, 0.12], [0.17, 0.4], [0.11, 0.62], [0, 0.66]].map(([x, y]) => new THREE.Vector2(x, y)), 18);
    case 'block': return new THREE.BoxGeometry(0.4, 0.6, 0.3).translate(0, 0.3, 0);
    case 'drop': return new THREE.SphereGeometry(0.24, 18, 12).scale(1, 1.35, 0.9).translate(0, 0.32, 0);
    case 'column': return new THREE.CylinderGeometry(0.16, 0.2, 0.64, 16).translate(0, 0.32, 0);
    default: return new THREE.CapsuleGeometry(0.2, 0.26, 6, 16).translate(0, 0.33, 0); // pebble
  }
}

function accessoryMesh(kind) {
  const g = new THREE.Group();
  const mat = (c) => new THREE.MeshStandardMaterial({ color: c, roughness: 0.8 });
  switch (kind) {
    case 'scarf': g.add(new THREE.Mesh(new THREE.TorusGeometry(0.13, 0.04, 8, 20).rotateX(Math.PI / 2), mat(0xb23a48))); g.position.y = -0.14; break;
    case 'beanie': {
      const hat = new THREE.Mesh(new THREE.SphereGeometry(0.145, 16, 8, 0, Math.PI * 2, 0, Math.PI / 2), mat(0x35577d));
      hat.position.y = 0.03;
      const bobble = new THREE.Mesh(new THREE.SphereGeometry(0.04, 8, 6), mat(0xf2efe6));
      bobble.position.y = 0.18;
      g.add(hat, bobble);
      break;
    }
    case 'flower': {
      for (let i = 0; i < 5; i++) {
        const petal = new THREE.Mesh(new THREE.SphereGeometry(0.03, 8, 6), mat(0xf6d3e1));
        petal.position.set(0.12 + Math.cos(i * 1.256) * 0.035, 0.08 + Math.sin(i * 1.256) * 0.035, 0);
        g.add(petal);
      }
      const heart = new THREE.Mesh(new THREE.SphereGeometry(0.022, 8, 6), mat(0xf2c14e));
      heart.position.set(0.12, 0.08, 0.01);
      g.add(heart);
      break;
    }
    case 'headphones': {
      g.add(new THREE.Mesh(new THREE.TorusGeometry(0.15, 0.015, 6, 20, Math.PI), mat(0x2b2b2b)));
      for (const s of [-1, 1]) {
        const cup = new THREE.Mesh(new THREE.CylinderGeometry(0.05, 0.05, 0.04, 12).rotateZ(Math.PI / 2), mat(0x2b2b2b));
        cup.position.set(s * 0.15, 0, 0);
        g.add(cup);
      }
      break;
    }
    case 'glasses':
      for (const s of [-1, 1]) {
        const ring = new THREE.Mesh(new THREE.TorusGeometry(0.035, 0.008, 6, 16), mat(0x222222));
        ring.position.set(s * 0.05, 0.02, -0.135);
        g.add(ring);
      }
      break;
  }
  return g;
}

/** labelTexture draws a pseudonym (in its own direction) with the role or state under it. */
function labelCanvas(name, sub, speaking) {
  const c = document.createElement('canvas');
  c.width = 512; c.height = 160;
  const x = c.getContext('2d');
  x.fillStyle = speaking ? 'rgba(255, 244, 214, 0.92)' : 'rgba(20, 24, 30, 0.72)';
  x.beginPath(); x.roundRect(8, 8, 496, sub ? 144 : 96, 28); x.fill();
  const rtl = /[\u0590-\u08ff]/.test(name);
  x.direction = rtl ? 'rtl' : 'ltr';
  x.textAlign = 'center';
  x.fillStyle = speaking ? '#2a2111' : '#ffffff';
  x.font = '600 56px "Noto Sans", "Noto Naskh Arabic", "Noto Sans Hans", sans-serif';
  x.fillText(name, 256, 76, 470);
  if (sub) {
    x.direction = document.documentElement.dir === 'rtl' ? 'rtl' : 'ltr';
    x.font = '40px "Noto Sans", "Noto Naskh Arabic", "Noto Sans Hans", sans-serif';
    x.fillText(sub, 256, 130, 470);
  }
  return c;
}

function figure(member) {
  const av = member.avatar || { shape: 'pebble', colour: 'teal', accessory: 'none' };
  const colour = COLOURS[av.colour] ?? COLOURS.teal;
  const mat = new THREE.MeshStandardMaterial({ color: colour, roughness: 0.7, emissive: new THREE.Color(colour), emissiveIntensity: 0 });
  const g = new THREE.Group();
  const body = new THREE.Mesh(bodyGeometry(av.shape), mat);
  body.position.y = 0.45; // on the seat
  body.castShadow = true;
  const head = new THREE.Group();
  const skull = new THREE.Mesh(new THREE.SphereGeometry(0.13, 18, 12), mat);
  skull.castShadow = true;
  head.add(skull);
  // two calm dots show where the figure is looking; nothing more of a face
  for (const s of [-1, 1]) {
    const eye = new THREE.Mesh(new THREE.SphereGeometry(0.016, 8, 6), new THREE.MeshBasicMaterial({ color: 0x1d1d22 }));
    eye.position.set(s * 0.045, 0.02, -0.12);
    head.add(eye);
  }
  head.add(accessoryMesh(av.accessory));
  head.position.set(0, EYE - 0.08, 0);
  const hands = [-1, 1].map((s) => {
    const h = new THREE.Mesh(new THREE.SphereGeometry(0.05, 10, 8), mat);
    h.position.set(s * 0.22, 0.7, -0.2);
    return h;
  });
  const glow = new THREE.Mesh(new THREE.RingGeometry(0.34, 0.46, 32).rotateX(-Math.PI / 2), new THREE.MeshBasicMaterial({ color: 0xfff0b8, transparent: true, opacity: 0, depthWrite: false }));
  glow.position.y = 0.02;
  const label = new THREE.Sprite(new THREE.SpriteMaterial({ transparent: true, depthWrite: false }));
  label.position.set(0, 1.62, 0);
  label.scale.set(0.8, 0.25, 1);
  g.add(body, head, ...hands, glow, label);
  return { group: g, head, hands, mat, glow, label, avatar: JSON.stringify(av), labelKey: '', pose: null, speaking: 0 };
}

function seatMesh(moderator) {
  const g = new THREE.Group();
  const stool = new THREE.Mesh(new THREE.CylinderGeometry(0.24, 0.26, 0.4, 16).translate(0, 0.2, 0), new THREE.MeshStandardMaterial({ color: 0x7a5a3c, roughness: 0.9 }));
  const cushion = new THREE.Mesh(new THREE.CylinderGeometry(0.25, 0.25, 0.06, 16).translate(0, 0.43, 0), new THREE.MeshStandardMaterial({ color: moderator ? MOD_SEAT : 0x8c9a8a, roughness: 1 }));
  stool.castShadow = cushion.castShadow = true;
  g.add(stool, cushion);
  if (moderator) { // the moderator's seat: a gold ring on the ground, visible from across the circle
    const ring = new THREE.Mesh(new THREE.RingGeometry(0.5, 0.58, 40).rotateX(-Math.PI / 2), new THREE.MeshBasicMaterial({ color: MOD_SEAT }));
    ring.position.y = 0.015;
    g.add(ring);
  }
  return g;
}

function centrepiece(space) {
  const g = new THREE.Group();
  if (space === 'neutral_room') { // a low round table with a lantern
    g.add(new THREE.Mesh(new THREE.CylinderGeometry(0.45, 0.45, 0.04, 24).translate(0, 0.38, 0), new THREE.MeshStandardMaterial({ color: 0x8a6442 })));
    g.add(new THREE.Mesh(new THREE.CylinderGeometry(0.05, 0.05, 0.38, 8).translate(0, 0.19, 0), new THREE.MeshStandardMaterial({ color: 0x5a4030 })));
    g.add(new THREE.Mesh(new THREE.SphereGeometry(0.09, 12, 8).translate(0, 0.5, 0), new THREE.MeshBasicMaterial({ color: 0xffd58a })));
    return g;
  }
  // a small campfire: a ring of stones, crossed logs and a soft flame
  for (let i = 0; i < 10; i++) {
    const a = (i / 10) * Math.PI * 2;
    const stone = new THREE.Mesh(new THREE.DodecahedronGeometry(0.09, 0), new THREE.MeshStandardMaterial({ color: 0x7d7d78, flatShading: true }));
    stone.position.set(Math.cos(a) * 0.42, 0.05, Math.sin(a) * 0.42);
    g.add(stone);
  }
  for (let i = 0; i < 3; i++) {
    const log = new THREE.Mesh(new THREE.CylinderGeometry(0.05, 0.05, 0.6, 8).rotateZ(Math.PI / 2).rotateY((i * Math.PI) / 3), new THREE.MeshStandardMaterial({ color: 0x5b3b22 }));
    log.position.y = 0.07;
    g.add(log);
  }
  const flame = new THREE.Mesh(new THREE.ConeGeometry(0.16, 0.42, 10).translate(0, 0.3, 0), new THREE.MeshBasicMaterial({ color: 0xffa447, transparent: true, opacity: 0.85 }));
  g.add(flame);
  g.userData.flame = flame;
  return g;
}

/**
 * createCircle draws the circle of a room in canvas. opts: {space (the
 * scene), t (translator), onPose(h, l, r) with the member's own pose
 * relative to their seat, called at most 10 times a second while it
 * changes}. Returns {update(members, you, speakers, floor), applyPoses(p),
 * panel(lines), enterXR(), renderer (the headset renderer's api)}.
 */
export function createCircle(canvas, { space = 'forest', t = (id) => id, onPose = () => {} } = {}) {
  const r = createRenderer(canvas, { xr: true });
  r.loadScene({ template: space, params: {}, transition_ms: 0 });
  const { scene, camera, rig } = r.three;
  const world = new THREE.Group();
  scene.add(world);
  const seatsGroup = new THREE.Group();
  const centre = centrepiece(space);
  world.add(seatsGroup, centre);
  const figures = new Map(); // presence id → figure
  const state = { ring: 8, you: null, yourSeat: null, members: [], speakers: new Set(), placedXR: null };

  // the chat panel in a headset: a canvas texture beside the member's seat
  const panelCanvas = document.createElement('canvas');
  panelCanvas.width = 768; panelCanvas.height = 768;
  const panelTex = new THREE.CanvasTexture(panelCanvas);
  panelTex.colorSpace = THREE.SRGBColorSpace;
  const panel = new THREE.Mesh(new THREE.PlaneGeometry(0.6, 0.6), new THREE.MeshBasicMaterial({ map: panelTex, transparent: true }));
  panel.visible = false;
  scene.add(panel);

  function layoutSeats() {
    seatsGroup.clear();
    for (let i = 0; i < state.ring; i++) {
      const p = seatPlace(i, state.ring);
      const m = seatMesh(i === 0);
      m.position.set(p.x, 0, p.z);
      m.rotation.y = p.yaw;
      seatsGroup.add(m);
    }
  }
  layoutSeats();

  function labelFor(f, m) {
    const sub = [m.role === 'moderator' ? t('group.role.moderator') : '', m.hand ? t('group.page.hand_raised') : '', m.voice_muted ? t('group.page.voice_muted_short') : ''].filter(Boolean).join(' · ');
    const speaking = state.speakers.has(m.id);
    const key = `${m.pseudonym}|${sub}|${speaking}`;
    if (key === f.labelKey) return;
    f.labelKey = key;
    f.label.material.map?.dispose();
    f.label.material.map = new THREE.CanvasTexture(labelCanvas(m.pseudonym, sub, speaking));
    f.label.material.map.colorSpace = THREE.SRGBColorSpace;
    f.label.material.needsUpdate = true;
    f.label.scale.set(0.8, sub ? 0.25 : 0.156, 1);
    f.label.center.set(0.5, sub ? 0.5 : 0.2);
  }

  /** update redraws the circle from the member list (welcome and members.delta), the speakers (voice.speakers) and the speaking order. */
  function update(members, you, speakers = [], floor = {}) {
    state.members = members;
    state.you = you;
    state.speakers = new Set(speakers);
    const ring = ringSize(members);
    if (ring !== state.ring) { state.ring = ring; layoutSeats(); }
    const seen = new Set();
    for (const m of members) {
      if (typeof m.seat !== 'number') continue;
      seen.add(m.id);
      if (you && m.id === you.id) state.yourSeat = m.seat;
      let f = figures.get(m.id);
      if (f && f.avatar !== JSON.stringify(m.avatar)) { world.remove(f.group); figures.delete(m.id); f = null; }
      if (!f) { f = figure(m); figures.set(m.id, f); world.add(f.group); }
      const p = seatPlace(m.seat, state.ring);
      f.group.position.set(p.x, 0, p.z);
      f.group.rotation.y = p.yaw;
      f.hand = !!m.hand;
      f.own = !!(you && m.id === you.id);
      labelFor(f, m);
    }
    for (const [id, f] of figures) if (!seen.has(id)) { world.remove(f.group); figures.delete(id); }
    state.floor = floor;
  }

  /**
   * applyPoses takes a circle.poses frame's p: presence id → [hx, hy, hz, qx, qy, qz, qw, lx, ly, lz, rx, ry, rz]
   * in the seat's frame. The server sends the speakers, the moderator and the nearest seats up
   * to 20 times a second and everyone else a few times a second (docs/groups.md), so each
   * figure glides from where it is drawn to its new pose over the time since its previous one.
   */
  function applyPoses(p) {
    const now = performance.now();
    for (const [id, v] of Object.entries(p || {})) {
      const f = figures.get(id);
      if (f && Array.isArray(v) && v.length === 13 && v.every(Number.isFinite)) setPose(f, v, now);
    }
  }

  // setPose starts a figure's glide to pose v: from what is drawn now, over the gap since its last pose
  function setPose(f, v, now) {
    f.dur = f.poseAt ? Math.min(1200, Math.max(40, now - f.poseAt)) : 40;
    f.poseAt = now;
    f.from = { head: f.head.position.clone(), q: f.head.quaternion.clone(), l: f.hands[0].position.clone(), r: f.hands[1].position.clone() };
    f.pose = v;
  }

  const q = new THREE.Quaternion();
  const tmp = new THREE.Vector3();
  const seatQ = new THREE.Quaternion();
  const up = new THREE.Vector3(0, 1, 0);
  let sentAt = 0, lastSent = '';
  let frames = 0; // drawn so far: lets a test wait for a new panel to reach the screen
  r.onFrame((dt, elapsed) => {
    frames++;
    const k = 1 - Math.exp(-dt / 0.08); // the resting and raised hand ease in
    const xr = r.xrActive();
    const now = performance.now();
    for (const [id, f] of figures) {
      f.group.visible = !(f.own && xr); // in a headset one's own figure would sit around one's eyes
      const target = state.speakers.has(id) ? 1 : 0;
      f.speaking += (target - f.speaking) * Math.min(1, dt * 8);
      f.mat.emissiveIntensity = 0.35 * f.speaking;
      f.glow.material.opacity = 0.85 * f.speaking;
      if (f.own && !xr && state.ownPose && f.pose !== state.ownPose) setPose(f, state.ownPose, now);
      if (f.pose) {
        const v = f.pose;
        const a = Math.min(1, (now - f.poseAt) / f.dur);
        f.head.position.lerpVectors(f.from.head, tmp.set(v[0], v[1] - 0.08, v[2]), a);
        f.head.quaternion.slerpQuaternions(f.from.q, q.set(v[3], v[4], v[5], v[6]), a);
        if (v[7] || v[8] || v[9]) f.hands[0].position.lerpVectors(f.from.l, tmp.set(v[7], v[8], v[9]), a);
        if (!f.hand && (v[10] || v[11] || v[12])) f.hands[1].position.lerpVectors(f.from.r, tmp.set(v[10], v[11], v[12]), a);
      }
      if (f.hand) f.hands[1].position.lerp(tmp.set(0.26, 1.55, -0.05), k); // a raised hand reads from across the circle
      else if (!f.pose || !(f.pose[10] || f.pose[11] || f.pose[12])) f.hands[1].position.lerp(tmp.set(0.22, 0.7, -0.2), k);
    }
    const flame = centre.userData.flame;
    if (flame) flame.scale.set(1, 0.9 + 0.12 * Math.sin(elapsed * 5) * Math.sin(elapsed * 3.1), 1);
    if (state.yourSeat === null) return;
    const seat = seatPlace(state.yourSeat, state.ring);
    seatQ.setFromAxisAngle(up, seat.yaw);
    if (r.xrActive()) {
      if (state.placedXR !== state.yourSeat) { // once per seat: the member's own turning stays theirs
        const prev = state.placedXR === null ? { x: 0, z: 0, yaw: 0 } : seatPlace(state.placedXR, state.ring);
        rig.position.x += seat.x - prev.x; rig.position.z += seat.z - prev.z;
        rig.rotation.y += seat.yaw - prev.yaw;
        state.placedXR = state.yourSeat;
      }
      // the chat panel: forward and to the left of the seat, at eye height, turned towards the member
      panel.visible = true;
      panel.position.set(seat.x, camera.getWorldPosition(tmp).y - 0.2, seat.z);
      panel.quaternion.copy(seatQ);
      panel.translateX(-0.42); panel.translateZ(-0.95);
      panel.rotateY(0.4);
    } else {
      state.placedXR = null;
      panel.visible = false;
      // inline (phone, laptop): from behind and above the member's own seat,
      // looking over their figure at the centre, so the whole circle is in
      // view (further back on a narrow portrait screen); dragging still looks around
      const back = 1.9 + 2.2 * Math.max(0, 1 - camera.aspect);
      const tilt = Math.atan2(2.1 - 0.9, seat.radius + back);
      state.tilt = tilt;
      camera.position.set(seat.x + Math.sin(seat.yaw) * back, 2.1, seat.z + Math.cos(seat.yaw) * back);
      camera.rotation.set(camera.rotation.x - tilt, camera.rotation.y + seat.yaw, 0, 'YXZ');
    }
    // the member's own pose, relative to the seat, at most 10 times a second and only when it moved
    if (now - sentAt < 100) return;
    sentAt = now;
    camera.updateMatrixWorld();
    // inline the camera is behind the seat: the figure's head is at the seat, turned as the view is
    const head = xr ? camera.getWorldPosition(new THREE.Vector3()).sub(tmp.set(seat.x, 0, seat.z)).applyQuaternion(seatQ.clone().invert()) : new THREE.Vector3(0, EYE, 0);
    const hq = seatQ.clone().invert().multiply(camera.getWorldQuaternion(new THREE.Quaternion()));
    if (!xr) hq.multiply(q.setFromAxisAngle(tmp.set(1, 0, 0), state.tilt || 0)); // without the view's downward tilt
    const h = [head.x, head.y, head.z, hq.x, hq.y, hq.z, hq.w].map((x) => Math.round(x * 100) / 100);
    const hands = [0, 1].map((i) => {
      if (!xr) return [];
      const c = r.three.renderer.xr.getController(i);
      if (!c || !c.visible) return [];
      const p = c.getWorldPosition(new THREE.Vector3()).sub(tmp.set(seat.x, 0, seat.z)).applyQuaternion(seatQ.clone().invert());
      return [p.x, p.y, p.z].map((x) => Math.round(x * 100) / 100);
    });
    // a runtime's first frames may carry no pose yet (a zero rotation): send only what the server accepts
    const norm = Math.hypot(h[3], h[4], h[5], h[6]);
    if (!(norm > 0.9 && norm < 1.1) || ![...h, ...hands[0], ...hands[1]].every((v) => Number.isFinite(v) && Math.abs(v) <= 3)) return;
    const key = JSON.stringify([h, hands]);
    if (key === lastSent) return;
    lastSent = key;
    state.ownPose = [...h, ...(hands[0].length ? hands[0] : [0, 0, 0]), ...(hands[1].length ? hands[1] : [0, 0, 0])];
    onPose(h, hands[0], hands[1]);
  });

  /** drawPanel paints the headset panel: a heading and the last lines (chat, notices, crisis resources), each in its own direction. */
  function drawPanel(title, lines) {
    const x = panelCanvas.getContext('2d');
    x.clearRect(0, 0, 768, 768);
    x.fillStyle = 'rgba(18, 22, 28, 0.86)';
    x.beginPath(); x.roundRect(0, 0, 768, 768, 36); x.fill();
    const rtl = document.documentElement.dir === 'rtl';
    x.direction = rtl ? 'rtl' : 'ltr';
    x.textAlign = rtl ? 'right' : 'left';
    const left = rtl ? 728 : 40;
    x.fillStyle = '#ffe7b0';
    x.font = '600 40px "Noto Sans", "Noto Naskh Arabic", "Noto Sans Hans", sans-serif';
    x.fillText(title, left, 70, 688);
    x.font = '30px "Noto Sans", "Noto Naskh Arabic", "Noto Sans Hans", sans-serif';
    let y = 130;
    for (const l of lines.slice(-12)) {
      x.fillStyle = l.kind === 'crisis' ? '#ffd2c2' : l.kind === 'notice' ? '#c9d3dc' : '#ffffff';
      for (const part of wrap(x, l.text, 688)) { if (y > 740) break; x.fillText(part, left, y); y += 40; }
      y += 8;
    }
    panelTex.needsUpdate = true;
  }

  return {
    update, applyPoses, drawPanel,
    enterXR: () => r.enterXR(),
    renderer: r,
    /** info for tests: seats drawn, figures, the member's seat, the latest pose of each figure that has one, where each head is drawn, how long (ms) each glides to its latest pose. */
    info: () => ({ ring: state.ring, figures: figures.size, yourSeat: state.yourSeat, speaking: [...figures.values()].filter((f) => f.speaking > 0.5).length, xr: r.xrActive(), panel: panel.visible, frames,
      poses: Object.fromEntries([...figures].filter(([, f]) => f.pose).map(([id, f]) => [id, f.pose])),
      heads: Object.fromEntries([...figures].map(([id, f]) => [id, f.head.position.toArray()])),
      glides: Object.fromEntries([...figures].filter(([, f]) => f.pose).map(([id, f]) => [id, f.dur])) }),
  };
}

function wrap(ctx, text, width) {
  const words = String(text).split(/\s+/);
  const out = [];
  let line = '';
  for (const w of words) {
    const next = line ? `${line} ${w}` : w;
    if (ctx.measureText(next).width > width && line) { out.push(line); line = w; } else line = next;
  }
  if (line) out.push(line);
  return out;
}
