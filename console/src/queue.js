// The review queue: tabs for new reports to register, handled cases awaiting
// verification, overdue cases and conflicts, each a keyset-paged list of cases from
// GET /v1/cases (newest first) with a "more" button. The conflicts tab lists the cases
// with an unresolved conflict (`conflict=true`, filtered and paged by the server).

import { el, replaceChildren, setText } from './dom.js';
import { formatTime, catalogName } from './format.js';

/** The tabs: their list filter, and a client-side test for those the API cannot filter. */
export const TABS = [
  { id: 'reported', label: 'queue_reported', params: { status: 'reported' } },
  { id: 'handled', label: 'queue_handled', params: { status: 'handled' } },
  { id: 'overdue', label: 'queue_overdue', params: { overdue: 'true' } },
  { id: 'conflicts', label: 'queue_conflicts', params: { conflict: 'true' } },
];

const PAGE = 50;

/**
 * The queue in `root` (tab bar, list, more button). `api` lists cases; `catalog()` gives
 * the catalogue (names, time zone); `onCases(cases)` gets every listed case (for the
 * map); `onOpen(id)` opens one.
 */
export function createQueue(root, { api, catalog, onCases, onOpen, t, lang, describeError }) {
  const tabBar = el('div', { className: 'tabs', attrs: { role: 'tablist' } });
  const list = el('ul', { className: 'case-list', id: 'case-list', attrs: { role: 'tabpanel' } });
  const note = el('p', { className: 'muted', id: 'queue-note', attrs: { 'aria-live': 'polite' } });
  const more = el('button', { type: 'button', id: 'queue-more', className: 'more', hidden: true });
  replaceChildren(root, tabBar, note, list, more);
  let tab = TABS[0];
  let cases = [];
  let next = null;
  let loading = 0;

  function row(c) {
    const offset = catalog()?.calendar?.utc_offset_minutes ?? 0;
    const deadline = c.overdue
      ? el('span', { className: 'badge overdue', text: t('overdue') })
      : c.deadline_ms ? el('span', { className: 'deadline', text: t('deadline_at', { time: formatTime(c.deadline_ms, offset) }) }) : null;
    const button = el('button', {
      type: 'button', className: 'case-row', dataset: { id: c.id, status: c.status },
      on: { click: () => onOpen(c.id) },
    },
    el('span', { className: 'case-line' },
      el('span', { className: 'case-time', text: formatTime(c.received_ms, offset) }),
      el('span', { className: `badge status-${c.status}`, text: t(`status_${c.status}`) })),
    el('span', { className: 'case-cat', text: catalogName(catalog()?.categories, 'code', c.category, lang()) }),
    el('span', { className: 'case-line muted' },
      el('span', { text: c.cell ? t('cell_code', { code: c.cell }) : t('no_cell') }),
      deadline,
      Number(c.open_conflicts ?? c.conflict_count) > 0 ? el('span', { className: 'badge conflict', text: t('conflict_n', { n: c.open_conflicts ?? c.conflict_count }) }) : null));
    return el('li', {}, button);
  }

  function render() {
    for (const b of tabBar.children) {
      const on = b.dataset.tab === tab.id;
      b.setAttribute('aria-selected', String(on));
      b.tabIndex = on ? 0 : -1;
    }
    const shown = tab.keep ? cases.filter(tab.keep) : cases;
    // Focus inside the list stays on the same case's row, or goes to the tab when the
    // case left the list, rather than being lost with the old rows.
    const focused = list.contains(document.activeElement) ? document.activeElement.dataset.id : null;
    replaceChildren(list, shown.map(row));
    if (focused) focusCase(focused);
    if (!loading) setText(note, shown.length ? t('queue_count', { n: shown.length }) : t('queue_empty'));
    more.hidden = !next;
    setText(more, t('more'));
    onCases(shown);
  }

  function focusCase(id) {
    const rowOf = [...list.querySelectorAll('.case-row')].find((b) => b.dataset.id === id);
    (rowOf || tabBar.querySelector('[aria-selected=true]'))?.focus();
  }

  async function load(reset) {
    const ticket = ++loading;
    if (reset) {
      cases = [];
      next = null;
    }
    setText(note, t('loading'));
    try {
      const page = await api.cases({ ...tab.params, limit: PAGE, next: reset ? null : next });
      if (ticket !== loading) return;
      cases = cases.concat(page.cases || page.items || []);
      next = page.next || null;
      loading = 0;
      render();
    } catch (error) {
      if (ticket !== loading) return;
      loading = 0;
      setText(note, describeError(error, t));
    }
  }

  function select(id, focus) {
    tab = TABS.find((x) => x.id === id) || TABS[0];
    if (focus) tabBar.querySelector(`[data-tab="${tab.id}"]`)?.focus();
    return load(true);
  }

  function buildTabs() {
    replaceChildren(tabBar, TABS.map((x) => el('button', {
      type: 'button', className: 'tab', dataset: { tab: x.id }, text: t(x.label),
      attrs: { role: 'tab', 'aria-controls': 'case-list' },
      on: { click: () => select(x.id) },
    })));
  }
  // Arrow keys move between tabs (the tab list is one Tab stop).
  tabBar.addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
    e.preventDefault();
    const i = TABS.findIndex((x) => x.id === tab.id);
    const j = (i + (e.key === 'ArrowRight' ? 1 : TABS.length - 1)) % TABS.length;
    select(TABS[j].id, true);
  });
  more.addEventListener('click', () => load(false));
  buildTabs();

  return {
    /** Focus on the row of case `id`, else on the current tab (after the case page closes). */
    focusCase,
    /** Loads the current tab's first page again. */
    refresh: () => load(true),
    select,
    /** Re-reads the texts after a language change. */
    retranslate() {
      buildTabs();
      render();
    },
    clear() {
      cases = [];
      next = null;
      replaceChildren(list);
      onCases([]);
    },
  };
}
