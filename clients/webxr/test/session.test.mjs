import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PatientSession } from '../src/session.js';
import { translator } from '../src/i18n.js';

function fakes() {
  const log = [];
  let scene = null;
  const renderer = {
    scene: () => scene,
    loadScene: (s) => { scene = { template: s.template, params: { ...s.params } }; log.push(['load', s.template]); },
    setParams: (p) => { Object.assign(scene.params, p); log.push(['set', p]); },
    calm: () => { scene = { template: 'neutral_room', params: {} }; log.push(['calm']); },
    event: (e) => log.push(['event', e]),
    comfortState: { posture: 'standing', vignette: true, snapTurn: true, reducedMotion: false },
    comfort() { return { ...this.comfortState }; },
    setComfort(c) { Object.assign(this.comfortState, c); },
    xrActive: () => false, referenceSpace: () => null, info: () => ({ fps: 60 }),
  };
  const panels = [];
  const ui = {
    showMessage: (kind) => panels.push(kind), messageKind: () => panels.at(-1) ?? null,
    askSuds: (id) => log.push(['suds', id]), startBreathing: () => log.push(['breathe']), stopBreathing: () => log.push(['stop-breathing']), caption: () => {}, showReady: () => {},
  };
  const sent = [];
  const conn = {
    sendControl: (type, body, opts) => sent.push({ type, body, durable: !!(opts && opts.durable) }),
    state: () => ({ connected: true }), markResumed: () => {}, leave: () => sent.push({ type: 'leave' }),
  };
  const s = new PatientSession({ renderer, ui, t: () => (id, d) => (d && d.Number ? `${id}:${d.Number}` : id), setStatus: () => {}, captionFor: () => {} });
  s.attach(conn);
  return { s, renderer, ui, conn, sent, log, panels };
}
const msg = (type, body = {}) => ({ type, body });

test('break goes calm, alerts durably, and resume restores the scene', () => {
  const { s, renderer, sent, panels } = fakes();
  s.handle(msg('scene.load', { template: 'heights', params: { floor: 5 } }));
  s.requestBreak();
  assert.equal(renderer.scene().template, 'neutral_room');
  assert.deepEqual(sent.find((m) => m.type === 'break.request'), { type: 'break.request', body: {}, durable: true });
  assert.equal(panels.at(-1), 'break');
  s.handle(msg('scene.event', { event: 'gust' }));
  s.handle(msg('scene.set', { params: { floor: 9 } }));
  assert.equal(renderer.scene().template, 'neutral_room', 'nothing exposes the patient while paused');
  s.handle(msg('resume'));
  assert.deepEqual(renderer.scene(), { template: 'heights', params: { floor: 9 } });
  assert.equal(panels.at(-1), null);
});

test('a lost connection shows the crisis number and waits for resume', () => {
  const { s, renderer, panels } = fakes();
  s.handle(msg('hello', { crisis: { name: 'Line', number: '+1 988' } }));
  s.handle(msg('scene.load', { template: 'spiders', params: { count: 3 } }));
  s.onLost();
  assert.equal(renderer.scene().template, 'neutral_room');
  assert.equal(panels.at(-1), 'lost');
  assert.match(s.lostBody('client.lost.body'), /client\.lost\.crisis:\+1\u00a0988/, 'the number whole: no line break inside it');
  assert.equal(s.crisisLine(), '+1 988');
  s.onOpen(); // reconnected: still calm
  assert.equal(renderer.scene().template, 'neutral_room');
  s.handle(msg('scene.load', { template: 'crowds', params: {} })); // the therapist may change plans meanwhile
  s.handle(msg('resume'));
  assert.equal(renderer.scene().template, 'crowds');
});

