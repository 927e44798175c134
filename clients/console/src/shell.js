// Helpers the shell and every view share: error display and the role rules
// (mirroring server/auth.Allows) that decide which pages a user sees.
import { h } from './dom.js';
import { ApiError } from './api.js';

/** errorBox shows an error the server already localized, or the generic "unavailable" text. */
export function errorBox(app, err) {
  const msg = err instanceof ApiError ? err.message : app.t('error.unavailable');
  if (!(err instanceof ApiError)) console.error(err);
  return h('p', { class: 'error', role: 'alert' }, msg);
}

const ORDER = { public: 0, staff: 1, moderator: 2, therapist: 3, admin: 4 };
const ROLE_LEVEL = { moderator: 2, therapist: 3, admin: 4 };
/** roleAllows mirrors server/auth.Allows: moderator ⊂ therapist ⊂ admin for console pages. */
export function roleAllows(access, role) {
  if (access === 'public') return true;
  if (!role) return false;
  if (access === 'staff') return true;
  if (access === 'moderator') return ROLE_LEVEL[role] >= ORDER.moderator;
  return ROLE_LEVEL[role] >= ORDER[access];
}
export function defaultRoute(role) { return role === 'moderator' ? '/groups' : '/patients'; }
export function roleKey(role) { return role === 'admin' ? 'core.role.clinic_admin' : `core.role.${role}`; }

