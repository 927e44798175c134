// Voice on a live-session connection (docs/protocol.md, "Voice"): the
// microphone rides the same RTCPeerConnection as the data channels, as an
// Opus track; the server forwards it to the other side and nothing is
// recorded. The headset and the console share this module.
//
// The audio sections are in the first offer of every connection (a new
// connection after a lost link included), so voice needs no extra round
// trip and resumes with the link. Muting, push-to-talk and open mic swap
// the sender's track (replaceTrack), which needs no renegotiation either
// and sends no packets at all while muted.

/** MIC is voice.state's vocabulary (server/wire: MicNone, MicMuted, MicPTT, MicOn). */
export const MIC = Object.freeze({ none: 'none', muted: 'muted', ptt: 'ptt', on: 'on' });

/** SPEAKING_LEVEL: an inbound audioLevel (0–1, getStats) above this is speech; below it, room noise or silence. */
export const SPEAKING_LEVEL = 0.02;
/** SPEAKING_HOLD_MS keeps "speaking" on across the short pauses between words. */
export const SPEAKING_HOLD_MS = 400;

/**
 * createVoice({mic, listen, getUserMedia, doc}) → voice.
 * mic: this side may speak (one send-and-receive section: it hears the
 * other side on it); listen: receive-only sections besides (an observer
 * hears the patient and the therapist on two). Incoming voices play through
 * <audio> elements (a WebRTC track that plays nowhere is never decoded).
 */
export function createVoice({ mic = true, listen = 0, getUserMedia = (c) => globalThis.navigator.mediaDevices.getUserMedia(c), doc = globalThis.document } = {}) {
  let pc = null, sender = null, track = null, live = false, denied = false;
  const players = new Map(); // stream id (the role whose voice it is) → <audio>
  const streamOf = new Map(); // remote track id → stream id
  const heardAt = new Map(); // stream id → last time speech was heard

  /** prepare adds the audio sections to a new connection, before its first offer. */
  function prepare(peer) {
    pc = peer; sender = null; streamOf.clear();
    if (mic) {
      sender = peer.addTransceiver('audio', { direction: 'sendrecv' }).sender;
      if (live && track) sender.replaceTrack(track).catch(() => {});
    }
    for (let i = 0; i < listen; i++) peer.addTransceiver('audio', { direction: 'recvonly' });
    peer.addEventListener('track', (e) => {
      if (peer !== pc || e.track.kind !== 'audio') return;
      const stream = e.streams[0];
      const id = stream?.id || 'voice';
      streamOf.set(e.track.id, id);
      let a = players.get(id);
      if (!a) {
        a = doc.createElement('audio');
        a.autoplay = true;
        a.dataset.voice = id;
        a.hidden = true;
        doc.body.append(a);
        players.set(id, a);
      }
      a.srcObject = stream || new MediaStream([e.track]);
      a.play?.().catch(() => { /* autoplay refused before a gesture: the next gesture's unlock() plays it */ });
    });
  }

  /** microphone asks for the microphone once; a refusal is remembered (state 'none'). */
  async function microphone() {
    if (track || denied || !mic) return track;
    try {
      const s = await getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true } });
      track = s.getAudioTracks()[0] || null;
    } catch {
      denied = true;
    }
    return track;
  }

  /** setLive starts (true) or stops sending the microphone; it resolves to whether it is sending. */
  async function setLive(on) {
    if (on) await microphone();
    live = Boolean(on && track);
    if (sender) await sender.replaceTrack(live ? track : null).catch(() => {});
    return live;
  }

  /** levels reads each incoming voice from getStats: {stream: {level, energy, bytes, speaking}}. */
  async function levels() {
    const out = {};
    if (!pc) return out;
    let report;
    try { report = await pc.getStats(); } catch { return out; }
    const now = performance.now();
    report.forEach((s) => {
      if (s.type !== 'inbound-rtp' || s.kind !== 'audio') return;
      const id = streamOf.get(s.trackIdentifier) || 'voice';
      const level = s.audioLevel || 0;
      if (level > SPEAKING_LEVEL) heardAt.set(id, now);
      out[id] = { level, energy: s.totalAudioEnergy || 0, bytes: s.bytesReceived || 0, speaking: now - (heardAt.get(id) ?? -Infinity) < SPEAKING_HOLD_MS };
    });
    return out;
  }

  return {
    prepare, setLive, levels, microphone,
    /** unlock plays incoming voices a browser held back until a gesture. */
    unlock() { for (const a of players.values()) a.play?.().catch(() => {}); },
    live: () => live,
    /** available: false once the microphone was refused (or this side has none). */
    available: () => mic && !denied,
    /** sending reports what the sender carries now (tests). */
    sending: () => Boolean(sender && sender.track),
  };
}
