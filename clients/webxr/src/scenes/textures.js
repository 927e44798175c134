// Procedural surface textures, painted on a canvas at scene load: nothing is
// downloaded and every texture carries a real-world scale (the cue that lets
// the eye judge size and distance; heights exposure depends on it). Each
// painter documents how many metres one repeat of its texture covers, so a
// scene sets texture.repeat from the surface's size in metres.
import * as THREE from 'three';
import { rng } from './kit.js';

/**
 * TextureCache keeps painted canvases between scene loads, so a scene loaded
 * again (the next intensity, calm after a break, the exposure scene on
 * resume) uploads its textures again but does not paint them again; the
 * renderer owns one and builds every scene inside paintWith. Canvases are
 * kept up to maxBytes (RGBA), least recently used dropped first. paintMs is
 * the time spent painting so far (the renderer's load timing).
 */
export class TextureCache {
  constructor(maxBytes = 48 << 20) { this.canvases = new Map(); this.bytes = 0; this.maxBytes = maxBytes; this.paintMs = 0; }
  take(key) {
    const c = this.canvases.get(key);
    if (c) { this.canvases.delete(key); this.canvases.set(key, c); } // most recently used last
    return c;
  }
  keep(key, c) {
    this.canvases.set(key, c);
    this.bytes += c.width * c.height * 4;
    for (const [k, old] of this.canvases) {
      if (this.bytes <= this.maxBytes || k === key) break;
      this.canvases.delete(k); this.bytes -= old.width * old.height * 4;
    }
  }
}

// the cache of the scene being built: set by paintWith for the build's
// duration only (builders are synchronous), so painters need no extra argument
let building = null;

/** paintWith runs build (a scene builder) with cache serving the canvas textures it paints. */
export function paintWith(cache, build) {
  const outer = building;
  building = cache;
  try { return build(); } finally { building = outer; }
}

/**
 * canvasTexture paints w×h pixels with draw(ctx2d, w, h) and returns an
 * sRGB, repeating, mipmapped texture. key names what draw paints (the
 * painter and its arguments): with a key, a canvas painted by an earlier
 * load is reused from the build's TextureCache.
 */
export function canvasTexture(w, h, draw, { srgb = true, repeat = [1, 1], key = '' } = {}) {
  let c = key && building ? building.take(key) : null;
  if (!c) {
    const t0 = performance.now();
    c = makeCanvas(w, h);
    if (c) draw(c.getContext('2d'), w, h);
    if (building) {
      building.paintMs += performance.now() - t0;
      if (key && c) building.keep(key, c);
    }
  }
  const tex = c ? new THREE.CanvasTexture(c) : new THREE.DataTexture(new Uint8Array([128, 128, 128, 255]), 1, 1);
  tex.wrapS = tex.wrapT = THREE.RepeatWrapping;
  tex.repeat.set(repeat[0], repeat[1]);
  tex.anisotropy = 4;
  if (srgb) tex.colorSpace = THREE.SRGBColorSpace;
  tex.needsUpdate = true;
  return tex;
}

function makeCanvas(w, h) {
  if (typeof OffscreenCanvas !== 'undefined') return new OffscreenCanvas(w, h);
  if (typeof document !== 'undefined') return Object.assign(document.createElement('canvas'), { width: w, height: h });
  return null; // node (unit tests): a flat grey texture stands in
}

/** speckle scatters n small dots of random lightness over the canvas: the grain of concrete, asphalt, fabric. */
export function speckle(g, w, h, n, alpha, seed, size = 1) {
  const r = rng(seed);
  for (let i = 0; i < n; i++) {
    const v = Math.floor(r() * 255);
    g.fillStyle = `rgba(${v},${v},${v},${alpha})`;
    g.fillRect(r() * w, r() * h, size, size);
  }
}

/**
 * facade: an office/residential front, 4 bays × 4 storeys (one repeat = 12 m
 * wide, 12 m tall; 3 m storeys). Slab ledges, window frames, glass with a
 * sky reflection gradient, some blinds drawn and some rooms lit.
 */
