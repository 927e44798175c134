// Support groups, moderator view: the clinic's rooms and a form to open one;
// the selected room is moderated live from group_room.js (the moderator's
// WebRTC peer on the room's chat channel, lobby, members, actions with
// reasons, alerts, review queue and moderation log).
import { h, mount, field, table, select } from '../dom.js';
import { onSubmit, formError, notAvailable } from '../forms.js';
import { errorBox } from '../shell.js';
import { hashQuery } from '../util.js';
import { LOCALES } from '../i18n.js';
import { mountRoom } from './group_room.js';

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
    { label: t('console.status'), cell: (r) => h('span', { 'data-room-state': r.id }, roomState(app, r.state)) },
    { label: t('console.groups.capacity'), cell: (r) => app.i18n.number(r.capacity) },
  ], list) : h('p', {}, t('console.empty')));
  const id = hashQuery().get('room');
  if (!id) return null;
  // the open room's row follows its live state (it opens when a moderator joins below)
  const follow = (state) => {
    const cell = [...listBox.querySelectorAll('[data-room-state]')].find((el) => el.dataset.roomState === id);
    if (cell) cell.textContent = roomState(app, state);
  };
  try { return await mountRoom(app, roomBox, id, follow); } catch (e) { mount(roomBox, errorBox(app, e)); return null; }
}

const roomState = (app, s) => (app.i18n.has(`console.groups.state.${s}`) ? app.t(`console.groups.state.${s}`) : app.t('console.session.state.unknown'));

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
    // a calming scene opens the room as a circle with voice (docs/groups.md); none: a text room
    field(t('console.groups.space'), select({ name: 'space' }, ['', 'forest', 'beach', 'night_sky', 'neutral_room'].map((v) => ({ value: v, label: t(`console.groups.space.${v || 'none'}`) })), ''), t('console.groups.space_hint')),
    h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'lobby', checked: true }), ' ', t('console.groups.use_lobby')),
    h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'require_moderator', checked: true }), ' ', t('console.groups.require_moderator')),
    err, h('button', { type: 'submit', class: 'primary' }, t('console.create')));
  for (const o of form.querySelectorAll('select[name=locale] option')) o.setAttribute('lang', o.value);
  onSubmit(form, err, async (d) => {
    const room = await app.api.post('/api/groups/rooms', { topic: d.get('topic'), locale: d.get('locale'), capacity: Number(d.get('capacity')) || 0,
      rules: d.get('rules') || '', lobby: d.get('lobby') === 'on', require_moderator: d.get('require_moderator') === 'on', space: d.get('space') || '' });
    app.announce(t('console.saved'));
    app.navigate(`#/groups?room=${encodeURIComponent((room.room || room).id)}`);
  }, app);
  return form;
}
