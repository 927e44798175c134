// Client messages (DESIGN.md §7): fetched from the server's go-i18n bundle,
// with the build's copy of i18n/locales/client.*.json as the offline fallback
// (preview, lost connection before the first fetch). Also picks the bundled
// font that covers each locale's script for the troika 3D text.

export const LOCALES = [
  { id: 'en', name: 'English' }, { id: 'es', name: 'Español' }, { id: 'fr', name: 'Français' },
  { id: 'de', name: 'Deutsch' }, { id: 'pt-BR', name: 'Português (Brasil)' }, { id: 'ar', name: 'العربية' },
  { id: 'zh-Hans', name: '简体中文' },
];
const RTL = new Set(['ar', 'he', 'fa', 'ur']);

/** dirFor returns 'rtl' for right-to-left languages. */
export function dirFor(locale) { return RTL.has(String(locale).split('-')[0]) ? 'rtl' : 'ltr'; }

/** fontFor returns the bundled font URL (relative to the app) for a locale's script. */
export function fontFor(locale) {
  const lang = String(locale).split('-')[0];
  if (lang === 'ar') return 'fonts/NotoNaskhArabic-Regular.ttf';
  if (lang === 'zh') return 'fonts/NotoSansHans-Regular.otf';
  return 'fonts/NotoSans-Regular.ttf';
}
export const LATIN_FONT = 'fonts/NotoSans-Regular.ttf';

/** loadMessages returns {locale, dir, messages}; the server route wins (with the clinic's overrides once the headset knows its clinic), the bundled file is the fallback. */
export async function loadMessages(locale, { fetchFn = globalThis.fetch, base = '', clinic = '' } = {}) {
  const api = `/api/i18n/messages?prefix=client.&locale=${encodeURIComponent(locale)}${clinic ? `&clinic=${encodeURIComponent(clinic)}` : ''}`;
  const tries = [api, `${base}messages/${locale}.json`];
  for (const url of tries) {
    try {
      const res = await fetchFn(url, { headers: { Accept: 'application/json' } });
      if (!res.ok) continue;
      const data = await res.json();
      if (data && data.messages && typeof data.messages === 'object') {
        return { locale: data.locale || locale, dir: data.dir || dirFor(data.locale || locale), messages: data.messages };
      }
    } catch { /* try the next source */ }
  }
  return { locale, dir: dirFor(locale), messages: {} };
}

/** translator returns t(id, data): go-i18n's {{.Name}} placeholders filled from data; the id itself when missing, so gaps are visible in tests. */
export function translator(messages) {
  return (id, data = {}) => {
    const text = messages[id];
    if (typeof text !== 'string') return id;
    return text.replace(/\{\{\s*\.(\w+)\s*\}\}/g, (_, k) => (k in data ? String(data[k]) : ''));
  };
}

// Traditional-script Chinese (zh-Hant, Taiwan, Hong Kong, Macau) is not
// shipped, and must never be shown Simplified instead: it falls through to
// the reader's next language, as on the server (i18n.Negotiate).
const TRADITIONAL_ZH = /^zh-(hant|tw|hk|mo)\b/i;

/** pickLocale chooses the saved choice, then the browser's languages, then English. */
export function pickLocale(saved, languages = []) {
  const ids = LOCALES.map((l) => l.id);
  if (ids.includes(saved)) return saved;
  for (const lang of languages) {
    if (ids.includes(lang)) return lang;
    if (TRADITIONAL_ZH.test(lang)) continue;
    if (/^zh/i.test(lang)) return 'zh-Hans';
    if (/^pt/i.test(lang)) return 'pt-BR';
    const base = lang.split('-')[0];
    if (ids.includes(base)) return base;
  }
  return 'en';
}
