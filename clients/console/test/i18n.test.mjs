import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createI18n, pickLocale, dirFor, fill, loadMessages } from '../src/i18n.js';

test('pickLocale follows choice, account, browser, clinic, English', async (t) => {
  for (const c of [
    { name: 'explicit wins', in: { explicit: 'ar', account: 'de', browser: ['fr'] }, want: 'ar' },
    { name: 'account next', in: { account: 'de', browser: ['fr'] }, want: 'de' },
    { name: 'browser region to shipped', in: { browser: ['pt-PT', 'en'] }, want: 'pt-BR' },
    { name: 'zh-Hant never zh-Hans', in: { browser: ['zh-TW'], clinic: 'fr' }, want: 'fr' },
    { name: 'zh-CN to zh-Hans', in: { browser: ['zh-CN'] }, want: 'zh-Hans' },
    { name: 'pseudo-locale for tests', in: { explicit: 'en-XA' }, want: 'en-XA' },
    { name: 'unknown falls to English', in: { explicit: 'xx', browser: ['ko'] }, want: 'en' },
  ]) await t.test(c.name, () => assert.equal(pickLocale(c.in), c.want));
});

test('dirFor', () => {
  assert.equal(dirFor('ar'), 'rtl');
  assert.equal(dirFor('ar-EG'), 'rtl');
  assert.equal(dirFor('en-XA'), 'ltr');
});

test('fill leaves unknown placeholders empty', () => {
  assert.equal(fill('Step {{.Number}} of {{ .Total }}', { Number: 2 }), 'Step 2 of ');
});

test('t reports missing ids and plural picks CLDR forms', () => {
  const i = createI18n({ locale: 'en', dir: 'ltr', messages: { a: 'Hi {{.Name}}', p: { one: '{{.Count}} patient', other: '{{.Count}} patients' }, flat: '{{.Count}} minutes' } });
  assert.equal(i.t('a', { Name: 'Ana' }), 'Hi Ana');
  assert.equal(i.t('nope'), 'nope');
  assert.deepEqual(i.missing(), ['nope']);
  assert.equal(i.plural('p', 1), '1 patient');
  assert.equal(i.plural('p', 1200), '1,200 patients');
  assert.equal(i.plural('flat', 3), '3 minutes');
  i.resetMissing();
  assert.deepEqual(i.missing(), []);
});

test('Arabic plural uses zero/two/few forms', () => {
  const i = createI18n({ locale: 'ar', dir: 'rtl', messages: { p: { zero: 'لا مرضى', one: 'مريض واحد', two: 'مريضان', few: '{{.Count}} مرضى', many: '{{.Count}} مريضًا', other: '{{.Count}} مريض' } } });
  assert.equal(i.plural('p', 0), 'لا مرضى');
  assert.equal(i.plural('p', 2), 'مريضان');
  assert.match(i.plural('p', 3), /مرضى$/);
});

test('loadMessages merges server prefixes and plurals, falls back to the bundle', async () => {
  const server = async (url) => {
    const u = new URL(url, 'http://x');
    const prefix = u.searchParams.get('prefix');
    if (prefix === 'console.') return { ok: true, json: async () => ({ locale: 'pt-BR', dir: 'ltr', messages: { 'console.a': 'A', 'console.n': 'other' }, plurals: { 'console.n': { one: 'um', other: 'vários' } } }) };
    return { ok: false };
  };
  const got = await loadMessages('pt-PT', { fetchFn: server });
  assert.equal(got.locale, 'pt-BR');
  assert.equal(got.source, 'server');
  assert.deepEqual(got.messages['console.n'], { one: 'um', other: 'vários' });
  const offline = async (url) => (url.startsWith('messages/') ? { ok: true, json: async () => ({ dir: 'rtl', messages: { 'console.a': 'أ' } }) } : { ok: false });
  const fb = await loadMessages('ar', { fetchFn: offline });
  assert.equal(fb.source, 'bundle');
  assert.equal(fb.dir, 'rtl');
  assert.equal(fb.messages['console.a'], 'أ');
});
