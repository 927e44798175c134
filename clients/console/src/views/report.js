// Session report: summary, physiology with step bands (heart rate, RMSSD,
// EDA tonic level over the whole session with the protocol's steps marked,
// and their averages per step as a table), SUDS per step as habituation
// curves (one small chart per step, CLINICAL.md §2), alerts, notes and the
// full timeline; print-friendly (print CSS hides navigation) with export
// links where the server offers exports: a CSV per stored stream, FHIR R4,
// Open mHealth.
import { h, mount, table } from '../dom.js';
import { notAvailable } from '../forms.js';
import { errorBox } from '../shell.js';
import { stateLabel } from './sessions.js';
import { reasonText, alertName, eventNodes, endText } from './live_panels.js';
import { sessionProtocol } from './live.js';
import { endInfo, clock } from '../session_model.js';
import { stepSeries, sparkline, stepBands, bandMeans, seriesRange, exportLinks } from '../report_model.js';
import { reportCharts } from '../charts.js';

const EXPORT_LABELS = { fhir: 'console.export.fhir', omh: 'console.export.omh' };

export async function render(app, root, { id }) {
  const { t } = app;
  mount(root, h('h1', {}, t('console.report')));
  if (!app.api.has('GET', '/api/sessions/{id}/report')) { root.append(notAvailable(app)); return; }
  const base = `/api/sessions/${encodeURIComponent(id)}`;
  const hasSeries = app.api.has('GET', '/api/sessions/{id}/report/series');
  let rep, tl, series = null, seriesErr = null;
  try {
    [rep, tl, series] = await Promise.all([app.api.get(`${base}/report`), app.api.get(`${base}/timeline`),
      hasSeries ? app.api.get(`${base}/report/series`).catch((err) => { seriesErr = err; return null; }) : null]);
  } catch (err) { root.append(errorBox(app, err)); return; }
  const timeline = Array.isArray(tl) ? tl : tl.events || [];
  const patient = await app.api.get(`/api/patients/${encodeURIComponent(rep.session.patient_id)}`).catch(() => null);
  const steps = stepSeries(timeline);
  const protocol = await sessionProtocol(app, rep.session).catch(() => null);
  const ladder = protocol?.protocol?.steps || [];
  const end = endInfo(timeline, { ended: rep.session.state === 'ended' });
  const endWords = end ? endText(app, { info: end, total: ladder.length }) : '';
  // simulated physiology is said so: the session's recorded provenance, or a simulated patient on its timeline
  const simulated = rep.provenance === 'simulated' || rep.session.provenance === 'simulated' || rep.simulated === true
    || timeline.some((e) => e.kind === 'patient.token' && e.body?.simulated);
  const events = timeline.map((e) => ({ e, text: eventNodes(app, e, { total: ladder.length, steps: ladder }) })).filter((x) => x.text.length);
  if (endWords) events.push({ e: { at: rep.session.ended_at, kind: 'end' }, text: [endWords] });
  const minutes = Math.round((rep.duration_ms || 0) / 60000);
  const links = exportLinks(app.api.find('GET', /^\/api\/sessions\/\{id\}\/export\/\{format\}$/), id, rep.samples, { avoidance: (rep.avoidance || []).length > 0 });
  const physio = physiology(app, rep, series, seriesErr, hasSeries, steps);
  mount(root,
    h('p', { class: 'no-print' }, h('a', { href: `#/sessions/${encodeURIComponent(id)}` }, t('core.back'))),
    h('h1', {}, t('console.report'), ' ', h('span', { translate: 'no' }, patient ? patient.code : '')),
    h('div', { class: 'actions no-print' }, h('button', { type: 'button', onclick: () => print() }, t('console.print'))),
    h('section', { class: 'card', 'aria-labelledby': 'sum-h' }, h('h2', { id: 'sum-h' }, t('console.report.summary')),
      simulated ? h('p', { class: 'notice', id: 'simulated-data' }, t('console.session.simulated_notice')) : null,
      h('dl', { class: 'kv' },
        h('dt', {}, t('console.date')), h('dd', {}, h('time', { datetime: rep.session.created_at }, app.i18n.date(rep.session.started_at || rep.session.created_at))),
        h('dt', {}, t('console.status')), h('dd', {}, stateLabel(app, rep.session.state), endWords ? h('span', { id: 'end-reason' }, ` · ${endWords}`) : ''),
        h('dt', {}, t('console.duration')), h('dd', {}, app.i18n.plural('console.minutes', minutes)),
        h('dt', {}, t('console.session.peak_suds')), h('dd', {}, rep.peak_suds != null ? app.i18n.number(rep.peak_suds) : '—'),
        h('dt', {}, t('console.report.commands')), h('dd', {}, app.i18n.number(rep.commands || 0)),
        h('dt', {}, t('console.report.incidents')), h('dd', {}, app.i18n.number(rep.incidents || 0)),
        h('dt', {}, t('console.report.samples')), h('dd', {}, Object.keys(rep.samples || {}).length
          ? h('ul', { class: 'plain samples' }, Object.entries(rep.samples).map(([k, n]) => h('li', { dataset: { stream: k, count: n } },
            h('bdi', {}, app.i18n.has(`console.stream.${k}`) ? t(`console.stream.${k}`) : h('span', { translate: 'no' }, k)), ': ', app.i18n.plural('console.report.sample_count', n))))
          : t('console.empty')))),
    h('section', { class: 'card no-print', 'aria-labelledby': 'ex-h' }, h('h2', { id: 'ex-h' }, t('console.report.export')),
      links.length ? h('ul', { class: 'actions exports', style: { listStyle: 'none', paddingInlineStart: '0' } }, links.map((l) => h('li', {},
        h('a', { class: 'button', href: l.href, download: '', dataset: l.stream ? { format: l.format, stream: l.stream } : { format: l.format } },
          l.format === 'csv' ? t('console.export.csv_stream', { Stream: t(`console.stream.${l.stream}`) }) : t(EXPORT_LABELS[l.format]))))) : notAvailable(app)),
    physio.el,
    h('section', { class: 'card', 'aria-labelledby': 'suds-h' }, h('h2', { id: 'suds-h' }, t('console.report.suds_per_step')),
      steps.length ? table(t('console.report.suds_per_step'), [
        { label: t('console.protocol.step', { Number: '' }).trim(), cell: (s) => (s.index >= 0 ? t('console.protocol.step', { Number: app.i18n.number(s.index + 1) }) : t('console.report.before_steps')) },
        { label: t('console.report.ratings'), cell: (s) => s.ratings.map((r) => app.i18n.number(r.value)).join(' → ') || '—' },
        { label: t('console.session.peak_suds'), cell: (s) => (s.ratings.length ? app.i18n.number(Math.max(...s.ratings.map((r) => r.value))) : '—') },
        { label: t('console.report.curve'), cell: (s) => sparkline(s.ratings, t('console.report.curve_label', { Count: s.ratings.length })) },
      ], steps) : h('p', {}, t('console.empty'))),
    avoidanceSection(app, rep.avoidance || [], ladder),
    h('section', { class: 'card', 'aria-labelledby': 'al-h' }, h('h2', { id: 'al-h' }, t('console.alerts')),
      (rep.alerts || []).length ? h('ul', {}, rep.alerts.map((a) => h('li', {}, alertName(app, a.code), a.reason ? ` · ${reasonText(app, a.reason)}` : ''))) : h('p', {}, t('console.empty'))),
    h('section', { class: 'card', 'aria-labelledby': 'no-h' }, h('h2', { id: 'no-h' }, t('console.notes')),
      timeline.filter((e) => e.kind === 'note').length ? h('ul', {}, timeline.filter((e) => e.kind === 'note').map((e) => h('li', {}, h('time', { datetime: e.at }, app.i18n.date(e.at)), ' ', h('span', { translate: 'no' }, e.body?.text || '')))) : h('p', {}, t('console.empty'))),
    h('section', { class: 'card', 'aria-labelledby': 'tl-h' }, h('h2', { id: 'tl-h' }, t('console.events')),
      events.length ? h('ol', { class: 'timeline report-timeline' }, events.map(({ e, text }) => h('li', { dataset: { kind: e.kind } },
        h('time', { datetime: e.at }, app.i18n.time(e.at)), ' ', h('span', { dir: 'auto' }, text)))) : h('p', {}, t('console.empty'))));
  physio.mount();
  return physio.destroy;
}

