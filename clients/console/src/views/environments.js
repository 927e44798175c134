// Environments: the clinic's compositions (latest revisions), archived ones
// on request (archive and restore from the list), and the template picker
// that starts a new one. Labels come localized from the server
// (/api/templates) with their message keys beside them.
import { h, mount, table } from '../dom.js';
import { notAvailable } from '../forms.js';
import { errorBox } from '../shell.js';
import { canArchive, archivedToggle, archivedState, archiveButton } from '../archive.js';

/** templateLabel prefers the server's localized label, else the key through the console bundle. */
export function label(app, obj) { return obj.label && obj.label !== obj.label_key ? obj.label : app.t(obj.label_key); }

export async function render(app, root) {
  const { t } = app;
  mount(root, h('h1', {}, t('console.nav.environments')));
  if (!app.api.has('GET', '/api/templates')) { root.append(notAvailable(app)); return; }
  const tpls = await app.api.get('/api/templates');
  const byId = Object.fromEntries((tpls.templates || []).map((x) => [x.id, x]));
  const archiving = canArchive(app, '/api/compositions');
  let showArchived = false;
  const list = h('div', { id: 'env-list' });
  // load (re)draws the list; data-showing tells tests and styles which list is drawn.
  async function load() {
    const showing = showArchived;
    list.setAttribute('aria-busy', 'true');
    try {
      const rows = (await app.api.get(`/api/compositions${showing ? '?archived=1' : ''}`)).compositions || [];
      const nameId = (c) => `env-name-${c.id}`;
      mount(list, rows.length ? table(t('console.env.saved'), [
        { label: t('console.env.name'), cell: (c) => h('a', { id: nameId(c), href: `#/environments/${encodeURIComponent(c.id)}`, translate: 'no' }, c.name || c.id) },
        { label: t('console.env.template'), cell: (c) => (byId[c.template] ? label(app, byId[c.template]) : h('span', { translate: 'no' }, c.template)) },
        { label: t('console.env.revision_col'), cell: (c) => app.i18n.number(c.revision) },
        ...(showing ? [{ label: t('console.status'), cell: (c) => archivedState(app, c) }] : []),
        ...(archiving ? [{ label: t('console.actions'), cell: (c) => archiveButton(app, { path: '/api/compositions', item: c, confirmKey: 'console.env.archive_confirm', describedBy: nameId(c), done: load }) }] : []),
      ], rows) : h('p', {}, t('console.empty')));
    } catch (e) { mount(list, errorBox(app, e)); }
    list.removeAttribute('aria-busy');
    list.dataset.showing = showing ? 'all' : 'in-use';
  }
  await load();
  const toggle = archiving ? archivedToggle(app, (on) => { showArchived = on; load(); }) : null;
  const groups = ['exposure', 'calming'].map((kind) => {
    const items = (tpls.templates || []).filter((x) => (kind === 'calming' ? x.kind !== 'exposure' : x.kind === 'exposure'));
    return h('section', { class: 'card', 'aria-labelledby': `tk-${kind}` },
      h('h3', { id: `tk-${kind}` }, t(kind === 'exposure' ? 'console.env.kind.exposure' : 'console.env.kind.calming')),
      h('ul', {}, items.map((x) => h('li', {},
        h('a', { href: `#/environments/new?template=${encodeURIComponent(x.id)}`, dataset: { template: x.id } }, label(app, x)),
        x.help && x.help !== x.help_key ? h('span', { class: 'hint' }, ' — ', x.help) : null))));
  });
  root.append(toggle, list, h('h2', {}, t('console.env.compose')), h('p', { class: 'lead' }, t('console.env.pick_template')), ...groups);
}
