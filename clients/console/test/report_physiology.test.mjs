import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stepBands, bandMeans, seriesRange, exportLinks } from '../src/report_model.js';

const ms = (s) => Date.parse('2025-01-01T10:00:00Z') + s * 1000;
const iso = (s) => new Date(ms(s)).toISOString();

test('stepBands: before the first step, then each step to the next or the end', () => {
  const steps = [{ index: -1, at: null }, { index: 1, at: iso(60) }, { index: 0, at: iso(20) }];
  assert.deepEqual(stepBands(steps, ms(0), ms(100)), [
    { index: -1, from: ms(0), to: ms(20) }, { index: 0, from: ms(20), to: ms(60) }, { index: 1, from: ms(60), to: ms(100) }]);
  assert.deepEqual(stepBands([], ms(0), ms(10)), [{ index: -1, from: ms(0), to: ms(10) }]);
  assert.deepEqual(stepBands([{ index: 0, at: iso(0) }], ms(0), ms(10)), [{ index: 0, from: ms(0), to: ms(10) }]);
  assert.deepEqual(stepBands([{ index: 0, at: 'nonsense' }], NaN, NaN), []);
});

test('bandMeans averages each series per band and skips nulls', () => {
  const series = { t: [ms(0), ms(1), ms(2), ms(3), ms(4)], hr_bpm: [60, 70, null, 90, 100], rmssd_ms: [null, null, null, null, null], eda_tonic_us: [1, 1, 1, 2, 2] };
  const got = bandMeans(series, [{ index: -1, from: ms(0), to: ms(2) }, { index: 0, from: ms(2), to: ms(4) }]);
  assert.deepEqual(got.map((b) => b.means), [
    { hr_bpm: 65, rmssd_ms: null, eda_tonic_us: 1 },
    { hr_bpm: 95, rmssd_ms: null, eda_tonic_us: 5 / 3 }]);
  assert.deepEqual(bandMeans({ t: [] }, [{ index: 0, from: 0, to: 1 }])[0].means, { hr_bpm: null, rmssd_ms: null, eda_tonic_us: null });
});

test('seriesRange widens to the session and is null without data', () => {
  assert.deepEqual(seriesRange({ t: [ms(5), ms(9)] }, ms(0), ms(12)), [ms(0), ms(12)]);
  assert.deepEqual(seriesRange({ t: [ms(5), ms(9)] }, undefined, undefined), [ms(5), ms(9)]);
  assert.equal(seriesRange({ t: [] }, undefined, undefined), null);
});

test('exportLinks fill both path parameters and send the CSV stream', () => {
  const got = exportLinks('/api/sessions/{id}/export/{format}', 'a/b', { eda: 10, hr: 3, ble_hrs: 4, rr: 0 });
  assert.deepEqual(got.map((l) => l.href), [
    '/api/sessions/a%2Fb/export/csv?stream=hr',
    '/api/sessions/a%2Fb/export/csv?stream=rr',
    '/api/sessions/a%2Fb/export/csv?stream=eda',
    '/api/sessions/a%2Fb/export/fhir',
    '/api/sessions/a%2Fb/export/omh'], 'a chest strap (ble_hrs) gives heart rate and RR files');
  assert.deepEqual(exportLinks('/x/{id}/{format}', 'i', { eda: 1 }).map((l) => l.stream || l.format), ['eda', 'fhir', 'omh']);
  assert.deepEqual(exportLinks('', 'x', {}), []);
});
