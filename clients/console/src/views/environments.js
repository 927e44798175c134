// Environments: the clinic's compositions (latest revisions) and the
// template picker that starts a new one. Labels come localized from the
// server (/api/templates) with their message keys beside them.
import { h, mount, table } from '../dom.js';
import { notAvailable } from '../forms.js';
import { errorBox } from '../shell.js';

/** templateLabel prefers the server's localized label, else the key through the console bundle. */
export function label(app, obj) { return obj.label && obj.label !== obj.label_key ? obj.label : app.t(obj.label_key); }

export async function render(app, root) {
  const { t } = app;
  mount(root, h('h1', {}, t('console.nav.environments')));
  if (!app.api.has('GET', '/api/templates')) { root.append(notAvailable(app)); return; }
  const [tpls, comps] = await Promise.all([app.api.get('/api/templates'), app.api.get('/api/compositions').catch((e) => e)]);
  const byId = Object.fromEntries((tpls.templates || []).map((x) => [x.id, x]));
  const list = comps instanceof Error ? errorBox(app, comps) : (comps.compositions || []).length
    ? table(t('console.env.saved'), [
      { label: t('console.env.name'), cell: (c) => h('a', { href: `#/environments/${encodeURIComponent(c.id)}`, translate: 'no' }, c.name || c.id) },
      { label: t('console.env.template'), cell: (c) => (byId[c.template] ? label(app, byId[c.template]) : h('span', { translate: 'no' }, c.template)) },
      { label: t('console.env.revision_col'), cell: (c) => app.i18n.number(c.revision) },
    ], comps.compositions) : h('p', {}, t('console.empty'));
  const groups = ['exposure', 'calming'].map((kind) => {
    const items = (tpls.templates || []).filter((x) => (kind === 'calming' ? x.kind !== 'exposure' : x.kind === 'exposure'));
    return h('section', { class: 'card', 'aria-labelledby': `tk-${kind}` },
      h('h3', { id: `tk-${kind}` }, t(kind === 'exposure' ? 'console.env.kind.exposure' : 'console.env.kind.calming')),
      h('ul', {}, items.map((x) => h('li', {},
        h('a', { href: `#/environments/new?template=${encodeURIComponent(x.id)}`, dataset: { template: x.id } }, label(app, x)),
        x.help && x.help !== x.help_key ? h('span', { class: 'hint' }, ' — ', x.help) : null))));
  });
  root.append(list, h('h2', {}, t('console.env.compose')), h('p', { class: 'lead' }, t('console.env.pick_template')), ...groups);
}
