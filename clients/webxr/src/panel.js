// The DOM side of the panel manager (ui.js view()): outside immersive mode
// the panel on top is real HTML — a labelled region with its heading, text
// and controls — so a screen, a keyboard and assistive technology reach
// every prompt the headset draws in 3D. Each new panel is announced once
// through a queued live region (announcer below).

const $ = (id) => document.getElementById(id);

/**
 * createAnnouncer(el) → {say(text, still), pending()}: messages are spoken
 * one after another (a second message never overwrites the first before it
 * was read), a queued one whose still() is false by its turn is dropped,
 * and the region is emptied after each, so it never holds stale text.
 */
export function createAnnouncer(el, { holdMs = 2500, setTimer = setTimeout } = {}) {
  const queue = [];
  let busy = false;
  function next() {
    while (queue.length && !queue[0].still()) queue.shift();
    if (!queue.length) { busy = false; el.textContent = ''; return; }
    busy = true;
    el.textContent = queue.shift().text;
    setTimer(() => { el.textContent = ''; setTimer(next, 100); }, holdMs);
  }
  return {
    say(text, still = () => true) {
      const s = String(text ?? '').trim();
      if (!s || queue.some((q) => q.text === s)) return;
      queue.push({ text: s, still });
      if (!busy) next();
    },
    pending: () => queue.length + (busy ? 1 : 0),
  };
}

/**
 * mountPanel mirrors ui's panel on top into #panel and shows the single
 * "I need a break" control (#break) when the ui offers one. xr() tells
 * whether immersive mode is on: there the 3D panels are what the patient
 * sees, and the DOM copy is kept only for a browser's DOM overlay.
 */
export function mountPanel(ui, { t, xr, onBreak, onRate, onReady }) {
  const panel = $('panel'), title = $('panel-title'), body = $('panel-body'), extra = $('panel-extra');
  const scale = $('panel-scale'), low = $('panel-low'), high = $('panel-high'), readyBtn = $('panel-ready');
  const captionEl = $('caption'), breakBtn = $('break');
  const announcer = createAnnouncer($('announce'));
  let shownId = null, last = null;

  breakBtn.addEventListener('click', () => onBreak());
  readyBtn.addEventListener('click', () => onReady());
  // the scale is one tab stop; arrows move along it (in reading order), Enter or Space answers
  scale.addEventListener('keydown', (e) => {
    const btns = [...scale.querySelectorAll('button')];
    const i = btns.indexOf(document.activeElement);
    if (i < 0) return;
    const rtl = getComputedStyle(scale).direction === 'rtl';
    const step = { ArrowRight: rtl ? -1 : 1, ArrowLeft: rtl ? 1 : -1, ArrowUp: 1, ArrowDown: -1, Home: -99, End: 99 }[e.key];
    if (step === undefined) return;
    e.preventDefault();
    const j = Math.max(0, Math.min(btns.length - 1, i + step));
    focusScale(btns, j);
  });
  function focusScale(btns, j) {
    btns.forEach((b, k) => { b.tabIndex = k === j ? 0 : -1; });
    btns[j].focus();
    ui.select(Number(btns[j].value));
  }

  function render(v) {
    last = v;
    breakBtn.hidden = !v.breakShown;
    captionEl.textContent = v.caption && v.panel !== 'ready' ? v.caption : '';
    const show = !!v.panel && !xr();
    panel.hidden = !show;
    panel.dataset.kind = v.kind || '';
    if (!v.panel) { shownId = null; return; }
    const fresh = v.id !== shownId;
    shownId = v.id;
    title.textContent = v.title || '';
    body.textContent = v.body || '';
    extra.textContent = v.extra || '';
    extra.hidden = !v.extra;
    readyBtn.hidden = v.panel !== 'ready';
    readyBtn.textContent = v.action || '';
    scale.hidden = v.panel !== 'rating';
    if (v.panel === 'rating') renderScale(v, fresh);
    if (!fresh) return;
    const id = v.id;
    announcer.say([v.title, v.body, v.extra].filter(Boolean).join('. '), () => shownId === id);
    // a prompt that needs an answer takes the focus (so does a safety panel,
    // whose heading is read first); the pacer and captions never steal it
    if (show && (v.safety || v.panel === 'rating' || v.panel === 'ready') && !document.getElementById('join')?.matches(':not([hidden])')) {
      const target = v.panel === 'rating' ? scale.querySelector('button[tabindex="0"]') : v.panel === 'ready' ? readyBtn : title;
      target?.focus({ preventScroll: true });
    }
  }
  function renderScale(v, fresh) {
    low.textContent = v.low;
    high.textContent = v.high;
    const row = scale.querySelector('.scale-row');
    if (fresh || row.children.length !== v.scale.length) {
      row.replaceChildren(...v.scale.map((s, k) => {
        const b = Object.assign(document.createElement('button'), { type: 'button', value: String(s.value), textContent: s.label, tabIndex: k === 0 ? 0 : -1 });
        b.addEventListener('click', () => onRate(s.value));
        return b;
      }));
    }
    const btns = [...row.children];
    btns.forEach((b, k) => {
      b.textContent = v.scale[k].label;
      b.setAttribute('aria-pressed', String(v.selected === v.scale[k].value));
    });
    if (v.selected !== null && v.selected !== undefined) {
      const j = v.scale.findIndex((s) => s.value === v.selected);
      if (j >= 0 && btns[j].tabIndex !== 0) btns.forEach((b, k) => { b.tabIndex = k === j ? 0 : -1; });
      if (j >= 0 && scale.contains(document.activeElement) && document.activeElement !== btns[j]) btns[j].focus();
    }
  }
  ui.onChange(render);
  return {
    /** refresh re-renders after entering or leaving immersive mode or a language change. */
    refresh: () => { shownId = null; render(ui.view()); },
    announcing: () => announcer.pending(),
    last: () => last,
    t,
  };
}
