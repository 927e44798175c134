// The clinic's support-group safety lists without the DOM: crisis lines (the
// helplines a member in crisis privately sees) and the per-locale phrase
// lists automatic moderation uses (crisis phrases, word filters). What goes
// over the wire (PUT /api/groups/resources, /api/groups/phrases/:locale/:kind),
// and where a server validation error belongs on the page. Tested in node.

/** LIMITS are the server's sizes for a crisis line's fields in UTF-8 bytes (server/groups putResources). */
export const LIMITS = { name: 200, phone: 40, text: 40, url: 300, hours: 100 };
/** FIELDS are a crisis line's editable fields, in the order the editor shows them. */
export const FIELDS = ['country', 'name', 'phone', 'text', 'url', 'hours', 'last_verified'];
/** MAX_LINES and MAX_PHRASES are the server's list sizes. */
export const MAX_LINES = 200;
export const MAX_PHRASES = 1000;
export const MAX_PHRASE = 200;
/** KINDS are the phrase-list kinds a clinic edits per locale. */
export const KINDS = ['crisis', 'block'];
/** STALE_DAYS: a line checked longer ago than this is flagged for checking again. */
export const STALE_DAYS = 365;

const DATE = /^(\d{4})-(\d{2})-(\d{2})/;
/** bytes is a string's UTF-8 length: the server's limits count bytes (Go's len). */
export const bytes = (s) => new TextEncoder().encode(String(s ?? '')).length;

/** dateOnly returns the calendar date (YYYY-MM-DD, as stored: UTC) of an RFC 3339 time, or ''. */
export function dateOnly(v) {
  const m = DATE.exec(String(v ?? ''));
  if (!m || m[1] === '0001') return ''; // Go's zero time
  return `${m[1]}-${m[2]}-${m[3]}`;
}

/** today returns the local calendar date (YYYY-MM-DD): "checked today" means the user's today. */
export function today(now = new Date()) {
  const p = (n) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}`;
}

/** isStale reports whether a YYYY-MM-DD date is more than STALE_DAYS before now. */
export function isStale(date, now = new Date()) {
  if (!DATE.test(date || '')) return false;
  const t = Date.parse(`${date}T00:00:00Z`);
  return now.getTime() - t > STALE_DAYS * 86400000;
}

/** fromServer turns a resource from GET /api/groups/resources into an editor line. */
export function fromServer(r = {}) {
  return { country: r.country || '', name: r.name || '', phone: r.phone || '', text: r.text || '', url: r.url || '',
    hours: r.hours || '', last_verified: dateOnly(r.last_verified) };
}

/** blankLine is a new line for country; its date stays empty until someone checks the number. */
export const blankLine = (country = '') => ({ country, name: '', phone: '', text: '', url: '', hours: '', last_verified: '' });

/**
 * toPayload is the PUT body: every line's text trimmed, the date as UTC
 * midnight of the chosen day; a missing date is sent as null so the server
 * names the line's date field (the server is the one validator).
 */
export function toPayload(lines) {
  return lines.map((l) => {
    const s = (k) => String(l[k] ?? '').trim();
    const d = s('last_verified');
    return { country: s('country').toUpperCase(), name: s('name'), phone: s('phone'), text: s('text'), url: s('url'), hours: s('hours'),
      last_verified: DATE.test(d) ? `${dateOnly(d)}T00:00:00Z` : null };
  });
}

/** sameLine reports whether two lines name the same service in the same country. */
export const sameLine = (a, b) => a.country === b.country && a.name.trim().toLowerCase() === b.name.trim().toLowerCase();

/**
 * locateError places a server validation error on a line's field: it
 * returns {index, field, reason} where reason picks the console's message
 * (console.crisis.error.<reason>), or null for an error about the whole list.
 * The server names "resources[i].last_verified" exactly; for "resources[i]"
 * it says only that the line is wrong, so the line itself tells which field.
 */
export function locateError(field, lines) {
  const m = /^resources\[(\d+)\](?:\.(\w+))?$/.exec(field || '');
  if (!m) return null;
  const index = Number(m[1]);
  const line = lines[index];
  if (!line) return null;
  const sub = m[2] || '';
  if (sub === 'last_verified') return { index, field: 'last_verified', reason: 'last_verified' };
  if (FIELDS.includes(sub)) return { index, field: sub, reason: sub === 'name' ? 'name' : 'invalid' };
  const v = (k) => String(line[k] ?? '').trim();
  if (!v('name')) return { index, field: 'name', reason: 'name' };
  for (const k of ['name', 'phone', 'text', 'url', 'hours']) if (bytes(v(k)) > LIMITS[k]) return { index, field: k, reason: 'too_long' };
  if (!v('phone') && !v('text') && !v('url')) return { index, field: 'phone', reason: 'contact' };
  return { index, field: 'name', reason: 'invalid' };
}

/**
 * fold approximates the server's matching (server/groups foldForMatch):
 * accents dropped, lower case, every run of punctuation or space one space.
 * The editor uses it to refuse a phrase the list already holds.
 */
export function fold(s) {
  return String(s ?? '').normalize('NFKD').replace(/\p{Mn}/gu, '').toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
}

/**
 * addPhrase returns {list, error}: the list with phrase appended, or the
 * unchanged list and an error message id (console.phrases.error.<x>).
 */
export function addPhrase(list, phrase) {
  const p = String(phrase ?? '').replace(/\s+/g, ' ').trim();
  if (!fold(p)) return { list, error: 'console.phrases.error.empty' };
  if (bytes(p) > MAX_PHRASE) return { list, error: 'console.phrases.error.too_long' };
  if (list.some((x) => fold(x) === fold(p))) return { list, error: 'console.phrases.error.duplicate' };
  if (list.length >= MAX_PHRASES) return { list, error: 'console.phrases.error.too_many' };
  return { list: [...list, p], error: '' };
}

/** phrasePath is the API path of one list. */
export const phrasePath = (locale, kind) => `/api/groups/phrases/${encodeURIComponent(locale)}/${encodeURIComponent(kind)}`;
