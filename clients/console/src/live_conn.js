// The console's live-session peer (DESIGN.md §3): one RTCPeerConnection to
// the server, WHIP-style signalling authenticated by the session cookie and
// CSRF header (POST /api/sessions/{id}/console/whip), the `control` and
// `signals` data channels, the unreliable `pose` channel that carries the
// headset's view for the mirror (its binary frames go to onPose as they come), with the shared envelope codec and per-channel
// sequencing of the patient client (clients/webxr/src/protocol.js), notes
// kept until the server acknowledges them, and reconnection with backoff —
// until the session ends: after a session.end message, or when the server
// answers the offer with 409 (the session is over), the connection closes
// for good and onEnded is called once.
import { decode, Channel, Watchdog, backoffMs } from '../../webxr/src/protocol.js';

const utf8 = new TextDecoder();

/**
 * connectConsole({api, sessionId, onMessage(env, channel), onPose(frame), onLink(state), observer, iceServers, voice}) →
 * {send(type, body, {durable}), close(), state()}. state is
 * 'connecting' | 'open' | 'lost' | 'closed'.
 */
export function connectConsole({ api, sessionId, onMessage, onPose = null, onLink = () => {}, onEnded = () => {}, observer = false, iceServers = [], voice = null }) {
  const control = new Channel('control', { storage: null });
  const signals = new Channel('signals', { storage: null });
  const watchdog = new Watchdog(2000);
  let pc = null, location = '', attempt = 0, timer = null, closed = false, link = 'connecting';
  let attempts = 0; // offers sent, for tests: none after the end
  function ended() {
    if (closed) return;
    close(false);
    onEnded();
  }
  const setLink = (s) => { if (s !== link) { link = s; onLink(s); } };

  async function connect() {
    teardown();
    setLink('connecting');
    const peer = new RTCPeerConnection({ iceServers });
    pc = peer;
    wire(peer, peer.createDataChannel('control', { ordered: true }), control, true);
    wire(peer, peer.createDataChannel('signals', { ordered: true }), signals, false);
    voice?.prepare(peer); // the voice sections ride every connection's first offer (webxr/src/voice.js)
    if (onPose) {
      const pose = peer.createDataChannel('pose', { ordered: false, maxRetransmits: 0 });
      pose.binaryType = 'arraybuffer';
      pose.addEventListener('message', (e) => { if (peer === pc && e.data instanceof ArrayBuffer) onPose(e.data); });
    }
    peer.addEventListener('connectionstatechange', () => {
      if (peer === pc && ['failed', 'closed', 'disconnected'].includes(peer.connectionState)) lost();
    });
    await peer.setLocalDescription(await peer.createOffer());
    await gathered(peer);
    attempts++;
    const path = `/api/sessions/${encodeURIComponent(sessionId)}/console/whip${observer ? '?role=observer' : ''}`;
    const res = await api.request('POST', path, peer.localDescription.sdp, { raw: true, headers: { 'Content-Type': 'application/sdp', Accept: 'application/sdp' } });
    location = res.headers.get('Location') || '';
    await peer.setRemoteDescription({ type: 'answer', sdp: await res.text() });
  }

  function gathered(peer) {
    if (peer.iceGatheringState === 'complete') return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => { if (peer.iceGatheringState === 'complete') { peer.removeEventListener('icegatheringstatechange', done); resolve(); } };
      peer.addEventListener('icegatheringstatechange', done);
      setTimeout(resolve, 3000);
    });
  }

  // Events of a replaced connection are ignored (see the patient client's connection.js).
  function wire(peer, dc, ch, isControl) {
    dc.binaryType = 'arraybuffer'; // the server may send frames as binary; they are UTF-8 JSON either way
    dc.addEventListener('open', () => {
      if (peer !== pc) return;
      ch.newPeer();
      ch.attach((s) => { if (dc.readyState !== 'open') return false; dc.send(s); return true; });
      ch.resend();
      if (isControl) { attempt = 0; watchdog.feed(performance.now()); setLink('open'); }
    });
    dc.addEventListener('close', () => { if (peer !== pc) return; ch.attach(null); if (isControl) lost(); });
    dc.addEventListener('message', (e) => {
      if (peer !== pc) return;
      let env;
      try { env = decode(typeof e.data === 'string' ? e.data : utf8.decode(e.data)); } catch (err) { console.warn('console: bad frame', err.message); return; }
      if (isControl) watchdog.feed(performance.now());
      if (env.type === 'hello' && env.body.next_seq) {
        // a reconnected console continues its numbering so notes are not taken for duplicates
        control.seq = Math.max(control.seq, (env.body.next_seq.control || 1) - 1);
        signals.seq = Math.max(signals.seq, (env.body.next_seq.signals || 1) - 1);
      }
      if (!ch.receive(env)) return;
      if (env.type !== 'heartbeat' && env.type !== 'ack') onMessage(env, isControl ? 'control' : 'signals');
      if (env.type === 'session.end' || (env.type === 'session.state' && env.body.state === 'ended')) ended();
    });
  }

  function lost() {
    if (closed) return;
    watchdog.reset();
    setLink('lost');
    if (timer) return;
    timer = setTimeout(() => { timer = null; connect().catch(failed); }, backoffMs(attempt++));
  }

  // A tick that comes late says this page's own main thread was blocked (the
  // mirror compiling a scene in software WebGL, say): whatever arrived
  // meanwhile is still queued behind the tick, so silence is judged on the
  // next one. Judging at once took a stalled console for a dead link, and a
  // command sent while it reconnected went nowhere.
  let tickAt = performance.now();
  const tick = setInterval(() => {
    const now = performance.now(), late = now - tickAt > 1000;
    tickAt = now;
    if (!late && link === 'open' && watchdog.expired(now)) { teardown(); lost(); }
  }, 250);

  function teardown() {
    if (!pc) return;
    const old = pc;
    pc = null;
    control.attach(null); signals.attach(null);
    try { old.close(); } catch { /* already closed */ }
  }

  // 409: the session is over (ended while this console was away): stop.
  function failed(err) {
    if (err?.status === 409) { ended(); return; }
    console.warn('console: connect', err.message);
    lost();
  }

  function close(hangUp = true) {
    closed = true;
    clearInterval(tick); clearTimeout(timer);
    const loc = location;
    teardown();
    setLink('closed');
    if (hangUp && loc) api.request('DELETE', loc).catch(() => {});
  }

  connect().catch(failed);

  return {
    /**
     * send puts a command on the control channel and returns its envelope with sent: whether it
     * went out now. Durable ones (notes) are resent until acknowledged; any other is lost when
     * the link is down, and the caller must say so.
     */
    send: (type, body = {}, opts) => ({ ...control.send(type, body, opts), sent: control.lastSent === true }),
    pendingNotes: () => control.pending(),
    state: () => link,
    attempts: () => attempts,
    close: () => close(true),
  };
}
