// Clinic admin: the append-only audit log, newest first, 100 at a time.
import { h, mount, table } from '../dom.js';
import { errorBox } from '../shell.js';

export async function render(app, root) {
  const { t } = app;
  const body = h('div', {});
  mount(root, h('h1', {}, t('console.nav.audit')), body);
  let users = {};
  try { users = Object.fromEntries(((await app.api.get('/api/users')).users || []).map((u) => [u.id, u.name || u.email])); } catch { /* ids stay ids */ }
  const events = [];
  const more = h('button', { type: 'button', onclick: () => page() }, t('console.more'));
  async function page() {
    try {
      const before = events.length ? `?before=${events[events.length - 1].ID}` : '';
      const data = await app.api.get(`/api/audit${before}`);
      events.push(...(data.events || []));
      mount(body, table(t('console.nav.audit'), [
        { label: t('console.audit.when'), cell: (e) => h('time', { datetime: e.CreatedAt }, app.i18n.date(e.CreatedAt)) },
        { label: t('console.audit.who'), cell: (e) => h('span', { translate: 'no' }, users[e.ActorID] || e.ActorID || '') },
        { label: t('console.audit.what'), cell: (e) => h('code', { translate: 'no' }, [e.Action, e.Target, e.TargetID, e.Detail].filter(Boolean).join(' ')) },
      ], events), (data.events || []).length === 100 ? more : null);
    } catch (e) { mount(body, errorBox(app, e)); }
  }
  await page();
}
