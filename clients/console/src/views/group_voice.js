// A support circle's voice in the moderator's console (docs/groups.md,
// "Voice"): the moderator speaks into the circle from their own seat — the
// marked moderator's seat 0 when they came first, where their figure (a
// shape, a colour and an accessory they choose here, as members do on their
// page) sits for everyone — with the microphone off,
// push to talk (the button, or Space outside a text field) or open; hears
// the circle's voices placed where each speaker sits, as a member does; and
// sees who is speaking now. It is the member page's voice module
// (clients/room/src/voice.js): the voice slots and the microphone go into
// the moderator's first offer, the server forwards the moderator's voice
// like a member's, and neither a mute nor the speaking order ever holds a
// moderator's voice back. Nothing is recorded, here or on the server.
import { h, mount, field, select } from '../dom.js';
import { addVoice, createVoice } from '../../../room/src/voice.js';
import { ACCESSORIES, COLOURS, SHAPES, bearing, ringSize } from '../../../room/src/layout.js';
import { pushToTalk } from '../ptt.js';

const MODES = { off: 'console.groups.voice.mode_off', push: 'console.voice.mode_ptt', open: 'console.voice.mode_open' };

/**
 * circleVoicePanel({app, view, hook, send}) → {el, prepare(pc), you(body),
 * speakers(slots), redraw(), closed(), destroy()}. view is the room view
 * (group_model.js): its members' seats place the voices, its speaking list
 * names who speaks. prepare goes to the peer's connect() for a circle;
 * send(type, body) puts a frame on the peer's chat channel (the figure).
 */
