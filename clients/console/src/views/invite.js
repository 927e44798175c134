// Invite acceptance (/#/invite/TOKEN): shows which clinic and role the link is
// for; the holder sets name and password (and, for the first admin, an
// e-mail) and is signed in.
import { h, mount, field } from '../dom.js';
import { onSubmit, formError } from '../forms.js';
import { errorBox, roleKey } from '../shell.js';

export async function render(app, root, { token }) {
  const { t } = app;
  let info;
  try { info = await app.api.get(`/api/invites/${encodeURIComponent(token)}`); } catch (err) {
    mount(root, h('h1', {}, t('console.set_password')), errorBox(app, err));
    return;
  }
  const firstAdmin = /\.invalid$/.test(info.email);
  const err = formError();
  const form = h('form', { class: 'card narrow', novalidate: true },
    firstAdmin ? field(t('console.signin.email'), h('input', { name: 'email', type: 'email', autocomplete: 'username', required: true })) : null,
    field(t('console.invite.name'), h('input', { name: 'name', autocomplete: 'name' })),
    field(t('console.signin.password'), h('input', { name: 'password', type: 'password', autocomplete: 'new-password', minlength: 12, required: true }), t('console.invite.password_hint')),
    err, h('button', { type: 'submit', class: 'primary' }, t('core.continue')));
  onSubmit(form, err, async (d) => {
    const body = { name: d.get('name') || '', password: d.get('password') || '' };
    if (firstAdmin) body.email = d.get('email') || '';
    const me = await app.api.post(`/api/invites/${encodeURIComponent(token)}/accept`, body);
    app.signedIn(me, me.user.role === 'moderator' ? '#/groups' : '#/patients');
  }, app);
  mount(root, h('h1', {}, t('console.set_password')),
    h('p', { class: 'lead' }, t('console.invite.for', { Clinic: info.clinic, Role: t(roleKey(info.role)) })),
    firstAdmin ? null : h('p', {}, h('span', { translate: 'no' }, info.email)), form);
}
