// Push-to-talk wiring shared by the console's voice panels (a live
// session's and a support circle's): the microphone is live while a button
// is held — by pointer, or by Space or Enter on the focused button — or
// while Space is held anywhere outside a text field (the key a therapist or
// a moderator can hold while reading the page).

/** editable reports whether typing into el should keep the Space key for itself. */
const editable = (el) => Boolean(el) && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName)) && el.type !== 'radio';

/**
 * pushToTalk(button, hold, active) calls hold(true) when talking starts and
 * hold(false) when it stops; active() says whether Space outside the button
 * talks now (push-to-talk chosen). Returns the function that removes the
 * page-wide key listeners.
 */
export function pushToTalk(button, hold, active) {
  button.addEventListener('pointerdown', (e) => { e.preventDefault(); try { button.setPointerCapture(e.pointerId); } catch { /* a synthetic pointer */ } hold(true); });
  for (const ev of ['pointerup', 'pointercancel', 'lostpointercapture']) button.addEventListener(ev, () => hold(false));
  button.addEventListener('keydown', (e) => { if ((e.key === ' ' || e.key === 'Enter') && !e.repeat) { e.preventDefault(); hold(true); } });
  button.addEventListener('keyup', (e) => { if (e.key === ' ' || e.key === 'Enter') hold(false); });
  const onKey = (e) => {
    if (!active() || e.key !== ' ' || e.repeat || editable(e.target) || e.target === button) return;
    e.preventDefault();
    hold(e.type === 'keydown');
  };
  globalThis.addEventListener('keydown', onKey);
  globalThis.addEventListener('keyup', onKey);
  return () => { globalThis.removeEventListener('keydown', onKey); globalThis.removeEventListener('keyup', onKey); };
}
