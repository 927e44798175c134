// The console's pages: hash path pattern, who may open it (same levels as the
// server's x-access), its title message and a lazy loader (each view is its
// own chunk, so the 3D renderer and charts load only where they are used).

export const ROUTES = [
  { path: '/signin', access: 'public', title: 'console.signin.title', load: () => import('./views/signin.js') },
  { path: '/invite/:token', access: 'public', title: 'console.set_password', load: () => import('./views/invite.js') },
  { path: '/patients', nav: 'patients', access: 'therapist', title: 'console.nav.patients', load: () => import('./views/patients.js') },
  { path: '/patients/:id', access: 'therapist', title: 'console.nav.patients', load: () => import('./views/patient.js') },
  { path: '/environments', nav: 'environments', access: 'therapist', title: 'console.nav.environments', load: () => import('./views/environments.js') },
  { path: '/environments/:id', access: 'therapist', title: 'console.nav.environments', load: () => import('./views/composer.js') },
  { path: '/protocols', nav: 'protocols', access: 'therapist', title: 'console.nav.protocols', load: () => import('./views/protocols.js') },
  { path: '/protocols/:id', access: 'therapist', title: 'console.protocol.ladder_builder', load: () => import('./views/ladder.js') },
  { path: '/sessions', nav: 'sessions', access: 'therapist', title: 'console.nav.sessions', load: () => import('./views/sessions.js') },
  { path: '/sessions/:id', access: 'therapist', title: 'console.nav.sessions', load: () => import('./views/live.js') },
  { path: '/sessions/:id/report', access: 'therapist', title: 'console.report', load: () => import('./views/report.js') },
  { path: '/groups', nav: 'groups', access: 'moderator', title: 'console.nav.groups', load: () => import('./views/groups.js') },
  { path: '/users', nav: 'users', access: 'admin', title: 'console.nav.users', load: () => import('./views/users.js') },
  { path: '/settings', nav: 'settings', access: 'admin', title: 'console.nav.settings', load: () => import('./views/clinic.js') },
  // support-group safety lists: read by moderators, edited by therapists and clinic admins (server: GET moderator, PUT therapist)
  { path: '/crisis-resources', nav: 'crisis-resources', access: 'moderator', title: 'console.crisis.title', load: () => import('./views/crisis.js') },
  { path: '/phrases', nav: 'phrases', access: 'moderator', title: 'console.phrases.title', load: () => import('./views/phrases.js') },
  { path: '/account', access: 'staff', title: 'console.account.title', load: () => import('./views/account.js') },
  { path: '/audit', nav: 'audit', access: 'admin', title: 'console.nav.audit', load: () => import('./views/audit.js') },
  { path: '/translations', nav: 'translations', access: 'admin', title: 'console.nav.translations', load: () => import('./views/translations.js') },
];

/** match finds the route for a hash path and its parameters, or null. */
export function match(path, routes = ROUTES) {
  const clean = path.split('?')[0].replace(/\/+$/, '') || '/';
  const parts = clean.split('/');
  for (const route of routes) {
    const want = route.path.split('/');
    if (want.length !== parts.length) continue;
    const params = {};
    let ok = true;
    for (let i = 0; i < want.length; i++) {
      if (want[i].startsWith(':')) {
        if (!parts[i]) { ok = false; break; }
        params[want[i].slice(1)] = decodeURIComponent(parts[i]);
      } else if (want[i] !== parts[i]) { ok = false; break; }
    }
    if (ok) return { route, params };
  }
  return null;
}
