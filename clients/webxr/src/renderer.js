// The patient's 3D view: one three.js renderer that shows a scene template,
// eases live parameter changes, fades between scenes and enters WebXR. Also
// imported by the therapist console for its inline preview:
//   const r = createRenderer(canvas, { xr: false }); r.loadScene({ template, params });
// and by its live mirror of the patient's view, which places the camera
// from the headset's poses at a low frame rate:
//   createRenderer(canvas, { xr: false, headPose: true, maxFps: 10 }); r.setHead(pos, quat)
import * as THREE from 'three';
import { BUILDERS } from './scenes/index.js';
import { TextureCache, paintWith } from './scenes/textures.js';
import { prefilter } from './scenes/pmrem.js';
import { TEMPLATES, Tween, CALM, normalize } from './params.js';
import { createAudio } from './audio.js';

const EYE = { standing: 1.6, seated: 1.2 };
const SETTLE_S = 20; // seconds of scene time the first update of a new scene takes
const SNAP_RAD = Math.PI / 6; // 30° snap turns: the common comfort default
const SMOOTH_RAD_S = Math.PI / 3; // smooth turning (snap turn off): 60° a second

/**
 * createRenderer draws into canvas. opts: {xr: boolean (default true),
 * audio, caption(key, ms) for scene captions, onFrame(dt, t) per frame}.
 */
