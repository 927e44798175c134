// The moderator inside a support room (DESIGN.md §6, docs/groups.md): the
// console joins the room as a WebRTC peer on the `chat` data channel (the
// same signalling helper as the member page, clients/shared/chat_peer.js),
// which is what opens a room that needs a moderator. Live: chat with
// pseudonyms and roles, who is inside, the lobby with Admit, typing and
// system notices, alerts (crisis, reports) in an aria-live region with a
// short WebAudio beep, and the review queue and moderation log refreshed
// the moment something happens. Every action that restricts someone asks
// for a reason first (a keyboard-operable <dialog>), and the reason goes to
// the audit log shown at the bottom.
import { h, mount, field, table, select, showFieldError, clearErrors } from '../dom.js';
import { errorBox } from '../shell.js';
import { connect } from '../../../shared/chat_peer.js';
import { circleVoicePanel } from './group_voice.js';
import { apply, createRoomView, memberList, checkReason, needsReason, auditKey, alertKey, MUTE_CHOICES, MAX_REASON, ACTIONS } from '../group_model.js';

const MUTE_KEYS = { 600: 'console.groups.mute_10m', 3600: 'console.groups.mute_1h', 86400: 'console.groups.mute_1d', 604800: 'console.groups.mute_7d' };

/** mountRoom draws room id into box and returns its teardown. */
/** mountRoom moderates room id in box; onState(state) hears the room's live state each time the header is drawn (the rooms table above shows it too). */
export async function mountRoom(app, box, id, onState = () => {}) {
  const { t } = app;
  const enc = encodeURIComponent(id);
  const base = `/api/groups/rooms/${enc}`;
  const view = createRoomView();
  const hook = (window.havenConsole.group = { view, frames: [], alerts: [], link: 'offline' });
  let data = await app.api.get(base);
  let queue = [], audit = [], peer = null, link = 'offline', closed = false, typingTimer = null, audio = null;

  // ---- skeleton: built once; each region redraws on its own ----
  const title = h('h2', { id: 'room-h' });
  const code = h('code', { translate: 'no', class: 'joincode' });
  const counts = h('p', { class: 'count' });
  const linkText = h('p', { role: 'status', class: 'link-state' });
  const joinBtn = h('button', { type: 'button', class: 'primary', id: 'mod-join', onclick: () => join() });
  const leaveBtn = h('button', { type: 'button', id: 'mod-leave', onclick: () => leave() }, t('console.groups.leave_room'));
  const sound = h('input', { type: 'checkbox', id: 'group-alert-sound', checked: true });
  const alertList = h('ul', { class: 'alerts', id: 'group-alerts' });
  const chatLog = h('ol', { class: 'chat', id: 'chat-log' });
  // the log region scrolls, so it takes keyboard focus; the list inside keeps list semantics
  const chatScroll = h('div', { class: 'chat-scroll', role: 'log', tabindex: '0', 'aria-labelledby': 'chat-h', dataset: { region: 'chat' } }, chatLog);
  const typing = h('p', { class: 'typing', 'aria-live': 'polite', id: 'chat-typing' });
  const msgInput = h('input', { id: 'chat-input', name: 'message', maxlength: 1000, autocomplete: 'off' });
  const sendBtn = h('button', { type: 'submit', class: 'primary' }, t('console.groups.send'));
  const sendForm = h('form', { class: 'send', id: 'chat-send', onsubmit: (e) => { e.preventDefault(); sendChat(); } },
    h('label', { for: 'chat-input' }, t('console.groups.message_label')), h('div', { class: 'row-inline' }, msgInput, sendBtn));
  const lobbyBox = h('div', { id: 'lobby-box', tabindex: '-1', dataset: { region: 'lobbyBox' } });
  const membersBox = h('div', { id: 'members-box', tabindex: '-1', dataset: { region: 'membersBox' } });
  const roomActions = h('div', { class: 'actions', id: 'room-actions', tabindex: '-1', dataset: { region: 'roomActions' } });
  const queueBox = h('div', { id: 'queue-box', tabindex: '-1', dataset: { region: 'queueBox' } });
  const auditBox = h('div', { id: 'audit-box' });
  const dialog = reasonDialog(app);
  // a circle: the moderator's own voice, heard from their seat (group_voice.js)
  const circleVoice = circleVoicePanel({ app, view, hook, send: (type, body) => peer?.send(type, body) });

  mount(box,
    h('section', { class: 'card', 'aria-labelledby': 'room-h' }, title,
      h('p', {}, t('console.groups.room_code'), ' ', code), counts,
      h('div', { class: 'actions' }, joinBtn, leaveBtn), linkText),
    data.room?.space ? circleVoice.el : null,
    h('section', { class: 'card', 'aria-labelledby': 'group-alerts-h' },
      h('h2', { id: 'group-alerts-h' }, t('console.alerts')),
      h('label', { class: 'check', for: 'group-alert-sound' }, sound, ' ', t('console.alert.sound')),
      h('div', { role: 'alert', 'aria-live': 'assertive', 'aria-atomic': 'false', id: 'group-alert-region' }, alertList)),
    h('div', { class: 'live-grid' },
      h('section', { class: 'card', 'aria-labelledby': 'chat-h' }, h('h2', { id: 'chat-h' }, t('console.groups.chat')), chatScroll, typing, sendForm),
      h('div', {},
        h('section', { class: 'card', 'aria-labelledby': 'lobby-h' }, h('h2', { id: 'lobby-h' }, t('console.groups.lobby')), lobbyBox),
        h('section', { class: 'card', 'aria-labelledby': 'members-h' }, h('h2', { id: 'members-h' }, t('console.groups.in_room')), membersBox))),
    h('section', { class: 'card', 'aria-labelledby': 'room-actions-h' }, h('h2', { id: 'room-actions-h' }, t('console.groups.room_actions')), roomActions),
    h('section', { class: 'card', 'aria-labelledby': 'queue-h' }, h('h2', { id: 'queue-h' }, t('console.groups.queue')), queueBox),
    h('section', { class: 'card', 'aria-labelledby': 'audit-h' }, h('h2', { id: 'audit-h' }, t('console.groups.audit')), auditBox),
    dialog.el);

  const roomState = (s) => (app.i18n.has(`console.groups.state.${s}`) ? t(`console.groups.state.${s}`) : t('console.session.state.unknown'));
  const ended = () => Boolean(data.room.ended_at) || view.ended;

  function drawHeader() {
    const room = data.room;
    const state = view.ended ? 'ended' : link === 'open' && view.open && room.state === 'waiting_moderator' ? 'open' : room.state;
    mount(title, h('span', { translate: 'no' }, room.topic), ' · ', roomState(state));
    onState(state);
    code.textContent = room.code;
    const active = (data.members || []).filter((m) => !m.removed && !m.banned);
    mount(counts, app.i18n.plural('console.groups.members', active.length), ' · ',
      t('console.groups.moderators_online', { Count: app.i18n.number(data.moderators_online || 0) }));
    joinBtn.textContent = link === 'lost' ? t('console.groups.rejoin_room') : t('console.groups.join_room');
    joinBtn.hidden = link === 'open' || link === 'connecting' || ended();
    leaveBtn.hidden = link !== 'open';
    const key = ended() ? 'console.groups.link.ended' : `console.groups.link.${link}`;
    linkText.textContent = t(key);
    linkText.className = `link-state ${link === 'open' ? 'ok' : link === 'lost' ? 'error' : ''}`;
    msgInput.disabled = sendBtn.disabled = link !== 'open';
    hook.link = link;
  }

  // ---- chat ----
  function messageItem(m) {
    const textId = `msg-${m.id}-text`;
    const li = h('li', { class: `msg ${m.role === 'moderator' ? 'mod' : ''} ${m.deleted ? 'deleted' : ''}`, dataset: { id: m.id, from: m.from } },
      h('span', { class: 'meta' },
        h('span', { class: 'from', translate: 'no' }, m.from), ' ',
        h('span', { class: `badge ${m.role === 'moderator' ? 'badge-mod' : ''}` }, t(m.role === 'moderator' ? 'console.groups.role.moderator' : 'console.groups.role.member')), ' ',
        h('time', { datetime: new Date(m.at).toISOString() }, app.i18n.clock(m.at))),
      m.deleted ? h('span', { class: 'text', id: textId }, t('console.groups.message_deleted'))
        : h('span', { class: 'text', id: textId, translate: 'no', dir: 'auto' }, m.text),
      m.redacted && !m.deleted ? h('span', { class: 'hint' }, ' ', t('console.groups.redacted_note')) : null,
      m.reactions.length ? h('span', { class: 'reactions', translate: 'no' }, ' ', m.reactions.join(' ')) : null,
      !m.deleted && !ended() ? h('button', { type: 'button', class: 'small', 'aria-describedby': textId, dataset: { key: `del-${m.id}` },
        onclick: () => act('delete', { message_id: m.id }, { Name: m.from }) }, t('console.groups.delete_message')) : null);
    return li;
  }
  function drawMessage(m) {
    const old = chatLog.querySelector(`li[data-id="${CSS.escape(m.id)}"]`);
    const li = messageItem(m);
    if (old) keepFocus(() => old.replaceWith(li)); else chatLog.append(li);
    chatLog.querySelector('.empty')?.remove();
    li.scrollIntoView({ block: 'nearest' });
  }
  function noticeLine(text) {
    chatLog.querySelector('.empty')?.remove();
    chatLog.append(h('li', { class: 'sys' }, text));
    while (chatLog.children.length > 600) chatLog.firstElementChild.remove();
  }
  function sendChat() {
    const text = msgInput.value.trim();
    if (!text || !peer) return;
    if (peer.send('chat.send', { text })) msgInput.value = '';
  }
  msgInput.addEventListener('input', () => { if (peer && msgInput.value) peer.send('chat.typing', {}); });

  // ---- lobby and members ----
  function drawLobby() {
    const live = link === 'open';
    const waiting = live ? view.lobby : (data.members || []).filter((m) => !m.admitted && !m.removed && !m.banned && m.connected);
    if (unchanged(lobbyBox, [ended(), waiting.map((m) => [m.id, m.pseudonym])])) return;
    keepFocus(() => mount(lobbyBox, waiting.length ? h('ul', { class: 'plain' }, waiting.map((m) => h('li', {},
      h('span', { translate: 'no' }, m.pseudonym), ' ',
      h('button', { type: 'button', class: 'primary', dataset: { key: `admit-${m.id}` }, onclick: () => act('admit', { member_id: m.id }, { Name: m.pseudonym }) }, t('console.groups.admit')))))
      : h('p', {}, t('console.groups.lobby_empty'))));
  }
  function drawMembers() {
    const records = new Map((data.members || []).map((m) => [m.id, m])); // by id: names may repeat
    const now = Date.now();
    const rows = link === 'open' ? memberList(view).map((p) => ({ ...p, rec: p.role === 'member' ? records.get(p.id) : null }))
      .filter((r) => !r.rec || (!r.rec.banned && !r.rec.removed)) // gone already; the presence update follows within a second
      : (data.members || []).filter((m) => m.admitted && !m.removed && !m.banned).map((m) => ({ id: m.id, pseudonym: m.pseudonym, role: 'member', rec: m }));
    const muted = (m) => m && m.muted_until && new Date(m.muted_until).getTime() > now;
    // in a circle the moderator sees who speaks, raised hands, the turn and voice mutes
    const status = (r) => [r.role === 'moderator' ? t('console.groups.role.moderator') : t('console.groups.role.member'),
      muted(r.rec) && t('console.groups.muted'), r.rec && !r.rec.connected && link !== 'open' && t('console.groups.offline'),
      view.speaking.includes(r.id) && t('console.groups.speaking'), r.hand && t('console.groups.hand_raised'),
      view.floor.order && view.floor.turn === r.id && t('console.groups.has_turn'), r.voiceMuted && t('console.groups.voice_muted')].filter(Boolean).join(' · ');
    const circle = Boolean(data.room?.space);
    const tools = (r) => (!r.rec || ended() ? '' : h('div', { class: 'actions' },
      muted(r.rec) ? h('button', { type: 'button', dataset: { key: `unmute-${r.rec.id}` }, onclick: () => act('unmute', { member_id: r.rec.id }, { Name: r.pseudonym }) }, t('console.groups.unmute'))
        : h('button', { type: 'button', dataset: { key: `mute-${r.rec.id}` }, onclick: () => act('mute', { member_id: r.rec.id }, { Name: r.pseudonym }) }, t('console.groups.mute')),
      circle && link === 'open' && (r.voiceMuted ? h('button', { type: 'button', dataset: { key: `voice-unmute-${r.rec.id}` }, onclick: () => act('voice_unmute', { member_id: r.rec.id }, { Name: r.pseudonym }) }, t('console.groups.voice_unmute'))
        : h('button', { type: 'button', dataset: { key: `voice-mute-${r.rec.id}` }, onclick: () => act('voice_mute', { member_id: r.rec.id }, { Name: r.pseudonym }) }, t('console.groups.voice_mute'))),
      circle && link === 'open' && view.floor.order && view.floor.turn !== r.id && h('button', { type: 'button', dataset: { key: `turn-${r.rec.id}` }, onclick: () => act('give_turn', { member_id: r.rec.id }, { Name: r.pseudonym }) }, t('console.groups.give_turn')),
      h('button', { type: 'button', dataset: { key: `remove-${r.rec.id}` }, onclick: () => act('remove', { member_id: r.rec.id }, { Name: r.pseudonym }) }, t('console.groups.remove')),
      h('button', { type: 'button', class: 'danger', dataset: { key: `ban-${r.rec.id}` }, onclick: () => act('ban', { member_id: r.rec.id }, { Name: r.pseudonym }) }, t('console.groups.ban'))));
    if (unchanged(membersBox, [link, ended(), view.speaking, view.floor, rows.map((r) => [r.id, r.pseudonym, r.role, r.rec?.id, muted(r.rec), r.rec?.connected, r.hand, r.voiceMuted])])) return;
    keepFocus(() => mount(membersBox, rows.length ? table(t('console.groups.member_list'), [
      { label: t('console.groups.pseudonym'), cell: (r) => h('span', { translate: 'no' }, r.pseudonym) },
      { label: t('console.status'), cell: status },
      { label: t('console.actions'), cell: tools },
    ], rows) : h('p', {}, t('console.empty'))));
  }

  // ---- room actions ----
  function drawRoomActions() {
    const room = data.room;
    if (unchanged(roomActions, [ended(), room.locked, room.slow_mode_seconds, view.floor.order, link])) return;
    if (ended()) { mount(roomActions, h('p', {}, t('console.groups.link.ended'))); return; }
    keepFocus(() => mount(roomActions,
      h('button', { type: 'button', dataset: { key: 'slow' }, onclick: () => act('slow_mode', {}, {}) },
        t('console.groups.slow_mode'), room.slow_mode_seconds ? ` (${t('console.groups.seconds', { Count: app.i18n.number(room.slow_mode_seconds) })})` : ''),
      room.locked ? h('button', { type: 'button', dataset: { key: 'unlock' }, onclick: () => act('unlock', {}, {}) }, t('console.groups.unlock'))
        : h('button', { type: 'button', dataset: { key: 'lock' }, onclick: () => act('lock', {}, {}) }, t('console.groups.lock')),
      // a circle's voice: everyone muted at once, the speaking order switched on or off
      room.space && link === 'open' && h('button', { type: 'button', dataset: { key: 'voice-mute-all' }, onclick: () => act('voice_mute_all', {}, {}) }, t('console.groups.voice_mute_all')),
      room.space && link === 'open' && (view.floor.order ? h('button', { type: 'button', dataset: { key: 'order-off' }, onclick: () => act('speaking_order_off', {}, {}) }, t('console.groups.speaking_order_off'))
        : h('button', { type: 'button', dataset: { key: 'order-on' }, onclick: () => act('speaking_order_on', {}, {}) }, t('console.groups.speaking_order_on'))),
      h('button', { type: 'button', class: 'danger', dataset: { key: 'end' }, onclick: () => act('end', {}, {}) }, t('console.groups.end'))));
  }

  // ---- review queue ----
  const queueKey = (kind) => {
    const k = kind.startsWith('report') ? 'report' : kind;
    return app.i18n.has(`console.groups.queue.${k}`) ? `console.groups.queue.${k}` : 'console.groups.queue.other';
  };
  function drawQueue() {
    if (unchanged(queueBox, [ended(), queue.map((q) => q.id)])) return;
    keepFocus(() => mount(queueBox, queue.length ? h('ul', { class: 'queue plain' }, queue.map((q) => h('li', { dataset: { id: q.id, kind: q.kind } },
      h('strong', {}, t(queueKey(q.kind))), ' ',
      h('bdi', { translate: 'no' }, q.pseudonym), ': ',
      h('span', { translate: 'no', dir: 'auto', class: 'text' }, q.text),
      q.reporter ? h('span', { class: 'hint' }, ' · ', t('console.groups.reported_by', { Name: q.reporter })) : null, ' ',
      q.kind === 'crisis' ? h('button', { type: 'button', dataset: { key: `rel-${q.id}` }, onclick: () => resolve(q, 'release') }, t('console.groups.release')) : null,
      q.kind !== 'deleted' ? h('button', { type: 'button', dataset: { key: `dis-${q.id}` }, onclick: () => resolve(q, 'dismiss') }, t('console.suggest.dismiss')) : null)))
      : h('p', {}, t('console.empty'))));
  }

  // ---- moderation log ----
  function drawAudit() {
    const who = (e) => (e.actor_id === 'automod' ? t('console.groups.audit.automod') : e.actor_id === 'system' ? t('console.groups.audit.system') : e.actor_name || '');
    const rows = [...audit].reverse();
    mount(auditBox, rows.length ? table(t('console.groups.audit'), [
      { label: t('console.groups.audit.when'), cell: (e) => h('time', { datetime: e.at }, app.i18n.date(e.at)) },
      { label: t('console.groups.audit.action'), cell: (e) => t(auditKey(e.action, app.i18n.has)) },
      { label: t('console.groups.moderator'), cell: (e) => h('span', { translate: 'no' }, who(e)) },
      { label: t('console.groups.pseudonym'), cell: (e) => h('span', { translate: 'no' }, e.detail?.pseudonym || '') },
      { label: t('console.groups.reason'), cell: (e) => h('span', { translate: 'no', dir: 'auto', class: 'reason' }, e.detail?.reason || '') },
    ], rows) : h('p', {}, t('console.empty')));
  }

  // ---- alerts ----
  function beep() {
    if (!sound.checked) return;
    try {
      audio ||= new AudioContext();
      const o = audio.createOscillator(), g = audio.createGain();
      o.frequency.value = 660; g.gain.value = 0.12;
      o.connect(g).connect(audio.destination);
      o.start(); o.stop(audio.currentTime + 0.2);
      hook.beeps = (hook.beeps || 0) + 1;
    } catch { /* no audio device: the visible alert remains */ }
  }
  function addAlert(b) {
    hook.alerts.push(b);
    const msg = t(alertKey(b), { Name: b.pseudonym || '', Reporter: b.reporter || '' });
    alertList.prepend(h('li', { dataset: { kind: b.kind || '' } }, h('time', { datetime: new Date().toISOString() }, app.i18n.clock(Date.now())), ' ', msg,
      b.text ? h('span', { class: 'quote', translate: 'no', dir: 'auto' }, ' “', b.text, '”') : null));
    while (alertList.children.length > 50) alertList.lastElementChild.remove();
    beep();
  }

  // ---- data ----
  async function reload(parts = ['room', 'queue', 'audit']) {
    if (closed) return;
    const jobs = [];
    if (parts.includes('room')) jobs.push(app.api.get(base).then((d) => { data = d; }));
    if (parts.includes('queue')) jobs.push(app.api.get(`${base}/queue`).then((q) => { queue = q || []; }).catch(() => {}));
    if (parts.includes('audit')) jobs.push(app.api.get(`${base}/audit`).then((a) => { audit = a || []; }).catch(() => {}));
    await Promise.all(jobs);
    if (closed) return;
    drawAll();
  }
  function drawAll() {
    drawHeader(); drawLobby(); drawMembers(); drawRoomActions(); drawQueue(); drawAudit();
    window.havenConsole.missing = app.i18n.missing();
  }
  let reloadTimer = null;
  const soon = (parts) => { clearTimeout(reloadTimer); reloadTimer = setTimeout(() => reload(parts).catch(() => {}), 150); };

  async function act(action, body, names) {
    let extra = {};
    if (needsReason(action) || action === 'slow_mode' || action === 'mute') {
      const got = await dialog.ask(action, names, data.room);
      if (!got) return;
      extra = got;
    }
    try {
      await app.api.post(`${base}/actions`, { action, ...body, ...extra, reason: extra.reason || '' });
      app.announce(t('console.saved'));
      if (action === 'end') { leave(true); view.ended = true; }
      await reload();
    } catch (e) { app.alert(e.message); }
  }
  async function resolve(q, decision) {
    const got = await dialog.ask(decision, { Name: q.pseudonym }, data.room);
    if (!got) return;
    try {
      await app.api.post(`${base}/queue/${encodeURIComponent(q.id)}`, { decision, reason: got.reason });
      app.announce(t('console.saved'));
      await reload(['queue', 'audit']);
    } catch (e) { app.alert(e.message); }
  }

  // ---- the peer ----
  function onFrame(f) {
    hook.frames.push(f.type);
    const what = apply(view, f);
    const b = f.body || {};
    if (f.type === 'voice.you') circleVoice.you(b);
    switch (what) {
      case 'welcome': drawHeader(); drawMembers(); circleVoice.redraw(); soon(['room']); break;
      case 'message': drawMessage(view.messages[view.messages.length - 1]); typing.textContent = ''; break;
      case 'deleted': case 'react': { const m = view.messages.find((x) => x.id === b.msg); if (m) drawMessage(m); break; }
      case 'members': drawMembers(); circleVoice.redraw(); soon(['room']); break;
      case 'voice':
        if (f.type === 'voice.speakers') circleVoice.speakers(view.slots);
        drawMembers(); drawRoomActions();
        break;
      case 'lobby': drawLobby(); soon(['room']); break;
      case 'typing':
        typing.textContent = t('console.groups.typing', { Name: b.from });
        clearTimeout(typingTimer);
        typingTimer = setTimeout(() => { typing.textContent = ''; }, 3000);
        break;
      case 'notice':
        noticeLine(app.i18n.has(b.id) ? t(b.id, b.data || {}) : b.text || '');
        if (b.id === 'group.notice.room_open' || b.id === 'group.notice.waiting_moderator') soon(['room']);
        break;
      case 'alert': addAlert(b); soon(['queue', 'audit']); break;
      case 'action': {
        const m = b.action === 'delete' && view.messages.find((x) => x.id === b.info?.message_id);
        if (m) drawMessage(m);
        soon(['room', 'queue', 'audit']);
        break;
      }
      case 'error': noticeLine(b.message || t('error.bad_request')); break;
      case 'ended': leave(true); reload(); break;
    }
  }
  async function join() {
    if (peer || ended()) return;
    link = 'connecting'; drawHeader();
    try {
      // a circle's peer carries the moderator's voice too: its transceivers go into the first offer
      const prepare = data.room?.space ? (pc) => circleVoice.prepare(pc) : null;
      const p = await connect(`${base}/moderator-peer`, { 'X-CSRF-Token': app.api.csrf(), 'Accept-Language': app.i18n.locale }, onFrame,
        { onClose: () => { if (peer === p) { peer = null; circleVoice.closed(); link = view.ended ? 'offline' : 'lost'; drawAll(); } }, prepare });
      if (closed) { p.close(); return; }
      peer = p;
      hook.peer = p;
      link = 'open';
      drawAll();
      msgInput.focus();
    } catch (e) {
      link = 'lost';
      circleVoice.closed();
      drawHeader();
      app.alert(e.message);
    }
  }
  function leave(quiet) {
    const p = peer;
    peer = null;
    if (p) p.close();
    circleVoice.closed();
    link = 'offline';
    view.lobby = [];
    if (!quiet) { drawAll(); joinBtn.focus(); soon(['room']); }
  }

  if (chatLog.children.length === 0) chatLog.append(h('li', { class: 'sys empty' }, t('console.groups.chat_empty')));
  await reload(['queue', 'audit']);
  // without the peer the lists still follow the room, slowly
  const poll = setInterval(() => { if (!peer && !dialog.open()) reload().catch(() => {}); }, 10000);
  return () => { closed = true; circleVoice.destroy(); clearInterval(poll); clearTimeout(reloadTimer); clearTimeout(typingTimer); leave(true); dialog.el.remove(); if (audio) audio.close().catch(() => {}); };
}

