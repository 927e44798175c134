// Support groups, moderator view: the clinic's rooms and a form to open one;
// for the selected room its code, state, members (lobby first, with admit),
// per-member actions (mute, unmute, remove, ban), room actions (slow mode,
// lock/unlock, end) and the review queue (held crisis messages and reports:
// release or dismiss). Every action is audited by the server.
import { h, mount, field, table, select } from '../dom.js';
import { onSubmit, formError, notAvailable } from '../forms.js';
import { errorBox } from '../shell.js';
import { hashQuery } from '../util.js';
import { LOCALES } from '../i18n.js';

export async function render(app, root) {
  const { t } = app;
  mount(root, h('h1', {}, t('console.nav.groups')));
  if (!app.api.has('GET', '/api/groups/rooms')) { root.append(notAvailable(app)); return null; }
  const listBox = h('div', {});
  const roomBox = h('div', {});
  root.append(listBox, roomBox, createForm(app));
  const rooms = await app.api.get('/api/groups/rooms').catch((e) => e);
  const list = rooms instanceof Error ? null : (Array.isArray(rooms) ? rooms : rooms.rooms || []);
  mount(listBox, list === null ? errorBox(app, rooms) : list.length ? table(t('console.groups.rooms'), [
    { label: t('console.groups.topic'), cell: (r) => h('a', { href: `#/groups?room=${encodeURIComponent(r.id)}` }, h('span', { translate: 'no' }, r.topic)) },
    { label: t('console.groups.room_code'), cell: (r) => h('code', { translate: 'no' }, r.code) },
    { label: t('console.status'), cell: (r) => roomState(app, r.state) },
    { label: t('console.groups.capacity'), cell: (r) => app.i18n.number(r.capacity) },
  ], list) : h('p', {}, t('console.empty')));
  const id = hashQuery().get('room');
  if (!id) return null;
  let timer = null;
  const refresh = async () => {
    try { await drawRoom(app, roomBox, id, refresh); } catch (e) { mount(roomBox, errorBox(app, e)); }
  };
  await refresh();
  timer = setInterval(() => { if (!roomBox.contains(document.activeElement)) refresh(); }, 5000);
  return () => clearInterval(timer);
}

/** queueKey maps a queue item kind (crisis, deleted, report_<reason>) to its label. */
const queueKey = (app, kind) => {
  const k = kind.startsWith('report') ? 'report' : kind;
  return app.i18n.has(`console.groups.queue.${k}`) ? `console.groups.queue.${k}` : 'console.groups.queue.other';
};
const roomState = (app, s) => (app.i18n.has(`console.groups.state.${s}`) ? app.t(`console.groups.state.${s}`) : app.t('console.session.state.unknown'));

