// Clinic admin: staff accounts (disable, enable again, a one-time
// password-reset link), and one-time invite links to copy and hand over (no
// e-mail is sent from here; the link is the invitation or the reset).
import { h, mount, field, table, select } from '../dom.js';
import { onSubmit, formError, copyButton } from '../forms.js';
import { errorBox, roleKey } from '../shell.js';

export async function render(app, root) {
  const { t } = app;
  const list = h('div', {});
  // A reset link or a refusal for an account row, said under the table (polite: the admin asked for it).
  const rowOut = h('div', { id: 'user-action', 'aria-live': 'polite' });
  const made = h('div', { 'aria-live': 'polite' });
  const err = formError();
  const roles = ['therapist', 'moderator', 'admin'].map((r) => ({ value: r, label: t(roleKey(r)) }));
  const form = h('form', { class: 'card', novalidate: true, 'aria-labelledby': 'invite-h' },
    h('h2', { id: 'invite-h' }, t('console.users.invite')),
    h('div', { class: 'row' },
      field(t('console.signin.email'), h('input', { name: 'email', type: 'email', required: true, autocomplete: 'off' })),
      field(t('console.users.role'), select({ name: 'role' }, roles, 'therapist'))),
    err, h('button', { type: 'submit', class: 'primary' }, t('console.users.invite')), made);
  onSubmit(form, err, async (d) => {
    const res = await app.api.post('/api/invites', { email: d.get('email'), role: d.get('role') });
    const link = new URL(res.link, location.href).href;
    mount(made, h('p', {}, t('console.users.invited', { Email: d.get('email') })),
      h('p', { class: 'linkbox' }, h('code', { translate: 'no' }, link), ' ', copyButton(app, link)),
      h('p', { class: 'hint' }, t('console.users.expires'), ' ', h('time', { datetime: res.expires_at }, app.i18n.date(res.expires_at))));
    form.reset();
    app.announce(t('console.users.invited', { Email: d.get('email') }));
  }, app);
  // Without a country the headset can show patients no crisis line: say so where a new admin starts.
  const noCountry = app.me?.clinic && !app.me.clinic.Country
    ? h('p', { class: 'notice' }, t('console.clinic.no_country'), ' ', h('a', { href: '#/settings' }, t('console.clinic.set_country')))
    : null;
  mount(root, h('h1', {}, t('console.nav.users')), noCountry, list, rowOut, form);
  async function load() {
    try {
      const data = await app.api.get('/api/users');
      mount(list, table(t('console.nav.users'), [
        { label: t('console.signin.email'), cell: (u) => h('span', { translate: 'no' }, u.email) },
        { label: t('console.invite.name'), cell: (u) => h('span', { translate: 'no' }, u.name || '') },
        { label: t('console.users.role'), cell: (u) => t(roleKey(u.role)) },
        { label: t('console.status'), cell: (u) => (u.disabled ? t('console.users.disabled') : t('console.users.active')) },
        { label: t('console.actions'), cell: actions },
      ], data.users || []));
    } catch (e) { mount(list, errorBox(app, e)); }
  }
  function actions(u) {
    if (u.id === app.me.user.id) return h('a', { href: '#/account' }, t('console.account.change_password'));
    const rowBtn = (cls, label, fn) => h('button', { type: 'button', class: cls, dataset: { user: u.id }, onclick: fn }, label);
    return h('div', { class: 'actions' },
      u.disabled ? rowBtn('enable', t('console.users.enable'), () => enable(u)) : rowBtn('disable', t('console.users.disable'), () => disable(u)),
      app.api.has('POST', '/api/users/{id}/password-reset') ? rowBtn('reset', t('console.users.reset'), () => reset(u)) : null);
  }
  // refused shows a server refusal for the row's account under the table.
  function refused(e) { mount(rowOut, h('p', { class: 'error', role: 'alert' }, e.message)); }
  async function reset(u) {
    mount(rowOut);
    try {
      const res = await app.api.post(`/api/users/${encodeURIComponent(u.id)}/password-reset`);
      const link = new URL(res.link, location.href).href;
      mount(rowOut, h('div', { class: 'card', id: 'reset-made' },
        h('p', {}, t('console.users.reset_made', { Email: u.email })),
        h('p', { class: 'linkbox' }, h('code', { translate: 'no' }, link), ' ', copyButton(app, link)),
        h('p', { class: 'hint' }, t('console.users.expires'), ' ', h('time', { datetime: res.expires_at }, app.i18n.date(res.expires_at)))));
      app.announce(t('console.users.reset_made', { Email: u.email }));
    } catch (e) { refused(e); }
  }
  async function enable(u) {
    mount(rowOut);
    try {
      await app.api.post(`/api/users/${encodeURIComponent(u.id)}/enable`);
      app.announce(t('console.users.enabled', { Email: u.email }));
      await load();
      mount(rowOut, h('p', { class: 'ok' }, t('console.users.enabled', { Email: u.email })));
    } catch (e) { refused(e); }
  }
  async function disable(u) {
    if (!confirm(t('console.users.disable_confirm'))) return;
    try { await app.api.del(`/api/users/${encodeURIComponent(u.id)}`); app.announce(t('console.saved')); load(); } catch (e) { app.alert(e.message); }
  }
  await load();
}
