// Phrase lists (support groups, DESIGN.md §6): per language, the crisis
// phrases (a member's message is held for a moderator and the member
// privately sees the clinic's crisis lines) and the word filters (the
// message is not posted) that automatic moderation checks every message
// against, in every support room whatever its language. Haven ships a list
// for each; saving makes the clinic's own (audited). Therapists and clinic
// admins edit, moderators read. The list shown is kept in the hash
// (#/phrases?locale=de&kind=crisis) so a reload comes back to it.
import { h, mount, field, showFieldError, clearErrors } from '../dom.js';
import { formError, notAvailable } from '../forms.js';
import { errorBox } from '../shell.js';
import { hashQuery } from '../util.js';
import { LOCALES } from '../i18n.js';
import { KINDS, MAX_PHRASE, addPhrase, phrasePath } from '../safety_model.js';

export async function render(app, root) {
  const { t } = app;
  mount(root, h('h1', {}, t('console.phrases.title')), h('p', { class: 'lead' }, t('console.phrases.intro')));
  if (!app.api.has('GET', '/api/groups/phrases/{locale}/{kind}')) { root.append(notAvailable(app)); return null; }
  const editable = app.can('therapist') && app.api.has('PUT', '/api/groups/phrases/{locale}/{kind}');
  const q = hashQuery();
  const ids = LOCALES.map((l) => l.id);
  const start = ids.includes(app.i18n.locale) ? app.i18n.locale : 'en';
  const pick = { locale: ids.includes(q.get('locale')) ? q.get('locale') : start, kind: KINDS.includes(q.get('kind')) ? q.get('kind') : 'crisis' };

  const locSel = h('select', { name: 'locale', id: 'phrase-locale' },
    LOCALES.map((l) => h('option', { value: l.id, lang: l.id, selected: l.id === pick.locale }, l.name)));
  const kinds = h('fieldset', { class: 'kinds' }, h('legend', {}, t('console.phrases.which_list')),
    KINDS.map((k) => h('label', { class: 'check' },
      h('input', { type: 'radio', name: 'kind', value: k, checked: k === pick.kind }), ' ', t(`console.phrases.kind.${k}`))));
  const pane = h('section', { id: 'phrase-pane', 'aria-labelledby': 'phrase-list-h' });
  root.append(h('div', { class: 'card' }, h('div', { class: 'row' }, field(t('core.language'), locSel), kinds)), pane);
  if (!editable) root.insertBefore(h('p', { class: 'hint' }, t('console.read_only')), pane);

  let view = null;
  async function show() {
    history.replaceState(null, '', `#/phrases?locale=${encodeURIComponent(pick.locale)}&kind=${encodeURIComponent(pick.kind)}`);
    pane.setAttribute('aria-busy', 'true');
    try {
      const data = await app.api.get(phrasePath(pick.locale, pick.kind));
      view = listEditor(app, pane, { ...pick, phrases: data.phrases || [], custom: Boolean(data.custom) }, editable);
    } catch (e) {
      view = null;
      mount(pane, errorBox(app, e));
    } finally {
      pane.removeAttribute('aria-busy');
    }
  }
  // Leaving a list with changes not saved asks first; saying no keeps the choice where it was.
  const choose = async (next, undo) => {
    if (view?.dirty() && !confirm(t('console.phrases.discard'))) { undo(); return; }
    Object.assign(pick, next);
    await show();
  };
  locSel.addEventListener('change', () => choose({ locale: locSel.value }, () => { locSel.value = pick.locale; }));
  for (const r of kinds.querySelectorAll('input[name=kind]')) {
    r.addEventListener('change', () => choose({ kind: r.value }, () => { for (const x of kinds.querySelectorAll('input')) x.checked = x.value === pick.kind; }));
  }
  await show();
  return null;
}

