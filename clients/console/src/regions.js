// Country names for ISO 3166-1 codes, from the browser (Intl) in the
// console's language; the resolved language is returned so the page can
// mark the names with it (they may come back in another language than the
// console's, e.g. for the pseudo-locale). Shared by the clinic settings and
// the crisis-lines editor.

/** regionNames names ISO country codes in locale (the code itself where the browser has no name). */
export function regionNames(locale) {
  try {
    const dn = new Intl.DisplayNames([locale], { type: 'region', fallback: 'code' });
    return { of: (c) => dn.of(c) || c, lang: dn.resolvedOptions().locale };
  } catch {
    return { of: (c) => c, lang: 'und' };
  }
}
