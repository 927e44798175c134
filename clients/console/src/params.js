// Parameter fields built from a template's schema (server/compose
// TemplateView): number inputs for int/float with min/max/step, a checkbox
// for bool, a select for enum choices. Inputs are named "params.<name>" so a
// server validation error naming that field lands on it. Pure helpers here
// are unit-tested (test/params.test.mjs).
import { h, field } from './dom.js';
import { label } from './views/environments.js';

/** choiceKey is the message id of an enum value's label. */
export const choiceKey = (value) => `console.choice.${value}`;

/** unitKey is the message id of a parameter unit (m, cm, floor, people, people/m²). */
export const unitKey = (unit) => `console.unit.${unit.replace('/m²', '_per_m2').replace(/[^a-z0-9_]/gi, '_')}`;

/** readParam converts an input's raw value to the schema's type (NaN → null so validation reports it). */
export function readParam(p, raw, checked) {
  switch (p.type) {
    case 'bool': return Boolean(checked);
    case 'int': { const n = Number.parseInt(raw, 10); return Number.isFinite(n) ? n : null; }
    case 'float': { const n = Number.parseFloat(raw); return Number.isFinite(n) ? n : null; }
    default: return String(raw);
  }
}

/** stepFor picks an input step: 1 for ints, finer for small float ranges. */
export function stepFor(p) {
  if (p.type === 'int') return 1;
  const span = (p.max ?? 1) - (p.min ?? 0);
  return span <= 1 ? 0.05 : span <= 10 ? 0.1 : 1;
}

/** paramInput returns {el, get(), set(v)} for one parameter declaration. */
export function paramInput(app, p, value, onChange) {
  const name = `params.${p.name}`;
  const unit = p.unit ? ` (${app.t(unitKey(p.unit))})` : '';
  const hint = p.help && p.help !== p.help_key ? p.help : '';
  let input;
  if (p.type === 'bool') {
    input = h('input', { type: 'checkbox', name, checked: Boolean(value), onchange: onChange });
    const id = input.id = `p-${p.name}`;
    return { el: h('div', { class: 'field' }, h('label', { class: 'check', for: id }, input, ' ', label(app, p)), hint ? h('p', { class: 'hint' }, hint) : null,
      h('p', { class: 'field-error', id: `${id}-err`, hidden: true })),
    get: () => input.checked, set: (v) => { input.checked = Boolean(v); } };
  }
  if (p.type === 'enum') {
    input = h('select', { name, onchange: onChange }, (p.choices || []).map((c) => h('option', { value: c, selected: c === value }, app.t(choiceKey(c)))));
  } else {
    input = h('input', { type: 'number', name, min: p.min, max: p.max, step: stepFor(p), value: String(value ?? ''), oninput: onChange, inputmode: 'decimal' });
  }
  return { el: field(label(app, p) + unit, input, hint), get: () => readParam(p, input.value), set: (v) => { input.value = String(v); } };
}
