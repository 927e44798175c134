// Live session transport (DESIGN.md §3): join by code, WHIP-style signalling
// (non-trickle: the offer is posted once ICE gathering is complete), the
// `control` and `signals` data channels, the unreliable `pose` channel, a 2 s heartbeat watchdog and
// reconnection with backoff. It reports; the app decides what is safe to show.
import { decode, Channel, Watchdog, backoffMs } from './protocol.js';

// Heartbeat timing, as server/wire's HeartbeatCheck and HeartbeatQuiet.
const HEARTBEAT_CHECK_MS = 250;
const HEARTBEAT_QUIET_MS = 375;

/**
 * createConnection(handlers) → {join(code), leave(), sendControl(type, body, opts), sendSignals(body), state()}.
 * handlers: onMessage(env), onLost(), onOpen(), onError(err), onEnded() (the server
 * says the session is over while we were away), storage; voice (voice.js) adds its audio sections.
 */
export function createConnection({ onMessage, onLost, onOpen, onError = () => {}, onEnded = () => {}, storage = globalThis.sessionStorage, fetchFn = (...a) => globalThis.fetch(...a), page = globalThis, voice = null, clock = () => performance.now() }) {
  const control = new Channel('control', { storage });
  const signals = new Channel('signals', { storage });
  const watchdog = new Watchdog(2000);
  let creds = null; // {session_id, token, ice_servers, practice}
  let pc = null, location = null, attempt = 0, timer = null, closed = false;
  let poseDC = null; // unordered, no retransmits: a late pose is worth nothing
  let connected = false, lostReported = false;
  // when a frame last went out on control: our heartbeat fills only its
  // silences (docs/protocol.md). Batches on signals do not count: the server
  // holds back its reads of signals while the store is busy (back-pressure),
  // so a batch is no timely sign of life there.
  let lastSent = -Infinity;
  // busy: the server still holds a live link for this session (our previous
  // page, or another headset) and refused this one as a second headset
  let busy = false;

  async function join(code) {
    const res = await fetchFn('/api/join', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code: String(code).trim() }) });
    if (!res.ok) throw Object.assign(new Error(`connection: join: HTTP ${res.status}`), { status: res.status });
    creds = await res.json();
    if (!creds.session_id || !creds.token) throw new Error('connection: join: incomplete answer');
    closed = false;
    try { storage?.setItem('haven.creds', JSON.stringify(creds)); } catch { /* private mode */ }
    await connect();
    return creds;
  }

  /** resumeStored reconnects with credentials kept in sessionStorage (page reload mid-session). */
  async function resumeStored() {
    try { creds = JSON.parse(storage?.getItem('haven.creds') || 'null'); } catch { creds = null; }
    if (!creds) return false;
    closed = false;
    await connect().catch(failed);
    return true;
  }

  async function connect() {
    teardown();
    const peer = new RTCPeerConnection({ iceServers: creds.ice_servers || [] });
    pc = peer;
    const ctl = peer.createDataChannel('control', { ordered: true });
    const sig = peer.createDataChannel('signals', { ordered: true });
    wire(peer, ctl, control, true);
    wire(peer, sig, signals, false);
    poseDC = peer.createDataChannel('pose', { ordered: false, maxRetransmits: 0 });
    voice?.prepare(peer); // the microphone and the therapist's voice ride every connection's first offer (voice.js)
    peer.addEventListener('connectionstatechange', () => {
      if (peer === pc && ['failed', 'closed', 'disconnected'].includes(peer.connectionState)) lost();
    });
    await peer.setLocalDescription(await peer.createOffer());
    await gathered(peer);
    const res = await fetchFn(`/api/sessions/${encodeURIComponent(creds.session_id)}/whip`, {
      method: 'POST', headers: { 'Content-Type': 'application/sdp', Authorization: `Bearer ${creds.token}` }, body: peer.localDescription.sdp,
    });
    if (res.status !== 201) {
      let code = '';
      try { code = (await res.json()).error.code; } catch { /* not our JSON */ }
      throw Object.assign(new Error(`connection: whip: HTTP ${res.status}${code ? ` (${code})` : ''}`), { status: res.status, code });
    }
    busy = false;
    location = new URL(res.headers.get('Location') || '', globalThis.location?.href || 'http://127.0.0.1/').href;
    await peer.setRemoteDescription({ type: 'answer', sdp: await res.text() });
  }

  function gathered(peer) {
    if (peer.iceGatheringState === 'complete') return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => { if (peer.iceGatheringState === 'complete') { peer.removeEventListener('icegatheringstatechange', done); resolve(); } };
      peer.addEventListener('icegatheringstatechange', done);
      setTimeout(resolve, 3000); // gathering stuck on an odd network: send what we have
    });
  }

  // haven's server (pion, server/rtc) sends each envelope as a binary frame of
  // UTF-8 JSON; a text frame is accepted too.
  const utf8 = new TextDecoder();
  const frameText = (data) => (typeof data === 'string' ? data : data instanceof ArrayBuffer ? utf8.decode(data) : '');

  // Events of a connection that has since been replaced (torn down by the
  // watchdog or a newer attempt) are ignored: its closing channels must not
  // start another reconnect while the current attempt is under way.
  function wire(peer, dc, ch, isControl) {
    dc.binaryType = 'arraybuffer';
    dc.addEventListener('open', () => {
      if (peer !== pc) return;
      ch.newPeer();
      ch.attach((s) => { if (dc.readyState !== 'open') return false; dc.send(s); if (isControl) lastSent = clock(); return true; });
      ch.resend();
      if (isControl) { connected = true; attempt = 0; watchdog.feed(performance.now()); onOpen?.(); }
    });
    dc.addEventListener('close', () => { if (peer !== pc) return; ch.attach(null); if (isControl) lost(); });
    dc.addEventListener('message', (e) => {
      if (peer !== pc) return;
      let env;
      try { env = decode(frameText(e.data)); } catch (err) { onError(err); return; }
      if (isControl) watchdog.feed(performance.now());
      if (!ch.receive(env)) return;
      if (env.type === 'hello') continueSeqs(env.body.next_seq);
      if (!['heartbeat', 'ack', 'signals.ack'].includes(env.type)) onMessage(env, isControl ? 'control' : 'signals');
    });
  }

  function lost() {
    if (closed) return;
    connected = false;
    watchdog.reset();
    if (!lostReported) { lostReported = true; onLost?.(); }
    schedule();
  }

  function schedule() {
    if (closed || timer) return;
    const wait = backoffMs(attempt++);
    timer = setTimeout(async () => {
      timer = null;
      try { await connect(); lostReported = lostReported && !connected; } catch (err) { failed(err); }
    }, wait);
  }

  // failed decides what a refused attempt means. A session that ended while
  // we were away is over: no more attempts. "session_full" is the server
  // still holding a link it has not yet seen die: a known state, retried.
  function failed(err) {
    if (err.code === 'session_state') {
      closed = true;
      teardown();
      onEnded();
      return;
    }
    if (err.code === 'session_full') busy = true;
    else onError(err);
    schedule();
  }

  /** continueSeqs applies hello.next_seq: a reloaded client without its stored counters continues where the server expects. */
  function continueSeqs(next) {
    if (!next || typeof next !== 'object') return;
    for (const ch of [control, signals]) {
      const n = Number(next[ch.label]);
      if (Number.isSafeInteger(n) && n - 1 > ch.seq) ch.seq = n - 1;
    }
  }

  // the watchdog: silence on control for more than 2 s counts as lost, even
  // while the transport claims to be up; checked every 100 ms so the calm
  // scene follows the silence within 2.1 s
  const tick = setInterval(() => {
    if (connected && watchdog.expired(performance.now())) { teardown(); lost(); }
  }, 100);
  // our own heartbeat: the server pauses the session after 1.5 s without any
  // message from us (docs/protocol.md). Checked every 250 ms and sent when
  // nothing else went out on control for 375 ms: every 500 ms on a silent
  // control channel, none while other control messages flow.
  const beat = setInterval(() => {
    const now = clock();
    if (connected && now - lastSent >= HEARTBEAT_QUIET_MS) { control.send('heartbeat', {}); lastSent = now; }
  }, HEARTBEAT_CHECK_MS);

  function teardown() {
    if (!pc) return;
    const old = pc;
    pc = null;
    control.attach(null); signals.attach(null);
    try { old.close(); } catch { /* already closed */ }
  }

  // Leaving the page (a reload, a closed tab) is leaving the link: telling
  // the server now pauses the session and alerts the therapist at once, and
  // the reloaded page is not refused as a second headset while the old link
  // still looks alive. keepalive lets the request outlive the page.
  const pageHidden = () => {
    if (closed || !pc || !location || !creds) return;
    fetchFn(location, { method: 'DELETE', keepalive: true, headers: { Authorization: `Bearer ${creds.token}` } }).catch(() => {});
  };
  page.addEventListener?.('pagehide', pageHidden);

  async function leave() {
    closed = true;
    connected = false; // the channels' close events are ignored once closed
    clearTimeout(timer); timer = null;
    const loc = location;
    teardown();
    if (loc && creds) await fetchFn(loc, { method: 'DELETE', headers: { Authorization: `Bearer ${creds.token}` } }).catch(() => {});
    control.clear(); signals.clear();
    try { storage?.removeItem('haven.creds'); } catch { /* ignore */ }
  }

  return {
    join, leave, resumeStored,
    sendControl: (type, body, opts) => control.send(type, body, opts),
    sendSignals: (body) => signals.send('signals.batch', body, { durable: true }),
    /** sendPose puts one pose frame on the pose channel; false when it is not open or is backed up. */
    sendPose(bytes) {
      if (!connected || !poseDC || poseDC.readyState !== 'open' || poseDC.bufferedAmount > 4096) return false;
      poseDC.send(bytes);
      return true;
    },
    /** cut closes the transport as a network failure would (used by tests and the "simulate" tools). */
    cut() { teardown(); lost(); },
    state: () => ({ connected, lost: lostReported, busy, session_id: creds?.session_id ?? null, practice: creds?.practice === true, locale: creds?.locale ?? '', pendingSignals: signals.pending(), pendingControl: control.pending() }),
    /** token is the patient's bearer token once joined ('' before): it also fetches the clinic's wording. */
    token: () => creds?.token ?? '',
    markResumed() { lostReported = false; },
    dispose() { clearInterval(tick); clearInterval(beat); page.removeEventListener?.('pagehide', pageHidden); closed = true; teardown(); },
  };
}
