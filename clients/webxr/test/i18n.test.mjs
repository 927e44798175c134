import { test } from 'node:test';
import assert from 'node:assert/strict';
import { translator, pickLocale, dirFor, fontFor, loadMessages } from '../src/i18n.js';

test('translator fills go-i18n placeholders and shows missing ids', () => {
  const t = translator({ 'client.lost.crisis': 'Call {{.Name}} on {{ .Number }}' });
  assert.equal(t('client.lost.crisis', { Name: 'Line', Number: '988' }), 'Call Line on 988');
  assert.equal(t('client.nope'), 'client.nope');
});

test('locale negotiation and script choices', () => {
  const cases = [[['ar', []], 'ar'], [[null, ['pt-PT']], 'pt-BR'], [[null, ['zh-CN']], 'zh-Hans'], [[null, ['de-AT', 'en']], 'de'], [[null, ['ja']], 'en'],
    [[null, ['zh-TW']], 'en'], [[null, ['zh-Hant', 'fr']], 'fr'], [[null, ['zh-HK', 'zh-CN']], 'zh-Hans'], [[null, ['zh-Hant-TW']], 'en'], [[null, ['zh']], 'zh-Hans']];
  for (const [[saved, langs], want] of cases) assert.equal(pickLocale(saved, langs), want, `${saved} ${langs}`);
  assert.equal(dirFor('ar'), 'rtl');
  assert.equal(dirFor('fr'), 'ltr');
  assert.match(fontFor('zh-Hans'), /Hans/);
  assert.match(fontFor('ar'), /Arabic/);
});

test('loadMessages prefers the server and falls back to the bundled file', async () => {
  const seen = [];
  const fetchFn = async (url) => {
    seen.push(url);
    if (url.startsWith('/api/')) return { ok: false };
    return { ok: true, json: async () => ({ locale: 'ar', messages: { a: 'b' } }) };
  };
  const got = await loadMessages('ar', { fetchFn });
  assert.deepEqual(got, { locale: 'ar', dir: 'rtl', messages: { a: 'b' } });
  assert.equal(seen.length, 2);
  const none = await loadMessages('fr', { fetchFn: async () => { throw new Error('offline'); } });
  assert.deepEqual(none.messages, {});
});

test('after joining, messages come with the patient token (its clinic overrides), never a clinic id in the URL', async () => {
  const seen = [];
  const fetchFn = async (url, o) => { seen.push([url, o?.headers?.Authorization]); return { ok: true, json: async () => ({ locale: 'fr', dir: 'ltr', messages: { 'client.suds.prompt': 'Votre niveau de détresse ?' } }) }; };
  const b = await loadMessages('fr', { fetchFn, token: 'tok 1' });
  assert.deepEqual(seen[0], ['/api/i18n/messages?prefix=client.&locale=fr', 'Bearer tok 1']);
  assert.equal(b.messages['client.suds.prompt'], 'Votre niveau de détresse ?');
  await loadMessages('fr', { fetchFn });
  assert.deepEqual(seen[1], ['/api/i18n/messages?prefix=client.&locale=fr', undefined], 'no token before the join');
});
