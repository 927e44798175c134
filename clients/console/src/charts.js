// Live physiology and SUDS charts (uPlot): heart rate, RMSSD, EDA tonic level
// with skin-conductance responses marked, and the SUDS timeline, all with
// step boundaries drawn as vertical lines. The last 5 minutes scroll by
// default; the whole session is one toggle away. Each chart has a text
// readout of its latest value (the canvas itself is decorative for screen
// readers).
import uPlot from 'uplot';
import { h, mount } from './dom.js';

const WINDOW_S = 300; // CLINICAL view: last 5 min, scrolling

/** stepLines is a uPlot plugin drawing a dashed vertical line at each step boundary. */
function stepLines(getSteps) {
  return {
    hooks: {
      draw: [(u) => {
        const { ctx, bbox } = u;
        ctx.save();
        ctx.strokeStyle = '#59636f';
        ctx.setLineDash([4, 4]);
        ctx.lineWidth = 1;
        for (const s of getSteps()) {
          const x = u.valToPos(s, 'x', true);
          if (x < bbox.left || x > bbox.left + bbox.width) continue;
          ctx.beginPath(); ctx.moveTo(x, bbox.top); ctx.lineTo(x, bbox.top + bbox.height); ctx.stroke();
        }
        ctx.restore();
      }],
    },
  };
}

/**
 * createCharts(app) → {el, metrics(m), suds(tMs, value), step(tMs), showAll(bool), destroy()}.
 * metrics takes the server's biosignal snapshot ({t, hr_bpm, hrv:{rmssd_ms}, eda_tonic_us, scr_count}).
 */
export function createCharts(app) {
  const { t } = app;
  const steps = [];
  let all = false, lastScr = null;
  const series = {
    hr: { key: 'bio.metric.hr', unit: 'console.value.bpm', color: '#a1112a', data: [[], []] },
    rmssd: { key: 'bio.metric.rmssd', unit: 'console.value.ms', color: '#0b5cad', data: [[], []] },
    eda: { key: 'bio.metric.eda_tonic', unit: 'console.value.us', color: '#1d6b36', data: [[], [], []], scr: true },
    suds: { key: 'core.suds.name', unit: '', color: '#8a4b00', data: [[], []], points: true, range: [0, 100] },
  };
  const el = h('div', { class: 'charts' });
  const plots = {};
  for (const [name, s] of Object.entries(series)) {
    s.readout = h('span', { class: 'readout' }, t('console.chart.no_data'));
    s.box = h('div', { 'aria-hidden': 'true' });
    el.append(h('section', { class: 'chart', 'aria-labelledby': `ch-${name}` },
      h('h3', { id: `ch-${name}` }, t(s.key), ' ', h('small', {}, s.readout)), s.box));
  }
  const width = () => Math.max(280, (el.clientWidth || 600) - 10);
  function make(name) {
    const s = series[name];
    const opts = {
      width: width(), height: 130, legend: { show: false }, cursor: { show: false },
      scales: { x: { time: true }, y: s.range ? { range: () => s.range } : {} },
      // axis labels through Intl, so digits and clock format follow the console's locale
      axes: [{ stroke: '#4a5360', grid: { stroke: '#e3e7ec' }, values: (u, vals) => vals.map((v) => app.i18n.clock(v * 1000)) },
        { stroke: '#4a5360', grid: { stroke: '#e3e7ec' }, size: 50, values: (u, vals) => vals.map((v) => app.i18n.number(v, { maximumFractionDigits: 2 })) }],
      series: [{}, s.points ? { stroke: s.color, width: 2, paths: uPlot.paths.stepped({ align: 1 }), points: { show: true, size: 7, fill: s.color } } : { stroke: s.color, width: 2, points: { show: false } }],
      plugins: [stepLines(() => steps)],
    };
    if (s.scr) opts.series.push({ stroke: '#1b1f24', fill: '#1b1f24', paths: () => null, points: { show: true, size: 9, fill: '#f6f7f9' } });
    plots[name] = new uPlot(opts, s.data, s.box);
  }
  const ro = new ResizeObserver(() => { for (const p of Object.values(plots)) p.setSize({ width: width(), height: 130 }); });
  ro.observe(el);

  function push(name, tMs, v, extra) {
    const s = series[name];
    const x = tMs / 1000;
    s.data[0].push(x); s.data[1].push(v);
    if (s.scr) s.data[2].push(extra ?? null);
    if (v !== null && v !== undefined) {
      const num = app.i18n.number(v, { maximumFractionDigits: name === 'eda' ? 2 : 0 });
      s.readout.textContent = s.unit ? t(s.unit, { Value: num }) : num;
    }
    if (!plots[name]) make(name);
    plots[name].setData(s.data, false);
    rescale(name);
  }
  function rescale(name) {
    const s = series[name], p = plots[name];
    if (!p || !s.data[0].length) return;
    const max = s.data[0].at(-1), min = all ? s.data[0][0] : max - WINDOW_S;
    p.setScale('x', { min, max: Math.max(max, min + 10) });
    if (!s.range) p.setScale('y', fit(s.data[1], min, s.data[0]));
  }
  function fit(ys, min, xs) {
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < ys.length; i++) if (xs[i] >= min && ys[i] !== null) { lo = Math.min(lo, ys[i]); hi = Math.max(hi, ys[i]); }
    if (!Number.isFinite(lo)) return { min: 0, max: 1 };
    const pad = Math.max((hi - lo) * 0.1, hi === lo ? Math.abs(hi) * 0.05 + 0.01 : 0);
    return { min: lo - pad, max: hi + pad };
  }

  return {
    el,
    metrics(m) {
      const tm = m.t || Date.now();
      if (typeof m.hr_bpm === 'number') push('hr', tm, m.hr_bpm);
      if (m.hrv && typeof m.hrv.rmssd_ms === 'number') push('rmssd', tm, m.hrv.rmssd_ms);
      if (typeof m.eda_tonic_us === 'number') {
        const scr = lastScr !== null && m.scr_count > lastScr ? m.eda_tonic_us : null;
        lastScr = m.scr_count ?? lastScr;
        push('eda', tm, m.eda_tonic_us, scr);
      }
    },
    suds(tMs, v) { push('suds', tMs, v); },
    step(tMs) { steps.push(tMs / 1000); },
    showAll(v) { all = v; for (const name of Object.keys(series)) rescale(name); },
    counts: () => Object.fromEntries(Object.entries(series).map(([k, s]) => [k, s.data[0].length])),
    destroy() { ro.disconnect(); for (const p of Object.values(plots)) p.destroy(); mount(el); },
  };
}

