// The cell list beside the map: every cell as a button (name and code, set as text),
// filtered by a search field. It is the keyboard way to the map's cells: Tab or the
// arrow keys move through the list, Enter selects a cell on the map.

import { el, replaceChildren, setText } from './dom.js';

/** Lower-cased text a filter matches against. */
export function haystack(props) {
  return [props.code, props.name, props.street_name, props.community_name].filter(Boolean).join(' ').toLowerCase();
}

/** Wires the list. `onSelect(code)` is called when a cell is chosen. */
export function createCellList({ list, filter, count, onSelect, t }) {
  let cells = [];
  let selected = null;

  function render() {
    const q = filter.value.trim().toLowerCase();
    const shown = q ? cells.filter((c) => c.text.includes(q)) : cells;
    replaceChildren(list, shown.map((c) => el('li', {},
      el('button', {
        type: 'button',
        className: c.code === selected ? 'cell selected' : 'cell',
        dataset: { code: c.code },
        attrs: { 'aria-pressed': c.code === selected ? 'true' : 'false' },
        on: { click: () => select(c.code) },
      },
      el('span', { className: 'cell-name', text: c.props.name || c.code }),
      el('span', { className: 'cell-code', text: c.code })))));
    setText(count, t('cell_count', { shown: shown.length, total: cells.length }));
  }

  function select(code) {
    selected = code;
    for (const b of list.querySelectorAll('button.cell')) {
      const on = b.dataset.code === code;
      b.classList.toggle('selected', on);
      b.setAttribute('aria-pressed', on ? 'true' : 'false');
    }
    onSelect(code);
  }

  filter.addEventListener('input', render);
  filter.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && filter.value) {
      filter.value = '';
      render();
      e.preventDefault();
    } else if (e.key === 'ArrowDown' || e.key === 'Enter') {
      const first = list.querySelector('button.cell');
      if (first) {
        first.focus();
        if (e.key === 'Enter') select(first.dataset.code);
        e.preventDefault();
      }
    }
  });
  list.addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    const buttons = [...list.querySelectorAll('button.cell')];
    const i = buttons.indexOf(document.activeElement);
    if (i < 0) return;
    const next = buttons[e.key === 'ArrowDown' ? Math.min(i + 1, buttons.length - 1) : Math.max(i - 1, 0)];
    next.focus();
    e.preventDefault();
  });

  return {
    /** Lists the features of `grid`, in code order. */
    setGrid(grid) {
      const features = Array.isArray(grid?.features) ? grid.features : [];
      cells = features
        .filter((f) => f?.properties?.code)
        .map((f) => ({ code: String(f.properties.code), props: f.properties, text: haystack(f.properties) }))
        .sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
      selected = null;
      render();
    },
    /** Re-renders in the current language. */
    retranslate: render,
    /** Focuses the filter field. */
    focusFilter() {
      filter.focus();
      filter.select();
    },
    clear() {
      cells = [];
      filter.value = '';
      render();
    },
  };
}
