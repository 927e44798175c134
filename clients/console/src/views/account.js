// My account: change one's own password. The server checks the current
// password (under the sign-in rate limit) and signs out every other session
// of the account; its refusals land beside the field they are about, in the
// console's language.
import { h, mount, field, showFieldError } from '../dom.js';
import { onSubmit, formError, notAvailable } from '../forms.js';
import { ApiError } from '../api.js';

/** fieldMessages: the console's own words for the server's password refusals (its detail is English). */
const fieldMessages = { current_password: 'console.account.current_wrong', new_password: 'console.account.password_rule' };

export async function render(app, root) {
  const { t } = app;
  mount(root, h('h1', { id: 'account-h' }, t('console.account.title')));
  if (!app.api.has('POST', '/api/me/password')) { root.append(notAvailable(app)); return; }
  const pw = (name, autocomplete) => h('input', { name, type: 'password', required: true, autocomplete, maxlength: 256 });
  const current = pw('current_password', 'current-password');
  const next = pw('new_password', 'new-password');
  const again = pw('repeat_password', 'new-password');
  const done = h('p', { class: 'ok saved' });
  const err = formError();
  const form = h('form', { class: 'card', id: 'change-password', novalidate: true, 'aria-labelledby': 'pw-h' },
    h('h2', { id: 'pw-h' }, t('console.account.change_password')),
    field(t('console.account.current_password'), current),
    field(t('console.account.new_password'), next, t('console.account.new_password_hint')),
    field(t('console.account.repeat_password'), again),
    err, h('button', { type: 'submit', class: 'primary' }, t('console.account.change_password')), done);
  onSubmit(form, err, async (d) => {
    done.textContent = '';
    if (d.get('new_password') !== d.get('repeat_password')) {
      showFieldError(form, 'repeat_password', t('console.account.mismatch'));
      return;
    }
    try {
      await app.api.post('/api/me/password', { current_password: d.get('current_password'), new_password: d.get('new_password') });
    } catch (e) {
      if (e instanceof ApiError && e.code === 'validation' && fieldMessages[e.field]) e.message = t(fieldMessages[e.field]);
      throw e;
    }
    form.reset();
    done.textContent = t('console.account.changed');
    app.announce(t('console.account.changed'));
  }, app);
  root.append(form);
}