export function facade(seed = 1) {
  return canvasTexture(512, 512, (g, w, h) => {
    const r = rng(seed);
    g.fillStyle = '#c8c1b4'; g.fillRect(0, 0, w, h);
    speckle(g, w, h, 6000, 0.08, seed);
    const bay = w / 4, storey = h / 4;
    for (let f = 0; f < 4; f++) {
      const y0 = f * storey;
      // slab ledge with its shadow underneath
      g.fillStyle = '#e4ded2'; g.fillRect(0, y0, w, storey * 0.07);
      g.fillStyle = 'rgba(0,0,0,0.28)'; g.fillRect(0, y0 + storey * 0.07, w, storey * 0.04);
      for (let b = 0; b < 4; b++) {
        const x = b * bay + bay * 0.12, y = y0 + storey * 0.22, ww = bay * 0.76, hh = storey * 0.62;
        g.fillStyle = '#5b5f63'; g.fillRect(x - 4, y - 4, ww + 8, hh + 8);
        const lit = r() < 0.12, blind = r() < 0.3;
        const grad = g.createLinearGradient(0, y, 0, y + hh);
        if (lit) { grad.addColorStop(0, '#f3d9a0'); grad.addColorStop(1, '#c9a66a'); }
        else { grad.addColorStop(0, '#9fb7cc'); grad.addColorStop(0.55, '#4d6478'); grad.addColorStop(1, '#2c3946'); }
        g.fillStyle = grad; g.fillRect(x, y, ww, hh);
        if (blind) { g.fillStyle = 'rgba(225,220,205,0.85)'; g.fillRect(x, y, ww, hh * (0.2 + r() * 0.5)); }
        g.fillStyle = '#3f4246'; g.fillRect(x + ww / 2 - 2, y, 4, hh); g.fillRect(x, y + hh * 0.3, ww, 3);
        // sill
        g.fillStyle = '#ece6da'; g.fillRect(x - 6, y + hh + 3, ww + 12, 5);
      }
    }
  }, { key: `facade:${seed}` });
}

/** tower: a glass curtain wall with mullions every 1.5 m and spandrels every 3 m (one repeat = 12 m × 12 m). */
export function curtainWall(seed = 2) {
  return canvasTexture(256, 256, (g, w, h) => {
    const r = rng(seed);
    const col = w / 8, storey = h / 4;
    for (let f = 0; f < 4; f++) {
      for (let c = 0; c < 8; c++) {
        const l = 35 + r() * 25;
        g.fillStyle = r() < 0.08 ? '#d9c49a' : `hsl(${200 + r() * 20}, 14%, ${l}%)`;
        g.fillRect(c * col, f * storey, col, storey);
      }
      g.fillStyle = '#2b3036'; g.fillRect(0, f * storey, w, storey * 0.18);
    }
    g.fillStyle = '#1d2126';
    for (let c = 0; c <= 8; c++) g.fillRect(c * col - 1, 0, 3, h);
  }, { key: `curtainWall:${seed}` });
}

/**
 * cityBlock: one 60 m × 60 m block of a street grid (1024 px, ~17 px/m):
 * a 12 m road along two edges with dashed centre lines, zebra crossings and
 * stop lines, 3 m pavements with kerbs and paving joints, and a plaza with
 * lawns inside. Repeats seamlessly.
 */
export function cityBlock(seed = 3) {
  return canvasTexture(1024, 1024, (g, w) => {
    const m = w / 60; // pixels per metre
    g.fillStyle = '#4a4c50'; g.fillRect(0, 0, w, w); // asphalt
    speckle(g, w, w, 12000, 0.14, seed, 3);
    // pavement ring and plaza (the block sits inside the roads: 6 m road half-width on each edge)
    const r0 = 6 * m, r1 = w - 6 * m;
    g.fillStyle = '#a9a59d'; g.fillRect(r0, r0, r1 - r0, r1 - r0);
    g.fillStyle = '#d7d2c7'; g.fillRect(r0, r0, r1 - r0, 0.3 * m); g.fillRect(r0, r1 - 0.3 * m, r1 - r0, 0.3 * m);
    g.fillRect(r0, r0, 0.3 * m, r1 - r0); g.fillRect(r1 - 0.3 * m, r0, 0.3 * m, r1 - r0);
    g.strokeStyle = 'rgba(60,58,55,0.35)'; g.lineWidth = 1;
    for (let v = r0; v < r1; v += 1.5 * m) { g.beginPath(); g.moveTo(v, r0); g.lineTo(v, r1); g.moveTo(r0, v); g.lineTo(r1, v); g.stroke(); }
    // lawns and a path inside the plaza
    const p0 = r0 + 4 * m, p1 = r1 - 4 * m, mid = w / 2;
    g.fillStyle = '#5f7d3e';
    g.fillRect(p0, p0, mid - p0 - 2 * m, mid - p0 - 2 * m); g.fillRect(mid + 2 * m, p0, p1 - mid - 2 * m, mid - p0 - 2 * m);
    g.fillRect(p0, mid + 2 * m, mid - p0 - 2 * m, p1 - mid - 2 * m); g.fillRect(mid + 2 * m, mid + 2 * m, p1 - mid - 2 * m, p1 - mid - 2 * m);
    const r = rng(seed + 1);
    for (let i = 0; i < 4000; i++) { // grass tufts, only on the lawns
      const x = p0 + r() * (p1 - p0), y = p0 + r() * (p1 - p0);
      if (Math.abs(x - mid) < 2 * m || Math.abs(y - mid) < 2 * m) continue;
      g.fillStyle = `hsla(${85 + r() * 25}, 40%, ${22 + r() * 18}%, 0.7)`; g.fillRect(x, y, 3, 3);
    }
    // dashed centre lines on the seams (half on each side so the tile wraps)
    g.fillStyle = '#e9e6dc';
    for (let v = 0; v < w; v += 6 * m) {
      g.fillRect(v, -0.08 * m, 3 * m, 0.16 * m); g.fillRect(v, w - 0.08 * m, 3 * m, 0.16 * m);
      g.fillRect(-0.08 * m, v, 0.16 * m, 3 * m); g.fillRect(w - 0.08 * m, v, 0.16 * m, 3 * m);
    }
    // zebra crossings before each corner, stop lines
    for (const [a, b] of [[r0 + 1 * m, 0], [r1 - 4 * m, 0]]) {
      for (let k = 0; k < 12; k += 1) {
        const s = -6 * m + k * m;
        if (k % 2) continue;
        // crossing the horizontal road (y near 0/w) and the vertical road (x near 0/w)
        g.fillRect(a, (s + w) % w, 3 * m, 0.5 * m); g.fillRect((s + w) % w, a, 0.5 * m, 3 * m);
      }
      g.fillRect(a + (b ? 0 : 3.5 * m), 0, 0.4 * m, 5.5 * m);
    }
  }, { key: `cityBlock:${seed}` });
}

