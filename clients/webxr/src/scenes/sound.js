// Sound in space: looping three.js PositionalAudio sources whose buffers are
// synthesised at load (no audio files): traffic far below, an audience's
// murmur, a cough, surf, leaves, birdsong. Sources sit where they happen, so
// the street is heard below and a murmur from the seats.
import * as THREE from 'three';
import { rng } from './kit.js';

/**
 * positional adds a looping source to parent at (x,y,z). kind names a
 * synthesiser below; o: {volume, ref (m at full level), rolloff, seconds}.
 * Returns the PositionalAudio (setVolume to grade it), or null without Web Audio.
 */
export function positional(ctx, parent, kind, x, y, z, o = {}) {
  const listener = ctx.three?.listener;
  if (!listener) return null;
  const a = new THREE.PositionalAudio(listener);
  a.position.set(x, y, z);
  a.setRefDistance(o.ref ?? 4);
  a.setRolloffFactor(o.rolloff ?? 1);
  a.setDistanceModel('inverse');
  a.setBuffer(synth(listener.context, kind, o.seconds ?? 6, o.seed ?? 1));
  a.setLoop(true);
  a.setVolume(o.volume ?? 1);
  parent.add(a);
  // the renderer stops every source a scene made when it disposes the scene
  // (ctx.sounds), wherever it sits in the scene graph: a source that would
  // outlive its scene keeps playing, unseen and unstoppable
  ctx.sounds?.add(a);
  if (listener.context.state === 'running') a.play();
  else {
    // audio starts with the patient's first gesture: play then, unless the scene is gone by then
    const go = () => {
      if (listener.context.state !== 'running') return;
      listener.context.removeEventListener('statechange', go);
      if (!a.userData.stopped && !a.isPlaying) a.play();
    };
    listener.context.addEventListener('statechange', go);
    a.userData.cancel = () => listener.context.removeEventListener('statechange', go);
  }
  return a;
}

/** oneShot plays a short synthesised sound (cough, horn) at (x,y,z) under parent and removes it when done. */
export function oneShot(ctx, parent, kind, x, y, z, o = {}) {
  const listener = ctx.three?.listener;
  if (!listener || listener.context.state !== 'running') return;
  const a = new THREE.PositionalAudio(listener);
  a.position.set(x, y, z);
  a.setRefDistance(o.ref ?? 3);
  a.setBuffer(synth(listener.context, kind, o.seconds ?? 1.2, o.seed ?? 2));
  a.setVolume(o.volume ?? 1);
  a.onEnded = () => { a.isPlaying = false; a.disconnect(); a.removeFromParent(); ctx.sounds?.delete(a); };
  parent.add(a);
  ctx.sounds?.add(a);
  a.play();
}