/**
 * physiology is the "physiology with step bands" section: the session's
 * heart rate, RMSSD and EDA tonic level (GET …/report/series) charted over
 * the whole session with the steps shaded and numbered, and a table of each
 * step's averages (the text alternative to the charts).
 */
function physiology(app, rep, series, err, available, steps) {
  const { t } = app;
  const section = (...body) => h('section', { class: 'card', 'aria-labelledby': 'phys-h' }, h('h2', { id: 'phys-h' }, t('console.report.physiology')), ...body);
  const none = { mount() {}, destroy() {} };
  if (!available) return { el: section(notAvailable(app)), ...none };
  if (err) return { el: section(errorBox(app, err)), ...none };
  const range = series && series.t && series.t.length ? seriesRange(series, Date.parse(rep.session.started_at), Date.parse(rep.session.ended_at)) : null;
  if (!range) return { el: section(h('p', {}, t('console.report.no_physiology'))), ...none };
  const bands = stepBands(steps, range[0], range[1]);
  const charts = reportCharts(app, series, bands, range);
  const anyStep = bands.some((b) => b.index >= 0);
  const value = (unit, v, digits) => (v === null ? '—' : t(unit, { Value: app.i18n.number(v, { maximumFractionDigits: digits }) }));
  const el = section(
    anyStep ? h('p', { class: 'hint' }, t('console.report.physiology_hint')) : null,
    charts.el,
    table(t('console.report.step_means'), [
      { label: t('console.protocol.step', { Number: '' }).trim(), cell: (b) => (b.index >= 0 ? t('console.protocol.step', { Number: app.i18n.number(b.index + 1) }) : t(anyStep ? 'console.report.before_steps' : 'console.report.whole_session')) },
      { label: t('console.audit.when'), cell: (b) => h('time', { datetime: new Date(b.from).toISOString() }, app.i18n.time(b.from)) },
      { label: t('bio.metric.hr'), cell: (b) => value('console.value.bpm', b.means.hr_bpm, 0) },
      { label: t('bio.metric.rmssd'), cell: (b) => value('console.value.ms', b.means.rmssd_ms, 0) },
      { label: t('bio.metric.eda_tonic'), cell: (b) => value('console.value.us', b.means.eda_tonic_us, 2) },
    ], bandMeans(series, bands)));
  return { el, mount: charts.mount, destroy: charts.destroy };
}

