// The patient's side of a live session: what each control message does, and
// the safety rules the client enforces by itself (DESIGN.md §3, CLINICAL.md
// §5): a break or a lost connection fades to calm at once; only the
// therapist's `resume` brings the exposure back; a hard stop never resumes.
import { CALM } from './params.js';
import { formatDate } from './format.js';
import { dirFor, valueIn } from './i18n.js';

/** comfortCode packs the comfort settings into client.state's short string (≤ 32 chars), e.g. "seated+vignette+snap". */
export function comfortCode(c) {
  return [c.posture, c.vignette && 'vignette', c.snapTurn && 'snap', c.reducedMotion && 'reduced'].filter(Boolean).join('+');
}

export class PatientSession {
  /** deps: {renderer, ui, t() → current translator, locale() → current locale, setStatus(text), captionFor(key)} */
  constructor(deps) {
    Object.assign(this, deps);
    this.conn = null;
    this.paused = false;
    this.resumeScene = null;
    this.crisis = null;
    this.sensor = null;
    this.hardStopped = false;
    this.ended = false;
    this.lastSuds = null;
    this.lastExpectancy = null;
    this.cueNow = null; // the calming cue on screen: {segment_id, text_key, patient_paced}
    this.errors = [];
  }

  attach(conn) { this.conn = conn; }

  error(err) {
    this.errors.push(String(err && err.message ? err.message : err));
    if (this.errors.length > 20) this.errors.shift();
  }

  crisisLine() { return this.crisis && this.crisis.number ? String(this.crisis.number) : ''; }

  /**
   * lostBody: the reassurance; when the clinic gave a crisis line, the
   * sentence with its number, then its text line, hours and the date it was
   * last checked (each when known, the date in the patient's language); and
   * the headset note.
   */
  lostBody(first) {
    const t = this.t(), locale = this.locale ? this.locale() : 'en', dir = dirFor(locale);
    const parts = [t(first)];
    if (this.crisisLine()) {
      const c = this.crisis, str = (v) => (v == null ? '' : String(v).trim());
      // numbers stay whole and in order, also inside Arabic sentences
      parts.push(t('client.lost.crisis', { Number: valueIn(c.number, dir, { whole: true }), Name: valueIn(c.name, dir) }));
      if (str(c.text)) parts.push(t('client.lost.crisis_text', { Text: valueIn(c.text, dir, { whole: true }) }));
      if (str(c.hours)) parts.push(t('client.lost.crisis_hours', { Hours: valueIn(c.hours, dir) }));
      const checked = formatDate(c.last_verified, locale);
      if (checked) parts.push(t('client.lost.crisis_verified', { Date: checked }));
    }
    parts.push(t('client.lost.headset'));
    return parts.join('\n');
  }

  /** pause remembers the exposure scene and fades to calm at once. */
  pause() {
    const s = this.renderer.scene();
    if (!this.paused && s && s.template !== CALM.template) this.resumeScene = { template: s.template, params: s.params };
    this.paused = true;
    this.renderer.calm(600);
  }

  requestBreak() {
    if (this.ended || this.hardStopped) return; // the closing panels never offer a break
    const t = this.t();
    this.pause();
    this.ui.showMessage('break', t('client.calm.title'), t('client.break.active'));
    this.conn?.sendControl('break.request', {}, { durable: true });
  }

  /** rate answers the open rating panel: a SUDS prompt, or an expectancy prompt (id "expectancy:before|after"). */
  rate(prompt_id, value) {
    const exp = /^expectancy:(before|after)$/.exec(prompt_id || '');
    if (exp) {
      this.lastExpectancy = { phase: exp[1], likelihood: value };
      this.conn?.sendControl('expectancy.rating', { phase: exp[1], likelihood: value }, { durable: true });
      return;
    }
    this.lastSuds = { prompt_id, value };
    this.conn?.sendControl('suds.rating', { prompt_id, value }, { durable: true });
  }

  onOpen() {
    const t = this.t();
    this.setStatus(this.paused ? t('client.reconnected') : t('client.waiting'));
    if (this.paused && this.ui.messageKind() === 'lost') this.ui.showMessage('lost', t('client.lost.title'), this.lostBody('client.reconnected'), this.crisisLine());
    this.sendState();
  }

  onLost() {
    if (this.ended) return;
    const t = this.t();
    this.pause();
    this.ui.showMessage('lost', t('client.lost.title'), this.lostBody('client.lost.body'), this.crisisLine());
    this.setStatus(t('client.lost.title'));
  }

  sceneReady() {
    const s = this.renderer.scene();
    if (s && this.conn?.state().connected && !this.paused) this.conn.sendControl('scene.ready', { template: s.template, params: s.params });
  }

  sendState() {
    if (!this.conn) return;
    const r = this.renderer, c = r.comfort();
    this.conn.sendControl('client.state', {
      xr: r.xrActive(), fps: r.info().fps, comfort: comfortCode(c), sensor: this.sensor ? this.sensor.kind : 'none',
    });
  }

