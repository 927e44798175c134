// Haven support room: the anonymous member page. A member joins with a room
// code (no account), accepts the rules, and chats over a WebRTC data channel
// labelled "chat" to the Haven server. Every text from others is inserted
// with textContent, never as HTML. The token that lets the member reconnect
// stays in this browser's localStorage only.
import { connect } from '../../shared/chat_peer.js';
import { formatDate } from '../../webxr/src/format.js';
import { valueIn } from '../../webxr/src/i18n.js';

const $ = (id) => document.getElementById(id);
const state = { t: (id) => id, locale: 'en', clinic: '', code: '', room: null, token: '', you: null, channel: null, pc: null, members: new Map(), seq: 0, frames: [] };

function fill(msgs) {
  return (id, data = {}) => {
    const s = msgs[id];
    if (s === undefined) return id;
    return s.replace(/\{\{\s*\.(\w+)\s*\}\}/g, (_, k) => (data[k] ?? ''));
  };
}

/** loadMessages fetches the group.* texts in the member's language, with the room's clinic's own wording once the room is known. */
async function loadMessages(clinic = '') {
  const lang = new URLSearchParams(location.search).get('lang') || navigator.language || 'en';
  const api = `/api/i18n/messages?prefix=group.&locale=${encodeURIComponent(lang)}${clinic ? `&clinic=${encodeURIComponent(clinic)}` : ''}`;
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

/** useClinic reloads the page's texts with the clinic's overrides (the room's face names its clinic). */
async function useClinic(clinic) {
  if (!clinic || clinic === state.clinic) return;
  state.clinic = clinic;
  state.t = await loadMessages(clinic);
  translatePage();
}

function translatePage() {
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = state.t(el.dataset.i18n);
  document.title = state.t('group.page.title');
}

async function api(method, path, body, headers = {}) {
  const r = await fetch(path, { method, headers: { 'Content-Type': 'application/json', ...headers }, body: body ? JSON.stringify(body) : undefined });
  const data = await r.json().catch(() => ({}));
  if (!r.ok) throw Object.assign(new Error(data?.error?.message || r.statusText), { code: data?.error?.code, status: r.status });
  return data;
}

async function showRoom(code) {
  $('join-error').textContent = '';
  const face = await api('GET', `/api/groups/join/${encodeURIComponent(code)}?lang=${encodeURIComponent(state.locale)}`);
  await useClinic(face.clinic_id);
  state.code = code;
  $('topic').textContent = face.topic;
  $('rules').textContent = face.rules;
  $('rules').dir = face.dir;
  $('state').textContent = { closed: state.t('group.page.state_closed'), locked: state.t('group.page.state_locked'), ended: state.t('group.page.state_ended') }[face.state] || '';
  $('pseudonym').value = face.suggested_pseudonym;
  $('join-btn').disabled = ['closed', 'locked', 'ended'].includes(face.state);
  $('room-face').hidden = false;
  $('accept').focus();
}

async function join() {
  const saved = localStorage.getItem(`haven.room.${state.code}`);
  let res;
  if (saved) {
    try { res = await api('POST', '/api/groups/join', { code: state.code, token: saved }); res.token = saved; } catch { localStorage.removeItem(`haven.room.${state.code}`); }
  }
  if (!res) {
    res = await api('POST', '/api/groups/join', { code: state.code, accept_rules: $('accept').checked, pseudonym: $('pseudonym').value.trim() });
    localStorage.setItem(`haven.room.${state.code}`, res.token);
  }
  state.token = res.token;
  state.roomID = res.room_id;
  $('chat-topic').textContent = res.topic;
  $('join-view').hidden = true;
  $('chat-view').hidden = false;
  line('notice', state.t('group.page.connecting'));
  // the server's words (notices, crisis panel) in the page's language
  const { pc, channel } = await connect(`/api/groups/rooms/${res.room_id}/peer?lang=${encodeURIComponent(state.locale)}`, { Authorization: `Bearer ${res.token}` }, onFrame);
  state.pc = pc;
  state.channel = channel;
  $('message').focus();
}

function send(type, body) {
  if (state.channel?.readyState !== 'open') return;
  state.channel.send(JSON.stringify({ v: 1, type, seq: ++state.seq, t: Date.now(), body }));
}

function line(kind, text, extra) {
  const li = document.createElement('li');
  li.className = kind;
  if (extra) li.append(...extra);
  const span = document.createElement('span');
  span.className = 'text';
  span.textContent = text;
  li.append(span);
  $('log').append(li);
  li.scrollIntoView({ block: 'end' });
  return li;
}

function renderMembers() {
  const ul = $('members');
  ul.replaceChildren();
  for (const [name, role] of [...state.members].sort()) {
    const li = document.createElement('li');
    li.textContent = name + (role === 'moderator' ? ` · ${state.t('group.role.moderator')}` : '');
    ul.append(li);
  }
}

function messageLine(b) {
  const from = document.createElement('span');
  from.className = 'from';
  from.textContent = b.from;
  const parts = [from];
  if (b.role === 'moderator') {
    const badge = document.createElement('span');
    badge.className = 'badge';
    badge.textContent = state.t('group.role.moderator');
    parts.push(badge);
  }
  const li = line('msg', b.text, parts);
  li.id = `m-${b.id}`;
  li.dataset.from = b.from;
  const tools = document.createElement('span');
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
  if (b.from !== state.you?.pseudonym) li.append(tools);
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
    const name = document.createElement('strong');
    name.textContent = `${r.name} `;
    li.append(name);
    if (r.phone) li.append(Object.assign(document.createElement('a'), { href: `tel:${r.phone.replace(/\s/g, '')}`, textContent: r.phone, dir: 'ltr' }), ' ');
    if (r.text) {
      // a number becomes an sms: link; a keyword line ("HOME to 741741") is shown as written
      const label = state.t('group.crisis.text_line', { Text: valueIn(r.text, dir, { whole: true }) });
      li.append(/^\+?[\d\s-]+$/.test(r.text) ? Object.assign(document.createElement('a'), { href: `sms:${r.text.replace(/[\s-]/g, '')}`, textContent: label }) : label, ' ');
    }
    if (r.url) li.append(Object.assign(document.createElement('a'), { href: r.url, textContent: r.url, rel: 'noopener noreferrer', target: '_blank' }), ' ');
    const checked = formatDate(r.last_verified, state.locale);
    const small = document.createElement('small');
    small.textContent = [valueIn(r.hours, dir), checked && `${b.verified_label} ${checked}`].filter(Boolean).join(' · ');
    li.append(small);
    ul.append(li);
  }
  $('crisis').hidden = false;
  $('crisis-close').focus();
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
      state.members = new Map((b.members || []).map((m) => [m.pseudonym, m.role]));
      renderMembers();
      break;
    case 'members.delta':
      for (const m of b.joined || []) state.members.set(m.pseudonym, m.role);
      for (const m of b.left || []) state.members.delete(m.pseudonym);
      renderMembers();
      break;
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
    case 'crisis.resources': showCrisis(b); break;
    case 'room.ended': $('send-form').hidden = true; break;
  }
}

async function main() {
  state.t = await loadMessages();
  translatePage();
  $('crisis-close').onclick = () => { $('crisis').hidden = true; $('message').focus(); };
  $('code-form').onsubmit = (e) => { e.preventDefault(); showRoom($('code').value.trim().toUpperCase()).catch((err) => { $('join-error').textContent = err.message; }); };
  $('join-form').onsubmit = (e) => { e.preventDefault(); join().catch((err) => { $('join-error').textContent = err.message; }); };
  $('send-form').onsubmit = (e) => {
    e.preventDefault();
    const text = $('message').value.trim();
    if (text) send('chat.send', { text });
    $('message').value = '';
  };
  $('message').oninput = () => send('chat.typing', {});
  $('leave').onclick = () => { state.pc?.close(); location.hash = ''; location.reload(); };
  const code = new URLSearchParams(location.hash.slice(1)).get('code');
  if (code) { $('code').value = code; showRoom(code).catch((err) => { $('join-error').textContent = err.message; }); }
  window.havenRoom = state; // for the browser tests
}

main();
