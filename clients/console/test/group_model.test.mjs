import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apply, createRoomView, memberList, checkReason, needsReason, auditKey, alertKey, MAX_MESSAGES } from '../src/group_model.js';

const frame = (type, body, seq = 1) => ({ v: 1, type, seq, body });

test('welcome, presence and lobby', () => {
  const v = createRoomView();
  assert.equal(apply(v, frame('welcome', { you: { pseudonym: 'Dr M', role: 'moderator' }, room: { open: true }, admitted: true,
    members: [{ id: 'm1', pseudonym: 'Calm Otter', role: 'member' }, { id: 'k1', pseudonym: 'Dr M', role: 'moderator' }], reactions: ['👍'] })), 'welcome');
  assert.equal(v.open, true);
  assert.deepEqual(memberList(v).map((m) => m.pseudonym), ['Dr M', 'Calm Otter'], 'moderators first');
  assert.equal(apply(v, frame('members.delta', { joined: [{ id: 'm2', pseudonym: 'Brave Fern', role: 'member' }], left: [{ id: 'm1', pseudonym: 'Calm Otter', role: 'member' }] }, 2)), 'members');
  assert.deepEqual(memberList(v).map((m) => m.pseudonym), ['Dr M', 'Brave Fern']);
  assert.equal(apply(v, frame('lobby', { members: [{ id: 'm1', pseudonym: 'Quiet Lark' }] }, 3)), 'lobby');
  assert.deepEqual(v.lobby, [{ id: 'm1', pseudonym: 'Quiet Lark' }]);
  assert.equal(v.seq, 3);
});

test('members are keyed by id: a copied name never merges two people', () => {
  const v = createRoomView();
  // docs/groups.md: presence entries are {id, pseudonym, role}; a member's id
  // is their member id, a moderator's the connection's key.
  apply(v, frame('welcome', { you: { pseudonym: 'Dr M', role: 'moderator' }, room: { open: true }, admitted: true,
    members: [{ id: 'k1', pseudonym: 'Dr M', role: 'moderator' }, { id: 'm1', pseudonym: 'Calm Otter', role: 'member' }] }));
  apply(v, frame('members.delta', { joined: [
    { id: 'm2', pseudonym: 'Dr M', role: 'member' }, // a member takes the moderator's exact name
    { id: 'm3', pseudonym: 'Calm Otter', role: 'member' }, // and another a member's
  ], left: [] }, 2));
  assert.deepEqual(memberList(v), [
    { id: 'k1', pseudonym: 'Dr M', role: 'moderator' },
    { id: 'm1', pseudonym: 'Calm Otter', role: 'member' },
    { id: 'm3', pseudonym: 'Calm Otter', role: 'member' },
    { id: 'm2', pseudonym: 'Dr M', role: 'member' },
  ], 'four people, four rows; the moderator keeps their role');
  apply(v, frame('members.delta', { joined: [], left: [{ id: 'm2', pseudonym: 'Dr M', role: 'member' }, { id: 'm1', pseudonym: 'Calm Otter', role: 'member' }] }, 3));
  assert.deepEqual(memberList(v).map((m) => m.id), ['k1', 'm3'], 'leaving removes that person only, not the one with their name');
});

test('messages, deletion, reactions, typing', () => {
  const v = createRoomView();
  apply(v, frame('chat.typing', { from: 'Brave Fern' }));
  assert.equal(v.typing.from, 'Brave Fern');
  assert.equal(apply(v, frame('chat.msg', { id: 'a', from: 'Brave Fern', from_id: 'm2', role: 'member', text: 'hello', at: 5 })), 'message');
  assert.equal(v.typing, null, 'a message ends the typing notice');
  assert.equal(v.messages[0].fromId, 'm2');
  assert.equal(apply(v, frame('chat.react', { msg: 'a', emoji: '🌱' })), 'react');
  assert.deepEqual(v.messages[0].reactions, ['🌱']);
  assert.equal(apply(v, frame('chat.deleted', { msg: 'a', text: 'removed' })), 'deleted');
  assert.equal(v.messages[0].deleted, true);
  assert.equal(v.messages[0].text, '', 'a deleted text is dropped from the page');
  assert.equal(apply(v, frame('chat.deleted', { msg: 'nope' })), '');
  for (let i = 0; i < MAX_MESSAGES + 10; i++) apply(v, frame('chat.msg', { id: `x${i}`, from: 'A', text: 't' }));
  assert.equal(v.messages.length, MAX_MESSAGES);
});