  /** handle applies one server → patient control message. Unknown types are ignored: a newer server must never crash an older client. */
  handle(env) {
    const b = env.body, r = this.renderer, ui = this.ui;
    switch (env.type) {
      case 'hello':
        this.crisis = b.crisis || null;
        this.batchMs = b.batch_ms; // the biosignal batch cadence the sensors keep (sensors.js)
        this.lostBody('client.lost.body'); // warms the date formatter now: nothing slow is left for the moment the link dies
        break;
      case 'scene.load': this.load(b); break;
      case 'scene.set': this.set(b); break;
      case 'scene.event': if (!this.paused) r.event(b.event); break;
      case 'step.enter': if (b.label_key) this.captionFor(b.label_key); break;
      case 'suds.prompt': ui.askSuds(b.prompt_id); break;
      case 'expectancy.prompt':
        if (b.phase === 'before' || b.phase === 'after') {
          ui.askExpectancy(b.phase);
          if (b.feared_outcome_key) this.captionFor(b.feared_outcome_key, 0);
        }
        break;
      case 'cue': this.cue(b); break;
      case 'breathing.start': try { ui.startBreathing(b); } catch (err) { this.error(err); } break;
      case 'breathing.stop': ui.stopBreathing(); break;
      case 'calm.now': this.pause(); break;
      case 'resume': this.resume(); break;
      case 'hard.stop': this.hardStop(); break;
      case 'session.end': this.end(); break;
      case 'error': this.error(`${b.code}: ${b.message}`); break;
      default: break;
    }
  }

  load(b) {
    this.applyComfortLayer(b.layers && b.layers.comfort);
    const scene = { template: b.template, params: b.params || {} };
    if (this.paused) { this.resumeScene = scene; return; } // applied when the therapist resumes
    try { this.renderer.loadScene({ ...scene, transition_ms: b.transition_ms ?? 800 }); } catch (err) { this.error(err); }
  }

  /** applyComfortLayer lets a composition switch comfort protections on (seated, vignette, snap turn, reduced motion), never off: the patient's own choice stays when it is the gentler one. */
  applyComfortLayer(layer) {
    if (!layer || typeof layer !== 'object') return;
    const c = this.renderer.comfort();
    this.renderer.setComfort({
      posture: layer.seated === true ? 'seated' : c.posture,
      vignette: c.vignette || layer.vignette === true,
      snapTurn: c.snapTurn || layer.snap_turn === true,
      reducedMotion: c.reducedMotion || layer.reduced_motion === true,
    });
  }

  set(b) {
    if (this.paused) { if (this.resumeScene) Object.assign(this.resumeScene.params, b.params); return; }
    try { this.renderer.setParams(b.params || {}, b.transition_ms ?? 1500); } catch (err) { this.error(err); return; }
    this.sceneReady();
  }

  /** cue shows a calming script's narration; a self-paced one stays with a "ready" control until the patient takes it. */
  cue(b) {
    if (this.ended || this.hardStopped || !b.text_key) return;
    this.cueNow = { segment_id: b.segment_id, text_key: b.text_key, patient_paced: !!b.patient_paced };
    this.captionFor(b.text_key, b.patient_paced ? 0 : (b.duration_ms || 6000));
    this.ui.showReady(!!b.patient_paced);
  }

  /** next answers a self-paced cue (5-4-3-2-1 grounding): the script moves on only on the patient's word. */
  next() {
    if (!this.cueNow || !this.cueNow.patient_paced) return;
    this.cueNow = { ...this.cueNow, patient_paced: false };
    this.ui.showReady(false);
    this.conn?.sendControl('patient.next', {});
  }

  hardStop() {
    const t = this.t();
    this.hardStopped = true;
    this.pause();
    this.ui.stopBreathing();
    this.ui.showReady(false);
    this.ui.showMessage('hard_stop', t('client.remove_headset.title'), t('client.remove_headset.steps'), this.crisisLine());
  }

  end() {
    const t = this.t();
    this.ended = true;
    this.pause();
    // the server ends the session right after a hard stop: the closing panel
    // keeps the remove-headset steps (CLINICAL.md hard stop) instead of replacing them
    if (this.hardStopped) this.ui.showMessage('end', t('client.remove_headset.title'), t('client.remove_headset.steps'), this.crisisLine());
    else this.ui.showMessage('end', t('client.ended.title'), t('client.ended.body'));
    this.setStatus(t('client.ended.title')); // not "waiting for your therapist" any more
    this.conn?.leave();
  }

  resume() {
    if (this.hardStopped || this.ended) return;
    this.paused = false;
    this.conn?.markResumed();
    this.ui.showMessage(null);
    this.setStatus(this.t()('client.waiting'));
    if (this.resumeScene) { this.renderer.loadScene({ ...this.resumeScene, transition_ms: 1500 }); this.resumeScene = null; }
  }
}
