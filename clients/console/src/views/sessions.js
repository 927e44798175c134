// Sessions: schedule a live session for a patient — a protocol from the
// library (exposure ladder or calming protocol) or one of the clinic's
// environments — and the list of the clinic's sessions with their state.
import { h, mount, field, table, select } from '../dom.js';
import { onSubmit, formError, notAvailable } from '../forms.js';
import { errorBox } from '../shell.js';
import { hashQuery } from '../util.js';
import { title } from './protocols.js';
import { label as templateLabel } from './environments.js';

/** stateLabel localizes a session state (scheduled, waiting, live, paused, ended). */
export const stateLabel = (app, s) => (app.i18n.has(`console.session.state.${s}`) ? app.t(`console.session.state.${s}`) : app.t('console.session.state.unknown'));

export async function render(app, root) {
  const { t } = app;
  mount(root, h('h1', {}, t('console.nav.sessions')));
  if (!app.api.has('POST', '/api/sessions')) { root.append(notAvailable(app)); return; }
  const q = hashQuery();
  const [pats, lib, mine, comps, list, tpls] = await Promise.all([
    app.api.get('/api/patients'),
    app.api.has('GET', '/api/protocols/library') ? app.api.get('/api/protocols/library') : { protocols: [] },
    app.api.has('GET', '/api/protocols') ? app.api.get('/api/protocols').catch(() => ({ protocols: [] })) : { protocols: [] },
    app.api.has('GET', '/api/compositions') ? app.api.get('/api/compositions') : { compositions: [] },
    app.api.get('/api/sessions').catch((e) => e),
    app.api.has('GET', '/api/templates') ? app.api.get('/api/templates').catch(() => ({ templates: [] })) : { templates: [] },
  ]);
  // A ladder is chosen by its name and the environment template it runs in.
  const tplName = Object.fromEntries((tpls.templates || []).map((x) => [x.id, templateLabel(app, x)]));
  const where = (p) => (p.kind === 'exposure' && tplName[p.template] ? ` · ${tplName[p.template]}` : '');
  const patients = pats.patients || [];
  const codes = Object.fromEntries(patients.map((p) => [p.id, p.code]));
  const protos = lib.protocols || [];
  const own = mine.protocols || [];
  const compositions = comps.compositions || [];
  const err = formError();
  const override = h('div', { hidden: true }, field(t('console.session.override_reason'), h('textarea', { name: 'override_reason', rows: 2, maxlength: 2000 })));
  const planProto = h('input', { type: 'radio', name: 'plan', value: 'protocol', id: 'plan-protocol', checked: !q.get('composition') });
  const planComp = h('input', { type: 'radio', name: 'plan', value: 'composition', id: 'plan-composition', checked: Boolean(q.get('composition')), disabled: compositions.length === 0 });
  const form = h('form', { class: 'card', novalidate: true, 'aria-labelledby': 'sched-h' },
    h('h2', { id: 'sched-h' }, t('console.session.schedule')),
    patients.length ? null : h('p', { class: 'notice' }, t('console.patients.empty')),
    field(t('console.session.patient'), h('select', { name: 'patient_id', required: true },
      patients.map((p) => h('option', { value: p.id, selected: p.id === q.get('patient'), translate: 'no' }, p.code)))),
    h('fieldset', {}, h('legend', {}, t('console.session.plan')),
      h('label', { class: 'check', for: 'plan-protocol' }, planProto, ' ', t('console.session.plan_protocol')),
      field(t('console.nav.protocols'), select({ name: 'protocol_id' }, [
        ...own.map((p) => ({ value: p.id, label: `${title(app, p)}${where(p)} · ${t(p.kind === 'exposure' ? 'console.protocol.ladder' : 'console.protocol.calming_one')} · ${t('console.env.revision', { Number: app.i18n.number(p.revision) })}` })),
        ...protos.filter((p) => p.kind === 'exposure').map((p) => ({ value: p.id, label: `${title(app, p)}${where(p)} · ${t('console.protocol.ladder')}` })),
        ...protos.filter((p) => p.kind !== 'exposure').map((p) => ({ value: p.id, label: `${title(app, p)} · ${t('console.protocol.calming_one')}` })),
      ], q.get('protocol') || '')),
      h('label', { class: 'check', for: 'plan-composition' }, planComp, ' ', t('console.session.plan_environment')),
      compositions.length ? field(t('console.nav.environments'), h('select', { name: 'composition_id' },
        compositions.map((c) => h('option', { value: c.id, selected: c.id === q.get('composition'), translate: 'no' }, c.name || c.id)))) : null),
    whenFields(app),
    h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'practice' }), ' ', t('console.session.practice')),
    override,
    err, h('button', { type: 'submit', class: 'primary', disabled: patients.length === 0 }, t('console.session.schedule')));
  onSubmit(form, err, async (d) => {
    const body = d.get('practice') ? { practice: true } : { patient_id: d.get('patient_id') || '' };
    if (d.get('plan') === 'composition') body.composition_id = d.get('composition_id') || '';
    else body.protocol_id = d.get('protocol_id') || '';
    const later = d.get('when') === 'later';
    if (later) {
      const at = new Date(d.get('scheduled_for') || ''); // datetime-local: the therapist's local time
      body.scheduled_for = Number.isNaN(at.getTime()) ? '' : at.toISOString();
    }
    if (!override.hidden && d.get('override_reason')) body.screening_override = { reason: d.get('override_reason') };
    try {
      const sess = await app.api.post('/api/sessions', body);
      app.announce(t('console.saved'));
      if (later) await render(app, root); // listed as upcoming
      else app.navigate(`#/sessions/${encodeURIComponent(sess.id)}`);
    } catch (e) {
      // not screened: the therapist may go ahead by recording why (CLINICAL.md §5)
      if (e.code === 'screening_required') { override.hidden = false; override.querySelector('textarea').focus(); }
      throw e;
    }
  }, app);
  const rows = list instanceof Error ? null : (Array.isArray(list) ? list : list.sessions || []);
  root.append(form, h('section', { 'aria-labelledby': 'list-h' }, h('h2', { id: 'list-h' }, t('console.session.list')),
    rows === null ? errorBox(app, list) : rows.length ? table(t('console.session.list'), [
      { label: t('console.date'), cell: (s) => h('a', { href: `#/sessions/${encodeURIComponent(s.id)}` }, h('time', { datetime: s.created_at }, app.i18n.date(s.created_at))) },
      { label: t('console.session.scheduled_for'), cell: (s) => (s.scheduled_for ? h('time', { datetime: s.scheduled_for }, app.i18n.date(s.scheduled_for)) : t('console.session.now')) },
      { label: t('console.patient.code'), cell: (s) => (s.practice ? t('console.session.practice_patient') : h('span', { translate: 'no' }, codes[s.patient_id] || '')) },
      // a supervisor listens in from here without opening the therapist's view first
      { label: t('console.status'), cell: (s) => (s.state === 'ended' ? stateLabel(app, s.state)
        : [stateLabel(app, s.state), ' · ', h('a', { href: `#/sessions/${encodeURIComponent(s.id)}?role=observer`, class: 'observe' }, t('console.session.observe'))]) },
      { label: t('console.report'), cell: (s) => h('a', { href: `#/sessions/${encodeURIComponent(s.id)}/report` }, t('console.report')) },
    ], rows) : h('p', {}, t('console.empty'))));
}

/** whenFields: start now, or schedule for a date and time (listed as upcoming). */
function whenFields(app) {
  const { t } = app;
  const now = h('input', { type: 'radio', name: 'when', value: 'now', id: 'when-now', checked: true });
  const later = h('input', { type: 'radio', name: 'when', value: 'later', id: 'when-later' });
  const at = h('input', { type: 'datetime-local', name: 'scheduled_for', disabled: true });
  const sync = () => { at.disabled = !later.checked; if (later.checked) at.focus(); };
  now.addEventListener('change', sync);
  later.addEventListener('change', sync);
  return h('fieldset', {}, h('legend', {}, t('console.session.when')),
    h('label', { class: 'check', for: 'when-now' }, now, ' ', t('console.session.start_now')),
    h('label', { class: 'check', for: 'when-later' }, later, ' ', t('console.session.schedule_for')),
    field(t('console.session.scheduled_for'), at));
}