test('room state from notices and end', () => {
  const v = createRoomView();
  apply(v, frame('notice', { id: 'group.notice.room_open' }));
  assert.equal(v.open, true);
  apply(v, frame('notice', { id: 'group.notice.waiting_moderator' }));
  assert.equal(v.open, false);
  assert.equal(apply(v, frame('mod.alert', { kind: 'crisis' })), 'alert');
  assert.equal(apply(v, frame('room.ended', {})), 'ended');
  assert.equal(v.ended, true);
  assert.equal(apply(v, frame('pong', {})), '');
  assert.equal(apply(v, null), '');
});

test('reasons', () => {
  for (const a of ['delete', 'mute', 'remove', 'ban', 'slow_mode', 'lock', 'end', 'release', 'dismiss']) assert.ok(needsReason(a), a);
  for (const a of ['admit', 'unmute', 'unlock']) assert.ok(!needsReason(a), a);
  assert.deepEqual(checkReason('ban', '   '), { reason: '', error: 'console.groups.reason_required' });
  assert.deepEqual(checkReason('ban', '  spam \n links '), { reason: 'spam links', error: '' });
  assert.equal(checkReason('admit', '').error, '');
  assert.equal(checkReason('ban', 'x'.repeat(501)).error, 'console.groups.reason_too_long');
});

test('labels', () => {
  assert.equal(auditKey('group.ban'), 'console.groups.audit.ban');
  assert.equal(auditKey('group.queue_release'), 'console.groups.audit.queue_release');
  assert.equal(auditKey('group.whatever', () => false), 'console.groups.audit.other');
  assert.equal(alertKey({ kind: 'crisis' }), 'console.groups.alert.crisis');
  assert.equal(alertKey({ kind: 'report_worried' }), 'console.groups.alert.report');
  assert.equal(alertKey({}), 'console.groups.alert.other');
});

test('a circle: who speaks, the speaking order and raised hands reach the moderator view', () => {
  const v = createRoomView();
  apply(v, frame('members.delta', { joined: [{ id: 'm1', pseudonym: 'Calm Otter', role: 'member', seat: 1, hand: true, voice_muted: true }], left: [] }, 1));
  assert.deepEqual([v.members.get('m1').hand, v.members.get('m1').voiceMuted], [true, true]);
  assert.equal(apply(v, frame('voice.speakers', { slots: ['m1', '', ''], ids: ['m1'] }, 2)), 'voice');
  assert.deepEqual(v.speaking, ['m1']);
  assert.deepEqual(v.slots, ['m1', '', '']); // the moderator's own voice panel places each slot at its speaker's seat
  assert.equal(v.members.get('m1').seat, 1);
  assert.equal(apply(v, frame('voice.floor', { order: true, turn: 'm1', hands: [] }, 3)), 'voice');
  assert.deepEqual(v.floor, { order: true, turn: 'm1', hands: [] });
});

test("a moderator's own seat comes with the welcome (voices are heard from it); a seat that is not a seat number is dropped", () => {
  const v = createRoomView();
  apply(v, frame('welcome', { you: { id: '', pseudonym: 'Sam (moderator)', role: 'moderator', seat: 0, avatar: { shape: 'bell', colour: 'sky', accessory: 'none' } }, members: [
    { id: 'mod:1', pseudonym: 'Sam (moderator)', role: 'moderator', seat: 0 },
    { id: 'm2', pseudonym: 'Quiet Fern', role: 'member', seat: -1 },
    { id: 'm3', pseudonym: 'Blue Heron', role: 'member', seat: '2' }] }, 1));
  assert.equal(v.you.seat, 0);
  assert.deepEqual(v.you.avatar, { shape: 'bell', colour: 'sky', accessory: 'none' });
  assert.equal(v.members.get('mod:1').seat, 0);
  assert.equal('seat' in v.members.get('m2'), false);
  assert.equal('seat' in v.members.get('m3'), false);
});
