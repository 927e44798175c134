// Pure report helpers (unit-tested): split a session timeline into steps with
// their SUDS ratings (the habituation curve of each step, CLINICAL.md §2),
// and draw one curve as a small accessible SVG.

/** stepSeries groups suds.rating events by the step entered before them (engine.step.enter). */
export function stepSeries(timeline) {
  const out = [];
  let cur = { index: -1, stepId: '', at: null, ratings: [] };
  for (const e of timeline) {
    if (e.kind === 'engine.step.enter') {
      if (cur.index >= 0 || cur.ratings.length) out.push(cur);
      cur = { index: Number(e.body?.index ?? out.length), stepId: e.body?.step_id || '', at: e.at, ratings: [] };
    } else if (e.kind === 'suds.rating' && typeof e.body?.value === 'number') {
      cur.ratings.push({ at: e.at, value: e.body.value });
    }
  }
  if (cur.index >= 0 || cur.ratings.length) out.push(cur);
  return out;
}

const NS = 'http://www.w3.org/2000/svg';
/** sparkline draws ratings (0–100) as a polyline in a 120×32 SVG labelled for screen readers. */
export function sparkline(ratings, label, doc = globalThis.document) {
  const svg = doc.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', '0 0 120 32');
  svg.setAttribute('width', '120');
  svg.setAttribute('height', '32');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  if (ratings.length) {
    const pts = points(ratings.map((r) => r.value));
    const line = doc.createElementNS(NS, 'polyline');
    line.setAttribute('points', pts.map(([x, y]) => `${x},${y}`).join(' '));
    line.setAttribute('fill', 'none');
    line.setAttribute('stroke', '#8a4b00');
    line.setAttribute('stroke-width', '2');
    svg.append(line);
  }
  return svg;
}

/** points maps values 0–100 onto the 120×32 box (2 px margin), first to last left to right. */
export function points(values) {
  const n = values.length;
  return values.map((v, i) => [n === 1 ? 60 : 2 + (116 * i) / (n - 1), Math.round((30 - (28 * Math.max(0, Math.min(100, v))) / 100) * 10) / 10]);
}
