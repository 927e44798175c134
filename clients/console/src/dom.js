// Tiny DOM helpers: the console needs no framework. h() builds elements with
// attributes, properties (on*, value, checked) and children; text is always
// set as text (never innerHTML), so server data can never inject markup.

/** h(tag, attrs, ...children): attrs keys starting with "on" add listeners; class/for/aria-* are attributes. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value' || k === 'checked' || k === 'selected' || k === 'indeterminate') el[k] = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** clear empties el and appends children. */
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let uid = 0;
/** id returns a unique element id for label/aria wiring. */
export const nextId = (p = 'f') => `${p}-${++uid}`;

/**
 * field wraps an input with its visible label (and an optional hint and
 * error slot wired through aria-describedby), the pattern every form uses.
 */
export function field(label, input, hint) {
  const id = input.id || (input.id = nextId());
  const err = h('p', { class: 'field-error', id: `${id}-err`, hidden: true });
  const described = [hint ? `${id}-hint` : '', `${id}-err`].filter(Boolean).join(' ');
  input.setAttribute('aria-describedby', described);
  return h('div', { class: 'field', dataset: { field: input.name || '' } },
    h('label', { for: id }, label), hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null, input, err);
}

/** showFieldError marks the input named name inside form as invalid with msg; returns false when not found. */
export function showFieldError(form, name, msg) {
  const input = name && form.querySelector(`[name="${CSS.escape(name)}"]`);
  if (!input) return false;
  input.setAttribute('aria-invalid', 'true');
  const err = document.getElementById(`${input.id}-err`);
  if (err) { err.textContent = msg; err.hidden = false; }
  input.focus();
  return true;
}

/** clearErrors resets every field error inside form. */
export function clearErrors(form) {
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  for (const el of form.querySelectorAll('.field-error')) { el.textContent = ''; el.hidden = true; }
}

/**
 * table renders rows as a captioned table; cols: [{label, cell(row) →
 * node|text}]. It comes in its own scrolling region (named by the caption,
 * focusable so keyboard users can scroll it), so a wide table scrolls
 * there instead of pushing the page sideways at 320 px (WCAG 1.4.10).
 */
export function table(caption, cols, rows) {
  return h('div', { class: 'table-wrap', role: 'region', 'aria-label': caption, tabindex: '0' }, h('table', {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, c.label)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, cols.map((c, i) => (i === 0 ? h('th', { scope: 'row' }, c.cell(r)) : h('td', {}, c.cell(r)))))))));
}

/** select builds a <select> from [{value, label}]. */
export function select(attrs, options, current) {
  return h('select', attrs, options.map((o) => h('option', { value: o.value, selected: String(o.value) === String(current) }, o.label)));
}