export function createRenderer(canvas, opts = {}) {
  const renderer = new THREE.WebGLRenderer({ canvas, antialias: false, powerPreference: 'high-performance' });
  renderer.setPixelRatio(Math.min(globalThis.devicePixelRatio || 1, 1.5));
  renderer.xr.enabled = opts.xr !== false;
  // physically based scenes: filmic tone mapping of the sky's radiance, and
  // shadow maps that only the few casters a scene marks (castShadow) draw into
  renderer.toneMapping = THREE.ACESFilmicToneMapping;
  renderer.shadowMap.enabled = true;
  renderer.shadowMap.type = THREE.PCFShadowMap;
  const pmrem = prefilter(renderer); // three's PMREM layout, an eighth of its texture reads (scenes/pmrem.js)
  // Image-based light needs the GPU: three's GGX prefilter of a sky blocks
  // the page for 1.5–3 s under a software renderer (SwiftShader, llvmpipe),
  // long enough for the server to declare the patient's link lost (no
  // heartbeat leaves a blocked page). There the scenes are lit by their
  // hemisphere and sun alone, the hemisphere standing in for the sky's
  // light. opts.lighting 'full' keeps image-based light everywhere (the
  // gallery and the budget test measure what a headset draws).
  const software = isSoftwareRenderer(renderer);
  const imageLight = opts.lighting === 'full' || !software;
  let skyLightBoost = 0; // hemisphere intensity added where image-based light is left out
  const scene = new THREE.Scene();
  scene.background = new THREE.Color(0x222222);
  scene.fog = new THREE.Fog(0x222222, 50, 500);
  const hemi = new THREE.HemisphereLight(0xffffff, 0x556655, 1.4);
  const sun = new THREE.DirectionalLight(0xffffff, 1.6);
  sun.position.set(3, 10, 4);
  sun.shadow.bias = -0.0005;
  sun.shadow.normalBias = 0.02;
  scene.add(hemi, sun, sun.target);
  // per-scene light set-up (ctx.env.lights); reset on every scene switch
  const LIGHTS = { hemi: 1.4, sun: 1.6, sunColor: 0xffffff, exposure: 1 };
  const lights = { ...LIGHTS };
  const sunDir = new THREE.Vector3(3, 10, 4).normalize();
  let envTarget = null; // the scene's PMREM render target when it has no key, disposed with the scene
  const envCache = new Map(); // key → PMREM render target, least recently used first
  let envMs = 0; // time spent prefiltering environment maps (a load's share: see loadParts)
  const textureCache = new TextureCache(); // painted canvases, kept between loads (scenes/textures.js)
  const ENV_CACHE = 4; // ~7 MiB each (a 768×1280 half-float atlas at size 256): the room and the last few skies
  const listener = new THREE.AudioListener(); // positional sound (scenes' PositionalAudio) hears from the head
  const rig = new THREE.Group();
  const camera = new THREE.PerspectiveCamera(70, 1, 0.05, 2000);
  rig.add(camera);
  camera.add(listener);
  scene.add(rig);
  const shakeGroup = new THREE.Group(); // the world moves for turbulence/sway, never the head
  scene.add(shakeGroup);

  const fade = new THREE.Mesh(new THREE.SphereGeometry(0.3, 12, 8), new THREE.MeshBasicMaterial({ color: 0x000000, side: THREE.BackSide, transparent: true, opacity: 0, depthTest: false, fog: false }));
  fade.renderOrder = 5; // above the scene, below the patient's panels (renderOrder 10+): safety text stays readable through a fade
  camera.add(fade);
  // comfort vignette: a soft radial darkening that narrows the view while the scene moves (cybersickness, CLINICAL.md §5)
  const vignette = new THREE.Mesh(new THREE.PlaneGeometry(0.6, 0.6), new THREE.ShaderMaterial({
    transparent: true, depthTest: false, depthWrite: false, uniforms: { strength: { value: 0 } },
    vertexShader: 'varying vec2 vUv; void main() { vUv = uv; gl_Position = projectionMatrix * modelViewMatrix * vec4(position, 1.0); }',
    fragmentShader: 'uniform float strength; varying vec2 vUv; void main() { float d = length(vUv - 0.5) * 2.0; gl_FragColor = vec4(0.0, 0.0, 0.0, strength * smoothstep(0.35, 0.95, d)); }',
  }));
  vignette.position.z = -0.12;
  vignette.renderOrder = 6;
  camera.add(vignette);

  const audio = opts.audio || createAudio();
  audio.useListener?.(listener);
  const comfort = { posture: 'standing', vignette: true, snapTurn: true, reducedMotion: false };
  const shake = { x: 0, y: 0, roll: 0, pitch: 0 };
  const envState = { sky: new THREE.Color(0x222222), fogNear: 50, fogFar: 500, light: 1 };
  const ctx = {
    shake, audio, motion: 1,
    three: { renderer, scene, camera, sun, hemi, listener },
    caption: (key, ms) => opts.caption?.(key, ms),
    env: {
      setSky(sky, fog) { envState.sky.setHex(sky); scene.fog.color.setHex(fog); },
      fog(near, far) { envState.fogNear = near; envState.fogFar = far; },
      light(v) { envState.light = v; },
      /**
       * environment makes envScene (a sky, a room) into the image-based light
       * of every PBR material. key names what envScene shows: the prefiltered
       * map is kept for it and reused when a scene with the same light loads
       * again (resume after a break or a lost link reloads the exposure
       * scene), because prefiltering is the slowest part of a load (2 s and
       * more under software WebGL) and blocks the page meanwhile.
       */
      environment(envScene, { intensity = 1, sigma = 0, key = '' } = {}) {
        envTarget?.dispose();
        envTarget = null;
        if (!imageLight) {
          scene.environment = null;
          skyLightBoost = intensity;
          return;
        }
        let target = key ? envCache.get(key) : null;
        if (!target) {
          const t0 = performance.now();
          // 256 px faces for a sky (the glass floor mirrors its clouds); a
          // room blurred by sigma (0.04 rad, 2.3°, three texels of a 128 px
          // face) has no detail a 256 px face would keep. Prefiltering blocks
          // the page under software WebGL (scenes/pmrem.js): hence the cache
          target = pmrem.fromScene(envScene, sigma, 0.1, 200, { size: sigma > 0 ? 128 : 256 });
          if (key) {
            envCache.set(key, target);
            if (envCache.size > ENV_CACHE) { const [old, t] = envCache.entries().next().value; envCache.delete(old); t.dispose(); }
          } else envTarget = target; // disposed with the scene
          envMs += performance.now() - t0;
        } else { envCache.delete(key); envCache.set(key, target); } // most recently used last
        scene.environment = target.texture;
        scene.environmentIntensity = intensity;
      },
      /** lights sets the base hemisphere/sun intensities, sun colour and direction, shadow frustum and exposure of the scene. */
      lights(o) {
        for (const k of ['hemi', 'sun', 'sunColor', 'exposure']) if (o[k] !== undefined) lights[k] = o[k];
        if (o.sunPos) sunDir.copy(o.sunPos).normalize();
        if (o.sunColor !== undefined) sun.color.setHex(o.sunColor);
        if (o.skyColor !== undefined) hemi.color.setHex(o.skyColor);
        if (o.groundColor !== undefined) hemi.groundColor.setHex(o.groundColor);
        if (o.shadow) {
          const { extent = 6, size = 1024, center = [0, 0, 0] } = o.shadow;
          sun.castShadow = true;
          sun.target.position.set(center[0], center[1], center[2]);
          const c = sun.shadow.camera;
          c.left = c.bottom = -extent; c.right = c.top = extent; c.near = 1; c.far = 120;
          c.updateProjectionMatrix();
          if (sun.shadow.mapSize.x !== size) { sun.shadow.mapSize.set(size, size); sun.shadow.map?.dispose(); sun.shadow.map = null; }
        }
        sun.position.copy(sunDir).multiplyScalar(50).add(sun.target.position);
      },
    },
  };

  let active = null; // {template, tween, scene:{group, update, event}}
  let pendingLoad = null;
  let fadeTarget = 0, fadeLevel = 0, fadeTau = 0.25, vignetteLevel = 0;
  const look = { yaw: 0, pitch: 0 };
  const updaters = new Set();
  let lastFrame = performance.now();
  let elapsed = 0;
  let longestTask = 0; // ms, since the last load began (PerformanceObserver 'longtask', where the browser has it)
  try {
    new PerformanceObserver((list) => { for (const e of list.getEntries()) longestTask = Math.max(longestTask, e.duration); }).observe({ type: 'longtask' });
  } catch { /* no long task timing (node, Firefox) */ }
  let idleDrawn = 0; // when a frame was last drawn (see frame: no scene shown while one compiles)
  let lastInfo = { calls: 0, triangles: 0, points: 0, lines: 0, frame: 0 };
  let fps = 0;

  function build(template, params) {
    const builder = BUILDERS[template];
    if (!builder) throw new Error(`renderer: unknown template ${JSON.stringify(template)}`);
    for (const k of Object.keys(shake)) shake[k] = 0;
    resetLights();
    const sounds = new Set(); // every source the scene starts (scenes/sound.js), stopped with it
    ctx.sounds = sounds;
    // the parameters it loads with: a scene whose light depends on one (the
    // time of day) prefilters that light once instead of easing into it
    const built = paintWith(textureCache, () => builder(ctx, params));
    shakeGroup.add(built.group);
    return { template, tween: new Tween(template, params), scene: built, sounds };
  }

  function resetLights() {
    Object.assign(lights, LIGHTS);
    sun.castShadow = false;
    sun.color.setHex(0xffffff); sunDir.set(3, 10, 4).normalize(); sun.target.position.set(0, 0, 0); sun.position.copy(sunDir).multiplyScalar(50);
    hemi.color.setHex(0xffffff); hemi.groundColor.setHex(0x556655);
    scene.environment = null;
    skyLightBoost = 0;
    envTarget?.dispose(); envTarget = null;
  }

  function stopSound(a) {
    a.userData.stopped = true;
    a.userData.cancel?.();
    if (a.isPlaying) a.stop();
    if (a.source) a.disconnect?.();
  }

  // textures of a scene, disposed with it (a material may share one with others)
  const TEXTURE_KEYS = ['map', 'normalMap', 'roughnessMap', 'metalnessMap', 'emissiveMap', 'alphaMap', 'bumpMap', 'aoMap'];
  function dispose(entry) {
    if (!entry) return;
    shakeGroup.remove(entry.scene.group);
    entry.scene.dispose?.();
    for (const a of entry.sounds) stopSound(a);
    entry.sounds.clear();
    entry.scene.group.traverse((o) => {
      if (o.isAudio) stopSound(o);
      const ms = Array.isArray(o.material) ? o.material : o.material ? [o.material] : [];
      for (const m of ms) for (const k of TEXTURE_KEYS) m[k]?.dispose();
      o.geometry?.dispose();
      // materials are left to the garbage collector, not disposed: disposing
      // the last user of a shader program deletes it, and the next load of
      // the scene (calm on a break, the exposure scene on resume) would
      // compile it again, seconds of a stalled page under software WebGL. The
      // programs kept are bounded by the templates' kinds of material.
    });
    audio.quiet();
  }

  // A load builds the next scene, then compiles its shaders with
  // renderer.compileAsync where the browser has KHR_parallel_shader_compile
  // (the GPU process compiles while the page keeps running) and shows it
  // only when they are ready. Compiling on the first draw instead blocked the page's main thread
  // for seconds per PBR scene under software WebGL, long enough for heartbeats
  // and sensor batches to stop.
  let loadStart = 0, loadMs = 0, loadedFrame = 0;
  // where a load's time goes: building the scene (geometry, canvas textures,
  // the sky's environment light), compiling its shaders, the first draw; of
  // the build, painting canvas textures and prefiltering the environment map
  const loadParts = { build: 0, compile: 0, draw: 0, textures: 0, envmap: 0 };
  let builtAt = 0, shownAt = 0;
  const parallelCompile = renderer.extensions.has('KHR_parallel_shader_compile');
  let staging = null; // the scene being compiled, shown when its shaders are ready
  function begin() {
    loadStart = performance.now();
    longestTask = 0;
    dispose(active);
    active = null;
    const { template, params } = pendingLoad;
    const painted0 = textureCache.paintMs, env0 = envMs;
    const next = build(template, params);
    builtAt = performance.now();
    loadParts.build = builtAt - loadStart;
    loadParts.textures = textureCache.paintMs - painted0;
    loadParts.envmap = envMs - env0;
    staging = next;
    // settle first so compileAsync compiles what the scene shows at its parameters
    next.scene.update(next.tween.step(performance.now()), elapsed, SETTLE_S);
    const ready = () => { if (staging === next) show(next); };
    if (parallelCompile) renderer.compileAsync(next.scene.group, camera, scene).then(ready, ready);
    else compileInSlices(next, ready);
  }

  // Without the extension the page waits for each program to link the first
  // time it is used. Compiling one object's programs per task and using them
  // at once keeps each wait to one program's, with the page's messages and
  // timers running between them, instead of all of a scene's on its first draw.
  function compileInSlices(next, ready) {
    const objects = [];
    next.scene.group.traverseVisible((o) => { if (o.material) objects.push(o); });
    let i = 0;
    const step = () => {
      if (staging !== next) return; // superseded by a newer load
      const t0 = performance.now();
      while (i < objects.length && performance.now() - t0 < 30) {
        const o = objects[i++];
        for (const m of renderer.compile(o, camera, scene)) renderer.properties.get(m).currentProgram?.getUniforms();
      }
      if (i < objects.length) setTimeout(step, 0); else ready();
    };
    step();
  }

  function show(next) {
    staging = null;
    shownAt = performance.now();
    loadParts.compile = shownAt - builtAt;
    const { params } = pendingLoad;
    pendingLoad = null;
    next.tween = new Tween(next.template, params); // parameters set while it compiled
    shakeGroup.add(next.scene.group);
    active = next;
    if (!renderer.xr.isPresenting) { look.yaw = next.scene.lookYaw ?? 0; look.pitch = next.scene.lookPitch ?? 0; }
    // one long first step settles every eased visual at its target: a scene appears as loaded (under the fade), not easing in from defaults
    active.scene.update(active.tween.step(performance.now()), elapsed, SETTLE_S);
    fadeTarget = 0;
    opts.onSceneChange?.(api.scene());
  }

  /** loadScene switches template with a fade through black of transition_ms (0 = instant). Returns the normalized params. */
  function loadScene({ template, params = {}, transition_ms = 800 }) {
    const norm = normalize(template, params);
    if (staging) { dispose(staging); staging = null; } // a newer load supersedes one still compiling
    pendingLoad = { template, params: norm };
    if (!transition_ms || !active) { begin(); return norm; }
    fadeTau = Math.max(0.05, transition_ms / 1000 / 6);
    fadeTarget = 1;
    return norm;
  }

  /** setParams eases the current scene's parameters to params over transition_ms. */
  function setParams(params, transition_ms = 1500) {
    const target = pendingLoad || active;
    if (!target) throw new Error('renderer: no scene loaded');
    if (pendingLoad) { pendingLoad.params = normalize(pendingLoad.template, params, pendingLoad.params); return; }
    active.tween.set(params, transition_ms, performance.now());
  }

  function frame() {
    const now = performance.now();
    if (opts.maxFps && now - lastFrame < 1000 / opts.maxFps - 2) return; // a mirror needs few frames; the console's page stays light
    const dt = Math.min(0.1, (now - lastFrame) / 1000);
    lastFrame = now;
    elapsed += dt;
    ctx.motion = comfort.reducedMotion ? 0.15 : 1;
    fadeLevel = THREE.MathUtils.damp(fadeLevel, fadeTarget, 1 / fadeTau, dt);
    if (pendingLoad && !staging && fadeLevel > 0.97) begin();
    if (active) active.scene.update(active.tween.step(now), elapsed, dt);
    fade.material.opacity = fadeLevel;
    fade.visible = fadeLevel > 0.005;
    scene.background = envState.sky;
    scene.fog.near = envState.fogNear; scene.fog.far = envState.fogFar;
    hemi.intensity = (lights.hemi + skyLightBoost) * envState.light;
    sun.intensity = lights.sun * envState.light;
    renderer.toneMappingExposure = lights.exposure;
    shakeGroup.position.set(shake.x, shake.y, 0);
    shakeGroup.rotation.set(shake.pitch, 0, shake.roll);
    const motionAmount = Math.min(1, Math.abs(shake.roll) * 12 + Math.abs(shake.y) * 15 + Math.abs(shake.x) * 8);
    vignetteLevel = THREE.MathUtils.damp(vignetteLevel, comfort.vignette ? 0.8 * motionAmount : 0, 3, dt);
    vignette.material.uniforms.strength.value = vignetteLevel;
    vignette.visible = vignetteLevel > 0.01;
    const presenting = renderer.xr.isPresenting;
    if (presenting) stickTurn(dt);
    if (!presenting && opts.headPose) rig.position.set(0, 0, 0); // the camera stands where setHead put it
    else if (!presenting) {
      rig.position.set(0, 0, 0);
      camera.position.set(0, active?.scene.eye ?? EYE[comfort.posture], 0); // a seated scene (cabin, table) may set the inline eye height
      camera.rotation.set(look.pitch, look.yaw, 0, 'YXZ');
    }
    for (const fn of updaters) fn(dt, elapsed);
    resize();
    // While a scene compiles with none shown, the view is the fade (or the
    // bare background) and every frame is the same: inline, it is drawn four
    // times a second, not sixty. Under software WebGL a frame of a large
    // canvas costs tens of milliseconds of the same cores that compile, and
    // one was drawn between every two programs (compileInSlices). In a
    // headset every frame is drawn: the compositor needs them.
    if (!staging || active || presenting || now - idleDrawn >= 250) {
      renderer.render(scene, camera);
      idleDrawn = now;
    }
    if (loadStart && active) { // scene.load → first frame drawn (shaders compiled)
      const now2 = performance.now();
      loadMs = now2 - loadStart; loadParts.draw = now2 - shownAt; loadStart = 0; loadedFrame = renderer.info.render.frame;
    }
    const r = renderer.info.render; // copied in place: the render loop allocates nothing per frame
    lastInfo.calls = r.calls; lastInfo.triangles = r.triangles; lastInfo.points = r.points; lastInfo.lines = r.lines; lastInfo.frame = r.frame;
    fps = fps ? fps * 0.95 + (dt > 0 ? 1 / dt : 0) * 0.05 : 60;
  }

  let lastW = 0, lastH = 0;
  function resize() {
    if (renderer.xr.isPresenting) return;
    const w = canvas.clientWidth || 800, h = canvas.clientHeight || 450;
    if (w === lastW && h === lastH) return;
    lastW = w; lastH = h;
    renderer.setSize(w, h, false);
    camera.aspect = w / h;
    camera.updateProjectionMatrix();
  }

  // inline mode: drag to look (mouse, touch, pen); arrow keys snap-turn
  let drag = null;
  canvas.addEventListener('pointerdown', (e) => { drag = { x: e.clientX, y: e.clientY, moved: 0 }; canvas.setPointerCapture?.(e.pointerId); });
  canvas.addEventListener('pointermove', (e) => {
    if (!drag) return;
    const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
    drag.x = e.clientX; drag.y = e.clientY; drag.moved += Math.abs(dx) + Math.abs(dy);
    look.yaw += dx * 0.004;
    look.pitch = THREE.MathUtils.clamp(look.pitch + dy * 0.004, -1.4, 1.4);
  });
  const endDrag = (e) => { if (drag && drag.moved < 6) opts.onTap?.(e); drag = null; };
  canvas.addEventListener('pointerup', endDrag);
  canvas.addEventListener('pointercancel', () => { drag = null; });

  let refType = 'local-floor';
  let session = null;
  /** enterXR starts an immersive-vr session: 'local-floor' standing, 'local' seated. Resolves to the session. */
  async function enterXR() {
    if (!navigator.xr || !(await navigator.xr.isSessionSupported('immersive-vr'))) throw new Error('renderer: immersive-vr not supported');
    refType = comfort.posture === 'seated' ? 'local' : 'local-floor';
    // opts.domOverlay: the element a browser that supports the WebXR DOM
    // Overlay shows over the immersive view (the patient app's panels)
    const init = { optionalFeatures: ['local-floor', 'local', ...(opts.domOverlay ? ['dom-overlay'] : [])] };
    if (opts.domOverlay) init.domOverlay = { root: opts.domOverlay };
    session = await navigator.xr.requestSession('immersive-vr', init);
    renderer.xr.setReferenceSpaceType(refType);
    try { await renderer.xr.setSession(session); } catch (err) {
      if (refType !== 'local-floor') throw err;
      refType = 'local'; // a runtime without floor tracking: fall back to seated-style origin
      renderer.xr.setReferenceSpaceType(refType);
      await renderer.xr.setSession(session);
    }
    rig.position.set(0, refType === 'local' ? EYE.seated : 0, 0); // 'local' has its origin at the head
    session.addEventListener('end', () => { session = null; rig.position.set(0, 0, 0); rig.rotation.set(0, 0, 0); opts.onXREnd?.(); });
    return session;
  }

  async function exitXR() { if (session) await session.end(); }

  /** snapTurn rotates the rig (not the head) by one 30° step: dir -1 left, +1 right. */
  function snapTurn(dir) {
    if (renderer.xr.isPresenting) rig.rotation.y -= dir * SNAP_RAD; else look.yaw -= dir * SNAP_RAD;
  }

  // Controllers' thumbsticks turn the patient (xr-standard mapping: axes 2
  // and 3 are the stick). With snap turn on, a flick past 0.7 turns one
  // step and the stick must come back under 0.3 before the next, so holding
  // it never spins anyone; with it off, the turn is smooth at 60°/s.
  const stickArmed = new WeakMap();
  function stickTurn(dt) {
    const s = renderer.xr.getSession();
    if (!s) return;
    for (const src of s.inputSources) {
      const x = src.gamepad && src.gamepad.axes.length >= 4 ? src.gamepad.axes[2] : 0;
      if (!comfort.snapTurn) {
        if (Math.abs(x) > 0.2) rig.rotation.y -= x * SMOOTH_RAD_S * dt;
        continue;
      }
      const armed = stickArmed.get(src) ?? true;
      if (armed && Math.abs(x) > 0.7) { snapTurn(Math.sign(x)); stickArmed.set(src, false); }
      else if (!armed && Math.abs(x) < 0.3) stickArmed.set(src, true);
    }
  }

  /** textureBytes estimates the GPU memory of every texture the current frame samples: material maps, the environment and shadow maps. */
  function textureBytes() {
    const seen = new Set();
    let bytes = 0;
    const add = (tex) => {
      if (!tex?.isTexture || seen.has(tex.source)) return;
      seen.add(tex.source);
      const img = tex.image || {};
      const w = img.width || 0, h = img.height || 0;
      const bpp = tex.type === THREE.FloatType ? 16 : tex.type === THREE.HalfFloatType ? 8 : 4;
      const mips = tex.generateMipmaps && tex.minFilter !== THREE.LinearFilter && tex.minFilter !== THREE.NearestFilter ? 4 / 3 : 1;
      bytes += w * h * bpp * mips * (tex.isCubeTexture ? 6 : 1);
    };
    scene.traverseVisible((o) => {
      const ms = Array.isArray(o.material) ? o.material : o.material ? [o.material] : [];
      for (const m of ms) {
        for (const k of TEXTURE_KEYS) add(m[k]);
        add(m.envMap);
        for (const u of Object.values(m.uniforms || {})) add(u.value);
      }
      if (o.isLight && o.castShadow && o.shadow) bytes += o.shadow.mapSize.x * o.shadow.mapSize.y * 4;
    });
    add(scene.environment);
    add(scene.background);
    return Math.round(bytes);
  }

  renderer.setAnimationLoop(frame);

  const api = {
    three: { renderer, scene, camera, rig, THREE },
    audio,
    templates: Object.keys(TEMPLATES),
    loadScene,
    setParams,
    /** event fires a template's one-shot event; unknown events are ignored and reported as false. */
    event(name) {
      if (!active || !TEMPLATES[active.template].events.includes(name)) return false;
      active.scene.event(name);
      return true;
    },
    /** calm fades to the calm scene at once (break, lost connection, calm.now). */
    calm(transition_ms = 600) { return loadScene({ ...CALM, transition_ms }); },
    scene() {
      if (pendingLoad) return { template: pendingLoad.template, params: { ...pendingLoad.params }, loading: true };
      // settled: the eased parameters reached their target and no fade covers the view (a screenshot now shows the scene as the patient will keep seeing it)
      return active ? { template: active.template, params: { ...active.tween.to }, current: { ...active.tween.current }, loading: false,
        settled: active.tween.done(performance.now()) && fadeTarget === 0 && fadeLevel <= 0.005 } : null;
    },
    /**
     * info: the last frame's renderer figures; load_ms from scene.load to the
     * new scene's first frame, loaded_frame its frame number, long_task_ms
     * the longest main-thread task since that load began (the page stalls
     * no heartbeat for longer); load_build_ms, load_compile_ms and
     * load_draw_ms split load_ms into building the scene (with its
     * environment light), compiling its shaders and drawing the first frame;
     * load_texture_ms and load_envmap_ms are the parts of the build spent
     * painting canvas textures and prefiltering the environment map.
     */
    info: () => ({ ...lastInfo, fps: Math.round(fps), load_ms: Math.round(loadMs), load_build_ms: Math.round(loadParts.build), load_compile_ms: Math.round(loadParts.compile), load_draw_ms: Math.round(loadParts.draw), load_texture_ms: Math.round(loadParts.textures), load_envmap_ms: Math.round(loadParts.envmap),
      loaded_frame: loadedFrame, long_task_ms: Math.round(longestTask), texture_bytes: textureBytes(), image_light: imageLight, programs: renderer.info.programs?.length ?? 0 }),
    setComfort(c) { Object.assign(comfort, c); },
    comfort: () => ({ ...comfort }),
    enterXR, exitXR, snapTurn,
    /** turnDeg is how far the patient has been turned (snap or smooth), in degrees; left is positive. */
    turnDeg: () => THREE.MathUtils.radToDeg(renderer.xr.isPresenting ? rig.rotation.y : look.yaw),
    /** setLook points the inline camera (radians; pitch < 0 looks down). Ignored in XR, where the head decides. */
    setLook(yaw, pitch) { look.yaw = yaw; look.pitch = THREE.MathUtils.clamp(pitch, -1.4, 1.4); },
    xrActive: () => renderer.xr.isPresenting,
    /** domOverlay: the immersive session shows opts.domOverlay (WebXR DOM Overlay) — false where the browser does not. */
    domOverlay: () => !!(session && session.domOverlayState),
    referenceSpace: () => (session ? refType : null),
    onFrame(fn) { updaters.add(fn); return () => updaters.delete(fn); },
    /** setHead places the camera at a head pose in the scene's frame (opts.headPose: the console's mirror). */
    setHead(pos, quat) { camera.position.fromArray(pos); camera.quaternion.fromArray(quat); },
    /** setRunning stops and restarts the render loop (a mirror scrolled out of sight or a hidden page draws nothing). */
    setRunning(on) { renderer.setAnimationLoop(on ? frame : null); if (on) lastFrame = performance.now(); },
    dispose() { renderer.setAnimationLoop(null); dispose(staging); staging = null; dispose(active); active = null; for (const t of envCache.values()) t.dispose(); envCache.clear(); renderer.dispose(); },
  };
  return api;
}

/** isSoftwareRenderer reports whether WebGL runs on the CPU (SwiftShader, llvmpipe, softpipe). */
function isSoftwareRenderer(renderer) {
  try {
    const gl = renderer.getContext();
    const dbg = gl.getExtension('WEBGL_debug_renderer_info');
    const name = String(gl.getParameter(dbg ? dbg.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    return /swiftshader|llvmpipe|softpipe|software/i.test(name);
  } catch { return false; }
}
