import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../src/api.js';

const body = { error: { code: 'validation', message: 'Please check birth_year.', field: 'birth_year', detail: 'must be between 1900 and 2026' } };

test('an untranslated validator detail is shown to English readers only', () => {
  assert.equal(new ApiError(422, body, 'en').message, 'Please check birth_year. Must be between 1900 and 2026.');
  assert.equal(new ApiError(422, body, 'en-GB').message, 'Please check birth_year. Must be between 1900 and 2026.');
  const ar = { error: { ...body.error, message: 'يرجى التحقق من birth_year.' } };
  assert.equal(new ApiError(422, ar, 'ar').message, 'يرجى التحقق من birth_year.');
  assert.equal(new ApiError(422, body, 'en-XA').message, 'Please check birth_year.', 'the pseudo-locale is not English');
});

test('code, field and status survive; a body without error falls back to the status', () => {
  const e = new ApiError(422, body, 'de');
  assert.deepEqual([e.status, e.code, e.field], [422, 'validation', 'birth_year']);
  const bare = new ApiError(502, null, 'en');
  assert.deepEqual([bare.message, bare.code], ['HTTP 502', 'http_502']);
});
