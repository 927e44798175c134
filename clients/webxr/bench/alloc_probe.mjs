// Measures the heap a scene's per-frame update allocates. Run by
// scenes.test.mjs as `node --expose-gc --max-semi-space-size=64 alloc_probe.mjs`:
// a young generation that large sees no scavenge during the measured frames,
// so any allocation shows as growth of the used heap. Prints one JSON line
// per template and intensity: {template, intensity, bytesPerFrame}.
import v8 from 'node:v8';
import { BUILDERS } from '../src/scenes/index.js';
import { intensityParams, normalize } from '../src/params.js';

const noop = () => {};
const ctx = {
  shake: { x: 0, y: 0, roll: 0, pitch: 0 },
  motion: 1,
  audio: { noise: noop, noiseLevel: noop, hum: noop, chime: noop, ring: noop, thud: noop, quiet: noop },
  caption: noop,
  env: { setSky: noop, fog: noop, light: noop, environment: noop, lights: noop },
};
const WARM = 3000, FRAMES = 500, WINDOWS = 3, DT = 1 / 72;
for (const [template, build] of Object.entries(BUILDERS)) {
  for (const intensity of [0, 50, 100]) {
    const scene = build(ctx);
    const p = normalize(template, intensityParams(template, intensity));
    let t = 0;
    scene.update(p, t, 20);
    for (let i = 0; i < WARM; i++) scene.update(p, (t += DT), DT);
    // the least of a few windows: the optimising compiler may still be at work in the first
    let least = Infinity;
    for (let w = 0; w < WINDOWS; w++) {
      globalThis.gc();
      const before = v8.getHeapStatistics().used_heap_size;
      for (let i = 0; i < FRAMES; i++) scene.update(p, (t += DT), DT);
      least = Math.min(least, Math.max(0, v8.getHeapStatistics().used_heap_size - before) / FRAMES);
    }
    console.log(JSON.stringify({ template, intensity, bytesPerFrame: least }));
  }
}
