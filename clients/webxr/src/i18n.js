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

export const LATIN_FONT = 'fonts/NotoSans-Regular.ttf';
export const ARABIC_FONT = 'fonts/NotoNaskhArabic-Regular.ttf';
export const HANS_FONT = 'fonts/NotoSansHans-Regular.otf';

/** fontFor returns the bundled font URL (relative to the app) for a locale's script. */
export function fontFor(locale) {
  const lang = String(locale).split('-')[0];
  if (lang === 'ar') return ARABIC_FONT;
  if (lang === 'zh') return HANS_FONT;
  return LATIN_FONT;
}

// No bundled font draws every script, and troika can only fill a gap from
// its unicode-font CDN, which Haven never reaches: one missing glyph leaves
// the whole 3D text blank. Words from the clinic (a helpline's hours
// "24/7", a number "+44 116 123", a name in another script) routinely mix
// scripts with the patient's language, so each run of characters is drawn
// with a font that has them. The sets below come from the fonts' cmaps.
const ARABIC = /\p{Script_Extensions=Arabic}/u; // with the Arabic comma, question mark and digits
const HAN = /[\p{Script_Extensions=Han}\u3000-\u303f\uff00-\uffef]/u;
// in every bundled font: digits, spaces and the commonest punctuation
const ANY = /[\s0-9.,:!\u00a0\u200b-\u200d]/u;
// the Arabic font's only characters beyond its script
const ARABIC_FONT_EXTRA = /[\u00ab\u00bb]/u;
// the Chinese font: ASCII, Latin-1, general punctuation
const HANS_FONT_EXTRA = /[\u0020-\u00ff\u2010-\u2027]/u;
// bidi controls the fonts lack (the Arabic and Latin fonts have LRM and RLM, which valueIn relies on)
const BIDI_MARKS = /[\u061c\u202a-\u202e\u2066-\u2069]/gu;
const DIR_MARKS = /[\u200e\u200f]/u;

function covers(font, ch) {
  if (ANY.test(ch)) return true;
  if (DIR_MARKS.test(ch)) return font !== HANS_FONT;
  if (ARABIC.test(ch)) return font === ARABIC_FONT;
  if (HAN.test(ch)) return font === HANS_FONT;
  if (font === ARABIC_FONT) return ARABIC_FONT_EXTRA.test(ch);
  if (font === HANS_FONT) return HANS_FONT_EXTRA.test(ch);
  return true; // the Latin font: everything else we ship
}

/**
 * fontRuns prepares a string for a troika text whose font is base: it drops
 * bidi control marks and returns {text, styleRanges}, where styleRanges
 * (troika's rich-text ranges, keyed by UTF-16 index) switches to another
 * bundled font where base lacks a character, and back to base where the run's
 * font lacks one; null when base draws everything.
 */
export function fontRuns(str, base) {
  const text = String(str ?? '').replace(BIDI_MARKS, '');
  let ranges = null, cur = base;
  for (let i = 0; i < text.length; i++) {
    const cp = text.codePointAt(i);
    const ch = String.fromCodePoint(cp);
    if (!covers(cur, ch)) {
      const want = covers(base, ch) ? base : ARABIC.test(ch) ? ARABIC_FONT : HAN.test(ch) ? HANS_FONT : LATIN_FONT;
      (ranges ||= {})[i] = { font: want === base ? null : want };
      cur = want;
    }
    if (cp > 0xffff) i++;
  }
  return { text, styleRanges: ranges };
}

const STRONG_RTL = /[\p{Script_Extensions=Arabic}\p{Script=Hebrew}\p{Script=Syriac}\p{Script=Thaana}]/u;

/**
 * valueIn prepares a value from the clinic (a phone number "+44 116 123", a
 * text line, hours "24/7") for a sentence in a language written in dir.
 * whole keeps it on one line (no-break spaces). In right-to-left text a
 * value with no right-to-left letters is fenced with left-to-right marks:
 * otherwise the bidi algorithm lays the groups of a phone number out right
 * to left ("123 116 44+"), a number nobody can dial.
 */
export function valueIn(value, dir, { whole = false } = {}) {
  let v = String(value ?? '').trim();
  if (whole) v = v.replace(/[ \t]+/g, '\u00a0');
  if (v && dir === 'rtl' && !STRONG_RTL.test(v)) v = `\u200e${v}\u200e`;
  return v;
}

/** loadMessages returns {locale, dir, messages}; the server route wins (with the clinic's overrides once the headset has joined: its patient token names the session, and so the clinic), the bundled file is the fallback. */
export async function loadMessages(locale, { fetchFn = globalThis.fetch, base = '', token = '' } = {}) {
  const api = `/api/i18n/messages?prefix=client.&locale=${encodeURIComponent(locale)}`;
  const tries = [api, `${base}messages/${locale}.json`];
  for (const url of tries) {
    try {
      const res = await fetchFn(url, { headers: { Accept: 'application/json', ...(token && url === api ? { Authorization: `Bearer ${token}` } : {}) } });
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