/**
 * unchanged reports whether box already shows state (and remembers it), so
 * a live update never redraws a button out from under the moderator's pointer.
 */
function unchanged(box, state) {
  const sig = JSON.stringify(state);
  if (box.dataset.sig === sig) return true;
  box.dataset.sig = sig;
  return false;
}

/**
 * keepFocus runs a redraw and puts the focus back on the control with the
 * same data-key; when that control is gone (a member was just admitted) the
 * focus goes to the redrawn region instead of falling to the page's body.
 */
function keepFocus(fn) {
  const el = document.activeElement;
  const key = el?.dataset?.key;
  const region = key ? el.closest('[data-region]') : null;
  fn();
  if (!key) return;
  const again = document.querySelector(`[data-key="${CSS.escape(key)}"]`);
  if (again) again.focus();
  else if (region && document.contains(region)) region.focus();
}

/**
 * reasonDialog is the modal every restricting action goes through: what the
 * action does, its setting (mute length, slow-mode seconds) and the reason,
 * required, that the audit keeps. ask() resolves {reason, seconds?} or null.
 */
function reasonDialog(app) {
  const { t } = app;
  const heading = h('h2', { id: 'reason-h' });
  const desc = h('p', { id: 'reason-desc' });
  const settings = h('div', {});
  const reason = h('textarea', { name: 'reason', rows: 3, maxlength: MAX_REASON, required: true, 'aria-required': 'true' });
  const confirmBtn = h('button', { type: 'submit', class: 'primary', id: 'reason-ok' });
  const cancelBtn = h('button', { type: 'button', id: 'reason-cancel' }, t('console.groups.cancel'));
  const form = h('form', { novalidate: true }, heading, desc, settings,
    field(t('console.groups.reason'), reason, t('console.groups.reason_hint')),
    h('div', { class: 'actions' }, confirmBtn, cancelBtn));
  const el = h('dialog', { class: 'reason-dialog', 'aria-labelledby': 'reason-h', 'aria-describedby': 'reason-desc' }, form);
  let pending = null, current = '', back = null, extra = null;
  const finish = (v) => { const r = pending; pending = null; if (el.open) el.close(); if (back && document.contains(back)) back.focus(); if (r) r(v); };
  cancelBtn.addEventListener('click', () => finish(null));
  el.addEventListener('cancel', (e) => { e.preventDefault(); finish(null); });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const { reason: text, error } = checkReason(current, reason.value);
    if (error) {
      // Tied to the textarea (aria-describedby, aria-invalid), focused so a
      // screen reader reads the rule with the field.
      showFieldError(form, 'reason', t(error));
      return;
    }
    const out = { reason: text };
    if (extra) out.seconds = Number(extra.value) || 0;
    finish(out);
  });
  return {
    el,
    open: () => el.open,
    ask(action, names = {}, room = {}) {
      if (pending) finish(null);
      current = action;
      back = document.activeElement;
      heading.textContent = t(`console.groups.dlg.${action}`, names);
      desc.textContent = t(`console.groups.dlg.${action}_desc`, names);
      confirmBtn.textContent = t(`console.groups.dlg.${action}_ok`);
      confirmBtn.className = ACTIONS[action]?.danger ? 'danger' : 'primary';
      reason.value = ''; clearErrors(form);
      extra = null;
      if (action === 'mute') {
        extra = select({ name: 'seconds' }, MUTE_CHOICES.map((s) => ({ value: s, label: t(MUTE_KEYS[s]) })), 600);
        mount(settings, field(t('console.groups.mute_for'), extra));
      } else if (action === 'slow_mode') {
        extra = h('input', { type: 'number', name: 'seconds', min: 0, max: 600, value: String(room.slow_mode_seconds || 30) });
        mount(settings, field(t('console.groups.slow_mode_seconds'), extra, t('console.groups.slow_mode_hint')));
      } else settings.replaceChildren();
      el.showModal();
      (extra || reason).focus();
      return new Promise((r) => { pending = r; });
    },
  };
}