test('the lost panel lists the clinic\'s text line, hours and the date the line was checked, in the patient\'s words', () => {
  const { s } = fakes();
  const bundle = {
    'client.lost.body': 'Vous êtes en sécurité.', 'client.lost.crisis': 'Appelez le {{.Number}}.', 'client.lost.crisis_text': 'SMS au {{.Text}}.',
    'client.lost.crisis_hours': 'On vous répond {{.Hours}}.', 'client.lost.crisis_verified': 'Numéro vérifié le {{.Date}}.', 'client.lost.headset': 'Casque.',
  };
  s.t = () => translator(bundle);
  s.locale = () => 'fr';
  s.handle(msg('hello', { crisis: { name: 'SOS', number: '3114', text: ' 114 ', hours: '24/7', last_verified: '2026-11-02' } }));
  assert.equal(s.lostBody('client.lost.body'),
    'Vous êtes en sécurité.\nAppelez le 3114.\nSMS au 114.\nOn vous répond 24/7.\nNuméro vérifié le 2 novembre 2026.\nCasque.');
  // each line only when the clinic gave it; a bad date is left out rather than shown wrong
  s.handle(msg('hello', { crisis: { name: 'SOS', number: '3114', last_verified: 'soon' } }));
  assert.equal(s.lostBody('client.lost.body'), 'Vous êtes en sécurité.\nAppelez le 3114.\nCasque.');
  // no number, no crisis lines at all
  s.handle(msg('hello', { crisis: { name: '', number: '', text: '114', hours: '24/7', last_verified: '2026-11-02' } }));
  assert.equal(s.lostBody('client.lost.body'), 'Vous êtes en sécurité.\nCasque.');
  // the date follows the language
  s.handle(msg('hello', { crisis: { number: '0800 111 0 111', last_verified: '2026-11-02' } }));
  s.locale = () => 'de';
  assert.match(s.lostBody('client.lost.body'), /Appelez le 0800\u00a0111\u00a00\u00a0111\.\nNuméro vérifié le 2\. November 2026\./);
  // in Arabic the number and hours keep their left-to-right order
  s.locale = () => 'ar';
  s.handle(msg('hello', { crisis: { number: '+44 116 123', hours: '24/7' } }));
  assert.match(s.lostBody('client.lost.body'), /Appelez le \u200e\+44\u00a0116\u00a0123\u200e\.\nOn vous répond \u200e24\/7\u200e\./);
});

test('hard stop never resumes; session end leaves', () => {
  const { s, renderer, sent, panels } = fakes();
  s.handle(msg('scene.load', { template: 'flying' }));
  s.handle(msg('hard.stop'));
  assert.equal(panels.at(-1), 'hard_stop');
  s.handle(msg('resume'));
  assert.equal(renderer.scene().template, 'neutral_room');
  s.handle(msg('session.end'));
  assert.equal(panels.at(-1), 'end');
  assert.ok(sent.some((m) => m.type === 'leave'));
});

test('scene.set reports scene.ready; unknown and error messages never throw', () => {
  const { s, sent, log } = fakes();
  s.handle(msg('scene.load', { template: 'heights', params: {} }));
  s.handle(msg('scene.set', { params: { floor: 2 } }));
  assert.deepEqual(sent.at(-1), { type: 'scene.ready', body: { template: 'heights', params: { floor: 2 } }, durable: false });
  s.handle(msg('totally.new.type', { x: 1 }));
  s.handle(msg('error', { code: 'rate_limited', message: 'slow down' }));
  assert.deepEqual(s.errors, ['rate_limited: slow down']);
  s.handle(msg('suds.prompt', { prompt_id: 'p9' }));
  assert.deepEqual(log.at(-1), ['suds', 'p9']);
  s.rate('p9', 40);
  assert.deepEqual(sent.at(-1), { type: 'suds.rating', body: { prompt_id: 'p9', value: 40 }, durable: true });
});

