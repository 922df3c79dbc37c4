// Keyboard shortcuts: one table, used both to handle keys and to list them in the help
// dialog (docs/console.md lists the same). Shortcuts are single keys without Ctrl, Alt
// or Meta and are ignored while typing in a field, so they never eat text.

import { el, replaceChildren } from './dom.js';

function typing(target) {
  if (!target || !(target instanceof Element)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

/**
 * Handles `shortcuts` ([{ key, label, run, when?, available? }], `label` an i18n key,
 * `when()` false to disable one for now, `available()` false to leave one out of the
 * help on this server) on `target` (the document).
 */
export function installShortcuts(shortcuts, target = document) {
  target.addEventListener('keydown', (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key !== 'Escape' && typing(event.target)) return;
    const hit = shortcuts.find((s) => s.key === event.key && (!s.when || s.when()));
    if (!hit) return;
    if (hit.run(event) !== false) event.preventDefault();
  });
}

/** Fills `list` (a <dl>) with the keys and texts of the shortcuts that are `available()` here. */
export function renderShortcuts(list, shortcuts, t) {
  replaceChildren(list, shortcuts.filter((s) => !s.available || s.available()).flatMap((s) => [
    el('dt', {}, el('kbd', { text: s.shown || s.key })),
    el('dd', { text: t(s.label) }),
  ]));
}
