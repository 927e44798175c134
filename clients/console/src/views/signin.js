// Sign-in page: e-mail and password; the server rate-limits and answers with
// the account, its clinic and the CSRF token.
import { h, mount, field } from '../dom.js';
import { onSubmit, formError } from '../forms.js';

export async function render(app, root) {
  const { t } = app;
  if (app.me) { app.navigate('#/patients'); return; }
  const err = formError();
  const form = h('form', { class: 'card narrow', novalidate: true },
    field(t('console.signin.email'), h('input', { name: 'email', type: 'email', autocomplete: 'username', required: true })),
    field(t('console.signin.password'), h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true })),
    err, h('button', { type: 'submit', class: 'primary' }, t('console.signin.submit')));
  onSubmit(form, err, async (d) => {
    const me = await app.api.post('/api/auth/login', { email: d.get('email'), password: d.get('password') });
    app.signedIn(me, me.user.role === 'moderator' ? '#/groups' : '#/patients');
  }, app);
  mount(root, h('h1', {}, t('console.signin.title')), h('p', { class: 'lead' }, t('core.app.tagline')), form);
}