/** REPORT_SERIES: the report's physiology charts, keyed by the server series' value arrays (colours as in the live charts). */
const REPORT_SERIES = [
  { key: 'hr_bpm', name: 'hr', label: 'bio.metric.hr', unit: 'console.value.bpm', color: '#a1112a', digits: 0, minSpan: 10 },
  { key: 'rmssd_ms', name: 'rmssd', label: 'bio.metric.rmssd', unit: 'console.value.ms', color: '#0b5cad', digits: 0, minSpan: 10 },
  { key: 'eda_tonic_us', name: 'eda', label: 'bio.metric.eda_tonic', unit: 'console.value.us', color: '#1d6b36', digits: 2, minSpan: 0.2 },
];
const SHORT_MS = 15 * 60_000; // shorter sessions label the time axis with seconds

/** stepBandsPlugin shades the step bands (alternating), draws a line at each step start and numbers the bands above the plot (in its top padding). */
function stepBandsPlugin(bands, label) {
  const span = (u, b) => [u.valToPos(b.from / 1000, 'x', true), u.valToPos(b.to / 1000, 'x', true)];
  return {
    hooks: {
      drawClear: [(u) => {
        const { ctx, bbox } = u;
        ctx.save();
        bands.filter((b) => b.index >= 0).forEach((b, i) => {
          const [x0, x1] = span(u, b);
          ctx.fillStyle = i % 2 ? 'rgba(11, 92, 173, 0.14)' : 'rgba(11, 92, 173, 0.06)';
          ctx.fillRect(Math.min(x0, x1), bbox.top, Math.abs(x1 - x0), bbox.height);
        });
        ctx.restore();
      }],
      draw: [(u) => {
        const { ctx, bbox } = u;
        ctx.save();
        ctx.strokeStyle = '#59636f';
        ctx.fillStyle = '#1b1f24';
        ctx.setLineDash([4, 4]);
        ctx.lineWidth = 1;
        ctx.font = `${Math.round(11 * devicePixelRatio)}px system-ui, sans-serif`;
        ctx.textBaseline = 'bottom';
        ctx.textAlign = 'center';
        for (const b of bands) {
          if (b.index < 0) continue;
          const [x0, x1] = span(u, b);
          ctx.beginPath(); ctx.moveTo(x0, bbox.top); ctx.lineTo(x0, bbox.top + bbox.height); ctx.stroke();
          if (Math.abs(x1 - x0) > 14 * devicePixelRatio) ctx.fillText(label(b.index), (x0 + x1) / 2, bbox.top - 2 * devicePixelRatio);
        }
        ctx.restore();
      }],
    },
  };
}