export function circleVoicePanel({ app, view, hook, send }) {
  const { t } = app;
  let voice = null, mode = 'off', failed = false;
  const radio = (m) => h('label', { class: 'check' },
    h('input', { type: 'radio', name: 'circle-mic', value: m, id: `circle-mic-${m}`, checked: m === mode, onchange: () => setMode(m) }), ' ', t(MODES[m]));
  const fieldset = h('fieldset', { class: 'inline' }, h('legend', {}, t('console.voice.mode')), radio('off'), radio('push'), radio('open'));
  const talk = h('button', { type: 'button', id: 'circle-talk', class: 'primary big', 'aria-pressed': 'false', hidden: true }, t('console.voice.hold'));
  const unlisten = pushToTalk(talk, (on) => { if (voice && mode === 'push') voice.talk(on); }, () => Boolean(voice) && mode === 'push');
  const mine = h('p', { id: 'circle-mine', 'aria-live': 'polite' });
  const speaking = h('p', { id: 'circle-speaking' });
  // the figure: the member page's choices and words (group.avatar.*), sent as circle.avatar
  const figure = {};
  const choice = (part, values, prefix) => {
    figure[part] = select({ name: `figure-${part}`, id: `figure-${part}`, onchange: sendFigure }, values.map((v) => ({ value: v, label: t(`${prefix}.${v}`) })));
    return field(t(`group.page.avatar_${part}`), figure[part]);
  };
  const figureSet = h('fieldset', { class: 'inline figure' }, h('legend', {}, t('group.page.avatar')),
    choice('shape', SHAPES, 'group.avatar.shape'), choice('colour', Object.keys(COLOURS), 'group.avatar.colour'), choice('accessory', ACCESSORIES, 'group.avatar.accessory'));
  const el = h('section', { class: 'card voice', id: 'circle-voice', 'aria-labelledby': 'circle-voice-h' },
    h('h2', { id: 'circle-voice-h' }, t('console.groups.voice.title')),
    h('div', { class: 'voice-controls' }, fieldset, h('div', { class: 'row' }, talk)), mine, speaking,
    h('p', { class: 'hint' }, t('console.groups.voice.not_recorded')), figureSet);

  let chosen = null; // the figure picked here: sent again on a new connection (a new seat gets a derived one)
  function sendFigure() {
    chosen = { shape: figure.shape.value, colour: figure.colour.value, accessory: figure.accessory.value };
    if (view.you) view.you.avatar = chosen;
    send('circle.avatar', chosen);
  }

  /** bearingOf is where a member sits as heard from the moderator's seat (radians to the right), NaN when either has none. */
  function bearingOf(id) {
    const me = view.you, other = view.members.get(id);
    if (typeof me?.seat !== 'number' || typeof other?.seat !== 'number') return NaN;
    return bearing(me.seat, other.seat, ringSize([...view.members.values()]));
  }
  /** ownID is the moderator's own presence id: the welcome leaves a staff member's id out, so it is whoever sits in their seat. */
  function ownID() {
    const seat = view.you?.seat;
    return typeof seat === 'number' ? [...view.members.values()].find((m) => m.seat === seat)?.id : undefined;
  }
  // The moderator's figure sits on their seat with its head at eye height, turned towards whoever
  // else speaks (facing the centre when nobody does): the console has no headset or 3D view to
  // follow, and a figure that looks at the speaker reads as listening. Sent as circle.pose when
  // it changes, at most twice a second; the server relays it like a member's (docs/groups.md).
  let poseSent = '', poseAt = 0, poseTimer = 0;
  function sendPose() {
    if (!voice || typeof view.you?.seat !== 'number') return;
    const me = ownID();
    const other = view.speaking.find((id) => id !== me);
    const b = other ? bearingOf(other) : 0;
    const yaw = Number.isFinite(b) ? Math.max(-1.2, Math.min(1.2, b)) : 0; // radians to the right; a neck turns so far
    const head = [0, 1.2, 0, 0, -Math.sin(yaw / 2), 0, Math.cos(yaw / 2)].map((x) => Math.round(x * 1000) / 1000);
    const key = JSON.stringify(head);
    if (key === poseSent) return;
    clearTimeout(poseTimer);
    const wait = poseAt + 500 - Date.now();
    if (wait > 0) { poseTimer = setTimeout(sendPose, wait); return; }
    poseSent = key;
    poseAt = Date.now();
    send('circle.pose', { h: head, l: [], r: [] });
  }
  async function setMode(m) {
    if (!voice) return;
    mode = m;
    failed = false;
    voice.resume().catch(() => {});
    try {
      await voice.setMode(m);
    } catch { // no microphone, or the page may not use it
      failed = true;
      mode = 'off';
      await voice.setMode('off').catch(() => {});
    }
    render();
  }
  function render() {
    const s = voice ? voice.state() : { sending: false, talking: false };
    for (const input of fieldset.querySelectorAll('input')) input.checked = input.value === mode;
    fieldset.disabled = figureSet.disabled = !voice;
    const a = view.you?.avatar;
    if (a) for (const part of ['shape', 'colour', 'accessory']) if (document.activeElement !== figure[part]) figure[part].value = a[part];
    mine.textContent = t(failed ? 'console.groups.voice.none' : s.sending ? 'console.groups.voice.live' : 'console.voice.mine_off');
    mine.className = s.sending ? 'voice-live' : '';
    talk.hidden = mode !== 'push';
    talk.setAttribute('aria-pressed', String(Boolean(s.talking)));
    talk.classList.toggle('talking', Boolean(s.sending));
    sendPose();
    const ids = view.speaking.filter((id) => view.members.get(id)?.pseudonym), me = ownID();
    if (!ids.length) { speaking.textContent = t('console.groups.voice.nobody'); return; }
    // pseudonyms isolated (bdi) inside the locale's own list ("A, B and C", "A وB"); the
    // moderator's own entry is marked in the locale's words ("Sam (you)"), the name still isolated
    const name = (id) => {
      const b = h('bdi', { translate: 'no' }, view.members.get(id).pseudonym);
      if (id !== me) return [b];
      const [before, after = ''] = t('console.groups.voice.you', { Name: '\u0000' }).split('\u0000');
      return [before, b, after].filter((x) => x !== '');
    };
    const parts = new Intl.ListFormat(app.i18n.locale, { type: 'conjunction' }).formatToParts(ids.map((_, i) => `\u0001${i}\u0001`));
    mount(speaking, t('console.groups.voice.speaking_now'), ' ', parts.flatMap((p) => (p.type === 'element' ? name(ids[Number(p.value.slice(1, -1))]) : [p.value])));
  }
  render();
  return {
    el,
    /** prepare adds the voice transceivers to a new peer, before its first offer (chat_peer.js connect's prepare). */
    prepare(pc) {
      voice?.close();
      const tr = addVoice(pc);
      voice = createVoice(pc, tr, { bearingOf, onState: render });
      hook.voice = voice;
      mode = 'off';
      failed = false;
      poseSent = '';
      render();
      return tr;
    },
    /** you applies the server's voice.you (it comes once the moderator is seated: a figure chosen before is put back on). */
    you(b) {
      voice?.you(b);
      if (chosen && view.you && view.you.avatar?.shape !== chosen.shape) { view.you.avatar = chosen; send('circle.avatar', chosen); }
    },
    /** speakers applies voice.speakers: who is on each slot, who is speaking. */
    speakers(slots) { voice?.speakers(slots); render(); },
    /** redraw follows the member list: seats (where voices are heard from) and names. */
    redraw() { voice?.replace(); render(); },
    /** closed releases the microphone and the voices when the peer is gone. */
    closed() { clearTimeout(poseTimer); voice?.close(); voice = null; hook.voice = null; mode = 'off'; render(); },
    destroy() { clearTimeout(poseTimer); unlisten(); voice?.close(); voice = null; },
  };
}
