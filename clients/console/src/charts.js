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
