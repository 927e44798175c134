// Translations (clinic admin): coverage per locale (translated / total and
// the missing ids), the clinic's own wording of any message layered over the
// built-in text (served at once, audited), and reset to the default.
import { h, mount, field, table, select } from '../dom.js';
import { onSubmit, formError, notAvailable } from '../forms.js';
import { errorBox } from '../shell.js';
import { LOCALES, PREFIXES } from '../i18n.js';
import { pluralForms, pluralText } from '../plural.js';

export async function render(app, root) {
  const { t } = app;
  mount(root, h('h1', {}, t('console.nav.translations')), h('p', { class: 'lead' }, t('console.language_dir_note')));
  if (!app.api.has('GET', '/api/i18n/coverage')) { root.append(notAvailable(app)); return; }
  const cov = h('div', {});
  const ovs = h('div', {});
  root.append(h('section', { 'aria-labelledby': 'cov-h' }, h('h2', { id: 'cov-h' }, t('console.i18n.coverage')), cov),
    h('section', { 'aria-labelledby': 'ov-h' }, h('h2', { id: 'ov-h' }, t('console.i18n.override')), editForm(app, () => loadOverrides()), ovs));
  try {
    const data = await app.api.get('/api/i18n/coverage');
    const rows = (data.coverage || []).filter((c) => !c.pseudo);
    const name = (loc) => LOCALES.find((l) => l.id === loc)?.name || loc;
    mount(cov, table(t('console.i18n.coverage'), [
      { label: t('core.language'), cell: (c) => h('span', { lang: c.locale }, name(c.locale)) },
      { label: t('console.i18n.coverage'), cell: (c) => h('span', {}, h('span', { class: 'bar', style: { inlineSize: `${Math.round(c.percent)}px` }, 'aria-hidden': 'true' }), ' ', t('console.i18n.translated', { Translated: app.i18n.number(c.translated), Total: app.i18n.number(c.total) })) },
      { label: t('console.i18n.missing'), cell: (c) => ((c.missing || []).length ? h('details', {}, h('summary', {}, app.i18n.number(c.missing.length)), h('ul', {}, c.missing.map((m) => h('li', {}, h('code', { translate: 'no' }, m))))) : app.i18n.number(0)) },
    ], rows));
  } catch (e) { mount(cov, errorBox(app, e)); }
  async function loadOverrides() {
    try {
      const data = await app.api.get('/api/i18n/overrides');
      const rows = data.overrides || [];
      mount(ovs, rows.length ? table(t('console.i18n.override'), [
        { label: t('core.language'), cell: (o) => h('span', { translate: 'no' }, o.Locale) },
        { label: t('console.i18n.message'), cell: (o) => h('code', { translate: 'no' }, o.MessageID) },
        { label: t('console.i18n.override'), cell: (o) => h('span', { translate: 'no' }, safeOther(o.Text)) },
        { label: t('console.audit.when'), cell: (o) => h('time', { datetime: o.UpdatedAt }, app.i18n.date(o.UpdatedAt)) },
        { label: t('console.actions'), cell: (o) => h('button', { type: 'button', onclick: async () => {
          try { await app.api.del(`/api/i18n/overrides/${encodeURIComponent(o.Locale)}/${encodeURIComponent(o.MessageID)}`); app.announce(t('console.saved')); loadOverrides(); } catch (e) { app.alert(e.message); }
        } }, t('console.i18n.reset')) },
      ], rows) : h('p', {}, t('console.empty')));
    } catch (e) { mount(ovs, errorBox(app, e)); }
  }
  await loadOverrides();
}

function safeOther(json) { try { return JSON.parse(json).other || ''; } catch { return ''; } }

function editForm(app, done) {
  const { t } = app;
  const err = formError();
  const current = h('p', { class: 'hint', 'aria-live': 'polite' });
  const idInput = h('input', { name: 'id', required: true, autocomplete: 'off', spellcheck: 'false', translate: 'no' });
  const locSel = select({ name: 'locale' }, LOCALES.map((l) => ({ value: l.id, label: l.name })), app.i18n.locale);
  for (const o of locSel.options) o.setAttribute('lang', o.value);
  const show = async () => {
    const id = idInput.value.trim();
    const prefix = PREFIXES.find((p) => id.startsWith(p));
    if (!prefix) { current.textContent = ''; return; }
    try {
      const r = await app.api.get(`/api/i18n/messages?prefix=${encodeURIComponent(id)}&locale=${encodeURIComponent(locSel.value)}`);
      const text = r.messages?.[id];
      mount(current, typeof text === 'string' ? [t('console.i18n.default'), ': ', h('span', { translate: 'no', lang: r.locale }, text)] : t('console.i18n.unknown_id'));
    } catch { current.textContent = ''; }
  };
  // the chosen language's plural forms besides the main text ("other"),
  // each labelled by counts that pick it: Arabic asks for five, Chinese none
  const plurals = h('div', {});
  const drawPlurals = () => {
    const forms = pluralForms(locSel.value);
    const fmt = new Intl.NumberFormat(locSel.value);
    mount(plurals, forms.length ? h('details', { id: 'plural-forms' },
      h('summary', {}, t('console.i18n.plural_forms')), h('p', { class: 'hint' }, t('console.i18n.plural_hint')),
      forms.map(({ form, examples }) => field(t('console.i18n.plural_for', { Examples: examples.map((n) => fmt.format(n)).join(', ') }),
        h('input', { name: `text.${form}`, lang: locSel.value, dir: 'auto', 'data-form': form })))) : []);
  };
  drawPlurals();
  idInput.addEventListener('change', show);
  locSel.addEventListener('change', () => { show(); drawPlurals(); });
  const form = h('form', { class: 'card', novalidate: true },
    h('div', { class: 'row' }, field(t('core.language'), locSel), field(t('console.i18n.message'), idInput, t('console.i18n.message_hint'))),
    current,
    field(t('console.i18n.override'), h('textarea', { name: 'text.other', rows: 2, required: true })),
    plurals,
    err, h('button', { type: 'submit', class: 'primary' }, t('core.save')));
  onSubmit(form, err, async (d) => {
    const forms = Object.fromEntries([...plurals.querySelectorAll('input[data-form]')].map((i) => [i.dataset.form, i.value]));
    const text = pluralText(d.get('text.other') || '', forms);
    await app.api.put('/api/i18n/overrides', { locale: d.get('locale'), id: d.get('id').trim(), text });
    app.announce(t('console.i18n.saved'));
    form.reset();
    current.textContent = '';
    drawPlurals();
    done();
  }, app);
  return form;
}
