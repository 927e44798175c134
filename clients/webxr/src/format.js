// Dates and numbers the patient (or a support-room member) reads, formatted
// for their language with Intl (DESIGN.md §7). Shared with clients/room.

/** intlLocale returns a tag Intl accepts, or undefined (the runtime's default) for an unknown or malformed one. */
export function intlLocale(locale) {
  try {
    return Intl.getCanonicalLocales(locale || [])[0];
  } catch {
    return undefined;
  }
}

const cache = new Map();
function formatter(kind, locale, options) {
  const key = `${kind}|${locale}|${JSON.stringify(options)}`;
  let f = cache.get(key);
  if (!f) {
    const loc = intlLocale(locale);
    f = kind === 'date' ? new Intl.DateTimeFormat(loc, options) : new Intl.NumberFormat(loc, options);
    cache.set(key, f);
  }
  return f;
}

/**
 * formatDate formats a calendar date ("2026-11-02", or the date part of an
 * RFC 3339 time such as "2026-11-02T00:00:00Z") in the reader's language,
 * month spelled out ("2 November 2026", "2. November 2026", "2026年11月2日"):
 * never ambiguous between day-first and month-first readers. The date is
 * taken as written, in UTC, so it never shifts by a day in the reader's time
 * zone. Anything else gives "" (the line is left out rather than wrong).
 */
export function formatDate(value, locale, options = { dateStyle: 'long' }) {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:$|[T ])/.exec(String(value ?? ''));
  if (!m) return '';
  const [y, mo, d] = [Number(m[1]), Number(m[2]) - 1, Number(m[3])];
  const date = new Date(Date.UTC(y, mo, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo || date.getUTCDate() !== d || y < 1900) return '';
  return formatter('date', locale, { ...options, timeZone: 'UTC' }).format(date);
}

/**
 * formatClock formats the clock time of an RFC 3339 instant ("the pause
 * ends at …") in the reader's language and time zone, hours and minutes
 * ("18:40", "6:40 PM"); anything that is not such an instant gives "".
 */
export function formatClock(value, locale, timeZone = undefined) {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(String(value ?? ''))) return '';
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) return '';
  return formatter('date', locale, { hour: 'numeric', minute: '2-digit', timeZone }).format(new Date(ms));
}

/** formatNumber formats a number with the reader's digits and separators; "" for a non-number. */
export function formatNumber(n, locale, options = {}) {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '';
  return formatter('number', locale, options).format(n);
}