/** avoidanceSection: each exposure step's avoidance measures from the headset's head pose (docs/domain.md). */
function avoidanceSection(app, steps, ladder) {
  const { t } = app;
  const num = (n, o) => app.i18n.number(n, o);
  const stepLabel = (a) => {
    const i = ladder.findIndex((s) => s.id === a.step_id);
    return i >= 0 ? t('console.protocol.step', { Number: num(i + 1) }) : (a.step_id ? h('span', { translate: 'no' }, a.step_id) : '—');
  };
  return h('section', { class: 'card', 'aria-labelledby': 'avoid-h', id: 'report-avoidance' }, h('h2', { id: 'avoid-h' }, t('console.report.avoidance')),
    steps.length ? table(t('console.report.avoidance'), [
      { label: t('console.protocol.step', { Number: '' }).trim(), cell: stepLabel },
      { label: t('console.avoid.on_stimulus'), cell: (a) => t('console.avoid.share_value', { Share: num(a.measures.on_stimulus_share, { style: 'percent', maximumFractionDigits: 0 }), Time: clock(a.measures.on_stimulus_ms, num), Total: clock(a.measures.observed_ms, num) }) },
      { label: t('console.avoid.away'), cell: (a) => t('console.avoid.away_value', { Count: num(a.measures.away_episodes), Longest: clock(a.measures.longest_away_ms, num) }) },
      { label: t('console.avoid.closest'), cell: (a) => (typeof a.measures.closest_m === 'number' ? t('console.value.metres', { Value: num(a.measures.closest_m, { maximumFractionDigits: 2 }) }) : '—') },
    ], steps) : h('p', {}, t('console.report.avoidance_none')));
}
