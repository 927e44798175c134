// Small shared helpers.

/** hashQuery returns the query part of the hash route (#/x?a=b) as URLSearchParams. */
export function hashQuery(hash = location.hash) {
  const i = hash.indexOf('?');
  return new URLSearchParams(i < 0 ? '' : hash.slice(i + 1));
}

/** debounce delays fn until ms have passed without another call. */
export function debounce(fn, ms) {
  let timer = null;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}