/** pavers: 0.5 m concrete slabs with joints (one repeat = 2 m × 2 m). */
export function pavers(seed = 4, base = '#b8b2a6') {
  return canvasTexture(256, 256, (g, w) => {
    g.fillStyle = base; g.fillRect(0, 0, w, w);
    const r = rng(seed);
    const n = 4, s = w / n;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      const l = r() * 0.1;
      g.fillStyle = `rgba(0,0,0,${l})`; g.fillRect(i * s, j * s, s, s);
    }
    speckle(g, w, w, 5000, 0.12, seed);
    g.fillStyle = 'rgba(40,38,35,0.6)';
    for (let i = 0; i <= n; i++) { g.fillRect(i * s - 1, 0, 2, w); g.fillRect(0, i * s - 1, w, 2); }
  }, { key: `pavers:${seed},${base}` });
}

/** wood: planks 0.15 m wide with grain lines (one repeat = 1.2 m × 1.2 m, planks along v). */
export function wood(seed = 5, hue = 28, light = 38) {
  return canvasTexture(512, 512, (g, w) => {
    const r = rng(seed);
    const planks = 8, pw = w / planks;
    for (let p = 0; p < planks; p++) {
      const l = light + (r() - 0.5) * 10;
      g.fillStyle = `hsl(${hue + (r() - 0.5) * 6}, 45%, ${l}%)`; g.fillRect(p * pw, 0, pw, w);
      for (let k = 0; k < 40; k++) { // grain
        const x = p * pw + r() * pw, wav = r() * 6;
        g.strokeStyle = `hsla(${hue}, 50%, ${l - 10 - r() * 8}%, ${0.25 + r() * 0.3})`; g.lineWidth = 0.6 + r();
        g.beginPath(); g.moveTo(x, 0);
        for (let y = 0; y <= w; y += 32) g.lineTo(x + Math.sin(y * 0.02 + wav) * 3, y);
        g.stroke();
      }
      g.fillStyle = 'rgba(20,10,0,0.55)'; g.fillRect(p * pw, 0, 2, w);
      const cut = r() * w; g.fillRect(p * pw, cut, pw, 2); // butt joint
    }
  }, { key: `wood:${seed},${hue},${light}` });
}

/** carpet: a tufted loop pile with a faint 0.5 m tile pattern (one repeat = 2 m × 2 m). */
export function carpet(seed = 6, hue = 350, sat = 35, light = 28) {
  return canvasTexture(256, 256, (g, w) => {
    g.fillStyle = `hsl(${hue}, ${sat}%, ${light}%)`; g.fillRect(0, 0, w, w);
    speckle(g, w, w, 14000, 0.18, seed);
    g.fillStyle = 'rgba(0,0,0,0.12)';
    for (let i = 0; i < 4; i++) { g.fillRect(i * w / 4, 0, 1, w); g.fillRect(0, i * w / 4, w, 1); }
  }, { key: `carpet:${seed},${hue},${sat},${light}` });
}