async function drawRoom(app, box, id, refresh) {
  const { t } = app;
  const [data, queue] = await Promise.all([app.api.get(`/api/groups/rooms/${encodeURIComponent(id)}`), app.api.get(`/api/groups/rooms/${encodeURIComponent(id)}/queue`).catch(() => [])]);
  const room = data.room;
  const members = data.members || [];
  const act = async (body) => {
    try { await app.api.post(`/api/groups/rooms/${encodeURIComponent(id)}/actions`, { reason: '', ...body }); app.announce(t('console.saved')); refresh(); } catch (e) { app.alert(e.message); }
  };
  const memberActions = (m) => h('div', { class: 'actions' },
    !m.admitted ? h('button', { type: 'button', class: 'primary', onclick: () => act({ action: 'admit', member_id: m.id }) }, t('console.groups.admit')) : null,
    m.muted_until ? h('button', { type: 'button', onclick: () => act({ action: 'unmute', member_id: m.id }) }, t('console.groups.unmute'))
      : h('button', { type: 'button', onclick: () => act({ action: 'mute', member_id: m.id, seconds: 600 }) }, t('console.groups.mute')),
    h('button', { type: 'button', onclick: () => act({ action: 'remove', member_id: m.id }) }, t('console.groups.remove')),
    h('button', { type: 'button', class: 'danger', onclick: () => { if (confirm(t('console.groups.ban_confirm'))) act({ action: 'ban', member_id: m.id }); } }, t('console.groups.ban')));
  const memberState = (m) => [m.banned && t('console.groups.banned'), m.removed && t('console.groups.removed'), m.muted_until && t('console.groups.muted'),
    !m.admitted && t('console.groups.lobby'), m.connected ? t('console.groups.online') : t('console.groups.offline')].filter(Boolean).join(' · ');
  const active = members.filter((m) => !m.removed && !m.banned);
  const lobby = active.filter((m) => !m.admitted);
  const slow = h('input', { type: 'number', name: 'seconds', min: 0, max: 600, value: String(room.slow_mode_seconds || 0) });
  mount(box, h('section', { class: 'card', 'aria-labelledby': 'room-h' },
    h('h2', { id: 'room-h' }, h('span', { translate: 'no' }, room.topic), ' · ', roomState(app, room.state)),
    h('p', {}, t('console.groups.room_code'), ' ', h('code', { translate: 'no', class: 'joincode' }, room.code)),
    h('p', {}, app.i18n.plural('console.groups.members', active.length), ' · ', t('console.groups.moderators_online', { Count: app.i18n.number(data.moderators_online || 0) })),
    lobby.length ? h('h3', {}, t('console.groups.lobby')) : null,
    lobby.length ? h('ul', {}, lobby.map((m) => h('li', {}, h('span', { translate: 'no' }, m.pseudonym), ' ', memberActions(m)))) : null,
    active.length ? table(t('console.groups.member_list'), [
      { label: t('console.groups.pseudonym'), cell: (m) => h('span', { translate: 'no' }, m.pseudonym) },
      { label: t('console.status'), cell: memberState },
      { label: t('console.actions'), cell: memberActions },
    ], active) : h('p', {}, t('console.empty')),
    h('div', { class: 'actions' },
      h('label', { for: 'slow-s' }, t('console.groups.slow_mode_seconds')), Object.assign(slow, { id: 'slow-s' }),
      h('button', { type: 'button', onclick: () => act({ action: 'slow_mode', seconds: Number(slow.value) || 0 }) }, t('console.groups.slow_mode')),
      room.locked ? h('button', { type: 'button', onclick: () => act({ action: 'unlock' }) }, t('console.groups.unlock'))
        : h('button', { type: 'button', onclick: () => act({ action: 'lock' }) }, t('console.groups.lock')),
      h('button', { type: 'button', class: 'danger', onclick: () => { if (confirm(t('console.groups.end_confirm'))) act({ action: 'end' }); } }, t('console.groups.end'))),
    h('h3', {}, t('console.groups.queue')),
    (queue || []).length ? h('ul', { class: 'alerts' }, queue.map((q) => h('li', {},
      h('strong', {}, t(queueKey(app, q.kind))), ' ',
      h('span', { translate: 'no' }, `${q.pseudonym}: ${q.text}`), ' ',
      h('button', { type: 'button', onclick: () => resolve(q.id, 'release') }, t('console.groups.release')),
      h('button', { type: 'button', onclick: () => resolve(q.id, 'dismiss') }, t('console.suggest.dismiss'))))) : h('p', {}, t('console.empty'))));
  async function resolve(item, decision) {
    try { await app.api.post(`/api/groups/rooms/${encodeURIComponent(id)}/queue/${encodeURIComponent(item)}`, { decision, reason: '' }); refresh(); } catch (e) { app.alert(e.message); }
  }
}

function createForm(app) {
  const { t } = app;
  const err = formError();
  const form = h('form', { class: 'card', novalidate: true, 'aria-labelledby': 'new-room-h' },
    h('h2', { id: 'new-room-h' }, t('console.groups.new')),
    h('div', { class: 'row' },
      field(t('console.groups.topic'), h('input', { name: 'topic', required: true, maxlength: 200 })),
      field(t('core.language'), select({ name: 'locale' }, LOCALES.map((l) => ({ value: l.id, label: l.name })), app.i18n.locale)),
      field(t('console.groups.capacity'), h('input', { name: 'capacity', type: 'number', min: 2, max: 500, value: '12' }))),
    field(t('console.groups.rules'), h('textarea', { name: 'rules', rows: 3 }), t('console.groups.rules_hint')),
    h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'lobby', checked: true }), ' ', t('console.groups.use_lobby')),
    h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'require_moderator', checked: true }), ' ', t('console.groups.require_moderator')),
    err, h('button', { type: 'submit', class: 'primary' }, t('console.create')));
  for (const o of form.querySelectorAll('select[name=locale] option')) o.setAttribute('lang', o.value);
  onSubmit(form, err, async (d) => {
    const room = await app.api.post('/api/groups/rooms', { topic: d.get('topic'), locale: d.get('locale'), capacity: Number(d.get('capacity')) || 0,
      rules: d.get('rules') || '', lobby: d.get('lobby') === 'on', require_moderator: d.get('require_moderator') === 'on' });
    app.announce(t('console.saved'));
    app.navigate(`#/groups?room=${encodeURIComponent((room.room || room).id)}`);
  }, app);
  return form;
}
