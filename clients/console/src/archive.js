// Archiving a clinic's compositions and ladders (the server's DELETE): an
// archived item leaves the lists and new use, but every revision stays
// readable for the sessions and reports that ran it, and Restore brings it
// back. Shared by the environments and protocols lists and their detail pages.
import { h } from './dom.js';

/** canArchive reports whether the server offers archiving for a collection path (e.g. /api/compositions). */
export const canArchive = (app, path) => app.api.has('DELETE', `${path}/{id}`);

/** archivedToggle is the "Show archived" checkbox; onChange(on) reloads the list. */
export function archivedToggle(app, onChange) {
  const box = h('input', { type: 'checkbox', name: 'show_archived', onchange: () => onChange(box.checked) });
  return h('label', { class: 'check archived-toggle' }, box, ' ', app.t('console.archive.show'));
}

/** archivedState is a row's status: in use, or archived with the date. */
export function archivedState(app, item) {
  if (!item.archived_at) return app.t('console.archive.in_use');
  return h('span', {}, app.t('console.archive.status'), ' ', h('time', { datetime: item.archived_at }, app.i18n.date(item.archived_at)));
}

/**
 * archiveButton archives item (after confirmKey's confirm) or, when it is
 * archived, restores it; then announces and calls done(). describedBy is the
 * id of the row's name, so a screen reader hears which item the button acts on.
 */
export function archiveButton(app, { path, item, confirmKey, describedBy, done }) {
  const { t } = app;
  const url = `${path}/${encodeURIComponent(item.id)}`;
  const act = async (btn, fn, msg) => {
    btn.disabled = true;
    try { await fn(); app.announce(t(msg)); await done(); } catch (e) { btn.disabled = false; app.alert(e.message); }
  };
  if (item.archived_at) {
    return h('button', { type: 'button', class: 'restore', 'aria-describedby': describedBy, dataset: { restore: item.id },
      onclick: (e) => act(e.currentTarget, () => app.api.post(`${url}/restore`), 'console.archive.restored') }, t('console.archive.restore'));
  }
  return h('button', { type: 'button', class: 'archive', 'aria-describedby': describedBy, dataset: { archive: item.id },
    onclick: (e) => { if (confirm(t(confirmKey))) act(e.currentTarget, () => app.api.del(url), 'console.archive.done'); } }, t('console.archive.button'));
}

/** archivedNotice tells a detail page's reader the item is archived, with a Restore button that then calls done(). */
export function archivedNotice(app, { path, item, noticeKey, done }) {
  if (!item?.archived_at) return null;
  return h('div', { class: 'notice', role: 'status', dataset: { archived: item.id } },
    h('p', {}, app.t(noticeKey)),
    archiveButton(app, { path, item, done }));
}
