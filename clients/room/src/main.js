// Haven support room: the anonymous member page. A member joins with a room
// code (no account), accepts the rules, and chats over a WebRTC data channel
// labelled "chat" to the Haven server. Every text from others is inserted
// with textContent, never as HTML. The token that lets the member reconnect
// stays in this browser's localStorage only.
import { connect } from '../../shared/chat_peer.js';
import { formatClock, formatDate } from '../../webxr/src/format.js';
import { valueIn } from '../../webxr/src/i18n.js';
import { addVoice, createVoice } from './voice.js';
import { SHAPES, COLOURS, ACCESSORIES, bearing, ringSize } from './layout.js';

const $ = (id) => document.getElementById(id);
const state = { t: (id) => id, locale: 'en', wordingOf: '', code: '', room: null, token: '', you: null, channel: null, pc: null, members: new Map(), seq: 0, frames: [],
  space: '', view: 'circle', circle: null, voice: null, speakers: [], slots: [], floor: { order: false, turn: '', hands: [] }, lines: [] };

function fill(msgs) {
  return (id, data = {}) => {
    const s = msgs[id];
    if (s === undefined) return id;
    return s.replace(/\{\{\s*\.(\w+)\s*\}\}/g, (_, k) => (data[k] ?? ''));
  };
}

/** loadMessages fetches the group.* texts in the member's language, with the room's clinic's own wording once a room code is known (the server finds the clinic from the code; the page never learns it). */
async function loadMessages(code = '') {
  const lang = new URLSearchParams(location.search).get('lang') || navigator.language || 'en';
  const api = `/api/i18n/messages?prefix=group.&locale=${encodeURIComponent(lang)}${code ? `&room=${encodeURIComponent(code)}` : ''}`;
  for (const url of [api, `messages/en.json`]) {
    try {
      const r = await fetch(url);
      if (!r.ok) continue;
      const data = await r.json();
      if (data && data.messages) {
        state.locale = data.locale || 'en';
        document.documentElement.lang = state.locale;
        document.documentElement.dir = data.dir || 'ltr';
        return fill(data.messages);
      }
    } catch { /* try the next source */ }
  }
  return fill({});
}

/** useRoomWording reloads the page's texts with the room's clinic's overrides. */
async function useRoomWording(code) {
  if (!code || code === state.wordingOf) return;
  state.wordingOf = code;
  state.t = await loadMessages(code);
  translatePage();
}

/** fieldError shows msg under a field and ties it to the field (aria-describedby, aria-invalid); '' clears it. */
function fieldError(field, msg) {
  const input = $(field);
  const out = $(`${field}-error`);
  out.textContent = msg;
  out.hidden = !msg;
  if (msg) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
}

function clearErrors() {
  for (const f of ['code', 'pseudonym', 'accept']) fieldError(f, '');
  $('join-error').textContent = '';
}

/** showError puts a server error beside its field when it names one, else in the page's alert. */
function showError(err, fallbackField) {
  const field = { pseudonym: 'pseudonym', accept_rules: 'accept', code: 'code' }[err.field] || (err.code === 'join_code_invalid' ? 'code' : '');
  if (field) {
    fieldError(field, err.message);
    $(field).focus();
  } else if (fallbackField) {
    fieldError(fallbackField, err.message);
    $(fallbackField).focus();
  } else {
    $('join-error').textContent = err.message;
  }
}

/** query is the member's language for server texts (errors, notices, crisis panel). */
const query = () => `lang=${encodeURIComponent(state.locale)}`;

function translatePage() {
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = state.t(el.dataset.i18n);
  document.title = state.t('group.page.title');
}

async function api(method, path, body, headers = {}) {
  const r = await fetch(path, { method, headers: { 'Content-Type': 'application/json', ...headers }, body: body ? JSON.stringify(body) : undefined });
  const data = await r.json().catch(() => ({}));
  if (!r.ok) throw Object.assign(new Error(data?.error?.message || r.statusText), { code: data?.error?.code, field: data?.error?.field, status: r.status });
  return data;
}