test('client.state uses the wire types: xr boolean, comfort a short string', async () => {
  const { comfortCode } = await import('../src/session.js');
  assert.equal(comfortCode({ posture: 'seated', vignette: true, snapTurn: true, reducedMotion: true }), 'seated+vignette+snap+reduced');
  assert.ok(comfortCode({ posture: 'standing', vignette: true, snapTurn: true, reducedMotion: true }).length <= 32);
  assert.equal(comfortCode({ posture: 'standing', vignette: false, snapTurn: false, reducedMotion: false }), 'standing');
  const { s, sent } = fakes();
  s.sendState();
  assert.deepEqual(sent.at(-1).body, { xr: false, fps: 60, comfort: 'standing+vignette+snap', sensor: 'none' });
});

test('a composition comfort layer can only add protections', () => {
  const { s, renderer } = fakes();
  renderer.setComfort({ vignette: false });
  s.handle(msg('scene.load', { template: 'flying', params: {}, layers: { comfort: { seated: true, reduced_motion: true, vignette: false } } }));
  assert.deepEqual(renderer.comfort(), { posture: 'seated', vignette: false, snapTurn: true, reducedMotion: true });
  renderer.setComfort({ vignette: true });
  s.handle(msg('scene.load', { template: 'heights', params: {}, layers: { comfort: { vignette: false, snap_turn: false } } }));
  assert.equal(renderer.comfort().vignette, true, 'a layer never switches a protection off');
  assert.equal(renderer.comfort().snapTurn, true);
});

test('a calming cue is captioned; a self-paced one waits for the patient, who answers once', () => {
  const { s, ui, sent } = fakes();
  const ready = [];
  const captions = [];
  ui.showReady = (on) => ready.push(on);
  s.captionFor = (key, ms) => captions.push([key, ms]);
  s.handle(msg('cue', { segment_id: 'intro', text_key: 'proto.cue.grounding_intro', duration_ms: 10000 }));
  assert.deepEqual(captions.at(-1), ['proto.cue.grounding_intro', 10000]);
  assert.equal(ready.at(-1), false);
  s.next(); // nothing to answer on a timed cue
  assert.equal(sent.filter((m) => m.type === 'patient.next').length, 0);
  s.handle(msg('cue', { segment_id: 'sense_5', text_key: 'proto.grounding.see', patient_paced: true }));
  assert.deepEqual(captions.at(-1), ['proto.grounding.see', 0], 'a self-paced cue stays until the next one');
  assert.equal(ready.at(-1), true);
  s.next();
  s.next(); // a second press must not skip a sense
  assert.equal(sent.filter((m) => m.type === 'patient.next').length, 1);
  assert.equal(ready.at(-1), false);
  s.hardStop();
  s.handle(msg('cue', { segment_id: 'sense_4', text_key: 'proto.grounding.feel', patient_paced: true }));
  assert.equal(captions.at(-1)[0], 'proto.grounding.see', 'no cue after a hard stop');
});

test('an expectancy prompt opens the rating panel and answers as a durable expectancy.rating', () => {
  const { s, ui, sent } = fakes();
  const asked = [];
  ui.askExpectancy = (phase) => asked.push(phase);
  const captions = [];
  s.captionFor = (key, ms) => captions.push([key, ms]);
  s.handle(msg('expectancy.prompt', { phase: 'before', step_id: 's1', feared_outcome_key: 'proto.public_speaking.fear.1' }));
  s.handle(msg('expectancy.prompt', { phase: 'sideways' })); // ignored: unknown phase
  assert.deepEqual(asked, ['before']);
  assert.deepEqual(captions, [['proto.public_speaking.fear.1', 0]]);
  s.rate('expectancy:before', 80);
  s.rate('p3', 40);
  assert.deepEqual(sent.filter((m) => m.type === 'expectancy.rating'), [{ type: 'expectancy.rating', body: { phase: 'before', likelihood: 80 }, durable: true }]);
  assert.deepEqual(sent.filter((m) => m.type === 'suds.rating').map((m) => m.body), [{ prompt_id: 'p3', value: 40 }]);
});
