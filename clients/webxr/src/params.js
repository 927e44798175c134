// Parameter schema of every scene template the patient client renders, and the
// smooth interpolation of live parameter changes. The names and ranges mirror
// environments/templates (DESIGN.md §5, CLINICAL.md §4); the server validates,
// the client clamps again so a bad value can never produce a broken scene.

const num = (min, max, def) => ({ type: 'number', min, max, def });
const int = (min, max, def) => ({ type: 'int', min, max, def });
const bool = (def) => ({ type: 'bool', def });
const oneOf = (values, def) => ({ type: 'enum', values, def: def ?? values[0] });
const TIMES = ['dawn', 'day', 'sunset'];

/** TEMPLATES maps template id → {params, events}. Enum values are listed from least to most intense. */
export const TEMPLATES = {
  heights: {
    params: { floor: int(1, 30, 1), edge_distance_m: num(0, 4, 4), railing: bool(true), glass_floor: bool(false), wind: num(0, 1, 0), sway: num(0, 1, 0) },
    events: ['gust', 'look_down_prompt'],
  },
  spiders: {
    params: { count: int(0, 12, 0), size_cm: num(1, 15, 1), distance_m: num(0.2, 3, 3), speed: num(0, 1, 0), container: oneOf(['closed_bowl', 'open_bowl', 'free']), approaches_hand: bool(false), on_hand: bool(false) },
    events: ['spider_drops', 'spider_runs'],
  },
  flying: {
    params: { phase: oneOf(['boarding', 'taxi', 'takeoff', 'cruise', 'landing', 'turbulence']), turbulence: num(0, 1, 0), window_seat: bool(false), crowding: num(0, 1, 0) },
    events: ['turbulence_jolt', 'seatbelt_chime', 'captain_announcement'],
  },
  public_speaking: {
    params: { audience_size: int(3, 30, 3), attitude: oneOf(['positive', 'neutral', 'bored', 'hostile']), qa_tone: oneOf(['friendly', 'neutral', 'challenging']), lighting: oneOf(['dim', 'normal', 'spotlight'], 'normal') },
    events: ['audience_yawns', 'phone_rings', 'question_asked'],
  },
  enclosed_space: {
    params: { variant: oneOf(['small_room', 'elevator', 'mri']), room_size_m: num(1, 3, 3), occupants: int(0, 6, 0), door_closed: bool(false), light_level: num(0.2, 1, 1), malfunction_stop: bool(false) },
    events: ['elevator_stops', 'lights_flicker', 'door_slams'],
  },
  crowds: {
    params: { scene: oneOf(['street', 'mall', 'subway']), crowd_density: num(0, 1, 0), noise: num(0, 1, 0), exit_distance_m: num(5, 40, 5) },
    events: ['crowd_surge', 'announcement', 'bump'],
  },
  beach: { params: { time_of_day: oneOf(TIMES, 'day'), waves: num(0, 1, 0.3), birds: bool(true) }, events: [] },
  forest: { params: { time_of_day: oneOf(TIMES, 'day'), wind: num(0, 1, 0.2), birdsong: bool(true) }, events: [] },
  night_sky: { params: { stars: int(200, 2000, 800), aurora: bool(false), shooting_stars: bool(false) }, events: [] },
  neutral_room: { params: { light_level: num(0.3, 1, 0.8), tint: oneOf(['warm', 'neutral', 'cool'], 'neutral') }, events: [] },
};

/** CALM is the template the client falls back to on its own (break, lost connection, hard stop). */
export const CALM = { template: 'neutral_room', params: { light_level: 0.8, tint: 'warm' } };

/** normalize returns a full, clamped parameter set for template: unknown keys are dropped, missing keys get defaults. */
export function normalize(template, params = {}, base = null) {
  const spec = TEMPLATES[template];
  if (!spec) throw new Error(`params: unknown template ${JSON.stringify(template)}`);
  const out = {};
  for (const [name, p] of Object.entries(spec.params)) {
    const v = name in params ? params[name] : base && name in base ? base[name] : p.def;
    out[name] = coerce(p, v);
  }
  return out;
}

function coerce(p, v) {
  switch (p.type) {
    case 'bool': return typeof v === 'boolean' ? v : v === 'true' || v === 1;
    case 'enum': return p.values.includes(v) ? v : p.def;
    default: {
      let n = Number(v);
      if (!Number.isFinite(n)) n = p.def;
      n = Math.min(p.max, Math.max(p.min, n));
      return p.type === 'int' ? Math.round(n) : n;
    }
  }
}

/**
 * Tween moves a parameter set towards a target over a transition time, so a
 * therapist's change never teleports anything (issue 6: "no teleporting
 * spiders"). Numbers ease continuously (ints too: a floor change glides);
 * booleans and enums switch at the midpoint, while the scene fades the
 * visual change through its own damping.
 */
export class Tween {
  constructor(template, params) {
    this.template = template;
    // [name, numeric] pairs, listed once: step runs every frame and allocates nothing
    this.fields = Object.entries(TEMPLATES[template].params).map(([name, p]) => [name, p.type === 'number' || p.type === 'int']);
    this.from = normalize(template, params);
    this.to = this.from;
    this.current = { ...this.from };
    this.start = 0;
    this.duration = 0;
    this.settled = false; // the values are the target's: step has nothing to write
  }

  /** set starts a transition from the current values to params (merged over the previous target). */
  set(params, durationMs, nowMs) {
    this.from = { ...this.current };
    this.to = normalize(this.template, params, this.to);
    this.start = nowMs;
    this.duration = Math.max(0, durationMs || 0);
    this.settled = false;
    this.step(nowMs);
  }

  /** step advances to nowMs and returns the current (interpolated) values. */
  step(nowMs) {
    // once a transition has ended nothing is written until the next set: a
    // number stored into current (a generic object) is a new heap number
    if (this.settled) return this.current;
    const k = this.duration <= 0 ? 1 : Math.min(1, Math.max(0, (nowMs - this.start) / this.duration));
    const e = k * k * (3 - 2 * k); // smoothstep: zero velocity at both ends
    for (let i = 0; i < this.fields.length; i++) {
      const name = this.fields[i][0], a = this.from[name], b = this.to[name];
      this.current[name] = k >= 1 ? b : this.fields[i][1] ? a + (b - a) * e : k >= 0.5 ? b : a;
    }
    this.settled = k >= 1;
    return this.current;
  }

  /** done reports whether the transition has reached its target. */
  done(nowMs) { return this.duration <= 0 || nowMs - this.start >= this.duration; }
}

/** intensityParams maps intensity 0–100 linearly across each range (enums by index) — offline preview only; the server's template mapping is authoritative. */
export function intensityParams(template, intensity) {
  const spec = TEMPLATES[template];
  if (!spec) throw new Error(`params: unknown template ${JSON.stringify(template)}`);
  const k = Math.min(100, Math.max(0, intensity)) / 100;
  const out = {};
  for (const [name, p] of Object.entries(spec.params)) {
    if (p.type === 'bool') out[name] = k >= 0.5 ? !p.def : p.def;
    else if (p.type === 'enum') out[name] = p.values[Math.round(k * (p.values.length - 1))];
    else {
      // ranges written "4→0" in the spec grade downwards: their default sits at max.
      const down = p.def === p.max && p.min !== p.max;
      const [a, b] = down ? [p.max, p.min] : [p.min, p.max];
      const v = a * (1 - k) + b * k; // exact at both ends
      out[name] = p.type === 'int' ? Math.round(v) : v;
    }
  }
  return out;
}
