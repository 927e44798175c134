// Patients: the clinic's pseudonymous records (code, birth year, language,
// screening state) and the form that creates one. No names are asked for.
import { h, mount, field, table } from '../dom.js';
import { onSubmit, formError } from '../forms.js';
import { errorBox } from '../shell.js';
import { LOCALES } from '../i18n.js';

/** localeOptions lists the shipped languages by their own names, plus "not set". */
export function localeOptions(app, current) {
  return [h('option', { value: '', selected: !current }, app.t('console.patient.language_unset')),
    ...LOCALES.map((l) => h('option', { value: l.id, lang: l.id, selected: l.id === current }, l.name))];
}

export async function render(app, root) {
  const { t } = app;
  const list = h('div', {});
  const err = formError();
  const year = new Date().getFullYear();
  const form = h('form', { class: 'card', novalidate: true, 'aria-labelledby': 'new-patient-h' },
    h('h2', { id: 'new-patient-h' }, t('console.patients.new')),
    h('div', { class: 'row' },
      field(t('console.patient.code'), h('input', { name: 'code', required: true, maxlength: 64, autocomplete: 'off', pattern: '[A-Za-z0-9][A-Za-z0-9_.\\-]{0,63}' }), t('console.patient.code_hint')),
      field(t('console.patient.birth_year'), h('input', { name: 'birth_year', type: 'number', min: 1900, max: year, required: true, inputmode: 'numeric' })),
      field(t('console.patient.language'), h('select', { name: 'locale' }, localeOptions(app, '')))),
    err, h('button', { type: 'submit', class: 'primary' }, t('console.create')));
  onSubmit(form, err, async (d) => {
    const p = await app.api.post('/api/patients', { code: d.get('code').trim(), birth_year: Number(d.get('birth_year')) || 0, locale: d.get('locale') || '' });
    app.announce(t('console.saved'));
    app.navigate(`#/patients/${encodeURIComponent(p.id)}`);
  }, app);
  mount(root, h('h1', {}, t('console.nav.patients')), list, form);
  try {
    const data = await app.api.get('/api/patients');
    const rows = data.patients || [];
    mount(list, h('p', { class: 'count' }, app.i18n.plural('console.patients.count', rows.length)),
      rows.length ? table(t('console.nav.patients'), [
        { label: t('console.patient.code'), cell: (p) => h('a', { href: `#/patients/${encodeURIComponent(p.id)}`, translate: 'no' }, p.code) },
        { label: t('console.patient.birth_year'), cell: (p) => h('span', { translate: 'no' }, String(p.birth_year)) },
        { label: t('console.screening.title'), cell: (p) => (p.screening_state === 'not_screened' ? h('strong', { class: 'warn' }, t('console.screening.not_screened'))
          : p.screening_acked ? t('console.screening.clear') : h('strong', { class: 'warn' }, t('console.screening.flagged'))) },
      ], rows) : h('p', {}, t('console.patients.empty')));
  } catch (e) { mount(list, errorBox(app, e)); }
}