/**
 * reportCharts(app, series, bands, range) → {el, mount(), destroy()}:
 * the whole session's heart rate, RMSSD and EDA tonic level from the
 * server's report series ({t: [ms], hr_bpm, rmssd_ms, eda_tonic_us}: values
 * or null), one chart each, with the protocol steps (bands from
 * stepBands, unix ms) shaded and numbered. range is [fromMs, toMs]. The
 * canvases are decorative for screen readers: each heading carries the
 * series' range as text and the report's per-step table is the text
 * alternative. Call mount() once el is in the document (uPlot needs its width).
 */
export function reportCharts(app, series, bands, range) {
  const { t } = app;
  const xs = (series.t || []).map((v) => v / 1000);
  const el = h('div', { class: 'charts' });
  const plots = [];
  const charts = REPORT_SERIES.map((s) => {
    const ys = (series[s.key] || []).map((v) => (typeof v === 'number' ? v : null));
    const vals = ys.filter((v) => v !== null);
    const fmt = (v) => t(s.unit, { Value: app.i18n.number(v, { maximumFractionDigits: s.digits }) });
    const summary = vals.length ? `${fmt(Math.min(...vals))} – ${fmt(Math.max(...vals))}` : t('console.report.no_physiology');
    const box = h('div', { 'aria-hidden': 'true' });
    const section = h('section', { class: 'chart', 'aria-labelledby': `rch-${s.name}`, dataset: { series: s.name, points: String(vals.length) } },
      h('h3', { id: `rch-${s.name}` }, t(s.label), ' ', h('small', { class: 'readout' }, summary)), box);
    el.append(section);
    return { s, ys, vals, box };
  });
  const width = () => Math.max(280, (el.clientWidth || 600) - 10);
  let ro = null;
  function mountPlots() {
    if (plots.length || !range) return;
    for (const c of charts) {
      if (!c.vals.length) continue;
      // a flat signal keeps a sensible scale (minSpan) instead of magnifying its noise
      const vmin = Math.min(...c.vals), vmax = Math.max(...c.vals);
      const half = Math.max((vmax - vmin) * 0.55, c.s.minSpan / 2), mid = (vmin + vmax) / 2;
      const lo = Math.max(0, mid - half), hi = lo + 2 * half;
      const short = range[1] - range[0] < SHORT_MS;
      plots.push(new uPlot({
        width: width(), height: 150, legend: { show: false }, cursor: { show: false }, padding: [16, null, null, null],
        scales: { x: { time: true, range: () => [range[0] / 1000, range[1] / 1000] }, y: { range: () => [lo, hi] } },
        axes: [{ stroke: '#4a5360', grid: { stroke: '#e3e7ec' }, space: short ? 90 : 60, values: (u, vals) => vals.map((v) => (short ? app.i18n.time(v * 1000) : app.i18n.clock(v * 1000))) },
          { stroke: '#4a5360', grid: { stroke: '#e3e7ec' }, size: 50, values: (u, vals) => vals.map((v) => app.i18n.number(v, { maximumFractionDigits: 2 })) }],
        series: [{}, { stroke: c.s.color, width: 2, points: { show: c.vals.length < 60, size: 5, fill: c.s.color } }],
        plugins: [stepBandsPlugin(bands, (i) => app.i18n.number(i + 1))],
      }, [xs, c.ys], c.box));
    }
    ro = new ResizeObserver(() => { for (const p of plots) p.setSize({ width: width(), height: 150 }); });
    ro.observe(el);
  }
  return {
    el,
    mount: mountPlots,
    destroy() { if (ro) ro.disconnect(); for (const p of plots) p.destroy(); plots.length = 0; mount(el); },
  };
}