/** listEditor shows one list (add, remove, save) in pane and returns {dirty}. */
function listEditor(app, pane, list, editable) {
  const { t } = app;
  let phrases = [...list.phrases];
  let custom = list.custom;
  let dirty = false;
  const heading = h('h2', { id: 'phrase-list-h' }, t(`console.phrases.kind.${list.kind}`), ' · ',
    h('span', { lang: list.locale }, LOCALES.find((l) => l.id === list.locale)?.name || list.locale));
  const source = h('p', { id: 'phrase-source' });
  const ul = h('ul', { id: 'phrase-list', class: 'phrases', 'aria-labelledby': 'phrase-list-h' });
  const count = h('p', { class: 'count', id: 'phrase-count' });
  const emptyWarn = h('p', { class: 'notice', id: 'phrase-empty' }, t(list.kind === 'crisis' ? 'console.phrases.empty_crisis' : 'console.phrases.empty'));
  const status = h('p', { class: 'status', id: 'phrase-status', 'aria-live': 'polite' });
  const changed = () => { dirty = true; status.className = 'status warn'; status.textContent = t('console.unsaved'); };

  function draw() {
    source.className = custom ? 'hint' : 'notice';
    source.textContent = t(custom ? 'console.phrases.custom' : 'console.phrases.builtin');
    restore.hidden = !custom;
    count.textContent = app.i18n.plural('console.phrases.count', phrases.length);
    emptyWarn.hidden = phrases.length > 0;
    mount(ul, phrases.map((p, i) => h('li', {},
      h('span', { class: 'phrase', lang: list.locale, translate: 'no' }, p),
      editable ? h('button', { type: 'button', class: 'small', 'aria-label': t('console.phrases.remove', { Phrase: p }), onclick: () => {
        phrases.splice(i, 1);
        changed();
        draw();
        const btns = ul.querySelectorAll('button');
        (btns[Math.min(i, btns.length - 1)] || input).focus();
        app.announce(t('console.phrases.removed', { Phrase: p }));
      } }, t('console.delete')) : null)));
  }

  const input = h('input', { name: 'phrase', id: 'phrase-new', lang: list.locale, maxlength: MAX_PHRASE, autocomplete: 'off', spellcheck: 'false' });
  const addForm = h('form', { id: 'phrase-add', class: 'row-inline', novalidate: true },
    field(t('console.phrases.new'), input, t('console.phrases.new_hint')), h('button', { type: 'submit' }, t('console.phrases.add')));
  addForm.addEventListener('submit', (e) => {
    e.preventDefault();
    clearErrors(addForm);
    const r = addPhrase(phrases, input.value);
    if (r.error) { showFieldError(addForm, 'phrase', t(r.error)); return; }
    phrases = r.list;
    input.value = '';
    changed();
    draw();
    app.announce(t('console.phrases.added'));
    input.focus();
  });

  const err = formError();
  // write sends the list (or drops it) and shows what the server now holds.
  async function write(btn, request, done) {
    err.hidden = true;
    btn.disabled = true;
    try {
      const res = await request();
      phrases = res.phrases || [];
      custom = Boolean(res.custom);
      dirty = false;
      draw();
      status.className = 'status ok';
      status.textContent = t(done);
      app.announce(t(done));
    } catch (ex) {
      if (!(ex && ex.status)) console.error(ex);
      err.textContent = ex && ex.status ? ex.message : t('error.unavailable');
      err.hidden = false;
    } finally {
      btn.disabled = false;
    }
  }
  const save = h('button', { type: 'button', class: 'primary', id: 'phrase-save', onclick: () => {
    if (!phrases.length && list.kind === 'crisis' && !confirm(t('console.phrases.confirm_empty'))) return;
    write(save, () => app.api.put(phrasePath(list.locale, list.kind), { phrases }).then((r) => ({ ...r, custom: true })), 'console.saved');
  } }, t('core.save'));
  // Dropping the clinic's own list: Haven's built-in one applies again.
  const restore = h('button', { type: 'button', id: 'phrase-restore', onclick: () => {
    if (confirm(t('console.phrases.restore_confirm'))) write(restore, () => app.api.del(phrasePath(list.locale, list.kind)), 'console.phrases.restored');
  } }, t('console.phrases.restore'));

  mount(pane, heading, h('p', { class: 'hint' }, t(`console.phrases.kind.${list.kind}_hint`)), source,
    editable ? addForm : null, ul, count, emptyWarn, editable ? h('div', { class: 'actions' }, save, restore) : null, err, status);
  draw();
  return { dirty: () => dirty };
}