async function showRoom(code) {
  clearErrors();
  if (!/^[A-Za-z0-9-]{4,16}$/.test(code)) {
    fieldError('code', state.t('group.error.code_format'));
    $('code').focus();
    return;
  }
  const face = await api('GET', `/api/groups/join/${encodeURIComponent(code)}?${query()}`);
  await useRoomWording(code);
  state.code = code;
  $('topic').textContent = face.topic;
  $('rules').textContent = face.rules;
  // the rules are in the room's language, or the clinic's own words: their own direction
  $('rules').dir = face.rules ? 'auto' : face.dir;
  $('rules').lang = face.locale || '';
  $('state').textContent = { closed: state.t('group.page.state_closed'), locked: state.t('group.page.state_locked'), ended: state.t('group.page.state_ended') }[face.state] || '';
  $('pseudonym').value = face.suggested_pseudonym;
  $('join-btn').disabled = ['closed', 'locked', 'ended'].includes(face.state);
  $('room-face').hidden = false;
  $('accept').focus();
}

async function join() {
  clearErrors();
  const saved = localStorage.getItem(`haven.room.${state.code}`);
  let res;
  if (saved) {
    try { res = await api('POST', `/api/groups/join?${query()}`, { code: state.code, token: saved }); res.token = saved; } catch { localStorage.removeItem(`haven.room.${state.code}`); }
  }
  if (!res) {
    if (!$('accept').checked) {
      fieldError('accept', state.t('group.error.accept_rules'));
      $('accept').focus();
      return;
    }
    res = await api('POST', `/api/groups/join?${query()}`, { code: state.code, accept_rules: true, pseudonym: $('pseudonym').value.trim() });
    localStorage.setItem(`haven.room.${state.code}`, res.token);
  }
  state.token = res.token;
  state.roomID = res.room_id;
  state.space = res.space || '';
  $('chat-topic').textContent = res.topic;
  $('join-view').hidden = true;
  $('chat-view').hidden = false;
  // a status line, replaced when the chat opens — never a stale "Connecting…" in the log
  $('conn-status').textContent = state.t('group.page.connecting');
  // the server's words (notices, crisis panel) in the page's language; the
  // region of the browser's language orders the helplines after the clinic's own
  const region = (navigator.language.match(/-([A-Z]{2})\b/) || [])[1] || '';
  // a circle's peer carries voice too: the transceivers go into the first offer
  const prepare = state.space ? (pc) => {
    const tr = addVoice(pc);
    state.voice = createVoice(pc, tr, { bearingOf: bearingTo, onState: voiceState });
    return tr;
  } : null;
  const { pc, channel } = await connect(`/api/groups/rooms/${res.room_id}/peer?${query()}${region ? `&region=${region}` : ''}`, { Authorization: `Bearer ${res.token}` }, onFrame,
    { onClose: () => { $('conn-status').textContent = ''; }, prepare });
  state.pc = pc;
  state.channel = channel;
  if (state.space) await openCircle();
  $('message').focus();
}

function send(type, body) {
  if (state.channel?.readyState !== 'open') return;
  state.channel.send(JSON.stringify({ v: 1, type, seq: ++state.seq, t: Date.now(), body }));
}

/** announce speaks one line through the page's own live region: the log itself is not live, so a screen reader hears "name: text", never the buttons beside it. */
function announce(text) {
  $('announce').textContent = '';
  requestAnimationFrame(() => { $('announce').textContent = text; });
}

function line(kind, text, extra, spoken = text) {
  const li = document.createElement('li');
  li.className = kind;
  if (extra) li.append(...extra);
  const span = document.createElement('span');
  span.className = 'text';
  span.dir = 'auto';
  span.textContent = text;
  li.append(span);
  $('log').append(li);
  li.scrollIntoView({ block: 'end' });
  announce(spoken);
  panelLine(kind.startsWith('msg') ? 'msg' : kind, spoken);
  return li;
}

