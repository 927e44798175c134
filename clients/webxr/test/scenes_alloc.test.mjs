// No per-frame allocation (issue 19's budget): every scene's per-frame path
// — the parameter tween's step and the scene's update, as the renderer runs
// them — is driven for hundreds of frames at intensities 0, 50 and 100 and
// the heap it allocates is counted (bench/alloc_probe.mjs: bytes left in the
// heap plus bytes each collection in the window freed, so a scavenge hides
// nothing).
//
// The bound is set from what allocation-free code measures, not from what
// the scenes measure: the probe's own loop passes the frame's times to
// update and to the tween as arguments, which V8 boxes (16 B each), so a
// scene that allocates nothing measures 17–35 B a frame. The optimising
// compiler adds noise while it works (its feedback and deoptimisations land
// on the same heap), up to a few hundred bytes in an unlucky window. 1 KiB
// a frame leaves room for both, and for the few scalars per frame a JIT may
// box at a call it does not inline; it does not leave room for per-instance
// garbage — one vector, array or boxed argument per person, tree or leg —
// which is what the scenes allocated before: 22 of these 30 measurements
// were over it, from 1.3 KB to 173 KB a frame (the forest's 180 trees 18 KB,
// the crowd 68 KB, the sea's normals recomputed every frame 172 KB).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { measure } from '../bench/alloc_probe.mjs';
import { BUILDERS } from '../src/scenes/index.js';

const BOUND = 1024; // bytes per frame

test('scenes allocate nothing per frame', { timeout: 600_000 }, () => {
  // a throwaway first run: the shared code (kit, three's math) is optimised
  // while the first scene runs, and that compiler's work would be counted
  measure('night_sky', 50, { warm: 2000, frames: 100, windows: 1 });
  const over = [];
  for (const template of Object.keys(BUILDERS)) {
    for (const intensity of [0, 50, 100]) {
      // allocation is deterministic, the compiler's noise is not (and grows
      // on a busy machine): two more measurements confirm a figure over the
      // bound before it fails
      let bytes = measure(template, intensity);
      for (let k = 0; k < 2 && bytes > BOUND; k++) bytes = Math.min(bytes, measure(template, intensity));
      if (bytes > BOUND) over.push(`${template} @${intensity}: ${Math.round(bytes)} B/frame`);
    }
  }
  assert.deepEqual(over, [], `per-frame allocation over ${BOUND} B/frame`);
});
