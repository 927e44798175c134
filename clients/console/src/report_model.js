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

/**
 * stepBands turns stepSeries output into time bands (unix ms) for the
 * physiology charts and the per-step table: the span before the first step
 * (index -1, when the session started earlier) and each step entered, until
 * the next one or endMs.
 */
export function stepBands(steps, startMs, endMs) {
  const entered = steps.filter((s) => s.index >= 0 && s.at).map((s) => ({ index: s.index, from: Date.parse(s.at) }))
    .filter((b) => Number.isFinite(b.from)).sort((a, b) => a.from - b.from);
  const out = [];
  const first = entered.length ? entered[0].from : endMs;
  if (Number.isFinite(startMs) && startMs < first) out.push({ index: -1, from: startMs, to: first });
  entered.forEach((b, i) => out.push({ index: b.index, from: b.from, to: i + 1 < entered.length ? entered[i + 1].from : Math.max(endMs, b.from) }));
  return out;
}

/** SERIES_KEYS are the value arrays of the server's report series, in chart order. */
export const SERIES_KEYS = ['hr_bpm', 'rmssd_ms', 'eda_tonic_us'];

/**
 * bandMeans averages each series over each band: values (null skipped) whose
 * time t lies in [from, to), the last band including its end. A band with no
 * value of a series gets null for it.
 */
export function bandMeans(series, bands, keys = SERIES_KEYS) {
  const ts = series?.t || [];
  return bands.map((b, bi) => {
    const means = {};
    for (const k of keys) {
      const vs = series?.[k] || [];
      let sum = 0, n = 0;
      for (let i = 0; i < ts.length; i++) {
        const inBand = ts[i] >= b.from && (ts[i] < b.to || (bi === bands.length - 1 && ts[i] === b.to));
        if (inBand && typeof vs[i] === 'number') { sum += vs[i]; n++; }
      }
      means[k] = n ? sum / n : null;
    }
    return { ...b, means };
  });
}

/** seriesRange is [first, last] time (ms) of the series widened to the session's start and end when known; null without data. */
export function seriesRange(series, startMs, endMs) {
  const ts = series?.t || [];
  const lo = Math.min(...[ts[0], startMs].filter(Number.isFinite));
  const hi = Math.max(...[ts.at(-1), endMs].filter(Number.isFinite));
  return Number.isFinite(lo) && Number.isFinite(hi) && hi > lo ? [lo, hi] : null;
}

/** CSV_STREAMS are the streams the CSV export serves (one file each), in the order links are offered. */
export const CSV_STREAMS = ['hr', 'rr', 'eda', 'resp', 'spo2', 'skin_temp'];

/**
 * exportLinks builds the export hrefs from the OpenAPI path template
 * (/api/sessions/{id}/export/{format}): one CSV per stream the session
 * stored (samples: the report's counts per stream; a chest strap's ble_hrs
 * chunks hold heart rate and RR), then FHIR and Open mHealth.
 */
export function exportLinks(template, id, samples, { avoidance = false } = {}) {
  if (!template) return [];
  const base = (format) => template.replace('{id}', encodeURIComponent(id)).replace('{format}', format);
  const strap = (samples?.ble_hrs || 0) > 0;
  const csv = CSV_STREAMS.filter((s) => (samples?.[s] || 0) > 0 || (strap && (s === 'hr' || s === 'rr')))
    .map((stream) => ({ format: 'csv', stream, href: `${base('csv')}?${new URLSearchParams({ stream })}` }));
  if (avoidance) csv.push({ format: 'csv', stream: 'avoidance', href: `${base('csv')}?${new URLSearchParams({ stream: 'avoidance' })}` });
  return [...csv, { format: 'fhir', href: base('fhir') }, { format: 'omh', href: base('omh') }];
}