/** renderMembers lists everyone present, keyed by id: two people showing one name stay two entries. */
function renderMembers() {
  const ul = $('members');
  ul.replaceChildren();
  const list = [...state.members.values()].sort((a, b) => (a.role === b.role ? a.pseudonym.localeCompare(b.pseudonym) : a.role === 'moderator' ? -1 : 1));
  for (const m of list) {
    const li = document.createElement('li');
    li.dataset.id = m.id;
    const name = Object.assign(document.createElement('bdi'), { textContent: m.pseudonym });
    li.append(name);
    if (m.role === 'moderator') {
      li.className = 'staff';
      li.append(' ', Object.assign(document.createElement('span'), { className: 'badge', textContent: state.t('group.role.moderator') }));
    }
    // in a circle the list view follows the voice: who speaks, raised hands, the turn, who is muted
    const states = [];
    if (state.speakers.includes(m.id)) { li.classList.add('speaking'); states.push(['speaking', state.t('group.page.speaking')]); }
    if (m.hand) states.push(['hand', state.t('group.page.hand_raised')]);
    if (state.floor.order && state.floor.turn === m.id) states.push(['turn', state.t('group.page.has_turn')]);
    if (m.voice_muted) states.push(['muted', state.t('group.page.voice_muted_short')]);
    for (const [cls, text] of states) li.append(Object.assign(document.createElement('span'), { className: `state ${cls}`, textContent: text }));
    ul.append(li);
  }
  state.circle?.update([...state.members.values()], state.you, state.speakers, state.floor);
  state.voice?.replace();
  if (state.circle) $('circle-canvas').setAttribute('aria-label', state.t('group.page.circle_summary', { Count: state.members.size, Speaking: speakerNames() || state.t('group.page.nobody') }));
}

function speakerNames() {
  return state.speakers.map((id) => {
    const name = state.members.get(id)?.pseudonym;
    return name && id === state.you?.id ? state.t('group.page.speaking_you', { Name: name }) : name;
  }).filter(Boolean).join(', ');
}

/** bearingTo is where a member sits as heard from one's own seat (radians to the right), NaN if either has no seat. */
function bearingTo(id) {
  const me = state.members.get(state.you?.id) || state.you;
  const other = state.members.get(id);
  if (typeof me?.seat !== 'number' || typeof other?.seat !== 'number') return NaN;
  return bearing(me.seat, other.seat, ringSize([...state.members.values()]));
}

/** voiceState shows the microphone's state in words (the status line) and on the talk and hand buttons. */
function voiceState(v) {
  let id = '', data = {};
  if (v.until) [id, data] = ['group.page.voice_paused', { Time: formatClock(v.until, state.locale) }];
  else if (v.muted) id = 'group.page.voice_muted';
  else if (!v.maySpeak && v.mode !== 'off') id = 'group.page.wait_turn';
  else if (v.sending) id = 'group.page.mic_live';
  $('voice-status').textContent = id ? state.t(id, data) : '';
  $('talk').hidden = v.mode !== 'push';
  $('talk').setAttribute('aria-pressed', String(v.talking));
}

/** panelLine keeps the last lines for the headset's chat panel. */
function panelLine(kind, text) {
  state.lines.push({ kind, text });
  if (state.lines.length > 40) state.lines.shift();
  state.circle?.drawPanel(state.t('group.page.chat'), state.lines);
}

function fillSelect(id, values, prefix) {
  const sel = $(id);
  sel.replaceChildren(...values.map((v) => Object.assign(document.createElement('option'), { value: v, textContent: state.t(`${prefix}.${v}`) })));
}

/** setView shows the circle (3D, with the chat beside it) or the list view (the chat and the member list only, nothing drawn). The 3D view loads (its own chunk) the first time it is shown. */
async function setView(view) {
  state.view = view;
  localStorage.setItem('haven.room.view', view);
  $('view-circle').setAttribute('aria-pressed', String(view === 'circle'));
  $('view-list').setAttribute('aria-pressed', String(view === 'list'));
  $('circle-stage').hidden = view !== 'circle';
  document.body.classList.toggle('circle-on', view === 'circle');
  if (view === 'circle' && !state.circle) {
    const { createCircle } = await import('./circle.js');
    state.circle = createCircle($('circle-canvas'), { space: state.space, t: state.t, onPose: (h, l, r) => send('circle.pose', { h, l, r }) });
    if (navigator.xr && await navigator.xr.isSessionSupported('immersive-vr').catch(() => false)) $('enter-vr').hidden = false;
    renderMembers();
    state.circle.drawPanel(state.t('group.page.chat'), state.lines);
  }
  state.circle?.renderer.setRunning(view === 'circle');
}

