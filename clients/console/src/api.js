// The console's HTTP client: JSON in and out, the session cookie, the CSRF
// token from /api/me on every state-changing request, and the server's coded,
// already-localized errors ({"error":{"code","message","field"}}) surfaced as
// ApiError. Also reads /api/openapi.json so views can tell which features the
// running server offers and show "not available" instead of guessing.

const sentence = (s) => s.charAt(0).toUpperCase() + s.slice(1) + (/[.!?]$/.test(s) ? '' : '.');

/**
 * ApiError is a failed request: status, code, localized message and the
 * offending field. A validator's untranslated detail (English) is added to
 * the message only for a reader of English.
 */
export class ApiError extends Error {
  constructor(status, body, locale = 'en') {
    const e = (body && body.error) || {};
    const english = locale === 'en' || locale.startsWith('en-') && locale !== 'en-XA';
    super((e.message || `HTTP ${status}`) + (e.detail && english ? ` ${sentence(e.detail)}` : ''));
    this.status = status;
    this.code = e.code || 'http_' + status;
    this.field = e.field || '';
  }
}

/**
 * REQUEST_DEADLINE_MS bounds one JSON request: a server that never answers
 * shows the page's "unavailable" error instead of a page that never
 * finishes loading. Downloads (raw) are not bounded: an export may be long.
 */
export const REQUEST_DEADLINE_MS = 30000;

/** createApi returns the client; locale is sent as Accept-Language so server errors match the console. */
export function createApi({ fetchFn = (...a) => globalThis.fetch(...a), locale = () => 'en', deadlineMs = REQUEST_DEADLINE_MS } = {}) {
  let csrf = '';
  let routes = null; // Set of "METHOD /path/{x}"
  const inFlight = new Map(); // id → {method, path, since}: what a stuck page is waiting for
  let nextId = 0;

  async function request(method, path, body, { raw = false, headers = {} } = {}) {
    const id = ++nextId;
    inFlight.set(id, { method, path, since: Date.now() });
    try { return await send(method, path, body, { raw, headers }); } finally { inFlight.delete(id); }
  }

  async function send(method, path, body, { raw, headers }) {
    const h = { Accept: 'application/json', 'Accept-Language': locale(), ...headers };
    const init = { method, headers: h, credentials: 'same-origin' };
    if (!raw && deadlineMs > 0 && typeof AbortSignal !== 'undefined' && AbortSignal.timeout) init.signal = AbortSignal.timeout(deadlineMs);
    if (body !== undefined) {
      if (typeof body === 'string' && h['Content-Type']) init.body = body;
      else { h['Content-Type'] = 'application/json'; init.body = JSON.stringify(body); }
    }
    if (method !== 'GET' && method !== 'HEAD' && csrf) h['X-CSRF-Token'] = csrf;
    const res = await fetchFn(path, init);
    if (raw) {
      if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => null), locale());
      return res;
    }
    const text = await res.text();
    let data = null;
    if (text) { try { data = JSON.parse(text); } catch { data = null; } }
    if (!res.ok) throw new ApiError(res.status, data, locale());
    return data;
  }

  async function loadRoutes() {
    if (routes) return routes;
    try {
      const doc = await request('GET', '/api/openapi.json');
      routes = new Set();
      for (const [p, item] of Object.entries(doc.paths || {})) for (const m of Object.keys(item)) routes.add(`${m.toUpperCase()} ${p}`);
    } catch { routes = new Set(); }
    return routes;
  }

  return {
    get: (p, o) => request('GET', p, undefined, o),
    post: (p, b, o) => request('POST', p, b ?? {}, o),
    put: (p, b, o) => request('PUT', p, b ?? {}, o),
    patch: (p, b, o) => request('PATCH', p, b ?? {}, o),
    del: (p, o) => request('DELETE', p, undefined, o),
    request,
    setCSRF(t) { csrf = t || ''; },
    csrf: () => csrf,
    loadRoutes,
    /** pending lists the requests still waiting for an answer, oldest first, with their age in ms. */
    pending: () => [...inFlight.values()].map((r) => ({ method: r.method, path: r.path, ms: Date.now() - r.since })),
    /** has reports whether the server documents METHOD path (OpenAPI syntax: /api/x/{id}). */
    has: (method, path) => Boolean(routes && routes.has(`${method} ${path}`)),
    /** find returns the first documented path matching re for method, or ''. */
    find(method, re) {
      if (!routes) return '';
      for (const r of routes) { const [m, p] = r.split(' '); if (m === method && re.test(p)) return p; }
      return '';
    },
  };
}
