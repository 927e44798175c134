import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dateOnly, today, isStale, fromServer, toPayload, blankLine, locateError, fold, addPhrase, phrasePath, sameLine, bytes, MAX_PHRASES } from '../src/safety_model.js';

test('dates: the stored calendar day, today in the user\'s time zone, a year counts as stale', () => {
  assert.equal(dateOnly('2025-06-01T00:00:00Z'), '2025-06-01');
  assert.equal(dateOnly('0001-01-01T00:00:00Z'), '', "Go's zero time is no date");
  assert.equal(dateOnly(undefined), '');
  assert.equal(today(new Date(2026, 0, 5, 23, 30)), '2026-01-05');
  const now = new Date('2026-06-02T12:00:00Z');
  assert.equal(isStale('2025-06-01', now), true);
  assert.equal(isStale('2025-12-01', now), false);
  assert.equal(isStale('', now), false);
});

test('a server line round-trips into the PUT body; a missing date goes as null for the server to name', () => {
  const line = fromServer({ id: 'x', country: 'pt', name: ' SOS Voz Amiga ', phone: '213 544 545', hours: '15:30–00:30', last_verified: '2026-03-04T00:00:00Z', built_in: true });
  assert.deepEqual(line, { country: 'pt', name: ' SOS Voz Amiga ', phone: '213 544 545', text: '', url: '', hours: '15:30–00:30', last_verified: '2026-03-04' });
  assert.deepEqual(toPayload([line, blankLine('DE')]), [
    { country: 'PT', name: 'SOS Voz Amiga', phone: '213 544 545', text: '', url: '', hours: '15:30–00:30', last_verified: '2026-03-04T00:00:00Z' },
    { country: 'DE', name: '', phone: '', text: '', url: '', hours: '', last_verified: null },
  ]);
  assert.ok(sameLine({ country: 'GB', name: 'Samaritans' }, { country: 'GB', name: ' samaritans' }));
  assert.ok(!sameLine({ country: 'GB', name: 'Samaritans' }, { country: 'IE', name: 'Samaritans' }));
});

test('locateError puts the server\'s field error on the line\'s field', async (t) => {
  const ok = { name: 'Line', phone: '1', text: '', url: '', hours: '', last_verified: '2026-01-01' };
  const lines = [ok, { ...ok, name: '' }, { ...ok, phone: '' }, { ...ok, hours: 'x'.repeat(101) }, { ...ok, name: '危'.repeat(70) }];
  for (const c of [
    { field: 'resources[0].last_verified', want: { index: 0, field: 'last_verified', reason: 'last_verified' } },
    { field: 'resources[1]', want: { index: 1, field: 'name', reason: 'name' } },
    { field: 'resources[2]', want: { index: 2, field: 'phone', reason: 'contact' } },
    { field: 'resources[3]', want: { index: 3, field: 'hours', reason: 'too_long' } },
    { field: 'resources[4]', want: { index: 4, field: 'name', reason: 'too_long' }, note: 'the server counts bytes' },
    { field: 'resources[0].country', want: { index: 0, field: 'country', reason: 'invalid' } },
    { field: 'resources[9].name', want: null },
    { field: 'resources', want: null },
    { field: '', want: null },
  ]) await t.test(c.field || '(none)', () => assert.deepEqual(locateError(c.field, lines), c.want));
  assert.equal(bytes('危'), 3);
});

test('phrases: fold like the server, refuse empty, duplicate and oversized ones', () => {
  assert.equal(fold('  Ich  HALTE das nicht mehr aus!! '), 'ich halte das nicht mehr aus');
  assert.equal(fold('Não quero mais viver'), 'nao quero mais viver');
  let r = addPhrase(['want to die'], '  Lost all  hope ');
  assert.deepEqual(r, { list: ['want to die', 'Lost all hope'], error: '' });
  r = addPhrase(r.list, 'WANT to díe');
  assert.equal(r.error, 'console.phrases.error.duplicate');
  assert.equal(addPhrase([], ' ?! ').error, 'console.phrases.error.empty');
  assert.equal(addPhrase([], '自'.repeat(67)).error, 'console.phrases.error.too_long');
  assert.equal(addPhrase(Array.from({ length: MAX_PHRASES }, (_, i) => `p${i}`), 'one more').error, 'console.phrases.error.too_many');
  assert.equal(phrasePath('pt-BR', 'crisis'), '/api/groups/phrases/pt-BR/crisis');
});