// synth renders seconds of a named sound into an AudioBuffer (mono). Loops
// are shaped so their ends meet (the envelopes are periodic over the loop).
function synth(ac, kind, seconds, seed) {
  const sr = ac.sampleRate, n = Math.floor(sr * seconds);
  const buf = ac.createBuffer(1, n, sr);
  const d = buf.getChannelData(0);
  const r = rng(seed);
  const L = seconds;
  let b = 0, lp = 0, hp = 0, prev = 0;
  const white = () => r() * 2 - 1;
  const brown = () => { b = (b + 0.02 * white()) / 1.02; return b * 3.5; };
  switch (kind) {
    case 'traffic': { // a city's rumble with cars passing (swells) and tyre hiss
      const passes = Array.from({ length: 5 }, () => [r() * L, 0.6 + r() * 1.2]);
      for (let i = 0; i < n; i++) {
        const t = i / sr;
        let env = 0.5;
        for (const [c, w] of passes) { const dt = Math.min(Math.abs(t - c), L - Math.abs(t - c)); env += Math.exp(-(dt * dt) / (w * w)); }
        lp += 0.05 * (white() - lp);
        d[i] = (brown() * 0.7 + lp * 0.6) * env * 0.5;
      }
      break;
    }
    case 'wind': { // gusting wind: low-passed noise with a slow periodic swell
      for (let i = 0; i < n; i++) {
        const t = i / sr;
        const env = 0.55 + 0.45 * Math.sin((2 * Math.PI * t) / L) * Math.sin((6 * Math.PI * t) / L);
        lp += (0.02 + 0.04 * env) * (white() - lp);
        d[i] = lp * 3 * env;
      }
      break;
    }
    case 'murmur': { // many voices far apart: band-limited noise with syllable-rate bursts
      const voices = Array.from({ length: 8 }, () => [2 + r() * 3, r() * 6, 250 + r() * 500]);
      for (let i = 0; i < n; i++) {
        const t = i / sr;
        let env = 0;
        for (const [rate, ph] of voices) env += Math.max(0, Math.sin(2 * Math.PI * Math.round(rate * L) / L * t + ph)) ** 2;
        lp += 0.12 * (white() - lp);
        hp = lp - prev; prev = lp;
        d[i] = (lp * 0.7 + hp * 2) * env * 0.18;
      }
      break;
    }
    case 'surf': { // waves: a swell every ~L/2 seconds breaking into hiss
      for (let i = 0; i < n; i++) {
        const t = i / sr, ph = (t / (L / 2)) % 1;
        const env = 0.15 + Math.pow(Math.sin(Math.PI * ph), 3) * 0.85;
        lp += (0.03 + 0.25 * env) * (white() - lp);
        d[i] = (lp * 1.6 + brown() * 0.4) * env;
      }
      break;
    }
    case 'leaves': { // wind in leaves: bright, fluttering noise
      for (let i = 0; i < n; i++) {
        const t = i / sr;
        const env = 0.4 + 0.3 * Math.sin((2 * Math.PI * t * 2) / L) + 0.3 * Math.max(0, Math.sin(2 * Math.PI * t * 7 / L));
        const w = white(); hp = w - prev; prev = w;
        d[i] = hp * 0.25 * env;
      }
      break;
    }
    case 'birds': { // sparse songbird phrases: frequency-swept chirps
      const calls = Array.from({ length: 7 }, () => [r() * (L - 1), 2200 + r() * 2500, 3 + Math.floor(r() * 5)]);
      for (const [start, f0, notes] of calls) {
        for (let k = 0; k < notes; k++) {
          const s0 = Math.floor((start + k * 0.11) * sr), len = Math.floor(0.07 * sr);
          let ph = 0;
          for (let j = 0; j < len && s0 + j < n; j++) {
            const x = j / len;
            ph += (2 * Math.PI * (f0 * (1 + 0.35 * Math.sin(Math.PI * x) - 0.15 * k / notes))) / sr;
            d[s0 + j] += Math.sin(ph) * Math.sin(Math.PI * x) * 0.25;
          }
        }
      }
      break;
    }
    case 'engine': { // a jet cabin: broadband roar with a low hum
      for (let i = 0; i < n; i++) {
        const t = i / sr;
        lp += 0.08 * (white() - lp);
        d[i] = lp * 1.2 + brown() * 0.5 + 0.05 * Math.sin(2 * Math.PI * 90 * t);
      }
      break;
    }
    case 'hum': { // fluorescent light / ventilation: 100 Hz hum and soft air
      for (let i = 0; i < n; i++) {
        const t = i / sr;
        lp += 0.03 * (white() - lp);
        d[i] = 0.05 * Math.sin(2 * Math.PI * 100 * t) + 0.02 * Math.sin(2 * Math.PI * 200 * t) + lp * 0.4;
      }
      break;
    }
    case 'cough': { // two short noise bursts, chest-resonant
      for (const [s0, len] of [[0.05, 0.18], [0.32, 0.14]]) {
        for (let j = 0; j < len * sr; j++) {
          const x = j / (len * sr), i = Math.floor(s0 * sr) + j;
          if (i >= n) break;
          lp += 0.2 * (white() - lp);
          d[i] = (lp + 0.3 * Math.sin(2 * Math.PI * 180 * j / sr)) * Math.exp(-4 * x) * (1 - Math.exp(-60 * x)) * 1.5;
        }
      }
      break;
    }
    case 'horn': { // a car horn, two detuned tones
      for (let i = 0; i < n; i++) {
        const t = i / sr, env = t < 0.5 ? Math.min(1, t * 40) * Math.min(1, (0.5 - t) * 40) : 0;
        d[i] = env * 0.3 * (Math.sign(Math.sin(2 * Math.PI * 420 * t)) * 0.5 + Math.sign(Math.sin(2 * Math.PI * 500 * t)) * 0.5);
      }
      break;
    }
    default:
      throw new Error(`sound: unknown kind ${kind}`);
  }
  return buf;
}
