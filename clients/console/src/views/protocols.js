// Protocols: exposure ladders (the built-in library, the clinic's own —
// archived ones on request, archive and restore from the list — and a
// generator that drafts one from any exposure template) and the calming
// protocol picker with each protocol's exact timings (CLINICAL.md §7).
import { h, mount, field, table, select } from '../dom.js';
import { notAvailable } from '../forms.js';
import { errorBox } from '../shell.js';
import { label } from './environments.js';
import { canArchive, archivedToggle, archivedState, archiveButton } from '../archive.js';

/** title is a protocol's localized title (server-localized, else via its key). */
export const title = (app, p) => (p.title && p.title !== p.title_key ? p.title : app.t(p.title_key));

/** pacerSummary describes a breathing pacer's phases in seconds, e.g. "4 · 7 · 8 s". */
export function pacerSummary(app, pacer) {
  const parts = [pacer.inhale_ms, pacer.top_up_ms, pacer.hold_in_ms, pacer.exhale_ms, pacer.hold_out_ms].filter((x) => x > 0);
  return app.t('console.value.seconds', { Value: parts.map((ms) => app.i18n.number(ms / 1000, { maximumFractionDigits: 1 })).join(' · ') });
}

export async function render(app, root) {
  const { t } = app;
  mount(root, h('h1', {}, t('console.nav.protocols')));
  if (!app.api.has('GET', '/api/protocols/library')) { root.append(notAvailable(app)); return; }
  const [lib, tpls] = await Promise.all([app.api.get('/api/protocols/library'), app.api.get('/api/templates')]);
  const all = lib.protocols || [];
  const tplLabel = Object.fromEntries((tpls.templates || []).map((x) => [x.id, label(app, x)]));
  const ladders = all.filter((p) => p.kind === 'exposure');
  const calming = all.filter((p) => p.kind === 'calming');
  const stepsOf = (p) => (p.protocol?.steps || []).length;
  const archiving = canArchive(app, '/api/protocols');
  let showArchived = false;
  const mineBox = h('div', { id: 'clinic-ladders' });
  // loadMine (re)draws the clinic's ladders; data-showing tells tests and styles which list is drawn.
  async function loadMine() {
    const showing = showArchived;
    mineBox.setAttribute('aria-busy', 'true');
    try {
      const rows = ((await app.api.get(`/api/protocols${showing ? '?archived=1' : ''}`)).protocols || []).filter((p) => p.kind === 'exposure');
      const nameId = (p) => `ladder-name-${p.id}`;
      mount(mineBox, rows.length ? table(t('console.protocol.clinic_ladders'), [
        { label: t('console.protocol.title'), cell: (p) => h('a', { id: nameId(p), href: `#/protocols/${encodeURIComponent(p.id)}` }, title(app, p)) },
        { label: t('console.env.template'), cell: (p) => tplLabel[p.template] || '' },
        { label: t('console.protocol.steps'), cell: (p) => app.i18n.number(stepsOf(p)) },
        { label: t('console.env.revision_col'), cell: (p) => app.i18n.number(p.revision) },
        ...(showing ? [{ label: t('console.status'), cell: (p) => archivedState(app, p) }] : []),
        ...(archiving ? [{ label: t('console.actions'), cell: (p) => archiveButton(app, { path: '/api/protocols', item: p, confirmKey: 'console.protocol.archive_confirm', describedBy: nameId(p), done: loadMine }) }] : []),
      ], rows) : showing ? h('p', {}, t('console.empty')) : null);
    } catch (e) { mount(mineBox, errorBox(app, e)); }
    mineBox.removeAttribute('aria-busy');
    mineBox.dataset.showing = showing ? 'all' : 'in-use';
  }
  await loadMine();
  root.append(
    h('section', { 'aria-labelledby': 'lad-h' }, h('h2', { id: 'lad-h' }, t('console.protocol.ladders')),
      archiving ? archivedToggle(app, (on) => { showArchived = on; loadMine(); }) : null,
      mineBox,
      table(t('console.protocol.library'), [
        { label: t('console.protocol.title'), cell: (p) => h('a', { href: `#/protocols/new?library=${encodeURIComponent(p.id)}` }, title(app, p)) },
        { label: t('console.env.template'), cell: (p) => tplLabel[p.template] || '' },
        { label: t('console.protocol.steps'), cell: (p) => app.i18n.number(stepsOf(p)) },
      ], ladders),
      generateForm(app, tpls.templates || [])),
    h('section', { 'aria-labelledby': 'calm-h' }, h('h2', { id: 'calm-h' }, t('console.protocol.calming')),
      h('p', { class: 'lead' }, t('console.protocol.calming_hint')),
      table(t('console.protocol.calming'), [
        { label: t('console.protocol.title'), cell: (p) => title(app, p) },
        { label: t('console.env.template'), cell: (p) => tplLabel[p.template] || '' },
        { label: t('console.protocol.timing'), cell: (p) => calmingTiming(app, p.protocol) },
        { label: t('console.actions'), cell: (p) => h('a', { class: 'button', href: `#/sessions?protocol=${encodeURIComponent(p.id)}` }, t('console.protocol.use')) },
      ], calming)));
}

function calmingTiming(app, doc) {
  const script = doc?.script || [];
  const pacer = script.find((s) => s.pacer)?.pacer;
  const total = script.reduce((n, s) => n + (s.duration_ms || 0), 0);
  const parts = [];
  if (pacer) parts.push(pacer.breaths_per_min ? app.t('console.protocol.breaths_per_min', { Rate: app.i18n.number(pacer.breaths_per_min) }) : pacerSummary(app, pacer));
  if (total > 0) parts.push(app.i18n.plural('console.minutes', Math.round(total / 60000)));
  if (script.some((s) => s.patient_paced)) parts.push(app.t('console.protocol.patient_paced'));
  return parts.join(' · ');
}

function generateForm(app, templates) {
  const { t } = app;
  const exposure = templates.filter((x) => x.kind === 'exposure').map((x) => ({ value: x.id, label: label(app, x) }));
  const form = h('form', { class: 'card', 'aria-labelledby': 'gen-h' },
    h('h3', { id: 'gen-h' }, t('console.protocol.generate')),
    h('div', { class: 'row' },
      field(t('console.env.template'), select({ name: 'template' }, exposure)),
      field(t('console.protocol.steps'), h('input', { name: 'steps', type: 'number', min: 8, max: 15, value: '10' })),
      field(t('console.protocol.start_suds'), h('input', { name: 'start', type: 'number', min: 0, max: 100, value: '40' })),
      field(t('console.protocol.model'), select({ name: 'mode' }, [{ value: 'habituation', label: t('console.protocol.habituation') }, { value: 'inhibitory', label: t('console.protocol.inhibitory') }]))),
    h('button', { type: 'submit', class: 'primary' }, t('console.protocol.ladder_builder')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const d = new FormData(form);
    app.navigate(`#/protocols/new?${new URLSearchParams({ template: d.get('template'), steps: d.get('steps'), start: d.get('start'), mode: d.get('mode') })}`);
  });
  return form;
}
