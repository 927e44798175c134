// Measures the heap a scene allocates per frame: the renderer's per-frame
// path for one scene (the parameter tween's step, then the scene's update)
// driven for many frames after a warm-up, with every byte counted — bytes
// still in the heap at the end of the window plus the bytes each garbage
// collection inside it freed (v8.GCProfiler), so a scavenge in the middle
// hides nothing. The window starts after a full collection, so every byte a
// collection frees in it was allocated in it.
//
//   node clients/webxr/bench/alloc_probe.mjs            # every template at 0, 50, 100
//
// prints one JSON line per template and intensity: {template, intensity, bytesPerFrame}.
// scenes_alloc.test.mjs runs measure() on the same scenes and bounds it.
import v8 from 'node:v8';
import vm from 'node:vm';
import { pathToFileURL } from 'node:url';
import { BUILDERS } from '../src/scenes/index.js';
import { intensityParams, normalize, Tween } from '../src/params.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

const noop = () => {};
/** probeContext is the ctx a scene gets from the renderer, with every sink a no-op (no WebGL, no Web Audio). */
export function probeContext() {
  return {
    shake: { x: 0, y: 0, roll: 0, pitch: 0 },
    motion: 1,
    audio: { noise: noop, noiseLevel: noop, hum: noop, chime: noop, ring: noop, thud: noop, quiet: noop },
    caption: noop,
    env: { setSky: noop, fog: noop, light: noop, environment: noop, lights: noop },
  };
}

const DT = 1 / 72; // a standalone headset's frame

// The frame loop runs in a function of its own so it is optimised (on-stack
// replacement) like the renderer's; clock holds the times unboxed between frames.
function drive(scene, tween, frames, clock) {
  for (let i = 0; i < frames; i++) {
    clock[0] += DT;
    scene.update(tween.step(clock[0] * 1000), clock[0], DT);
  }
}

/**
 * measure builds template at intensity, warms it up and returns the bytes
 * allocated per frame over frames frames (the least of windows windows: the
 * optimising compiler may still be at work in the first).
 */
export function measure(template, intensity, { warm = 2000, frames = 500, windows = 4, params: given } = {}) {
  const scene = BUILDERS[template](probeContext());
  const params = normalize(template, given ?? intensityParams(template, intensity));
  const tween = new Tween(template, params);
  const clock = new Float64Array(1);
  scene.update(tween.step(0), 0, 20); // the renderer's settling first update
  drive(scene, tween, warm, clock);
  let least = Infinity;
  for (let w = 0; w < windows; w++) {
    gc();
    const profiler = new v8.GCProfiler();
    const before = v8.getHeapStatistics().used_heap_size;
    profiler.start();
    drive(scene, tween, frames, clock);
    const after = v8.getHeapStatistics().used_heap_size;
    const { statistics } = profiler.stop();
    let freed = 0;
    for (const s of statistics) freed += s.beforeGC.heapStatistics.usedHeapSize - s.afterGC.heapStatistics.usedHeapSize;
    least = Math.min(least, Math.max(0, after - before + freed) / frames);
  }
  scene.dispose?.();
  return least;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const only = process.argv[2];
  for (const template of Object.keys(BUILDERS)) {
    if (only && template !== only) continue;
    for (const intensity of [0, 50, 100]) console.log(JSON.stringify({ template, intensity, bytesPerFrame: Math.round(measure(template, intensity) * 10) / 10 }));
  }
}
