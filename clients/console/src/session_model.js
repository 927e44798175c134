// What a session is doing and has done, in words, without the DOM: the
// timed phase's countdown, the true end reason (who ended it and at which
// step), and one line per timeline event for the live view's timeline and
// the report. Both views feed it the same event shape as the server's
// timeline ({at, kind, body}), so the live page and the report say the same
// thing. Messages are ids with data; views call t()/plural() on them.
// Tested in node (test/session_model.test.mjs).

/** clock formats ms as m:ss (rounded up: "0:01" until the phase is over) with num for the digits. */
export function clock(ms, num = (n, o) => String(n).padStart(o?.minimumIntegerDigits || 0, '0')) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${num(Math.floor(s / 60))}:${num(s % 60, { minimumIntegerDigits: 2 })}`;
}


const END_WORDS = new Set(['therapist_end', 'therapist_stop', 'hard_stop', 'ladder_complete', 'script_complete', 'completed', 'link_lost', 'patient_stop']);

/**
 * endInfo reads how a session ended from its events: the reason the
 * cool-down began (a session the therapist ends runs its cool-down and then
 * ends as "completed", which alone would read "every step is done"), else
 * the ended state's reason; and the last step entered (1-based, 0: none).
 * Returns null while the session has not ended.
 */
export function endInfo(events, { ended = false } = {}) {
  let cool = '', end = '', step = 0, isEnded = ended;
  for (const e of events) {
    const b = e.body || {};
    if (e.kind === 'engine.step.enter' && Number.isInteger(b.index)) step = b.index + 1;
    else if (e.kind === 'engine.cooldown.start') cool = b.reason || cool;
    else if (e.kind === 'engine.session.end') { end = b.reason || end; isEnded = true; }
    else if (e.kind === 'state' && b.to === 'ended') { end = b.reason || end; isEnded = true; }
  }
  if (!isEnded) return null;
  const reason = (end === 'completed' || !end) && cool ? cool : end || cool || 'completed';
  return { reason, step };
}

/**
 * endMessage is the message (id + data) for endInfo's result with the
 * protocol's step count: "Ended by the therapist at step 1 of 10."
 */
export function endMessage(info, total) {
  if (!info) return null;
  const known = END_WORDS.has(info.reason) ? info.reason : 'other';
  const data = { Step: info.step, Total: total, Reason: info.reason };
  if ((known === 'therapist_end' || known === 'therapist_stop' || known === 'hard_stop') && info.step > 0 && total > 0) {
    return { id: `console.end.${known}_at`, data };
  }
  return { id: `console.end.${known}`, data };
}

/** stepName is a step's protocol entry and its name: the ladder's own words, else its feared outcome, else none. */
export function stepName(step) {
  if (!step) return { text: '', key: '' };
  const text = step.description || step.name || step.title || step.feared_outcome || '';
  return { text, key: text ? '' : step.feared_outcome_key || '' };
}

const HIDDEN = new Set(['engine.scene.load', 'engine.scene.set', 'scene.ready', 'engine.step.exit', 'engine.timeline.fear_level',
  'engine.timeline.exposure', 'engine.timeline.exposure_budget', 'engine.session.started', 'engine.session.end',
  'engine.session.paused', 'engine.session.resumed', 'engine.input', 'engine.alert', 'engine.timeline.alert',
  'engine.timeline.connection', 'engine.hrv.window', 'engine.cue', 'engine.breathing.stop', 'engine.timeline.suds',
  'engine.timeline.note', 'engine.timeline.decision', 'engine.timeline.suds_unanswered', 'engine.step.pending',
  'patient.token', 'engine.hard.stop', 'engine.calm.now']);

/** Therapist commands worth a line (the engine's answer is its own line). */
const COMMANDS = { 'cmd.intensity': 'console.tl.intensity', 'cmd.pause': 'console.tl.pause', 'cmd.resume': 'console.tl.resume',
  'cmd.calm_now': 'console.tl.calm_now', 'cmd.stop': 'console.tl.stop', 'cmd.end': 'console.tl.end', 'cmd.advance': 'console.tl.advance',
  'cmd.step_back': 'console.tl.step_back', 'cmd.event': 'console.tl.event', 'cmd.report': 'console.tl.report' };

/**
 * describe turns one timeline event into a message {id, data, reason?,
 * alert?, tone} — reason and alert are codes the view puts into words —
 * or null for bookkeeping entries a clinician does not need (scene
 * parameters, engine inputs, per-window fear levels). total is the
 * protocol's step count (0: not a ladder).
 */
export function describe(e, { total = 0, steps = [] } = {}) {
  const b = e.body || {};
  if (HIDDEN.has(e.kind)) return null;
  switch (e.kind) {
    case 'state':
      if (b.to === 'waiting') return { id: 'console.tl.waiting' };
      if (b.to === 'live' && b.from === 'paused') return { id: 'console.tl.resumed' };
      if (b.to === 'live') return { id: 'console.tl.started' };
      if (b.to === 'paused') return { id: 'console.tl.paused', reason: b.reason || '' , tone: 'warn' };
      if (b.to === 'ended') return null; // the end line comes from endInfo
      if (b.to === 'scheduled') return { id: 'console.tl.scheduled' };
      return null;
    case 'engine.baseline.start': return { id: 'console.tl.baseline_start', count: Math.round((b.duration_ms || 0) / 60000) };
    case 'engine.baseline.end': return { id: 'console.tl.baseline_end' };
    case 'engine.cooldown.start': return { id: 'console.tl.cooldown_start', count: Math.round((b.duration_ms || 0) / 60000), reason: b.reason || '' };
    case 'engine.step.enter': {
      const i = Number.isInteger(b.index) ? b.index : -1;
      const name = stepName(steps[i]);
      return { id: total ? 'console.tl.step_of' : 'console.tl.step', data: { Step: i + 1, Total: total }, name };
    }
    case 'engine.suggest': return { id: 'console.tl.suggest', action: b.action || '', reason: b.reason || '' };
    case 'engine.command.refused': return { id: 'console.tl.refused', command: b.command || '', reason: b.reason || '', tone: 'warn' };
    case 'engine.exposure.blocked': return { id: 'console.tl.blocked', reason: b.reason || '', tone: 'warn' };
    case 'engine.suds.prompt': return { id: 'console.tl.suds_prompt' };
    case 'engine.expectancy.prompt': return { id: 'console.tl.expectancy_prompt' };
    case 'engine.breathing.start': return { id: 'console.tl.breathing' };
    case 'engine.incident': return { id: 'console.tl.incident', reason: b.kind || b.reason || '', tone: 'bad' };
    case 'engine.timeline.questionnaire': return { id: 'console.tl.questionnaire' };
    case 'engine.timeline.screening_ack': return { id: 'console.tl.screening_ack' };
    case 'engine.scene.event': return { id: 'console.tl.scene_event' };
    case 'engine.decision.required': return { id: 'console.tl.decision', reason: b.reason || '' };
    case 'alert': {
      if (b.fired === false) return { id: 'console.tl.alert_cleared', alert: b.code || '', tone: 'ok' };
      return { id: 'console.tl.alert', alert: b.code || '', reason: b.reason || '', tone: 'bad' };
    }
    case 'link.lost': return { id: 'console.tl.link_lost', tone: 'bad' };
    case 'note': return { id: 'console.tl.note', text: b.text || '' };
    case 'suds':
    case 'suds.rating': return typeof b.value === 'number' ? { id: 'console.tl.suds', data: { Value: b.value } } : null;
    case 'expectancy.rating': return typeof b.likelihood === 'number' ? { id: 'console.tl.expectancy', data: { Value: b.likelihood } } : null;
    case 'command': {
      const inner = b.body || {};
      const id = COMMANDS[b.type];
      if (!id) return null;
      return { id, data: { Value: inner.intensity ?? '' }, reason: b.type === 'cmd.report' ? inner.kind || '' : '' };
    }
    default:
      return null;
  }
}
