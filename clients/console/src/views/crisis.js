// Crisis lines (support groups, DESIGN.md §6): the helplines a member whose
// message shows crisis language privately sees, the room's country first.
// Therapists and clinic admins curate the clinic's list (once it holds a
// line it replaces Haven's built-in ones, which stay listed below as a
// starting point); moderators read it. Every line carries the date someone
// last checked it. The server validates and audits the whole list on save;
// its field errors land on the line's field, worded by the console in the
// reader's language (the server's own message can only name the field).
import { h, mount, field, table, showFieldError, clearErrors } from '../dom.js';
import { formError, notAvailable } from '../forms.js';
import { errorBox } from '../shell.js';
import { ApiError } from '../api.js';
import { regionNames } from '../regions.js';
import { LIMITS, MAX_LINES, blankLine, fromServer, toPayload, locateError, isStale, today, sameLine } from '../safety_model.js';

export async function render(app, root) {
  const { t } = app;
  mount(root, h('h1', {}, t('console.crisis.title')), h('p', { class: 'lead' }, t('console.crisis.intro')));
  if (!app.api.has('GET', '/api/groups/resources')) { root.append(notAvailable(app)); return; }
  let data, clinic;
  try {
    [data, clinic] = await Promise.all([app.api.get('/api/groups/resources'),
      app.api.has('GET', '/api/clinic') ? app.api.get('/api/clinic').catch(() => null) : null]);
  } catch (e) { root.append(errorBox(app, e)); return; }
  const builtin = data.builtin || [];
  const ctx = { app, names: regionNames(app.i18n.locale), fmt: dateFormat(app.i18n.locale),
    home: clinic?.country || app.me?.clinic?.Country || '' };
  ctx.countries = countryOptions(ctx, clinic?.countries || [...new Set([...builtin, ...(data.clinic || [])].map((r) => r.country).filter(Boolean))]);
  const editable = app.can('therapist') && app.api.has('PUT', '/api/groups/resources');
  const mine = h('section', { class: 'block', 'aria-labelledby': 'crisis-clinic-h' }, h('h2', { id: 'crisis-clinic-h' }, t('console.crisis.clinic_list')));
  const theirs = h('section', { class: 'block', 'aria-labelledby': 'crisis-builtin-h' }, h('h2', { id: 'crisis-builtin-h' }, t('console.crisis.builtin')),
    h('p', { class: 'hint' }, t('console.crisis.builtin_hint')));
  root.append(mine, theirs);
  let ed = null;
  if (editable) {
    ed = editor(ctx, data.clinic || []);
    mine.append(ed.form);
  } else {
    mine.append(h('p', { class: 'hint' }, t('console.read_only')),
      (data.clinic || []).length ? linesTable(ctx, t('console.crisis.clinic_list'), data.clinic) : h('p', { class: 'notice' }, t('console.crisis.none_yet')));
  }
  theirs.append(linesTable(ctx, t('console.crisis.builtin'), builtin),
    ed ? h('button', { type: 'button', id: 'crisis-copy-builtin', onclick: () => ed.addLines(builtin) }, t('console.crisis.copy_builtin')) : null);
}

