// Measures what a scene allocates per frame: the renderer's per-frame path
// for one scene (the parameter tween's step, then the scene's update) driven
// for many frames after a warm-up, under V8's sampling heap profiler with
// the objects later collected kept in the profile (minor and major GC), so a
// scavenge in the middle of the window hides nothing.
//
// The profiler attributes every sampled allocation to the JavaScript stack
// that made it. What the engine allocates with no JavaScript on the stack —
// optimised code, deoptimisation data, the compiler's own bookkeeping as it
// settles — is left out: an earlier probe that counted the whole heap (used
// size plus what each collection freed) saw that as 0.1–2.4 KB a frame
// varying from run to run of the same code, and had to allow 4 KiB a frame
// for it. With attribution the figure is exact to a few bytes, and every
// allocation comes with the function and line that made it.
//
// The floor is measured in the same run: EMPTY, a scene whose update does
// nothing and a tween that hands back the same parameters, driven by the
// same loop. What it allocates (the loop passing the frame's times as
// numbers, boxed) is the probe's, not a scene's.
//
//   node --no-concurrent-recompilation --no-concurrent-osr clients/webxr/bench/alloc_probe.mjs [template]
//     # every template (or one) at 0, 50, 100; the flags keep the optimising
//     # compiler on the main thread, so a busy machine does not change the figure
//
// prints one JSON line per template and intensity: {template, intensity,
// bytesPerFrame, overFloor, sites} (sites: the largest allocating functions).
// scenes_alloc.test.mjs runs measure() on the same scenes and bounds it.
import { Session } from 'node:inspector/promises';
import { pathToFileURL } from 'node:url';
import { BUILDERS } from '../src/scenes/index.js';
import { intensityParams, normalize, Tween } from '../src/params.js';

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

/** EMPTY names the floor: a scene that does nothing per frame (see above). */
export const EMPTY = '(empty)';

// The frame loop runs in a function of its own so it is optimised (on-stack
// replacement) like the renderer's; clock holds the times unboxed between frames.
function drive(scene, tween, frames, clock) {
  for (let i = 0; i < frames; i++) {
    clock[0] += DT;
    scene.update(tween.step(clock[0] * 1000), clock[0], DT);
  }
}

let session = null;
async function profiler() {
  if (!session) {
    session = new Session();
    session.connect();
    await session.post('HeapProfiler.enable');
  }
  return session;
}

// sampled walks a sampling heap profile: the bytes with a JavaScript stack,
// and the leaf functions that allocated most.
function sampled(profile) {
  let bytes = 0;
  const sites = new Map();
  const walk = (n, depth) => {
    if (depth > 0 && n.selfSize) { // depth 0 is (root): allocations with no JavaScript on the stack
      bytes += n.selfSize;
      const f = n.callFrame, site = `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
      sites.set(site, (sites.get(site) || 0) + n.selfSize);
    }
    for (const c of n.children) walk(c, depth + 1);
  };
  walk(profile.head, 0);
  return { bytes, sites };
}

/**
 * measure builds template at intensity (EMPTY: the floor), drives it for
 * warm frames, then samples frames more and returns {bytesPerFrame, sites}:
 * the bytes allocated per frame and the largest allocating functions
 * (bytes per frame each). The warm-up covers every branch a scene takes on
 * a timer (the slowest, a glance every 30 s, runs several times), so the
 * window measures optimised code, not the compiler catching up.
 */
export async function measure(template, intensity, { warm = 10000, frames = 2000, interval = 16, params: given } = {}) {
  const empty = template === EMPTY, tpl = empty ? 'neutral_room' : template;
  const params = normalize(tpl, given ?? intensityParams(tpl, intensity));
  const scene = empty ? { update() {} } : BUILDERS[template](probeContext());
  const tween = empty ? { step: () => params } : new Tween(template, params);
  const clock = new Float64Array(1);
  scene.update(tween.step(0), 0, 20); // the renderer's settling first update
  drive(scene, tween, warm, clock);
  const s = await profiler();
  await s.post('HeapProfiler.collectGarbage');
  await s.post('HeapProfiler.startSampling', { samplingInterval: interval, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  drive(scene, tween, frames, clock);
  const { profile } = await s.post('HeapProfiler.stopSampling');
  scene.dispose?.();
  const { bytes, sites } = sampled(profile);
  const top = [...sites].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([k, v]) => `${k} ${(v / frames).toFixed(1)} B`);
  return { bytesPerFrame: bytes / frames, sites: top };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const only = process.argv[2];
  const floor = (await measure(EMPTY, 0)).bytesPerFrame;
  console.log(JSON.stringify({ template: EMPTY, bytesPerFrame: Math.round(floor * 10) / 10 }));
  for (const template of Object.keys(BUILDERS)) {
    if (only && template !== only) continue;
    for (const intensity of [0, 50, 100]) {
      const m = await measure(template, intensity);
      console.log(JSON.stringify({ template, intensity, bytesPerFrame: Math.round(m.bytesPerFrame * 10) / 10, overFloor: Math.round((m.bytesPerFrame - floor) * 10) / 10, sites: m.sites }));
    }
  }
  session?.disconnect();
}