/** openCircle shows the circle's bar and 3D view once the chat is open (the renderer loads as its own chunk). */
async function openCircle() {
  $('circle-bar').hidden = false;
  fillSelect('avatar-shape', SHAPES, 'group.avatar.shape');
  fillSelect('avatar-colour', Object.keys(COLOURS), 'group.avatar.colour');
  fillSelect('avatar-accessory', ACCESSORIES, 'group.avatar.accessory');
  const sendAvatar = () => send('circle.avatar', { shape: $('avatar-shape').value, colour: $('avatar-colour').value, accessory: $('avatar-accessory').value });
  for (const id of ['avatar-shape', 'avatar-colour', 'avatar-accessory']) $(id).onchange = sendAvatar;
  $('view-circle').onclick = () => setView('circle').catch((err) => line('notice', err.message));
  $('view-list').onclick = () => setView('list');
  $('mic-mode').onchange = () => state.voice.setMode($('mic-mode').value).catch((err) => line('notice', `${state.t('group.page.mic_error')} (${err.name || err.message})`));
  const talk = (on) => (e) => { e.preventDefault(); state.voice.talk(on); };
  $('talk').onpointerdown = talk(true);
  $('talk').onpointerup = $('talk').onpointerleave = $('talk').onpointercancel = talk(false);
  $('talk').onkeydown = (e) => { if (e.key === ' ' || e.key === 'Enter') talk(true)(e); };
  $('talk').onkeyup = (e) => { if (e.key === ' ' || e.key === 'Enter') talk(false)(e); };
  $('hand').onclick = () => {
    const up = $('hand').getAttribute('aria-pressed') !== 'true';
    send('voice.hand', { up });
  };
  $('enter-vr').onclick = () => state.circle.enterXR().catch((err) => line('notice', err.message));
  renderMembers();
  await setView(localStorage.getItem('haven.room.view') === 'list' ? 'list' : 'circle');
}

function messageLine(b) {
  const from = document.createElement('bdi');
  from.className = 'from';
  from.textContent = b.from;
  const parts = [from];
  // staff are marked from the server's role field, which no member can set,
  // with a badge and a border no text can draw
  const staff = b.role === 'moderator';
  if (staff) {
    const badge = document.createElement('span');
    badge.className = 'badge';
    badge.textContent = state.t('group.role.moderator');
    parts.push(badge);
  }
  const who = staff ? `${b.from} (${state.t('group.role.moderator')})` : b.from;
  const li = line(staff ? 'msg staff' : 'msg', b.text, parts, `${who}: ${b.text}`);
  li.id = `m-${b.id}`;
  li.dataset.from = b.from_id || '';
  if (b.from_id && b.from_id === state.you?.id) return;
  // one button per message; the reactions and reports open from it
  const more = Object.assign(document.createElement('button'), { type: 'button', className: 'small more', textContent: '⋯' });
  more.setAttribute('aria-label', state.t('group.page.message_tools', { Name: b.from }));
  more.setAttribute('aria-expanded', 'false');
  const tools = document.createElement('span');
  tools.className = 'tools';
  tools.hidden = true;
  more.onclick = () => {
    tools.hidden = !tools.hidden;
    more.setAttribute('aria-expanded', String(!tools.hidden));
    if (!tools.hidden) tools.querySelector('button')?.focus();
  };
  li.append(more, tools);
  for (const e of state.reactions || []) {
    const btn = Object.assign(document.createElement('button'), { type: 'button', className: 'small', textContent: e });
    btn.setAttribute('aria-label', `${state.t('group.page.react')} ${e}`);
    btn.onclick = () => send('chat.react', { msg: b.id, emoji: e });
    tools.append(btn);
  }
  for (const reason of ['worried', 'harmful']) {
    const btn = Object.assign(document.createElement('button'), { type: 'button', className: 'small', textContent: state.t(`group.report.${reason}`) });
    btn.onclick = () => send('chat.report', { msg: b.id, reason });
    tools.append(btn);
  }
}