/** editor is the clinic's list as a form: one fieldset per line, add, remove, save. */
function editor(ctx, initial) {
  const { app } = ctx;
  const { t } = app;
  let lines = initial.map(fromServer);
  const box = h('div', { id: 'crisis-lines' });
  const none = h('p', { class: 'notice', id: 'crisis-none' }, t('console.crisis.none_yet'));
  const status = h('p', { class: 'status', id: 'crisis-status', 'aria-live': 'polite' });
  const err = formError();
  const add = h('button', { type: 'button', id: 'crisis-add', onclick: () => {
    lines.push(blankLine(ctx.home));
    changed();
    draw();
    box.querySelector(`[name="resources[${lines.length - 1}].country"]`)?.focus();
  } }, t('console.crisis.add'));
  const save = h('button', { type: 'submit', class: 'primary', id: 'crisis-save' }, t('core.save'));
  const form = h('form', { id: 'crisis-form', novalidate: true, 'aria-labelledby': 'crisis-clinic-h' },
    none, box, h('div', { class: 'actions' }, add), err, h('div', { class: 'actions' }, save), status);

  function changed() {
    status.className = 'status warn';
    status.textContent = t('console.unsaved');
  }
  function draw() {
    none.hidden = lines.length > 0;
    add.disabled = lines.length >= MAX_LINES;
    mount(box, lines.map((l, i) => lineFields(ctx, l, i, {
      changed,
      remove() {
        lines.splice(i, 1);
        changed();
        draw();
        (box.querySelector(`[name="resources[${Math.min(i, lines.length - 1)}].country"]`) || add).focus();
        app.announce(t('console.crisis.removed'));
      },
    })));
  }
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    err.hidden = true;
    save.disabled = true;
    try {
      await app.api.put('/api/groups/resources', toPayload(lines));
      const fresh = await app.api.get('/api/groups/resources');
      lines = (fresh.clinic || []).map(fromServer);
      draw();
      status.className = 'status ok';
      status.textContent = t('console.saved');
      app.announce(t('console.saved'));
    } catch (ex) {
      // A field error goes next to its field (focused, described by the
      // message); anything else into the form's alert line.
      const where = ex instanceof ApiError && ex.code === 'validation' ? locateError(ex.field, lines) : null;
      if (!where || !showFieldError(form, `resources[${where.index}].${where.field}`, t(`console.crisis.error.${where.reason}`))) {
        if (!(ex instanceof ApiError)) console.error(ex);
        err.textContent = ex instanceof ApiError ? ex.message : t('error.unavailable');
        err.hidden = false;
      }
    } finally {
      save.disabled = false;
    }
  });
  draw();
  return {
    form,
    /** addLines copies lines (Haven's built-in ones) into the list, skipping any already there. */
    addLines(more) {
      const before = lines.length;
      for (const r of more) {
        const l = fromServer(r);
        if (lines.length < MAX_LINES && !lines.some((x) => sameLine(x, l))) lines.push(l);
      }
      if (lines.length === before) { app.announce(t('console.crisis.nothing_copied')); return; }
      changed();
      draw();
      box.querySelector(`[name="resources[${before}].country"]`)?.focus();
      app.announce(t('console.crisis.copied'));
    },
  };
}

/** lineFields is one line's fieldset; inputs are named as the server names them ("resources[2].name"). */
function lineFields(ctx, line, i, { changed, remove }) {
  const { app } = ctx;
  const { t } = app;
  const name = (k) => `resources[${i}].${k}`;
  const bind = (el, k) => {
    el.addEventListener(el.tagName === 'SELECT' ? 'change' : 'input', () => { line[k] = el.value; changed(); });
    return el;
  };
  const text = (k, attrs = {}) => bind(h('input', { name: name(k), value: line[k], maxlength: LIMITS[k], autocomplete: 'off', translate: 'no', ...attrs }), k);
  const country = bind(h('select', { name: name('country') },
    h('option', { value: '', selected: !line.country }, t('console.crisis.country_any')),
    withCurrent(ctx, line.country).map((c) => h('option', { value: c.code, lang: ctx.names.lang, selected: c.code === line.country }, `${c.name} (${c.code})`))), 'country');
  const date = bind(h('input', { name: name('last_verified'), type: 'date', value: line.last_verified, max: today() }), 'last_verified');
  const shown = h('p', { class: 'hint verified-on' });
  const stale = h('p', { class: 'warn stale', hidden: true }, t('console.crisis.stale'));
  const showDate = () => {
    const d = date.value;
    mount(shown, d ? h('time', { datetime: d }, ctx.fmt(d)) : null);
    stale.hidden = !isStale(d);
  };
  date.addEventListener('input', showDate);
  date.addEventListener('change', showDate);
  const todayBtn = h('button', { type: 'button', class: 'small verified-today', onclick: () => {
    date.value = today();
    line.last_verified = date.value;
    changed();
    showDate();
    app.announce(t('console.crisis.verified_set'));
  } }, t('console.crisis.verified_today'));
  const dateField = field(t('console.crisis.verified'), date, t('console.crisis.verified_hint'));
  dateField.insertBefore(h('div', { class: 'actions' }, todayBtn), dateField.querySelector('.field-error'));
  dateField.append(shown, stale);
  showDate();
  return h('fieldset', { class: 'crisis-line', dataset: { index: String(i) } },
    h('legend', {}, t('console.crisis.line_n', { Number: app.i18n.number(i + 1) })),
    h('div', { class: 'row' },
      field(t('console.crisis.country'), country),
      field(t('console.crisis.name'), text('name', { dir: 'auto' }))),
    h('div', { class: 'row' },
      field(t('console.crisis.number'), text('phone', { type: 'tel', dir: 'ltr' })),
      field(t('console.crisis.text_line'), text('text', { dir: 'ltr' }), t('console.crisis.text_hint')),
      field(t('console.crisis.url'), text('url', { type: 'url', dir: 'ltr' }))),
    h('div', { class: 'row' },
      field(t('console.crisis.hours'), text('hours', { dir: 'auto' }), t('console.crisis.hours_hint')),
      dateField),
    h('button', { type: 'button', class: 'remove', onclick: remove }, t('console.crisis.remove', { Number: app.i18n.number(i + 1) })));
}

