// One patient record: settings (birth year, language, heart-rate ceiling,
// notes), the CLINICAL.md §5 screening checklist with the therapist's
// acknowledgement (a flagged item blocks exposure until then), the assigned
// ladder where the server offers it, and a shortcut to schedule a session.
import { h, mount, field } from '../dom.js';
import { onSubmit, formError } from '../forms.js';
import { errorBox } from '../shell.js';
import { localeOptions } from './patients.js';

/** SCREENING_KEYS maps the server's checklist items to their core.* labels. */
export const SCREENING_KEYS = {
  epilepsy: 'core.screening.epilepsy', heart_condition: 'core.screening.heart', pregnancy: 'core.screening.pregnancy',
  implant: 'core.screening.implant', binocular_vision: 'core.screening.binocular', dissociation: 'core.screening.dissociation',
  suicidality: 'core.screening.suicidality',
};

export async function render(app, root, { id }) {
  const { t } = app;
  let p;
  try { p = await app.api.get(`/api/patients/${encodeURIComponent(id)}`); } catch (err) {
    mount(root, h('h1', {}, t('console.nav.patients')), errorBox(app, err));
    return;
  }
  const draw = (patient) => mount(root,
    h('p', {}, h('a', { href: '#/patients' }, t('core.back'))),
    h('h1', {}, t('console.patient.title'), ' ', h('span', { translate: 'no' }, patient.code)),
    settingsForm(app, patient, draw), screeningForm(app, patient, draw),
    h('section', { class: 'card', 'aria-labelledby': 'sched-h' }, h('h2', { id: 'sched-h' }, t('console.nav.sessions')),
      h('a', { class: 'button', href: `#/sessions?patient=${encodeURIComponent(patient.id)}` }, t('console.session.schedule'))));
  draw(p);
}

function settingsForm(app, p, redraw) {
  const { t } = app;
  const err = formError();
  const form = h('form', { class: 'card', novalidate: true, 'aria-labelledby': 'settings-h' },
    h('h2', { id: 'settings-h' }, t('console.patient.settings')),
    h('div', { class: 'row' },
      field(t('console.patient.birth_year'), h('input', { name: 'birth_year', type: 'number', min: 1900, max: new Date().getFullYear(), value: String(p.birth_year) })),
      field(t('console.patient.language'), h('select', { name: 'locale' }, localeOptions(app, p.locale || ''))),
      field(t('console.patient.hr_ceiling'), h('input', { name: 'hr_ceiling_pct', type: 'number', min: 50, max: 100, value: String(p.hr_ceiling_pct) }))),
    field(t('console.notes'), h('textarea', { name: 'notes', rows: 3, maxlength: 20000, value: p.notes || '' })),
    err, h('button', { type: 'submit', class: 'primary' }, t('core.save')));
  onSubmit(form, err, async (d) => {
    const np = await app.api.patch(`/api/patients/${encodeURIComponent(p.id)}`, {
      birth_year: Number(d.get('birth_year')) || 0, locale: d.get('locale') || '', hr_ceiling_pct: Number(d.get('hr_ceiling_pct')) || 0, notes: d.get('notes') || '',
    });
    app.announce(t('console.saved'));
    redraw(np);
  }, app);
  return form;
}

function screeningForm(app, p, redraw) {
  const { t } = app;
  const err = formError();
  const items = Object.keys(SCREENING_KEYS);
  // never screened is not "nothing flagged": exposure needs the checklist or a recorded reason
  const status = p.screening_state === 'not_screened' ? h('p', { class: 'warn', role: 'status' }, h('strong', {}, t('console.screening.not_screened')), ' ', t('console.screening.not_screened_hint'))
    : p.flagged.length === 0 ? h('p', { class: 'ok' }, t('console.screening.clear'))
    : p.screening_acked ? h('p', { class: 'ok' }, t('console.screening.reviewed'))
      : h('p', { class: 'warn', role: 'status' }, h('strong', {}, t('console.screening.flagged')), ' ', t('core.screening.blocked'));
  const form = h('form', { class: 'card', 'aria-labelledby': 'screen-h' },
    h('h2', { id: 'screen-h' }, t('core.screening.title')),
    h('fieldset', {}, h('legend', {}, t('core.screening.intro')),
      items.map((k) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: k, checked: Boolean(p.screening[k]) }), ' ', t(SCREENING_KEYS[k])))),
    status, err,
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('core.save')),
      p.flagged.length && !p.screening_acked ? h('button', { type: 'button', class: 'primary', onclick: ack }, t('console.screening.acknowledge')) : null));
  onSubmit(form, err, async (d) => {
    const screening = Object.fromEntries(items.map((k) => [k, d.get(k) === 'on']));
    redraw(await app.api.patch(`/api/patients/${encodeURIComponent(p.id)}`, { screening }));
    app.announce(t('console.saved'));
  }, app);
  async function ack() {
    try {
      redraw(await app.api.post(`/api/patients/${encodeURIComponent(p.id)}/screening/ack`));
      app.announce(t('console.screening.reviewed'));
    } catch (e) { err.textContent = e.message; err.hidden = false; }
  }
  return form;
}
