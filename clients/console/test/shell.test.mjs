import { test } from 'node:test';
import assert from 'node:assert/strict';
import { roleAllows, roleKey } from '../src/shell.js';

// mirrors server/auth.Allows
test('roleAllows', async (t) => {
  const table = {
    public: { '': true, moderator: true, therapist: true, admin: true },
    staff: { '': false, moderator: true, therapist: true, admin: true },
    moderator: { '': false, moderator: true, therapist: true, admin: true },
    therapist: { '': false, moderator: false, therapist: true, admin: true },
    admin: { '': false, moderator: false, therapist: false, admin: true },
  };
  for (const [access, roles] of Object.entries(table)) {
    for (const [role, want] of Object.entries(roles)) {
      await t.test(`${access}/${role || 'anonymous'}`, () => assert.equal(roleAllows(access, role), want));
    }
  }
});

test('roleKey', () => {
  assert.equal(roleKey('admin'), 'core.role.clinic_admin');
  assert.equal(roleKey('therapist'), 'core.role.therapist');
});
