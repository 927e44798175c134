import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pluralForms, pluralText } from '../src/plural.js';

test('each shipped language gets its own plural forms, with counts that pick them', () => {
  const forms = (loc) => pluralForms(loc).map((f) => f.form);
  assert.deepEqual(forms('en'), ['one']);
  assert.deepEqual(forms('de'), ['one']);
  assert.deepEqual(forms('ar'), ['zero', 'one', 'two', 'few', 'many']);
  assert.deepEqual(forms('zh-Hans'), []);
  assert.ok(forms('fr').includes('one') && forms('fr').includes('many'), forms('fr').join());
  const ar = Object.fromEntries(pluralForms('ar').map((f) => [f.form, f.examples]));
  assert.deepEqual(ar.zero, [0]);
  assert.deepEqual(ar.two, [2]);
  assert.deepEqual(ar.few, [3, 4, 5]);
  assert.deepEqual(ar.many, [11, 12, 13]);
});

test('an unknown locale asks for no extra form', () => {
  assert.deepEqual(pluralForms('not a locale!'), []);
});

test('the text sent keeps the filled forms only', () => {
  assert.deepEqual(pluralText('{{.Count}} patients', { one: '1 patient', two: '', many: 'x', bogus: 'y' }),
    { other: '{{.Count}} patients', one: '1 patient', many: 'x' });
});
