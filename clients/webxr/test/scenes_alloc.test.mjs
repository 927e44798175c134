// No per-frame allocation (issue 19's budget): every scene's per-frame path
// — the parameter tween's step and the scene's update, as the renderer runs
// them — is driven for thousands of frames at intensities 0, 50 and 100
// under V8's sampling heap profiler, and what it allocates per frame is
// compared with the floor measured in the same run: an empty scene driven
// by the same loop (bench/alloc_probe.mjs). The floor is the probe's own:
// the loop passes the frame's times to update and step, and V8 boxes them
// when it does not inline the call — 0, 16 or 32 B a frame depending on
// what it inlines, which differs between the empty scene and a real one
// (measured: the empty scene 6–30 B, scenes that allocate nothing 16–17 B).
// So the floor is the empty scene's figure, but at least LOOP, the two
// numbers the loop hands over each frame.
//
// TOLERANCE is two heap numbers a frame (a boxed double is 16 B here: 8 B of
// header and map with pointer compression, 8 B of value). It is there for
// what the engine allocates once inside a window and the profile spreads
// over its frames — a feedback vector created when a function first turns
// hot, on-stack replacement's code — not for a scene: a scene that
// allocates anything per person, leg, tree or star is tens to thousands of
// bytes a frame over it. Before this bound, with 4 KiB a frame allowed, the
// scenes measured up to 85 B a frame over the floor (flying: its easing
// calls and the seat-belt signs' colour) and the enclosed space at 100 up
// to 214 B. A measurement over the bound is repeated twice on a fresh scene
// before it fails: the compiler can still deoptimise and reoptimise a
// scene's update inside a window (a branch first taken there), which is
// its state, not the code's.
//
// The measurement runs in a process of its own with V8's optimising compiler
// on the main thread (SYNC_JIT): by default it compiles on a background
// thread, and on a busy machine that thread may not have finished when the
// window opens, so the window would measure the interpreter's boxed numbers
// (a CI run beside other processes saw 99 B a frame for a scene that
// measures 17, and slowing the background compiler by hand,
// --concurrent-recompilation-delay=200, fails five scenes). With the
// compiler in line, when a function is optimised depends only on how often
// it ran, not on the machine's load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { measure, EMPTY } from '../bench/alloc_probe.mjs';
import { BUILDERS } from '../src/scenes/index.js';

const LOOP = 32; // bytes per frame: two boxed numbers
const TOLERANCE = 32; // bytes per frame over the floor
const SYNC_JIT = ['--no-concurrent-recompilation', '--no-concurrent-osr'];

if (!SYNC_JIT.every((f) => process.execArgv.includes(f))) {
  test('scenes allocate nothing per frame', { timeout: 900_000 }, () => {
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT; // the child reports in plain text, not to this runner
    const run = spawnSync(process.execPath, [...SYNC_JIT, fileURLToPath(import.meta.url)], { env, encoding: 'utf8', timeout: 880_000 });
    assert.equal(run.status, 0, `the measurement (node ${SYNC_JIT.join(' ')}) failed:\n${run.stdout}${run.stderr}`);
  });
} else test('scenes allocate nothing per frame (optimising compiler in line)', { timeout: 600_000 }, async () => {
  // a throwaway first run: the shared code (kit, three's math) is optimised
  // while the first scene runs, and that compiler's work would be counted
  await measure('night_sky', 50, { warm: 2000, frames: 100 });
  const empty = (await measure(EMPTY, 0)).bytesPerFrame;
  assert.ok(empty > 0 && empty < 256, `the empty scene measures ${empty} B a frame: the probe measures nothing, or its own loop allocates`);
  const floor = Math.max(empty, LOOP);
  const over = [];
  for (const template of Object.keys(BUILDERS)) {
    for (const intensity of [0, 50, 100]) {
      let m = await measure(template, intensity);
      for (let k = 0; k < 2 && m.bytesPerFrame - floor > TOLERANCE; k++) {
        const again = await measure(template, intensity);
        if (again.bytesPerFrame < m.bytesPerFrame) m = again;
      }
      if (m.bytesPerFrame - floor > TOLERANCE) over.push(`${template} @${intensity}: ${m.bytesPerFrame.toFixed(1)} B/frame (floor ${floor.toFixed(1)}): ${m.sites.join('; ')}`);
    }
  }
  assert.deepEqual(over, [], `per-frame allocation over the floor ${floor.toFixed(1)} B/frame (the empty scene ${empty.toFixed(1)}) + ${TOLERANCE} B`);
});
