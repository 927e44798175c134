// Console messages (DESIGN.md §7): every visible word comes from the server's
// go-i18n bundle (GET /api/i18n/messages?prefix=…&locale=…), with the build's
// flattened copy of i18n/locales as the offline fallback. Plural messages
// arrive either as an object of CLDR forms or flattened to "other"; dates and
// numbers are formatted with Intl in the chosen locale.

/** LOCALES are the shipped locales, each named in its own language (never translated). */
export const LOCALES = [
  { id: 'en', name: 'English' }, { id: 'es', name: 'Español' }, { id: 'fr', name: 'Français' },
  { id: 'de', name: 'Deutsch' }, { id: 'pt-BR', name: 'Português (Brasil)' }, { id: 'ar', name: 'العربية' },
  { id: 'zh-Hans', name: '简体中文' },
];
/** PREFIXES are the message areas the console shows. */
export const PREFIXES = ['console.', 'core.', 'client.', 'env.', 'proto.', 'bio.', 'live.', 'group.', 'error.'];
const RTL = new Set(['ar', 'he', 'fa', 'ur']);

/** dirFor returns 'rtl' for right-to-left languages. */
export function dirFor(locale) { return RTL.has(String(locale).split('-')[0].toLowerCase()) ? 'rtl' : 'ltr'; }

/** pickLocale: explicit choice, then the account's language, then the browser's, then the clinic default, then English. */
export function pickLocale({ explicit, account, browser = [], clinic } = {}) {
  const ids = LOCALES.map((l) => l.id);
  const match = (tag) => {
    if (!tag) return null;
    if (tag === 'en-XA') return tag; // the pseudo-locale tests use
    if (ids.includes(tag)) return tag;
    if (/^zh(-|$)/i.test(tag)) return /hant|tw|hk|mo/i.test(tag) ? null : 'zh-Hans';
    if (/^pt(-|$)/i.test(tag)) return 'pt-BR';
    const base = tag.split('-')[0].toLowerCase();
    return ids.includes(base) ? base : null;
  };
  for (const tag of [explicit, account, ...browser, clinic]) {
    const m = match(tag);
    if (m) return m;
  }
  return 'en';
}

/** loadMessages fetches every prefix from the server; missing areas come from the bundled fallback file. */
export async function loadMessages(locale, { fetchFn = globalThis.fetch, base = '', clinic = '' } = {}) {
  // the clinic id layers that clinic's own wording over the built-in texts
  const scope = clinic ? `&clinic=${encodeURIComponent(clinic)}` : '';
  const messages = {};
  let resolved = locale, dir = dirFor(locale), served = 0;
  await Promise.all(PREFIXES.map(async (prefix) => {
    try {
      const res = await fetchFn(`/api/i18n/messages?prefix=${encodeURIComponent(prefix)}&locale=${encodeURIComponent(locale)}${scope}`, { headers: { Accept: 'application/json' } });
      if (!res.ok) return;
      const data = await res.json();
      if (!data || typeof data.messages !== 'object') return;
      Object.assign(messages, data.messages);
      // plural messages with all their CLDR forms, when the server sends them
      if (data.plurals && typeof data.plurals === 'object') Object.assign(messages, data.plurals);
      served++;
      if (data.locale) resolved = data.locale;
      if (data.dir) dir = data.dir;
    } catch { /* fall back below */ }
  }));
  if (served === 0) {
    try {
      const res = await fetchFn(`${base}messages/${locale}.json`);
      if (res.ok) {
        const data = await res.json();
        Object.assign(messages, data.messages || {});
        dir = data.dir || dir;
      }
    } catch { /* nothing bundled for this locale */ }
  }
  return { locale: resolved, dir, messages, source: served ? 'server' : 'bundle' };
}

/** fill replaces go-i18n's {{.Name}} placeholders from data. */
export function fill(text, data = {}) {
  return text.replace(/\{\{\s*\.(\w+)\s*\}\}/g, (_, k) => (k in data ? String(data[k]) : ''));
}

/**
 * createI18n returns {t, plural, date, time, number, missing, locale, dir}.
 * A missing id renders as the id itself and is recorded, so tests see gaps.
 */
export function createI18n({ locale, dir, messages }) {
  const missing = new Set();
  const intlLocale = locale === 'en-XA' ? 'en' : locale;
  const rules = new Intl.PluralRules(intlLocale);
  const lookup = (id) => {
    const m = messages[id];
    if (m === undefined) { missing.add(id); return null; }
    return m;
  };
  const t = (id, data) => {
    const m = lookup(id);
    if (m === null) return id;
    return fill(typeof m === 'string' ? m : (m.other ?? ''), data);
  };
  const plural = (id, count, data = {}) => {
    const m = lookup(id);
    if (m === null) return id;
    const all = { Count: fmtNumber(count), ...data };
    if (typeof m === 'string') return fill(m, all);
    const form = count === 0 && m.zero ? 'zero' : rules.select(count);
    return fill(m[form] ?? m.other ?? '', all);
  };
  const nf = new Intl.NumberFormat(intlLocale);
  const fmtNumber = (n, opts) => (opts ? new Intl.NumberFormat(intlLocale, opts).format(n) : nf.format(n));
  const dtf = new Intl.DateTimeFormat(intlLocale, { dateStyle: 'medium', timeStyle: 'short' });
  const tf = new Intl.DateTimeFormat(intlLocale, { timeStyle: 'medium' });
  const cf = new Intl.DateTimeFormat(intlLocale, { hour: '2-digit', minute: '2-digit' });
  const valid = (d) => d instanceof Date && !Number.isNaN(d.getTime());
  return {
    locale, dir, t, plural,
    has: (id) => id in messages,
    number: fmtNumber,
    date: (v) => { const d = new Date(v); return valid(d) ? dtf.format(d) : ''; },
    time: (v) => { const d = new Date(v); return valid(d) ? tf.format(d) : ''; },
    clock: (v) => { const d = new Date(v); return valid(d) ? cf.format(d) : ''; },
    missing: () => [...missing],
    resetMissing: () => missing.clear(),
  };
}
