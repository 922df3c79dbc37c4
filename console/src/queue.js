// The review queue: tabs for new reports to register, handled cases awaiting
// verification, overdue cases and conflicts, each a keyset-paged list of cases from
// GET /v1/cases (newest first) with a "more" button. The conflicts tab lists the cases
// with an unresolved conflict (`conflict=true`, filtered and paged by the server).

import { el, replaceChildren, setText } from './dom.js';
import { formatTime, catalogName } from './format.js';

/** The tabs: their list filter, and a client-side test for those the API cannot filter. */
export const TABS = [
  { id: 'reported', label: 'queue_reported', params: { status: 'reported' } },
  { id: 'registered', label: 'queue_registered', params: { status: 'registered' } },
  { id: 'handled', label: 'queue_handled', params: { status: 'handled' } },
  { id: 'overdue', label: 'queue_overdue', params: { overdue: 'true' } },
  { id: 'conflicts', label: 'queue_conflicts', params: { conflict: 'true' } },
  { id: 'applications', label: 'queue_applications', params: { application: 'true' } },
];

/** A department's tabs: the server lists a department account only its own cases. */
export const DEPARTMENT_TABS = [
  { id: 'department', label: 'queue_department', params: { status: 'dispatched' } },
  { id: 'overdue', label: 'queue_overdue', params: { overdue: 'true' } },
];

/** The tabs for a signed-in `role`. */
export function tabsFor(role) {
  return role === 'handler' ? DEPARTMENT_TABS : TABS;
}

/** The sources a report may come by (the list's `source` filter). */
export const SOURCES = ['grid_worker', 'resident', 'hotline', 'inspection', 'open311_partner'];

const PAGE = 50;

/**
 * The queue in `root` (tab bar, list, more button). `api` lists cases; `catalog()` gives
 * the catalogue (names, time zone); `onCases(cases)` gets every listed case (for the
 * map); `onOpen(id)` opens one.
 */
export function createQueue(root, { api, catalog, role = () => null, onCases, onOpen, t, lang, describeError }) {
  const tabBar = el('div', { className: 'tabs', attrs: { role: 'tablist' } });
  const sourceLabel = el('label', { htmlFor: 'queue-source', className: 'visually-hidden' });
  const source = el('select', { id: 'queue-source', on: { change: () => load(true) } });
  const list = el('ul', { className: 'case-list', id: 'case-list', attrs: { role: 'tabpanel' } });
  const note = el('p', { className: 'muted', id: 'queue-note', attrs: { 'aria-live': 'polite' } });
  const more = el('button', { type: 'button', id: 'queue-more', className: 'more', hidden: true });
  replaceChildren(root, tabBar, el('div', { className: 'queue-filter' }, sourceLabel, source), note, list, more);
  let tabs = TABS;
  let tab = TABS[0];

  function buildSources() {
    const chosen = source.value;
    setText(sourceLabel, t('source_filter'));
    replaceChildren(source, el('option', { value: '', text: t('source_all') }),
      SOURCES.map((x) => el('option', { value: x, text: t(`source_${x}`) })));
    source.value = chosen;
  }
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
      el('span', { className: `source source-${c.source}`, dataset: { source: c.source || '' }, text: t(`source_${c.source || 'grid_worker'}`) }),
      c.department ? el('span', { className: 'case-dept', text: catalogName(catalog()?.departments, 'id', c.department, lang()) }) : null,
      c.application ? el('span', { className: 'badge application', text: t(`action_apply_${c.application}`) }) : null),
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
      const page = await api.cases({ ...tab.params, source: source.value || null, limit: PAGE, next: reset ? null : next });
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
    tab = tabs.find((x) => x.id === id) || tabs[0];
    if (focus) tabBar.querySelector(`[data-tab="${tab.id}"]`)?.focus();
    return load(true);
  }

  function buildTabs() {
    replaceChildren(tabBar, tabs.map((x) => el('button', {
      type: 'button', className: 'tab', dataset: { tab: x.id }, text: t(x.label),
      attrs: { role: 'tab', 'aria-controls': 'case-list' },
      on: { click: () => select(x.id) },
    })));
  }
  // Arrow keys move between tabs (the tab list is one Tab stop).
  tabBar.addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
    e.preventDefault();
    const i = tabs.findIndex((x) => x.id === tab.id);
    const j = (i + (e.key === 'ArrowRight' ? 1 : tabs.length - 1)) % tabs.length;
    select(tabs[j].id, true);
  });
  more.addEventListener('click', () => load(false));
  buildTabs();
  buildSources();

  return {
    /** Focus on the row of case `id`, else on the current tab (after the case page closes). */
    focusCase,
    /** Loads the current tab's first page again; the signed-in role picks the tabs. */
    refresh() {
      const want = tabsFor(role());
      if (want !== tabs) {
        tabs = want;
        tab = tabs[0];
        buildTabs();
      }
      return load(true);
    },
    select,
    /** Re-reads the texts after a language change. */
    retranslate() {
      buildTabs();
      buildSources();
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
