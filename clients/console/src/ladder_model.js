// Pure ladder-editing logic (no DOM), unit-tested with node's test runner:
// moving steps, fresh step ids and the CLINICAL.md §1 gap check — adjacent
// items should differ by at most 15 SUDS (exposure-hierarchy guides), the
// same rule the server returns as proto.warn.suds_gap after saving.

/** MAX_SUDS_GAP is the largest advisable difference between adjacent steps (CLINICAL.md §1). */
export const MAX_SUDS_GAP = 15;

/** move returns a copy of steps with the item at from moved to to (clamped); the same array when nothing moves. */
export function move(steps, from, to) {
  const target = Math.max(0, Math.min(steps.length - 1, to));
  if (from === target || from < 0 || from >= steps.length) return steps;
  const out = steps.slice();
  const [item] = out.splice(from, 1);
  out.splice(target, 0, item);
  return out;
}

/** gaps lists adjacent pairs {from, to, gap} (1-based step numbers) whose expected SUDS differ by more than max. */
export function gaps(steps, max = MAX_SUDS_GAP) {
  const out = [];
  for (let i = 1; i < steps.length; i++) {
    const a = Number(steps[i - 1].expected_suds), b = Number(steps[i].expected_suds);
    if (Number.isFinite(a) && Number.isFinite(b) && Math.abs(b - a) > max) out.push({ from: i, to: i + 1, gap: b - a });
  }
  return out;
}

/** newStepId returns an id "step_N" not used by any step. */
export function newStepId(steps) {
  const used = new Set(steps.map((s) => s.id));
  let n = steps.length + 1;
  while (used.has(`step_${n}`)) n++;
  return `step_${n}`;
}

/** insertAfter returns steps with a new step after index i, its SUDS and intensity halfway to the next (or +10). */
export function insertAfter(steps, i) {
  const prev = steps[i], next = steps[i + 1];
  const mid = (a, b, d) => Math.round(b === undefined ? Math.min(100, a + d) : (a + b) / 2);
  const step = {
    id: newStepId(steps),
    intensity: prev ? mid(prev.intensity ?? 0, next?.intensity, 10) : 0,
    expected_suds: prev ? mid(prev.expected_suds ?? 40, next?.expected_suds, 10) : 40,
  };
  const out = steps.slice();
  out.splice(i + 1, 0, step);
  return out;
}

/** parseList splits a textarea's lines (or commas) into trimmed, non-empty items. */
export function parseList(text) {
  return String(text || '').split(/[\n,]/).map((s) => s.trim()).filter(Boolean);
}
