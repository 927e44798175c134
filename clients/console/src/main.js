// The therapist / moderator / clinic-admin console: boot (account, locale,
// messages), the shell (skip link, navigation, language picker, live
// announcer) and the hash router that mounts one view at a time.
// window.havenConsole is the hook browser tests read (ready flag, locale,
// missing message ids, current route).
import 'uplot/dist/uPlot.min.css';
import { h, mount } from './dom.js';
import { createApi, ApiError } from './api.js';
import { loadMessages, createI18n, pickLocale, LOCALES } from './i18n.js';
import { ROUTES, match } from './routes.js';
import { roleAllows, roleKey, defaultRoute, errorBox } from './shell.js';
import { createAnnouncer } from './announcer.js';

const query = new URLSearchParams(location.search);
const hook = (window.havenConsole = { ready: false, route: '', missing: [], locale: '' });

async function boot() {
  let locale = 'en';
  const api = createApi({ locale: () => locale });
  let me = null;
  try {
    me = await api.get('/api/me');
    api.setCSRF(me.csrf_token);
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401) console.warn('console: /api/me', err.message);
  }
  locale = pickLocale({
    explicit: query.get('locale') || localStorage.getItem('haven.console.locale'),
    account: me?.user?.locale, browser: navigator.languages || [], clinic: me?.clinic?.DefaultLocale,
  });
  const bundle = await loadMessages(locale, { clinic: me?.clinic?.ID || '' });
  const i18n = createI18n(bundle);
  locale = bundle.locale;
  document.documentElement.lang = bundle.locale;
  document.documentElement.dir = bundle.dir;
  await api.loadRoutes();
  const app = createApp({ api, i18n, me });
  addEventListener('hashchange', () => app.route());
  hook.go = (hash) => { hook.ready = false; app.navigate(hash); };
  hook.pending = () => api.pending();
  await app.route();
}

