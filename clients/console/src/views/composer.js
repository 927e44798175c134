// Environment composer: a template's parameters as fields, an intensity
// slider that fills them from the template's mapping (server ParamsAt),
// layers (ambient sound, time of day, events, comfort), a live inline 3D
// preview drawn by the patient's own renderer, and saving as a new
// immutable revision.
import { h, mount, field, select } from '../dom.js';
import { onSubmit, formError, notAvailable } from '../forms.js';
import { paramInput, choiceKey } from '../params.js';
import { label } from './environments.js';
import { hashQuery } from '../util.js';
import { archivedNotice } from '../archive.js';

const TIMES = ['dawn', 'day', 'sunset', 'night'];
const COMFORT = [['seated', 'client.comfort.seated'], ['vignette', 'client.comfort.vignette'], ['snap_turn', 'client.comfort.snap_turn'], ['reduced_motion', 'client.comfort.reduced_motion']];

export async function render(app, root, { id }) {
  const { t } = app;
  mount(root, h('h1', {}, t('console.env.compose')));
  if (!app.api.has('GET', '/api/templates')) { root.append(notAvailable(app)); return null; }
  let comp = null, tplId = hashQuery().get('template');
  if (id !== 'new') {
    comp = await app.api.get(`/api/compositions/${encodeURIComponent(id)}`);
    tplId = comp.template;
  }
  const tpl = await app.api.get(`/api/templates/${encodeURIComponent(tplId || '')}`);
  const body = comp ? comp.composition : { params: {}, layers: {} };
  const params = { ...Object.fromEntries(tpl.params.map((p) => [p.name, p.default])), ...(body.params || {}) };
  const layers = body.layers || {};
  const inputs = {};
  const preview = createPreview(app, tpl, params);
  const changed = () => { for (const [k, inp] of Object.entries(inputs)) params[k] = inp.get(); preview.set(params); };
  for (const p of tpl.params) inputs[p.name] = paramInput(app, p, params[p.name], changed);

  const level = h('output', { for: 'intensity' }, app.i18n.number(50));
  const slider = h('input', { id: 'intensity', type: 'range', min: 0, max: 100, step: 5, value: '50', 'aria-describedby': 'intensity-hint' });
  let pending = 0;
  slider.addEventListener('input', () => {
    level.textContent = app.i18n.number(Number(slider.value));
    const n = ++pending;
    setTimeout(async () => {
      if (n !== pending) return; // debounce keyboard and drag bursts
      try {
        const res = await app.api.get(`/api/templates/${encodeURIComponent(tpl.id)}/params?intensity=${slider.value}`);
        for (const [k, v] of Object.entries(res.params || {})) if (inputs[k]) inputs[k].set(v);
        changed();
      } catch (e) { app.alert(e.message); }
    }, 120);
  });

  const err = formError();
  const form = h('form', { class: 'card', novalidate: true, 'aria-labelledby': 'comp-h' },
    h('h2', { id: 'comp-h' }, label(app, tpl)),
    tpl.help && tpl.help !== tpl.help_key ? h('p', { class: 'lead' }, tpl.help) : null,
    field(t('console.env.name'), h('input', { name: 'name', maxlength: 200, value: comp?.name || '', required: true })),
    tpl.kind === 'exposure' ? h('div', { class: 'field' }, h('label', { for: 'intensity' }, t('console.session.intensity')), ' ', level,
      h('p', { class: 'hint', id: 'intensity-hint' }, t('console.env.intensity_hint')), slider) : null,
    h('fieldset', {}, h('legend', {}, t('console.env.parameters')), Object.values(inputs).map((i) => i.el)),
    layersFieldset(app, tpl, layers), err,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('core.save')),
      comp ? h('span', { class: 'hint' }, t('console.env.revision', { Number: app.i18n.number(comp.revision) })) : null));
  onSubmit(form, err, async (d) => {
    changed();
    const doc = { name: String(d.get('name') || '').trim(), template: tpl.id, params: { ...params }, layers: readLayers(tpl, d) };
    const saved = comp ? await app.api.put(`/api/compositions/${encodeURIComponent(comp.id)}`, doc) : await app.api.post('/api/compositions', doc);
    app.announce(`${t('console.saved')} · ${t('console.env.revision', { Number: app.i18n.number(saved.revision) })}`);
    if (!comp) app.navigate(`#/environments/${encodeURIComponent(saved.id)}`); else { comp = saved; }
  }, app);
  // An archived composition takes no new revision: say so, with Restore, above the form.
  const archived = archivedNotice(app, { path: '/api/compositions', item: comp, noticeKey: 'console.env.archived_notice', done: () => app.navigate(location.hash) });
  mount(root, h('p', {}, h('a', { href: '#/environments' }, t('core.back'))), h('h1', {}, t('console.env.compose')), archived,
    h('div', { class: 'grid2' }, form, preview.el));
  return () => preview.dispose();
}

