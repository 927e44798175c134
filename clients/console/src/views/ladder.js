// Ladder builder (CLINICAL.md §1–2): the clinic's own name for the ladder,
// steps with a one-line description, intensity and expected SUDS,
// the feared outcome and its likelihood (inhibitory learning), safety
// behaviours to drop; reorder by drag and drop AND by keyboard buttons (each
// move announced); gap warnings live as the numbers change; saved as a new
// clinic protocol revision, with the server's own warnings shown after.
import { h, mount, field, select } from '../dom.js';
import { onSubmit, formError, notAvailable } from '../forms.js';
import { hashQuery } from '../util.js';
import { move, gaps, insertAfter, parseList } from '../ladder_model.js';
import { title } from './protocols.js';
import { archivedNotice } from '../archive.js';

export async function render(app, root, { id }) {
  const { t } = app;
  mount(root, h('h1', {}, t('console.protocol.ladder_builder')));
  if (!app.api.has('GET', '/api/protocols/library')) { root.append(notAvailable(app)); return; }
  const q = hashQuery();
  let view, doc;
  if (id !== 'new') {
    view = await app.api.get(`/api/protocols/${encodeURIComponent(id)}`);
    doc = view.protocol;
  } else if (q.get('library')) {
    view = await app.api.get(`/api/protocols/library/${encodeURIComponent(q.get('library'))}`);
    doc = { ...view.protocol, id: '' }; // a clinic copy gets its own id from the server
  } else {
    const res = await app.api.post('/api/ladders/generate', { template: q.get('template') || '', steps: Number(q.get('steps')) || 0, start_suds: Number(q.get('start')) || 0, mode: q.get('mode') || '' });
    doc = { ...res.protocol, id: '' };
    view = { title_key: doc.title_key, warnings: res.warnings };
  }
  if (doc.kind !== 'exposure') { root.append(h('p', { class: 'notice' }, t('console.protocol.not_a_ladder'))); return; }
  // Library ladders name their safety behaviours by message id
  // (proto.safety.…): the builder shows and saves them in the clinic's words.
  const words = (v) => (app.i18n.has(v) ? t(v) : v);
  let steps = (doc.steps || []).map((s) => ({ ...s, ...(s.safety_behaviours ? { safety_behaviours: s.safety_behaviours.map(words) } : {}) }));
  const list = h('ol', { class: 'ladder', 'aria-describedby': 'ladder-help' });
  const warnBox = h('div', { role: 'status', 'aria-live': 'polite' });
  const serverWarn = h('div', {});
  let dragFrom = -1;

  function warn() {
    const found = gaps(steps);
    mount(warnBox, found.length ? h('ul', { class: 'notice' }, found.map((g) => h('li', {}, t('console.protocol.gap_warning', { From: app.i18n.number(g.from), To: app.i18n.number(g.to) })))) : null);
  }
  function showServerWarnings(ws) {
    mount(serverWarn, (ws || []).length ? h('ul', { class: 'notice' }, ws.map((w) => h('li', {}, w.message || t(w.message_id, w.args)))) : null);
  }

  function relocate(from, to, focusSel) {
    const next = move(steps, from, to);
    if (next === steps) return;
    steps = next;
    draw();
    const idx = Math.max(0, Math.min(steps.length - 1, to));
    app.announce(t('console.protocol.moved', { From: app.i18n.number(from + 1), To: app.i18n.number(idx + 1) }));
    list.children[idx]?.querySelector(focusSel)?.focus();
  }

  function stepItem(s, i) {
    const n = app.i18n.number(i + 1);
    const num = (name, value, min, max) => h('input', { type: 'number', name: `steps[${i}].${name}`, min, max, value: value ?? '', oninput: (e) => {
      const v = e.target.value === '' ? null : Number(e.target.value);
      s[name] = v;
      if (name === 'expected_suds') warn();
    } });
    const text = (name, value) => h('input', { type: 'text', name: `steps[${i}].${name}`, value: value || '', oninput: (e) => { s[name] = e.target.value; } });
    const li = h('li', { draggable: 'true', dataset: { step: s.id } },
      h('div', { class: 'step-head' },
        h('span', { class: 'grip', 'aria-hidden': 'true' }, '⠿'),
        h('h3', { id: `step-h-${i}` }, t('console.protocol.step', { Number: n })),
        h('button', { type: 'button', class: 'up', disabled: i === 0, 'aria-describedby': `step-h-${i}`, onclick: () => relocate(i, i - 1, '.up') }, t('console.protocol.up')),
        h('button', { type: 'button', class: 'down', disabled: i === steps.length - 1, 'aria-describedby': `step-h-${i}`, onclick: () => relocate(i, i + 1, '.down') }, t('console.protocol.down')),
        h('button', { type: 'button', class: 'insert', 'aria-describedby': `step-h-${i}`, onclick: () => { steps = insertAfter(steps, i); draw(); warn(); list.children[i + 1]?.querySelector('input')?.focus(); } }, t('console.protocol.add_step')),
        h('button', { type: 'button', class: 'remove', disabled: steps.length <= 1, 'aria-describedby': `step-h-${i}`, onclick: () => { steps = steps.filter((_, k) => k !== i); draw(); warn(); app.announce(t('console.protocol.removed', { Number: n })); list.children[Math.min(i, steps.length - 1)]?.querySelector('button')?.focus(); } }, t('console.delete'))),
      h('div', { class: 'row' },
        field(t('console.session.intensity'), num('intensity', s.intensity, 0, 100)),
        field(t('console.protocol.expected_suds'), num('expected_suds', s.expected_suds, 0, 100)),
        doc.mode === 'inhibitory' ? field(t('console.protocol.likelihood'), num('likelihood', s.likelihood, 0, 100)) : null),
      field(t('console.protocol.description'), h('input', { type: 'text', name: `steps[${i}].description`, maxlength: 300, value: s.description || '', oninput: (e) => { s.description = e.target.value; } }), t('console.protocol.description_hint')),
      field(t('console.protocol.feared_outcome'), text('feared_outcome', s.feared_outcome)),
      field(t('console.protocol.safety_behaviours'), h('textarea', { name: `steps[${i}].safety_behaviours`, rows: 2, value: (s.safety_behaviours || []).join('\n'), oninput: (e) => { s.safety_behaviours = parseList(e.target.value); } }), t('console.protocol.one_per_line')));
    li.setAttribute('aria-labelledby', `step-h-${i}`);
    li.addEventListener('dragstart', (e) => { dragFrom = i; li.classList.add('dragging'); e.dataTransfer.effectAllowed = 'move'; e.dataTransfer.setData('text/plain', String(i)); });
    li.addEventListener('dragend', () => { li.classList.remove('dragging'); });
    li.addEventListener('dragover', (e) => { e.preventDefault(); li.classList.add('drop-target'); });
    li.addEventListener('dragleave', () => li.classList.remove('drop-target'));
    li.addEventListener('drop', (e) => { e.preventDefault(); li.classList.remove('drop-target'); const from = dragFrom >= 0 ? dragFrom : Number(e.dataTransfer.getData('text/plain')); dragFrom = -1; relocate(from, i, '.grip'); });
    return li;
  }
  function draw() { mount(list, steps.map(stepItem)); }

  const err = formError();
  const settings = doc.settings || {};
  const form = h('form', { class: 'card', novalidate: true, 'aria-labelledby': 'lb-h' },
    h('h2', { id: 'lb-h' }, title(app, view)),
    field(t('console.protocol.name'), h('input', { type: 'text', name: 'name', maxlength: 120, value: doc.name || '' }), t('console.protocol.name_hint', { Title: app.t(doc.title_key) })),
    h('div', { class: 'row' },
      field(t('console.protocol.model'), select({ name: 'mode', onchange: (e) => { doc.mode = e.target.value; draw(); } },
        [{ value: 'habituation', label: t('console.protocol.habituation') }, { value: 'inhibitory', label: t('console.protocol.inhibitory') }], doc.mode || 'habituation')),
      field(t('console.protocol.suds_interval'), h('input', { type: 'number', name: 'settings.suds_interval_min', min: 1, max: 15, value: settings.suds_interval_min || 5 }))),
    h('p', { class: 'hint', id: 'ladder-help' }, t('console.protocol.reorder_help')),
    list, warnBox, serverWarn, err,
    h('div', { class: 'actions' },
      h('button', { type: 'button', onclick: () => { steps = insertAfter(steps, steps.length - 1); draw(); warn(); list.lastElementChild?.querySelector('input')?.focus(); } }, t('console.protocol.add_step')),
      h('button', { type: 'submit', class: 'primary' }, t('core.save'))));
  onSubmit(form, err, async (d) => {
    const out = { ...doc, name: String(d.get('name') || '').trim() || undefined, mode: d.get('mode') || doc.mode, settings: { ...settings, suds_interval_min: Number(d.get('settings.suds_interval_min')) || undefined }, steps: steps.map(clean) };
    let saved;
    try {
      saved = id !== 'new' ? await app.api.put(`/api/protocols/${encodeURIComponent(id)}`, out) : await app.api.post('/api/protocols', out);
    } catch (e) {
      // The protocol validator names fields by path (steps[2].description): say it in the reader's words.
      const step = /^steps\[(\d+)\]\.description$/.exec(e.field || '');
      const words = e.field === 'name' ? t('console.protocol.name')
        : step ? `${t('console.protocol.step', { Number: app.i18n.number(Number(step[1]) + 1) })} · ${t('console.protocol.description')}` : '';
      if (words && typeof e.message === 'string') e.message = e.message.replace(e.field, words);
      throw e;
    }
    showServerWarnings(saved.warnings);
    form.querySelector('#lb-h').textContent = title(app, saved);
    app.announce(`${t('console.saved')} · ${t('console.env.revision', { Number: app.i18n.number(saved.revision) })}`);
    if (id === 'new') app.navigate(`#/protocols/${encodeURIComponent(saved.id)}`);
  }, app);
  draw(); warn(); showServerWarnings(view.warnings);
  // An archived ladder takes no new revision: say so, with Restore, above the form.
  const archived = id !== 'new' ? archivedNotice(app, { path: '/api/protocols', item: view, noticeKey: 'console.protocol.archived_notice', done: () => app.navigate(location.hash) }) : null;
  mount(root, h('p', {}, h('a', { href: '#/protocols' }, t('core.back'))), h('h1', {}, t('console.protocol.ladder_builder')), archived, form);
}

/** clean drops empty optional fields so the strict server decoder sees only what was set. */
function clean(s) {
  const out = { ...s };
  for (const k of ['description', 'feared_outcome', 'likelihood', 'safety_behaviours']) {
    if (out[k] === null || out[k] === '' || (Array.isArray(out[k]) && out[k].length === 0)) delete out[k];
  }
  return out;
}
