// Envelope codec and per-channel sequencing for Haven's data channels
// (DESIGN.md §3): {"v":1,"type","seq","ack","t","body"}. seq counts per sender
// and channel from 1; ack is the highest peer seq we have durably handled.
// Messages marked durable (signal batches, break requests) stay in an outbox
// until the peer acknowledges them, survive a page reload via sessionStorage,
// and are resent after a reconnect — never dropped (the server de-duplicates by seq).

export const VERSION = 1;
const MAX_MESSAGE_BYTES = 256 * 1024;

/** decode parses one incoming frame; it throws a descriptive Error for anything that is not a v1 envelope. */
export function decode(text) {
  if (typeof text !== 'string') throw new Error('protocol: frame is not text');
  if (text.length > MAX_MESSAGE_BYTES) throw new Error('protocol: frame too large');
  let env;
  try { env = JSON.parse(text); } catch (err) { throw new Error(`protocol: bad JSON: ${err.message}`); }
  if (!env || typeof env !== 'object' || Array.isArray(env)) throw new Error('protocol: envelope is not an object');
  if (env.v !== VERSION) throw new Error(`protocol: unsupported version ${JSON.stringify(env.v)}`);
  if (typeof env.type !== 'string' || env.type === '') throw new Error('protocol: missing type');
  for (const k of ['seq', 'ack', 't']) {
    if (env[k] !== undefined && !(Number.isSafeInteger(env[k]) && env[k] >= 0)) throw new Error(`protocol: bad ${k}`);
  }
  if (env.body !== undefined && (env.body === null || typeof env.body !== 'object' || Array.isArray(env.body))) {
    throw new Error('protocol: body is not an object');
  }
  return { v: env.v, type: env.type, seq: env.seq ?? 0, ack: env.ack ?? 0, t: env.t ?? 0, body: env.body ?? {} };
}

/**
 * Channel sequences one direction of one data channel. send is a function
 * that transmits a string and returns false (or throws) when the channel is
 * not open; storage is a Storage-like object (sessionStorage) or null.
 */
export class Channel {
  constructor(label, { storage = null, storageKey = `haven.${label}`, now = () => Date.now() } = {}) {
    this.label = label;
    this.storage = storage;
    this.storageKey = storageKey;
    this.now = now;
    this.seq = 0;          // last seq we assigned
    this.peerSeq = 0;      // highest peer seq handled (what we ack)
    this.peerAck = 0;      // highest of our seqs the peer acknowledged
    this.outbox = [];      // durable envelopes not yet acknowledged, in seq order
    this.transport = null;
    this.restore();
  }

  /** attach sets (or clears with null) the function that puts a frame on the wire. */
  attach(transport) { this.transport = transport; }

  /** newPeer forgets the peer's sequence numbers: a new peer connection starts its own count. */
  newPeer() { this.peerSeq = 0; }

  /** envelope builds the next outgoing envelope. */
  envelope(type, body = {}) {
    this.seq += 1;
    return { v: VERSION, type, seq: this.seq, ack: this.peerSeq, t: this.now(), body };
  }

  /** send transmits now if possible; durable messages are also kept until acknowledged. Returns the envelope. */
  send(type, body = {}, { durable = false } = {}) {
    const env = this.envelope(type, body);
    if (durable) { this.outbox.push(env); this.persist(); } else { this.persistSeq(); }
    this.lastSent = this.transmit(env); // false: no open channel (a durable one waits in the outbox)
    return env;
  }

  transmit(env) {
    if (!this.transport) return false;
    try { return this.transport(JSON.stringify({ ...env, ack: this.peerSeq })) !== false; } catch { return false; }
  }

  /** resend puts every unacknowledged durable envelope on the wire again, oldest first. */
  resend() {
    let n = 0;
    for (const env of this.outbox) if (this.transmit(env)) n++;
    return n;
  }

  /**
   * receive handles the sequencing of a decoded incoming envelope and returns
   * false for a duplicate the caller must not act on again.
   */
  receive(env) {
    if (env.ack > this.peerAck) this.acknowledge(env.ack);
    if (env.seq > 0 && env.seq <= this.peerSeq) return false;
    if (env.seq > 0) this.peerSeq = env.seq;
    return true;
  }

  /** acknowledge drops durable envelopes up to and including seq. */
  acknowledge(seq) {
    this.peerAck = Math.max(this.peerAck, seq);
    const before = this.outbox.length;
    this.outbox = this.outbox.filter((e) => e.seq > this.peerAck);
    if (this.outbox.length !== before) this.persist();
  }

  pending() { return this.outbox.length; }

  persistSeq() {
    if (!this.storage) return;
    try { this.storage.setItem(`${this.storageKey}.seq`, String(this.seq)); } catch { /* storage full: memory copy remains */ }
  }

  persist() {
    if (!this.storage) return;
    this.persistSeq();
    try { this.storage.setItem(`${this.storageKey}.outbox`, JSON.stringify(this.outbox)); } catch { /* storage full: memory copy remains */ }
  }

  restore() {
    if (!this.storage) return;
    try {
      this.seq = Number(this.storage.getItem(`${this.storageKey}.seq`)) || 0;
      const saved = JSON.parse(this.storage.getItem(`${this.storageKey}.outbox`) || '[]');
      if (Array.isArray(saved)) this.outbox = saved.filter((e) => e && Number.isSafeInteger(e.seq));
      for (const e of this.outbox) this.seq = Math.max(this.seq, e.seq);
    } catch { this.outbox = []; }
  }

  /** clear forgets everything, e.g. when the session has ended. */
  clear() {
    this.outbox = [];
    this.seq = 0; this.peerSeq = 0; this.peerAck = 0;
    if (this.storage) { this.storage.removeItem(`${this.storageKey}.seq`); this.storage.removeItem(`${this.storageKey}.outbox`); }
  }
}

/** backoffMs is the reconnect delay for attempt n (0-based): 250 ms doubling to a 8 s cap, with ±20 % jitter from rand. */
export function backoffMs(n, rand = Math.random) {
  const base = Math.min(8000, 250 * 2 ** Math.min(n, 10));
  return Math.round(base * (0.8 + 0.4 * rand()));
}

/** Watchdog reports silence on the control channel: DESIGN.md §3 allows 2 s (server heartbeats every 500 ms). */
export class Watchdog {
  constructor(limitMs = 2000) { this.limitMs = limitMs; this.last = null; }
  /** feed records that a message arrived at nowMs. */
  feed(nowMs) { this.last = nowMs; }
  /** reset stops watching until the next feed. */
  reset() { this.last = null; }
  /** expired is true once armed and silent for longer than the limit. */
  expired(nowMs) { return this.last !== null && nowMs - this.last > this.limitMs; }
}