function layersFieldset(app, tpl, layers) {
  const { t } = app;
  const on = new Map((layers.ambient || []).map((a) => [a.id, a.volume]));
  const events = new Set(layers.events || []);
  const comfort = layers.comfort || {};
  return h('fieldset', {}, h('legend', {}, t('console.env.layers')),
    (tpl.ambient || []).length ? h('fieldset', {}, h('legend', {}, t('console.env.ambient')),
      tpl.ambient.map((a) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: `ambient.${a.id}`, checked: on.has(a.id) }), ' ', t(`console.ambient.${a.id}`)))) : null,
    field(t('console.env.time_of_day'), select({ name: 'layers.time_of_day' },
      [{ value: '', label: t('console.env.time_default') }, ...TIMES.map((x) => ({ value: x, label: t(choiceKey(x)) }))], layers.time_of_day || '')),
    (tpl.events || []).length ? h('fieldset', {}, h('legend', {}, t('console.env.events_enabled')),
      tpl.events.map((e) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: `event.${e.id}`, checked: events.size === 0 || events.has(e.id) }), ' ', label(app, e)))) : null,
    h('fieldset', {}, h('legend', {}, t('client.comfort.title')),
      COMFORT.map(([k, key]) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: `comfort.${k}`, checked: Boolean(comfort[k]) }), ' ', t(key)))));
}

function readLayers(tpl, d) {
  const volumes = Object.fromEntries((tpl.ambient || []).map((a) => [a.id, a.volume]));
  return {
    ambient: (tpl.ambient || []).filter((a) => d.get(`ambient.${a.id}`) === 'on').map((a) => ({ id: a.id, volume: volumes[a.id] })),
    time_of_day: d.get('layers.time_of_day') || '',
    events: (tpl.events || []).filter((e) => d.get(`event.${e.id}`) === 'on').map((e) => e.id),
    comfort: Object.fromEntries(COMFORT.map(([k]) => [k, d.get(`comfort.${k}`) === 'on'])),
  };
}

/**
 * createPreview mounts the patient renderer inline (no XR) and loads it
 * lazily, so the three.js chunk is fetched only on this page. Unknown
 * templates (the renderer is older than the server) show a notice instead.
 */
export function createPreview(app, tpl, params) {
  const { t } = app;
  const canvas = h('canvas', { role: 'img', 'aria-label': t('console.env.preview_label', { Name: label(app, tpl) }), tabindex: '0' });
  const status = h('p', { class: 'hint', 'aria-live': 'polite' }, t('core.loading'));
  const eventsBox = h('div', { class: 'actions' });
  const el = h('section', { class: 'card preview', 'aria-labelledby': 'prev-h' }, h('h2', { id: 'prev-h' }, t('console.env.preview')), canvas, status, eventsBox);
  let r = null, disposed = false, latest = { ...params };
  import('../../../webxr/src/renderer.js').then(({ createRenderer }) => {
    if (disposed) return;
    r = createRenderer(canvas, { xr: false });
    if (!r.templates.includes(tpl.id)) { status.textContent = t('console.env.preview_unavailable'); return; }
    r.loadScene({ template: tpl.id, params: latest, transition_ms: 0 });
    status.textContent = t('console.env.preview_hint');
    el.dataset.ready = '1';
    mount(eventsBox, (tpl.events || []).map((e) => h('button', { type: 'button', onclick: () => r.event(e.id) }, label(app, e))));
    window.havenConsole.preview = r;
  }).catch((err) => { console.error(err); status.textContent = t('console.env.preview_unavailable'); });
  canvas.addEventListener('keydown', (e) => {
    if (!r) return;
    if (e.key === 'ArrowLeft') { r.snapTurn(document.dir === 'rtl' ? 1 : -1); e.preventDefault(); }
    if (e.key === 'ArrowRight') { r.snapTurn(document.dir === 'rtl' ? -1 : 1); e.preventDefault(); }
  });
  return {
    el,
    set(p) { latest = { ...p }; if (r && r.templates.includes(tpl.id)) r.setParams(latest, 600); },
    dispose() { disposed = true; if (r) { r.dispose(); r = null; } if (window.havenConsole.preview) delete window.havenConsole.preview; },
  };
}