/** fabric: woven upholstery, a fine cross weave with a subtle pattern (one repeat = 0.5 m). */
export function fabric(seed = 7, hue = 220, sat = 35, light = 30) {
  return canvasTexture(128, 128, (g, w) => {
    g.fillStyle = `hsl(${hue}, ${sat}%, ${light}%)`; g.fillRect(0, 0, w, w);
    for (let y = 0; y < w; y += 2) { g.fillStyle = `rgba(255,255,255,${y % 4 ? 0.05 : 0.1})`; g.fillRect(0, y, w, 1); }
    for (let x = 0; x < w; x += 2) { g.fillStyle = 'rgba(0,0,0,0.08)'; g.fillRect(x, 0, 1, w); }
    g.strokeStyle = `hsla(${hue + 30}, 40%, ${light + 15}%, 0.35)`; g.lineWidth = 2;
    for (let k = 0; k < 4; k++) { g.beginPath(); g.arc((k % 2) * w / 2 + w / 4, Math.floor(k / 2) * w / 2 + w / 4, w / 8, 0, Math.PI * 2); g.stroke(); }
    speckle(g, w, w, 1500, 0.1, seed);
  }, { key: `fabric:${seed},${hue},${sat},${light}` });
}

/** grass: a meadow seen from standing height (one repeat = 4 m × 4 m). */
export function grass(seed = 8, hue = 90, light = 30) {
  return canvasTexture(512, 512, (g, w) => {
    g.fillStyle = `hsl(${hue}, 35%, ${light}%)`; g.fillRect(0, 0, w, w);
    const r = rng(seed);
    for (let i = 0; i < 14000; i++) {
      const x = r() * w, y = r() * w, l = light - 10 + r() * 22;
      g.strokeStyle = `hsla(${hue + (r() - 0.5) * 30}, ${30 + r() * 25}%, ${l}%, 0.8)`; g.lineWidth = 1;
      g.beginPath(); g.moveTo(x, y); g.lineTo(x + (r() - 0.5) * 4, y - 3 - r() * 6); g.stroke();
    }
  }, { key: `grass:${seed},${hue},${light}` });
}

/** sand: wind-rippled beach sand (one repeat = 4 m × 4 m). */
export function sand(seed = 9) {
  return canvasTexture(256, 256, (g, w) => {
    g.fillStyle = '#dcc89a'; g.fillRect(0, 0, w, w);
    for (let y = 0; y < w; y += 6) { g.fillStyle = `rgba(120,95,50,${0.06 + 0.05 * Math.sin(y)})`; g.fillRect(0, y, w, 2); }
    speckle(g, w, w, 12000, 0.2, seed);
  }, { key: `sand:${seed}` });
}

/** tiles: square ceramic tiles with grout (one repeat = 1.2 m: 4 × 0.3 m tiles). */
export function tiles(seed = 10, base = '#e6e4de', grout = '#9d9a93') {
  return canvasTexture(256, 256, (g, w) => {
    g.fillStyle = grout; g.fillRect(0, 0, w, w);
    const r = rng(seed), s = w / 4;
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) {
      g.fillStyle = base; g.fillRect(i * s + 2, j * s + 2, s - 4, s - 4);
      g.fillStyle = `rgba(0,0,0,${r() * 0.06})`; g.fillRect(i * s + 2, j * s + 2, s - 4, s - 4);
    }
    speckle(g, w, w, 1500, 0.06, seed);
  }, { key: `tiles:${seed},${base},${grout}` });
}

/** plaster: a painted wall with a faint roller texture (one repeat = 2 m). */
export function plaster(seed = 11, base = '#e8e2d6') {
  return canvasTexture(256, 256, (g, w) => {
    g.fillStyle = base; g.fillRect(0, 0, w, w);
    speckle(g, w, w, 9000, 0.05, seed, 2);
  }, { key: `plaster:${seed},${base}` });
}

/**
 * blob: a soft radial shadow (alpha map) for contact shadows under feet,
 * figures and spiders. An alpha map is read from the green channel, so the
 * falloff is painted in grey on black, not in the canvas's alpha: white at
 * any alpha uploads as white, and the shadow was a hard-edged dark disc.
 */
export function blob() {
  const tex = canvasTexture(64, 64, (g, w) => {
    g.fillStyle = '#000'; g.fillRect(0, 0, w, w);
    const grad = g.createRadialGradient(w / 2, w / 2, 0, w / 2, w / 2, w / 2);
    grad.addColorStop(0, '#fff'); grad.addColorStop(0.35, '#a6a6a6'); grad.addColorStop(0.7, '#383838'); grad.addColorStop(1, '#000');
    g.fillStyle = grad; g.fillRect(0, 0, w, w);
  }, { srgb: false, key: 'blob' });
  tex.wrapS = tex.wrapT = THREE.ClampToEdgeWrapping;
  return tex;
}
