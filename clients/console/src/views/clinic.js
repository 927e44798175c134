// Clinic admin: the clinic's name, its default language (spoken to anyone
// who has not chosen one and whose browser asks for none Haven offers) and
// its country (which crisis line patients see). The server validates and
// audits every change; its field errors land on the field.
import { h, mount, field } from '../dom.js';
import { onSubmit, formError, notAvailable } from '../forms.js';
import { errorBox } from '../shell.js';
import { regionNames } from '../regions.js';

export async function render(app, root) {
  const { t } = app;
  mount(root, h('h1', { id: 'clinic-h' }, t('console.nav.settings')), h('p', { class: 'lead' }, t('console.clinic.intro')));
  if (!app.api.has('GET', '/api/clinic')) { root.append(notAvailable(app)); return; }
  let data;
  try { data = await app.api.get('/api/clinic'); } catch (e) { root.append(errorBox(app, e)); return; }

  const names = regionNames(app.i18n.locale);
  const countries = (data.countries || []).map((code) => ({ code, name: names.of(code) }))
    .sort((a, b) => a.name.localeCompare(b.name, app.i18n.locale));
  // Region names come from the browser (Intl), in the language it resolved: marked so.
  const countrySel = h('select', { name: 'country' },
    h('option', { value: '', selected: !data.country }, t('console.clinic.country_unset')),
    countries.map((c) => h('option', { value: c.code, lang: names.lang, selected: c.code === data.country }, `${c.name} (${c.code})`)));
  const localeSel = h('select', { name: 'default_locale' },
    (data.locales || []).map((l) => h('option', { value: l.tag, lang: l.tag, selected: l.tag === data.default_locale }, l.name)));
  const nameInput = h('input', { name: 'name', required: true, maxlength: 200, autocomplete: 'organization', value: data.name || '' });
  const noCountry = h('p', { class: 'notice', id: 'no-country' }, t('console.clinic.no_country'));
  // how long a crisis line's last check stays current in the support rooms, and whether stale lines are left out
  const recheckInput = h('input', { name: 'crisis_recheck_days', type: 'number', inputmode: 'numeric', min: 30, max: 1095, step: 1, value: String(data.crisis_recheck_days || 365) });
  // the largest live intensity change sent without the therapist confirming it (CLINICAL.md: no sudden jumps)
  const jumpInput = h('input', { name: 'max_intensity_jump', type: 'number', inputmode: 'numeric', min: 5, max: 100, step: 1, value: String(data.max_intensity_jump || 20) });
  const hideStale = h('input', { type: 'checkbox', name: 'hide_stale_crisis_lines', checked: Boolean(data.hide_stale_crisis_lines) });
  // head poses are relayed to the console and never stored, unless the clinic keeps one a second for the report
  const recordPoses = h('input', { type: 'checkbox', name: 'record_poses', checked: Boolean(data.record_poses), 'aria-describedby': 'record-poses-hint' });
  const saved = h('p', { class: 'ok saved' });
  const err = formError();
  const form = h('form', { class: 'card', id: 'clinic-settings', novalidate: true, 'aria-labelledby': 'clinic-h' },
    field(t('console.clinic.name'), nameInput),
    h('div', { class: 'row' },
      field(t('console.clinic.default_locale'), localeSel, t('console.clinic.default_locale_hint')),
      field(t('console.clinic.country'), countrySel, t('console.clinic.country_hint'))),
    noCountry,
    field(t('console.clinic.recheck_days'), recheckInput, t('console.clinic.recheck_hint')),
    h('label', { class: 'check' }, hideStale, ' ', t('console.clinic.hide_stale')),
    field(t('console.clinic.max_jump'), jumpInput, t('console.clinic.max_jump_hint')),
    h('label', { class: 'check' }, recordPoses, ' ', t('console.clinic.record_poses')),
    h('p', { class: 'hint', id: 'record-poses-hint' }, t('console.clinic.record_poses_hint')),
    err, h('button', { type: 'submit', class: 'primary' }, t('core.save')), saved);
  const show = (country) => { noCountry.hidden = Boolean(country); };
  show(data.country);
  countrySel.addEventListener('change', () => { saved.textContent = ''; });
  onSubmit(form, err, async (d) => {
    saved.textContent = '';
    const days = Number(d.get('crisis_recheck_days'));
    const jump = Number(d.get('max_intensity_jump'));
    const res = await app.api.patch('/api/clinic', { name: d.get('name'), default_locale: d.get('default_locale'), country: d.get('country'),
      crisis_recheck_days: Number.isInteger(days) ? days : -1, hide_stale_crisis_lines: d.get('hide_stale_crisis_lines') === 'on',
      max_intensity_jump: Number.isInteger(jump) && d.get('max_intensity_jump') !== '' ? jump : -1, record_poses: d.get('record_poses') === 'on' });
    nameInput.value = res.name;
    localeSel.value = res.default_locale;
    countrySel.value = res.country;
    recheckInput.value = String(res.crisis_recheck_days);
    hideStale.checked = res.hide_stale_crisis_lines;
    jumpInput.value = String(res.max_intensity_jump);
    recordPoses.checked = res.record_poses;
    show(res.country);
    if (app.me?.clinic) Object.assign(app.me.clinic, { Name: res.name, DefaultLocale: res.default_locale, Country: res.country, max_intensity_jump: res.max_intensity_jump });
    saved.textContent = t('console.saved');
    app.announce(t('console.saved'));
  }, app);
  root.append(form);
}