function createApp({ api, i18n, me }) {
  const { t } = i18n;
  const main = h('main', { id: 'main', tabindex: '-1' });
  // The live regions speak text the console already localized, with data
  // (patient codes, names) in it: not for the browser to translate again.
  const announcer = h('div', { class: 'sr-only', role: 'status', 'aria-live': 'polite', translate: 'no' });
  const alertRegion = h('div', { class: 'sr-only', role: 'alert', translate: 'no' });
  // Queued, so two messages sent together are both spoken (one replacing
  // the other's text before a screen reader read it was the old failure).
  const record = (msg) => (hook.said ||= []).push(msg);
  const polite = createAnnouncer(announcer, { onSay: record }), urgent = createAnnouncer(alertRegion, { onSay: record });
  let cleanup = null;
  let generation = 0; // the latest route(); an earlier one still rendering never marks the page ready
  const app = {
    api, i18n, t, me,
    role: () => me?.user?.role || '',
    can: (access) => roleAllows(access, me?.user?.role),
    navigate(hash) { if (location.hash === hash) app.route(); else location.hash = hash; },
    announce: (msg) => polite.say(msg),
    alert: (msg) => urgent.say(msg),
    setTitle(title) { document.title = `${title} · Haven`; },
    /** signedIn reloads into hash so the account's language and the clinic's own wording apply. */
    // replaceState, not a hash change: the page being left must not start
    // rendering the new route (and report itself ready) before the reload.
    signedIn(newMe, hash) { me = app.me = newMe; api.setCSRF(newMe.csrf_token); history.replaceState(null, '', location.pathname + location.search + hash); location.reload(); },
    route,
  };

  function renderShell() {
    const skip = h('a', { class: 'skip', href: '#main', onclick: (e) => { e.preventDefault(); main.focus(); } }, t('console.skip_to_content'));
    // the language changes on Apply only: arrowing through the options changes nothing (WCAG 3.2.2)
    const lang = h('select', { id: 'lang-picker' },
      LOCALES.map((l) => h('option', { value: l.id, lang: l.id, selected: l.id === i18n.locale }, l.name)));
    const applyLang = h('button', { type: 'button', id: 'lang-apply', class: 'link', onclick: () => {
      if (lang.value === i18n.locale) return;
      localStorage.setItem('haven.console.locale', lang.value); document.cookie = `haven_lang=${encodeURIComponent(lang.value)}; path=/; SameSite=Strict`;
      const url = new URL(location.href); // a ?locale= in the address would outrank the new choice
      if (url.searchParams.has('locale')) { url.searchParams.delete('locale'); location.replace(url.href); } else location.reload();
    } }, t('console.language_apply'));
    const links = me ? ROUTES.filter((r) => r.nav && roleAllows(r.access, me.user.role)) : [];
    const nav = me ? h('nav', { 'aria-label': t('console.nav.label') },
      h('ul', {}, links.map((r) => h('li', {}, h('a', { href: `#/${r.nav}`, dataset: { nav: r.nav } }, t(r.title)))))) : null;
    const who = me ? h('p', { class: 'who' }, h('span', { translate: 'no' }, me.user.name || me.user.email), ' · ', t(roleKey(me.user.role))) : null;
    const out = me ? h('button', { type: 'button', class: 'link', onclick: signOut }, t('console.signout')) : null;
    const header = h('header', { class: 'top' },
      h('p', { class: 'brand', translate: 'no' }, 'Haven'), nav,
      h('div', { class: 'tools' }, who, me ? h('a', { href: '#/account', id: 'account-link' }, t('console.account.title')) : null, h('label', { for: 'lang-picker', class: 'lang-label' }, t('core.language')), lang, applyLang, out));
    mount(document.body, skip, header, main, announcer, alertRegion);
  }

  async function signOut() {
    try { await api.post('/api/auth/logout'); } catch { /* the session may already be gone */ }
    me = app.me = null;
    api.setCSRF('');
    renderShell();
    app.navigate('#/signin');
  }

  async function route() {
    if (!document.body.contains(main)) renderShell();
    const hash = location.hash.replace(/^#/, '') || (me ? defaultRoute(me.user.role) : '/signin');
    let found = match(hash);
    if (!found) found = match(me ? defaultRoute(me.user.role) : '/signin');
    if (found.route.access !== 'public' && !me) { found = match('/signin'); }
    const mine = ++generation;
    hook.ready = false;
    if (cleanup) { try { cleanup(); } catch { /* a view's teardown must not block navigation */ } cleanup = null; }
    for (const a of document.querySelectorAll('nav a')) {
      if (hash.startsWith(`/${a.dataset.nav}`)) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
    }
    // Each route renders into its own container: a view still finishing
    // after a newer route took over writes into a detached node, never
    // over the page the user moved to.
    const viewRoot = h('div', { class: 'view' });
    main.replaceChildren(viewRoot);
    i18n.resetMissing();
    app.setTitle(t(found.route.title));
    try {
      const view = await found.route.load();
      if (mine !== generation) return;
      if (!roleAllows(found.route.access, me?.user?.role)) {
        mount(viewRoot, h('h1', {}, t(found.route.title)), h('p', { class: 'notice' }, t('error.forbidden')));
      } else {
        const done = (await view.render(app, viewRoot, found.params)) || null;
        // A newer route replaced this one while it rendered: tear this
        // view down and leave the page to the newer route.
        if (mine !== generation) { if (done) try { done(); } catch { /* stale view */ } return; }
        cleanup = done;
      }
    } catch (err) {
      if (mine !== generation) return;
      mount(viewRoot, h('h1', {}, t(found.route.title)), errorBox(app, err));
    }
    focusHeading(found.route.title);
    hook.route = hash;
    hook.missing = i18n.missing();
    hook.locale = i18n.locale;
    hook.clinic = me?.clinic?.ID || '';
    hook.ready = true;
  }
  // A route change moves focus to the new page's heading and announces it
  // (WCAG 2.4.3): focus stays put only when the view already focused a
  // field of its own (a form showing its first error).
  function focusHeading(title) {
    const active = document.activeElement;
    if (active && active !== document.body && main.contains(active) && active !== main) return;
    const heading = main.querySelector('h1');
    const name = heading ? heading.textContent.trim() : t(title);
    if (heading) { heading.setAttribute('tabindex', '-1'); heading.focus({ preventScroll: false }); } else main.focus();
    hook.focused = name;
    app.announce(name);
  }
  renderShell();
  return app;
}

boot().catch((err) => {
  console.error(err);
  document.body.textContent = String(err.message || err);
});
