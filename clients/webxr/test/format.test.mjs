import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatClock, formatDate, formatNumber, intlLocale } from '../src/format.js';
import { fontRuns, valueIn, LATIN_FONT, ARABIC_FONT, HANS_FONT } from '../src/i18n.js';

test('a calendar date reads in the patient\'s language, month written out', () => {
  const want = {
    en: 'November 2, 2026', fr: '2 novembre 2026', de: '2. November 2026', es: '2 de noviembre de 2026',
    'pt-BR': '2 de novembro de 2026', 'zh-Hans': '2026年11月2日',
  };
  for (const [loc, s] of Object.entries(want)) assert.equal(formatDate('2026-11-02', loc), s, loc);
  // Arabic: the month's Arabic name, whichever digits the runtime's CLDR uses
  assert.match(formatDate('2026-11-02', 'ar'), /نوفمبر/);
  assert.equal(formatDate('2026-11-02', 'ar'), new Intl.DateTimeFormat('ar', { dateStyle: 'long', timeZone: 'UTC' }).format(Date.UTC(2026, 10, 2)));
});

test('the date is the one written, never shifted by the reader\'s time zone', () => {
  // an RFC 3339 time (as the room's crisis list sends it) keeps its calendar date
  assert.equal(formatDate('2025-06-01T00:00:00Z', 'en'), 'June 1, 2025');
  assert.equal(formatDate('2025-06-01T23:30:00-05:00', 'en'), 'June 1, 2025');
  assert.equal(formatDate('2025-06-01', 'en'), formatDate('2025-06-01T00:00:00Z', 'en'));
});

test('a missing, malformed or zero date gives no line rather than a wrong one', () => {
  for (const v of [undefined, null, '', 'yesterday', '2026-13-01', '2026-02-30', '0001-01-01T00:00:00Z', '20261102', 20261102]) {
    assert.equal(formatDate(v, 'en'), '', String(v));
  }
});

test('an unknown or malformed locale falls back to the runtime default instead of throwing', () => {
  assert.equal(intlLocale('pt-BR'), 'pt-BR');
  assert.equal(intlLocale('not a tag!'), undefined);
  assert.equal(intlLocale(''), undefined);
  assert.notEqual(formatDate('2026-11-02', 'not a tag!'), '');
  assert.equal(formatNumber(7, '%%'), new Intl.NumberFormat().format(7));
});

test('numbers use the locale\'s digits and separators', () => {
  assert.equal(formatNumber(50, 'en'), '50');
  assert.equal(formatNumber(1234.5, 'de'), '1.234,5');
  assert.equal(formatNumber(70, 'ar'), new Intl.NumberFormat('ar').format(70));
  assert.equal(formatNumber(NaN, 'en'), '');
  assert.equal(formatNumber('5', 'en'), '');
});

