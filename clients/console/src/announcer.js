// The console's live-region announcer: messages are spoken one after
// another, each left in the region long enough to be read before the next
// replaces it (two messages set together used to overwrite each other, so
// a screen reader heard only the second). Tested in node.

/**
 * createAnnouncer(region, {gap, hold, onSay, timer}) → {say(msg), pending()}.
 * The region is emptied, then after gap ms given the message, which stays
 * hold ms before the next; the same message queued twice in a row is said
 * once. onSay(msg) is called as each message is put in the region.
 */
export function createAnnouncer(region, { gap = 30, hold = 700, onSay = () => {}, timer = setTimeout } = {}) {
  const queue = [];
  let busy = false;
  const next = () => {
    const msg = queue.shift();
    if (msg === undefined) { busy = false; return; }
    busy = true;
    region.textContent = '';
    timer(() => { region.textContent = msg; onSay(msg); timer(next, hold); }, gap);
  };
  return {
    say(msg) {
      if (!msg || queue.at(-1) === msg) return;
      queue.push(msg);
      if (!busy) next();
    },
    pending: () => queue.length,
  };
}
