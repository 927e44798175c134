// Voice in a support circle. The member's microphone goes to the Haven
// server in the same peer connection as the chat; the server forwards to
// each listener only the few loudest current speakers (at most three
// slots, server/groups/voice.go) and says which member is on which slot
// (voice.speakers). Each slot plays through a PannerNode placed where that
// speaker sits, as heard from the listener's own seat. Nothing is recorded:
// the page keeps no audio, and neither does the server.
//
// Microphone modes: off (nothing is sent), push to talk (the track is live
// only while the talk button or the space bar is held) and open mic. A
// member a moderator muted, or who is waiting for the turn while the
// speaking order is on, sends nothing whatever the mode.

export const SLOTS = 3;

/** addVoice adds the voice transceivers to pc before its first offer: the slots first (the server fills them in order), the microphone last. */
export function addVoice(pc) {
  const slots = [];
  for (let i = 0; i < SLOTS; i++) slots.push(pc.addTransceiver('audio', { direction: 'recvonly' }));
  const mic = pc.addTransceiver('audio', { direction: 'sendrecv' });
  return { slots, mic };
}

/**
 * createVoice plays the slots of pc spatially and drives the microphone.
 * bearingOf(memberId) → radians to the listener's right (NaN when unknown);
 * onState(state) after every change, with {mode, talking, muted, until, maySpeak, sending}.
 */
export function createVoice(pc, transceivers, { bearingOf = () => NaN, onState = () => {} } = {}) {
  const ctx = new AudioContext();
  const slots = Array.from({ length: SLOTS }, () => ({ member: '', panner: null, left: null, right: null, el: null }));
  const state = { mode: 'off', talking: false, muted: false, until: '', maySpeak: true, sending: false };
  let track = null;
  let attached = null; // the track the microphone's sender carries now

  pc.addEventListener('track', (e) => {
    const i = Number((e.streams[0]?.id || '').replace(/^slot/, ''));
    if (!(i >= 0 && i < SLOTS)) return;
    const stream = e.streams[0];
    const s = slots[i];
    // Chromium decodes remote WebRTC audio only while a media element plays
    // it; the element is silent and the sound goes through the panner
    // instead. (Chromium's totalAudioEnergy in getStats is measured after
    // the element's volume, so it reads 0 here: ears() measures what is
    // actually played, per ear.)
    s.el = new Audio();
    s.el.muted = true;
    s.el.srcObject = stream;
    s.el.play().catch(() => {});
    const src = ctx.createMediaStreamSource(stream);
    s.panner = new PannerNode(ctx, { panningModel: 'equalpower', distanceModel: 'inverse', refDistance: 1, rolloffFactor: 0.3 });
    const split = ctx.createChannelSplitter(2);
    s.left = new AnalyserNode(ctx, { fftSize: 1024 });
    s.right = new AnalyserNode(ctx, { fftSize: 1024 });
    src.connect(s.panner).connect(ctx.destination);
    s.panner.connect(split);
    split.connect(s.left, 0);
    split.connect(s.right, 1);
    place(i);
  });

  function place(i) {
    const s = slots[i];
    if (!s.panner) return;
    const b = s.member ? bearingOf(s.member) : NaN;
    const a = Number.isFinite(b) ? b : 0;
    // the listener faces −z; a speaker at bearing a (to the right when positive), 2 m away
    s.panner.positionX.value = Math.sin(a) * 2;
    s.panner.positionY.value = 0;
    s.panner.positionZ.value = -Math.cos(a) * 2;
  }

  function apply() {
    const want = state.mode === 'open' || (state.mode === 'push' && state.talking);
    const sending = want && !state.muted && state.maySpeak && !!track;
    if (track) track.enabled = sending;
    // The sender carries the microphone only while it is heard: a held-back
    // microphone sends no packets at all rather than digital silence, and
    // no sound from the room slips out in the moment a mode is switched on
    // (a track just attached while disabled could). replaceTrack calls run
    // in order on the connection's queue.
    const carry = sending ? track : null;
    if (attached !== carry) {
      attached = carry;
      transceivers.mic.sender.replaceTrack(carry).catch(() => {});
    }
    state.sending = sending;
    onState({ ...state });
  }

  async function ensureTrack() {
    if (track) return;
    const stream = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: false, autoGainControl: false } });
    track = stream.getAudioTracks()[0];
    track.enabled = false; // attached to the sender by apply() once it is heard
  }

  return {
    /** setMode switches the microphone: 'off', 'push' or 'open'. Off releases the microphone. */
    async setMode(mode) {
      ctx.resume().catch(() => {});
      state.mode = mode;
      if (mode === 'off') {
        if (track) { attached = null; await transceivers.mic.sender.replaceTrack(null); track.stop(); track = null; }
      } else await ensureTrack();
      apply();
    },
    /** talk holds (true) or releases (false) push to talk. */
    talk(on) { state.talking = on; apply(); },
    /** you applies the server's voice.you frame (until: the end of a timed pause, RFC 3339, or absent). */
    you(b) { state.muted = !!b.muted; state.until = b.until || ''; state.maySpeak = b.may_speak !== false; apply(); },
    /** speakers applies voice.speakers: the member on each slot. */
    speakers(slotIds) {
      for (let i = 0; i < SLOTS; i++) { slots[i].member = slotIds?.[i] || ''; place(i); }
    },
    /** replace re-aims every slot (the seats changed). */
    replace() { for (let i = 0; i < SLOTS; i++) place(i); },
    resume: () => ctx.resume(),
    state: () => ({ ...state }),
    /** ears is, per slot, who is on it, the panner's x (negative: left) and the RMS of the left and right output, for the browser tests and a level meter. */
    ears() {
      const buf = new Float32Array(1024);
      const rms = (an) => { if (!an) return 0; an.getFloatTimeDomainData(buf); let sum = 0; for (const v of buf) sum += v * v; return Math.sqrt(sum / buf.length); };
      return slots.map((s) => ({ member: s.member, x: s.panner ? s.panner.positionX.value : 0, left: rms(s.left), right: rms(s.right) }));
    },
    close() { track?.stop(); ctx.close().catch(() => {}); },
  };
}