test('fontRuns: each run of another script gets a bundled font that has it, and back', () => {
  // the Arabic font has no slash, plus sign or Latin letters: those runs go to the Latin font
  const ar = 'اتصل على +44 116 123. متاح: 24/7.';
  const r = fontRuns(ar, ARABIC_FONT);
  assert.equal(r.text, ar);
  const plus = ar.indexOf('+'), slash = ar.indexOf('/');
  assert.deepEqual(r.styleRanges[plus], { font: LATIN_FONT });
  assert.deepEqual(r.styleRanges[ar.indexOf('متاح')], { font: null }, 'back to the Arabic font');
  assert.deepEqual(r.styleRanges[slash], { font: LATIN_FONT });
  assert.equal(Object.keys(r.styleRanges).length, 3);
  // digits, spaces and full stops are in every font: no switch for them
  assert.equal(fontRuns('اتصل على 116 123.', ARABIC_FONT).styleRanges, null);
  assert.equal(fontRuns('Call 116 123 — 24/7.', LATIN_FONT).styleRanges, null);
  assert.equal(fontRuns('服务时间：24/7。', HANS_FONT).styleRanges, null);
  // Latin text with a clinic's line named in Arabic or Chinese
  assert.deepEqual(fontRuns('Call خط 1', LATIN_FONT).styleRanges, { 5: { font: ARABIC_FONT } });
  assert.deepEqual(fontRuns('Call 心理援助 now', LATIN_FONT).styleRanges, { 5: { font: HANS_FONT } }, 'the Chinese font draws the Latin after it too');
  assert.deepEqual(fontRuns('Call خط now', LATIN_FONT).styleRanges, { 5: { font: ARABIC_FONT }, 8: { font: null } });
  // Arabic-Indic digits are Arabic, whatever the base font
  assert.deepEqual(fontRuns('٥٠', LATIN_FONT).styleRanges, { 0: { font: ARABIC_FONT } });
  // the Chinese font lacks Latin Extended-A: a Polish name goes to the Latin font, whole (no font flapping mid-word)
  assert.deepEqual(fontRuns('热线 Łódź 热线', HANS_FONT).styleRanges, { 3: { font: LATIN_FONT }, 8: { font: null } });
  // Arabic punctuation is drawn by the Arabic font
  assert.equal(fontRuns('هل أنت بخير؟ نعم، شكرًا.', ARABIC_FONT).styleRanges, null);
});

test('fontRuns drops the bidi controls the fonts lack, keeps LRM and RLM where the font has them', () => {
  assert.equal(fontRuns('\u061c-5\u2066x\u2069 \u202b٢\u202c', ARABIC_FONT).text, '-5x ٢');
  const marked = fontRuns('اتصل \u200e+1 988\u200e.', ARABIC_FONT);
  assert.equal(marked.text, 'اتصل \u200e+1 988\u200e.');
  assert.deepEqual(marked.styleRanges, { 6: { font: LATIN_FONT } }, 'the marks ride in the Arabic and Latin runs');
  assert.deepEqual(fontRuns('拨打 \u200e988', HANS_FONT).styleRanges, { 3: { font: LATIN_FONT } }, 'the Chinese font has no LRM');
  assert.deepEqual(fontRuns('', LATIN_FONT), { text: '', styleRanges: null });
  assert.equal(fontRuns(undefined, LATIN_FONT).text, '');
});

test('valueIn keeps a clinic\'s number whole and in order inside a sentence', () => {
  assert.equal(valueIn(' +44 116 123 ', 'ltr', { whole: true }), '+44\u00a0116\u00a0123');
  assert.equal(valueIn('Mon–Fri 9–17', 'ltr'), 'Mon–Fri 9–17');
  // right to left: fenced with LRM, so "+44 116 123" is not laid out "123 116 44+"
  assert.equal(valueIn('+44 116 123', 'rtl', { whole: true }), '\u200e+44\u00a0116\u00a0123\u200e');
  assert.equal(valueIn('24/7', 'rtl'), '\u200e24/7\u200e');
  // a value written in Arabic already runs right to left
  assert.equal(valueIn('على مدار الساعة', 'rtl'), 'على مدار الساعة');
  assert.equal(valueIn('', 'rtl'), '');
  assert.equal(valueIn(undefined, 'ltr'), '');
});

test('a clock time reads in the reader\'s language and time zone; a malformed one gives no line', () => {
  // 17:40 UTC is 18:40 in Berlin in December (CET, UTC+1) and 12:40 PM in New York (EST, UTC−5)
  assert.equal(formatClock('2026-12-07T17:40:00Z', 'de', 'Europe/Berlin'), '18:40');
  assert.equal(formatClock('2026-12-07T17:40:00Z', 'en', 'America/New_York').replace(/\s/g, ' '), '12:40 PM');
  assert.equal(formatClock('2026-12-07T17:40:00Z', 'fr', 'UTC'), '17:40');
  for (const v of [undefined, null, '', 'soon', '2026-12-07', '2026-12-07T25:99:00Z', 1765129200000]) assert.equal(formatClock(v, 'en'), '', String(v));
});
