// Small procedural sound kit (Web Audio): engine hum, ambient noise, chimes,
// a phone ring and thuds, so scene events are heard without audio assets.
// Browsers start audio only after a user gesture: unlock() is called from the
// join button; before that every call is a silent no-op.

import * as THREE from 'three';

/** DUCK: scene sound under the therapist's voice, as a share of its level (about −14 dB: the voice stays clear above wind and crowds). */
export const DUCK = 0.2;

export function createAudio() {
  let ac = null, master = null, noiseGain = null, humGain = null;
  let muted = false, ducked = false;
  let listener = null; // the scenes' positional sound (THREE.AudioListener), ducked with the rest

  function unlock() {
    if (ac) { ac.resume?.(); return; }
    const AC = globalThis.AudioContext || globalThis.webkitAudioContext;
    if (!AC) return;
    ac = THREE.AudioContext.getContext(); // shared with the scenes' positional sources, so this gesture unlocks them too
    ac.resume?.();
    master = ac.createGain();
    master.gain.value = 0.6;
    master.connect(ac.destination);
    // brown noise loop: soft surf, wind or crowd murmur depending on the level
    const buf = ac.createBuffer(1, ac.sampleRate * 2, ac.sampleRate);
    const d = buf.getChannelData(0);
    let last = 0;
    for (let i = 0; i < d.length; i++) { last = (last + 0.02 * (Math.random() * 2 - 1)) / 1.02; d[i] = last * 3.5; }
    const src = ac.createBufferSource();
    src.buffer = buf; src.loop = true;
    noiseGain = ac.createGain(); noiseGain.gain.value = 0;
    src.connect(noiseGain).connect(master);
    src.start();
    const osc = ac.createOscillator();
    osc.type = 'sawtooth'; osc.frequency.value = 55;
    const lp = ac.createBiquadFilter(); lp.type = 'lowpass'; lp.frequency.value = 180;
    humGain = ac.createGain(); humGain.gain.value = 0;
    osc.connect(lp).connect(humGain).connect(master);
    osc.start();
  }

  const ramp = (gain, v) => { if (ac && gain) gain.gain.setTargetAtTime(muted ? 0 : v, ac.currentTime, 0.3); };

  function tone(freq, start, dur, vol = 0.2, type = 'sine') {
    if (!ac || muted) return;
    const o = ac.createOscillator(), gn = ac.createGain();
    o.type = type; o.frequency.value = freq;
    gn.gain.setValueAtTime(0, ac.currentTime + start);
    gn.gain.linearRampToValueAtTime(vol, ac.currentTime + start + 0.02);
    gn.gain.exponentialRampToValueAtTime(0.001, ac.currentTime + start + dur);
    o.connect(gn).connect(master);
    o.start(ac.currentTime + start);
    o.stop(ac.currentTime + start + dur + 0.05);
  }

  return {
    unlock,
    /** duck lowers every scene sound under the therapist's voice (to DUCK of its level) and restores it after. */
    duck(on) {
      if (on === ducked || !ac) return;
      ducked = on;
      const v = on ? DUCK : 1;
      master.gain.setTargetAtTime(0.6 * v, ac.currentTime, on ? 0.05 : 0.4); // quick under the first word, slow back
      listener?.gain?.gain.setTargetAtTime(v, ac.currentTime, on ? 0.05 : 0.4);
    },
    ducked: () => ducked,
    /** useListener ducks the scenes' positional sources too. */
    useListener(l) { listener = l; },
    setMuted(m) { muted = m; ramp(noiseGain, 0); ramp(humGain, 0); },
    noiseLevel(v) { ramp(noiseGain, v); },
    noise(v, seconds) { ramp(noiseGain, v); setTimeout(() => ramp(noiseGain, 0.05), seconds * 1000); },
    hum(v) { ramp(humGain, v); },
    chime() { tone(784, 0, 1.2); tone(587, 0.45, 1.5); },
    ring() { for (let i = 0; i < 4; i++) { tone(1320, i * 0.5, 0.18, 0.12, 'square'); tone(1100, i * 0.5 + 0.2, 0.18, 0.12, 'square'); } },
    thud() { tone(70, 0, 0.4, 0.5, 'triangle'); },
    quiet() { ramp(noiseGain, 0); ramp(humGain, 0); },
  };
}