let crisisReturn = null;

/** trapFocus keeps Tab and Shift+Tab inside the open crisis panel (it is aria-modal) and lets Escape close it. */
function crisisKeys(e) {
  if ($('crisis').hidden) return;
  if (e.key === 'Escape') {
    e.preventDefault();
    closeCrisis();
    return;
  }
  if (e.key !== 'Tab') return;
  const items = [...$('crisis').querySelectorAll('a[href], button, [tabindex="-1"].crisis-scroll')].filter((el) => el.offsetParent !== null || el === $('crisis-close'));
  const focusable = items.filter((el) => el.tabIndex >= 0);
  if (!focusable.length) return;
  const first = focusable[0];
  const last = focusable[focusable.length - 1];
  if (!$('crisis').contains(document.activeElement)) {
    e.preventDefault();
    first.focus();
  } else if (e.shiftKey && (document.activeElement === first || document.activeElement === items[0])) {
    e.preventDefault();
    last.focus();
  } else if (!e.shiftKey && document.activeElement === last) {
    e.preventDefault();
    first.focus();
  }
}

function closeCrisis() {
  $('crisis').hidden = true;
  document.body.classList.remove('modal-open');
  for (const id of ['join-view', 'chat-view']) $(id).inert = false;
  // back to writing: the panel opened because of what was just sent
  const back = !$('chat-view').hidden && !$('message').disabled ? $('message') : crisisReturn;
  crisisReturn = null;
  back?.focus();
}

function showCrisis(b) {
  $('crisis-title').textContent = b.title;
  $('crisis-body').textContent = b.text;
  $('crisis-emergency').textContent = b.emergency;
  $('crisis-held').textContent = b.held;
  const ul = $('crisis-list');
  ul.replaceChildren();
  const dir = document.documentElement.dir; // numbers stay whole and in order in a right-to-left page
  for (const r of b.resources || []) {
    const li = document.createElement('li');
    // each name and address keeps its own direction inside an Arabic panel
    const name = Object.assign(document.createElement('strong'), { dir: 'auto', textContent: r.name });
    li.append(name, ' ');
    if (r.phone) li.append(Object.assign(document.createElement('a'), { href: `tel:${r.phone.replace(/\s/g, '')}`, textContent: r.phone, dir: 'ltr' }), ' ');
    if (r.text) {
      // a number becomes an sms: link; a keyword line ("HOME to 741741") is shown as written
      const label = state.t('group.crisis.text_line', { Text: valueIn(r.text, dir, { whole: true }) });
      li.append(/^\+?[\d\s-]+$/.test(r.text) ? Object.assign(document.createElement('a'), { href: `sms:${r.text.replace(/[\s-]/g, '')}`, textContent: label }) : label, ' ');
    }
    if (r.url) li.append(Object.assign(document.createElement('a'), { href: r.url, textContent: r.url, rel: 'noopener noreferrer', target: '_blank', dir: 'ltr' }), ' ');
    const checked = formatDate(r.last_verified, state.locale);
    const small = document.createElement('small');
    small.textContent = [valueIn(r.hours, dir), checked && `${b.verified_label} ${checked}`].filter(Boolean).join(' · ');
    li.append(small);
    if (r.stale) {
      li.classList.add('stale');
      li.append(Object.assign(document.createElement('small'), { className: 'stale-note', textContent: state.t('group.crisis.stale') }));
    }
    ul.append(li);
  }
  if (!$('crisis').hidden) return;
  crisisReturn = document.activeElement;
  $('crisis').hidden = false;
  document.body.classList.add('modal-open');
  // the page behind is inert while the panel is open: no Tab, no reading it
  for (const id of ['join-view', 'chat-view']) $(id).inert = true;
  $('crisis').querySelector('.crisis-scroll').scrollTop = 0;
  $('crisis-close').focus();
}

/** syncYou shows one's own figure and hand in the circle's controls. */
function syncYou(me) {
  if (!me || !state.space) return;
  if (me.avatar) {
    $('avatar-shape').value = me.avatar.shape;
    $('avatar-colour').value = me.avatar.colour;
    $('avatar-accessory').value = me.avatar.accessory;
  }
  $('hand').setAttribute('aria-pressed', String(!!me.hand));
  $('hand').textContent = state.t(me.hand ? 'group.page.lower_hand' : 'group.page.raise_hand');
}

