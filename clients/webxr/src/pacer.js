// Breathing pacer timing (CLINICAL.md §7): turns the server's exact phase list
// ({"phases":[{"phase":"inhale","s":4},…],"cycles":N|null,"duration_s":…})
// into the size of the pacer shape at any instant. Pure, so node --test can
// check the timings to the millisecond.

const RISING = /^inhale/;
const FALLING = /^exhale/;

/**
 * Pacer schedules one breathing exercise started at startMs. Consecutive
 * inhale phases (cyclic sighing's top-up inhale, Balban et al. 2023) share
 * the rise in proportion to their durations; exhales share the fall; holds
 * keep the level.
 */
export class Pacer {
  constructor({ phases, cycles = null, duration_s = null }, startMs) {
    if (!Array.isArray(phases) || phases.length === 0) throw new Error('pacer: no phases');
    this.phases = phases.map((p, i) => {
      const s = Number(p && p.s);
      if (!p || typeof p.phase !== 'string' || !(s > 0) || !Number.isFinite(s)) throw new Error(`pacer: bad phase ${i}`);
      return { phase: p.phase, ms: s * 1000 };
    });
    this.cycleMs = this.phases.reduce((a, p) => a + p.ms, 0);
    this.cycles = Number.isInteger(cycles) && cycles > 0 ? cycles : null;
    this.durationMs = Number(duration_s) > 0 ? Number(duration_s) * 1000 : null;
    this.startMs = startMs;
    this.levels = levels(this.phases);
  }

  /** totalMs is the exercise length, or Infinity when it runs until breathing.stop. */
  get totalMs() {
    const byCycles = this.cycles ? this.cycles * this.cycleMs : Infinity;
    const byDuration = this.durationMs ?? Infinity;
    return Math.min(byCycles, byDuration);
  }

  /** at returns {phase, index, cycle, progress, level, remainingS, done} at nowMs; level runs 0 (empty) … 1 (full). */
  at(nowMs) {
    const elapsed = Math.max(0, nowMs - this.startMs);
    if (elapsed >= this.totalMs) return { phase: 'done', index: -1, cycle: this.cycles ?? 0, progress: 1, level: 0, remainingS: 0, done: true };
    const cycle = Math.floor(elapsed / this.cycleMs);
    let t = elapsed - cycle * this.cycleMs;
    let i = 0;
    while (i < this.phases.length - 1 && t >= this.phases[i].ms) { t -= this.phases[i].ms; i++; }
    const p = this.phases[i];
    const progress = Math.min(1, t / p.ms);
    const [from, to] = this.levels[i];
    const eased = 0.5 - 0.5 * Math.cos(Math.PI * progress); // sine easing feels like breath
    return {
      phase: p.phase, index: i, cycle, progress,
      level: from + (to - from) * eased,
      remainingS: Math.ceil((p.ms - t) / 1000),
      done: false,
    };
  }
}

function levels(phases) {
  const out = [];
  let level = 0;
  for (let i = 0; i < phases.length; i++) {
    const dir = RISING.test(phases[i].phase) ? 1 : FALLING.test(phases[i].phase) ? -1 : 0;
    if (dir === 0) { out.push([level, level]); continue; }
    // the run of same-direction phases starting here shares the whole swing
    let runMs = 0;
    for (let j = i; j < phases.length && (dir > 0 ? RISING : FALLING).test(phases[j].phase); j++) runMs += phases[j].ms;
    const target = dir > 0 ? 1 : 0;
    // the distance left is split by this phase's share of the remaining run
    const next = level + (target - level) * (phases[i].ms / runMs);
    out.push([level, next]);
    level = next;
  }
  return out;
}

/** phaseKey maps a protocol phase name to its message: inhale, top-up inhale, exhale, anything else holds. */
export function phaseKey(phase) {
  if (/^inhale/.test(phase)) return /top|sigh|second/.test(phase) ? 'client.breathing.top_up' : 'client.breathing.in';
  if (/^exhale/.test(phase)) return 'client.breathing.out';
  return 'client.breathing.hold';
}
