// Form plumbing shared by every view: submit without reload, disable while
// busy, map the server's field-naming validation errors onto the field (with
// aria-invalid and a described-by message) and anything else into the form's
// alert line.
import { h, clearErrors, showFieldError } from './dom.js';
import { ApiError } from './api.js';

/** formError returns the alert paragraph a form reports unfielded errors in. */
export function formError() { return h('p', { class: 'error', role: 'alert', hidden: true }); }

/** onSubmit wires form: fn(data: FormData) runs on submit; errors land on the named field or errEl. */
export function onSubmit(form, errEl, fn, app) {
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    errEl.hidden = true;
    const buttons = [...form.querySelectorAll('button[type=submit]')];
    buttons.forEach((b) => { b.disabled = true; });
    try {
      await fn(new FormData(form));
    } catch (err) {
      const msg = err instanceof ApiError ? err.message : app.t('error.unavailable');
      if (!(err instanceof ApiError)) console.error(err);
      const field = err instanceof ApiError ? err.field : '';
      if (!showFieldError(form, field, msg) && !showFieldError(form, field.split('.')[0], msg)) {
        errEl.textContent = msg;
        errEl.hidden = false;
      }
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  });
  return form;
}

/** copyButton copies text to the clipboard and announces it. */
export function copyButton(app, text, label) {
  return h('button', { type: 'button', onclick: async () => {
    try { await navigator.clipboard.writeText(text); app.announce(app.t('console.copied')); } catch { app.announce(app.t('console.copy_failed')); }
  } }, label || app.t('console.copy'));
}

/** notAvailable is the honest state for a feature the running server does not offer (yet). */
export function notAvailable(app) {
  return h('p', { class: 'notice', dataset: { state: 'not-available' } }, app.t('console.not_available'));
}
