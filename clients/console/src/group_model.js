// The moderator's live view of a support room, without the DOM: what the
// `chat` data channel's frames (docs/groups.md) do to the room as the
// moderator sees it — messages with pseudonyms and roles, who is inside,
// the lobby, typing, notices and alerts — and the rules for moderator
// actions (which need a reason, how long a mute lasts). Tested in node.

/** MAX_MESSAGES is how many chat lines the view keeps (the server keeps 500 in memory). */
export const MAX_MESSAGES = 500;
/** MAX_REASON is the server's limit on a reason's length. */
export const MAX_REASON = 500;
/** MUTE_CHOICES are the mute durations offered, in seconds (the server allows 10 s to 7 days). */
export const MUTE_CHOICES = [600, 3600, 86400, 7 * 86400];

/** ACTIONS lists every moderator action the console sends and whether it needs a written reason. */
export const ACTIONS = {
  delete: { reason: true, target: 'message' },
  mute: { reason: true, target: 'member' },
  remove: { reason: true, target: 'member' },
  ban: { reason: true, target: 'member', danger: true },
  slow_mode: { reason: true, target: 'room' },
  lock: { reason: true, target: 'room' },
  end: { reason: true, target: 'room', danger: true },
  release: { reason: true, target: 'queue' },
  dismiss: { reason: true, target: 'queue' },
  // lifting a restriction or letting someone in needs no written reason
  admit: { reason: false, target: 'member' },
  unmute: { reason: false, target: 'member' },
  unlock: { reason: false, target: 'room' },
};

/** needsReason reports whether action asks the moderator for a reason first. */
export const needsReason = (action) => Boolean(ACTIONS[action]?.reason);

/** checkReason trims a reason and returns {reason, error}; error is '' or a console message id. */
export function checkReason(action, text) {
  const reason = String(text ?? '').replace(/\s+/g, ' ').trim();
  if (needsReason(action) && !reason) return { reason, error: 'console.groups.reason_required' };
  if ([...reason].length > MAX_REASON) return { reason, error: 'console.groups.reason_too_long' };
  return { reason, error: '' };
}

/** auditKey maps an audit action ("group.ban", "group.queue_release", "group.crisis_held") to its label id. */
export function auditKey(action, has = () => true) {
  const id = `console.groups.audit.${String(action).replace(/^group\./, '')}`;
  return has(id) ? id : 'console.groups.audit.other';
}

/** createRoomView is the empty state before the welcome frame. */
export function createRoomView() {
  return { you: null, open: false, admitted: false, ended: false, members: new Map(), lobby: [], messages: [], typing: null, reactions: [], seq: 0,
    speaking: [], slots: [], floor: { order: false, turn: '', hands: [] } };
}

/**
 * memberList returns [{id, pseudonym, role}] sorted, moderators first.
 * view.members is keyed by presence id (a member's id, a moderator's
 * connection key), never by pseudonym: two people may show the same name —
 * a member may even copy a moderator's — and each keeps their own row.
 */
export function memberList(view) {
  return [...view.members.values()]
    .sort((a, b) => (a.role !== b.role ? (a.role === 'moderator' ? -1 : 1)
      : a.pseudonym.localeCompare(b.pseudonym) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)));
}

// presence is one entry of welcome.members or members.delta ({id, pseudonym, role}).
// In a circle it also says the seat (where the voice is heard from), whether
// the hand is raised and the voice muted.
const presence = (m) => ({ id: String(m.id ?? ''), pseudonym: String(m.pseudonym ?? ''), role: m.role === 'moderator' ? 'moderator' : 'member',
  ...(Number.isInteger(m.seat) && m.seat >= 0 ? { seat: m.seat } : {}), ...(m.hand ? { hand: true } : {}), ...(m.voice_muted ? { voiceMuted: true } : {}) });

// figureOf is a circle figure's three choices, as strings.
const figureOf = (a) => ({ shape: String(a.shape ?? ''), colour: String(a.colour ?? ''), accessory: String(a.accessory ?? '') });

