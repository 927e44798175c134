// Plural forms a translator fills in for a counted message, per locale, from
// the browser's CLDR rules (Intl.PluralRules): the categories the language
// uses besides "other", each with counts that pick it, so the form can be
// labelled "counts like 3, 4, 5" instead of by a CLDR category name. The
// probed counts are the server's (i18n/plural.go requiredCounts), so the
// console asks for the forms the server will require.

const ORDER = ['zero', 'one', 'two', 'few', 'many'];
const COUNTS = [...Array.from({ length: 1201 }, (_, i) => i), 1_000_000, 2_000_000];

/** pluralForms(locale, examples = 3) → [{form, examples: [n…]}] in CLDR order, without "other". */
export function pluralForms(locale, examples = 3) {
  let rules;
  try { rules = new Intl.PluralRules(locale); } catch { return []; }
  const seen = new Map();
  for (const n of COUNTS) {
    const f = rules.select(n);
    if (f === 'other') continue;
    const list = seen.get(f) || [];
    if (list.length < examples) seen.set(f, [...list, n]);
  }
  return ORDER.filter((f) => seen.has(f)).map((form) => ({ form, examples: seen.get(form) }));
}

/** pluralText builds an override's text from the main text and the filled forms (empty ones left out). */
export function pluralText(other, forms) {
  const text = { other };
  for (const [form, value] of Object.entries(forms)) if (ORDER.includes(form) && value) text[form] = value;
  return text;
}