let typingTimer;
function onFrame(f) {
  state.frames.push(f.type);
  const b = f.body || {};
  switch (f.type) {
    case 'welcome':
      state.you = b.you;
      state.reactions = b.reactions;
      $('you').textContent = state.t('group.page.you_are', { Name: b.you.pseudonym });
      $('conn-status').textContent = state.t('group.page.connected');
      state.members = new Map((b.members || []).map((m) => [m.id, m]));
      syncYou(b.you);
      renderMembers();
      break;
    case 'members.delta':
      for (const m of b.left || []) state.members.delete(m.id);
      for (const m of b.joined || []) state.members.set(m.id, m);
      if (state.you && state.members.has(state.you.id)) syncYou(state.members.get(state.you.id));
      renderMembers();
      break;
    case 'circle.poses': state.circle?.applyPoses(b.p); break;
    case 'voice.speakers':
      state.speakers = (b.ids || []).filter(Boolean);
      state.slots = b.slots || [];
      state.voice?.speakers(state.slots);
      renderMembers();
      break;
    case 'voice.floor':
      state.floor = { order: !!b.order, turn: b.turn || '', hands: b.hands || [] };
      renderMembers();
      break;
    case 'voice.you': state.voice?.you(b); break;
    case 'chat.msg': messageLine(b); break;
    case 'chat.typing':
      $('typing').textContent = state.t('group.page.typing', { Name: b.from });
      clearTimeout(typingTimer);
      typingTimer = setTimeout(() => { $('typing').textContent = ''; }, 3000);
      break;
    case 'chat.react': {
      const li = document.getElementById(`m-${b.msg}`);
      if (li) li.append(` ${b.emoji}`);
      break;
    }
    case 'chat.deleted': {
      const li = document.getElementById(`m-${b.msg}`);
      if (li) li.querySelector('.text').textContent = b.text;
      break;
    }
    case 'notice': line('notice', b.text); break;
    case 'error': line('notice', b.message); break;
    case 'crisis.resources':
      showCrisis(b);
      panelLine('crisis', [b.title, b.text, b.emergency, ...(b.resources || []).map((r) => [r.name, r.phone, r.url].filter(Boolean).join(' ')), b.held].filter(Boolean).join(' — '));
      break;
    case 'room.ended': $('send-form').hidden = true; break;
  }
}

async function main() {
  state.t = await loadMessages();
  translatePage();
  $('crisis-close').onclick = closeCrisis;
  document.addEventListener('keydown', crisisKeys);
  $('code-form').onsubmit = (e) => { e.preventDefault(); showRoom($('code').value.trim().toUpperCase()).catch((err) => showError(err, 'code')); };
  $('join-form').onsubmit = (e) => { e.preventDefault(); join().catch((err) => showError(err)); };
  $('send-form').onsubmit = (e) => {
    e.preventDefault();
    const text = $('message').value.trim();
    if (text) send('chat.send', { text });
    $('message').value = '';
  };
  $('message').oninput = () => send('chat.typing', {});
  $('leave').onclick = () => { state.pc?.close(); location.hash = ''; location.reload(); };
  // push to talk with the space bar anywhere but in a text field
  const typing = (e) => /^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(e.target.tagName);
  document.addEventListener('keydown', (e) => { if (e.key === ' ' && !e.repeat && !typing(e) && state.voice?.state().mode === 'push') { e.preventDefault(); state.voice.talk(true); } });
  document.addEventListener('keyup', (e) => { if (e.key === ' ' && !typing(e) && state.voice?.state().mode === 'push') state.voice.talk(false); });
  if (new URLSearchParams(location.search).has('iwer')) await (await import('../../webxr/src/iwer.js')).install();
  const code = new URLSearchParams(location.hash.slice(1)).get('code');
  if (code) { $('code').value = code; showRoom(code).catch((err) => showError(err, 'code')); }
  window.havenRoom = state; // for the browser tests
}

main();