/**
 * apply folds one server frame into view and returns what changed, so the
 * page redraws only that part: 'welcome', 'message', 'deleted', 'react',
 * 'members', 'voice' (a circle's speakers or speaking order), 'lobby', 'typing', 'notice', 'alert', 'action', 'error',
 * 'ended' or '' for frames the moderator view ignores (pong).
 */
export function apply(view, f) {
  const b = (f && f.body) || {};
  if (typeof f?.seq === 'number') view.seq = Math.max(view.seq, f.seq);
  switch (f?.type) {
    case 'welcome':
      // the moderator's own seat and figure (the circle's voice panel shows and changes them)
      view.you = b.you ? { ...presence(b.you), ...(b.you.avatar ? { avatar: figureOf(b.you.avatar) } : {}) } : null;
      view.open = Boolean(b.room?.open);
      view.admitted = Boolean(b.admitted);
      view.reactions = b.reactions || [];
      view.members = new Map((b.members || []).map((m) => [String(m.id ?? ''), presence(m)]));
      return 'welcome';
    case 'members.delta':
      for (const m of b.left || []) view.members.delete(String(m.id ?? ''));
      for (const m of b.joined || []) view.members.set(String(m.id ?? ''), presence(m));
      return 'members';
    case 'voice.speakers': // a circle: who is speaking now, and who is on which voice slot
      view.speaking = (b.ids || []).map(String);
      view.slots = (b.slots || []).map(String);
      return 'voice';
    case 'voice.floor': // a circle's speaking order: on or off, the turn, raised hands first raised first
      view.floor = { order: Boolean(b.order), turn: String(b.turn || ''), hands: (b.hands || []).map(String) };
      return 'voice';
    case 'lobby':
      view.lobby = (b.members || []).map((m) => ({ id: m.id, pseudonym: m.pseudonym }));
      return 'lobby';
    case 'chat.msg':
      view.messages = view.messages.filter((m) => m.id !== b.id); // a released message may arrive again
      view.messages.push({ id: b.id, from: b.from, fromId: b.from_id || '', role: b.role || 'member', text: b.text ?? '', redacted: Boolean(b.redacted), at: b.at || Date.now(), deleted: false, reactions: [] });
      if (view.messages.length > MAX_MESSAGES) view.messages.splice(0, view.messages.length - MAX_MESSAGES);
      if (view.typing && view.typing.from === b.from) view.typing = null;
      return 'message';
    case 'chat.deleted': {
      const m = view.messages.find((x) => x.id === b.msg);
      if (!m) return '';
      m.deleted = true;
      m.text = '';
      return 'deleted';
    }
    case 'chat.react': {
      const m = view.messages.find((x) => x.id === b.msg);
      if (!m) return '';
      m.reactions.push(b.emoji);
      return 'react';
    }
    case 'chat.typing':
      view.typing = { from: b.from, at: Date.now() };
      return 'typing';
    case 'notice':
      if (b.id === 'group.notice.room_open') view.open = true;
      if (b.id === 'group.notice.waiting_moderator') view.open = false;
      return 'notice';
    case 'mod.alert': return 'alert';
    case 'mod.action':
      if (b.action === 'delete' && b.info?.message_id) {
        const m = view.messages.find((x) => x.id === b.info.message_id);
        if (m) { m.deleted = true; m.text = ''; }
      }
      return 'action';
    case 'error': return 'error';
    case 'room.ended':
      view.ended = true;
      view.open = false;
      return 'ended';
    default: return '';
  }
}

/** alertKey is the console message id for a mod.alert body (crisis or a report). */
export function alertKey(body) {
  const kind = String(body?.kind || '');
  if (kind === 'crisis') return 'console.groups.alert.crisis';
  if (kind.startsWith('report')) return 'console.groups.alert.report';
  return 'console.groups.alert.other';
}