/** linesTable lists lines read-only (Haven's built-in ones, or the clinic's for a moderator). */
function linesTable(ctx, caption, rows) {
  const { app } = ctx;
  const { t } = app;
  const data = (s, attrs = {}) => (s ? h('span', { translate: 'no', ...attrs }, s) : '');
  const tbl = table(caption, [
    { label: t('console.crisis.country'), cell: (r) => (r.country ? h('span', { lang: ctx.names.lang }, ctx.names.of(r.country)) : t('console.crisis.country_any')) },
    { label: t('console.crisis.name'), cell: (r) => data(r.name, { dir: 'auto' }) },
    { label: t('console.crisis.number'), cell: (r) => data(r.phone, { dir: 'ltr', class: 'nowrap' }) },
    { label: t('console.crisis.text_line'), cell: (r) => data(r.text, { dir: 'ltr' }) },
    { label: t('console.crisis.url'), cell: (r) => data(r.url, { dir: 'ltr' }) },
    { label: t('console.crisis.hours'), cell: (r) => data(r.hours, { dir: 'auto' }) },
    { label: t('console.crisis.verified'), cell: (r) => {
      const d = fromServer(r).last_verified;
      return d ? [h('time', { datetime: d }, ctx.fmt(d)), isStale(d) ? h('span', { class: 'warn' }, ' · ', t('console.crisis.stale_short')) : null] : '';
    } },
  ], rows);
  tbl.querySelector('caption').className = 'sr-only'; // the section's heading says it on screen
  return tbl;
}

/** countryOptions names and sorts the country codes in the console's language. */
function countryOptions(ctx, codes) {
  return codes.map((code) => ({ code, name: ctx.names.of(code) })).sort((a, b) => a.name.localeCompare(b.name, ctx.app.i18n.locale === 'en-XA' ? 'en' : ctx.app.i18n.locale));
}

/** withCurrent keeps a stored country the list does not offer selectable. */
function withCurrent(ctx, code) {
  if (!code || ctx.countries.some((c) => c.code === code)) return ctx.countries;
  return [...ctx.countries, { code, name: ctx.names.of(code) }];
}

/** dateFormat formats a calendar date (YYYY-MM-DD, UTC) with the month spelled out, never ambiguous. */
function dateFormat(locale) {
  let f;
  try { f = new Intl.DateTimeFormat(locale === 'en-XA' ? 'en' : locale, { dateStyle: 'long', timeZone: 'UTC' }); } catch { f = null; }
  return (d) => {
    const v = new Date(`${d}T00:00:00Z`);
    return Number.isNaN(v.getTime()) ? d : f ? f.format(v) : d;
  };
}
