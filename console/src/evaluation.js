// The evaluation page (a modal dialog): a period (default the last 30 days, city dates),
// a group-by select, the figures of GET /v1/evaluation as a table (rates as
// percentages), a bar chart of the closure and on-time closure rates, and the same
// rows as a CSV download (fetched with the token, offered as a blob link).

import { el, replaceChildren, setText } from './dom.js';
import { percent, cityOffset, dateInput, parseDate, catalogName, formatTime } from './format.js';
import { rateChart } from './chart.js';

const GROUPS = ['street', 'community', 'cell', 'department', 'category', 'worker'];
const COLUMNS = ['reported', 'registered', 'due', 'closed', 'closed_on_time', 'closure_rate', 'on_time_closure_rate',
  'rework_rate', 'postponement_rate', 'return_rate', 'overdue', 'handling_hours_mean'];
// Patrol figures (a row's `patrols`, when its grouping has them): count, km, hours on
// the move, and the covered share of the patrolled cells.
const PATROL_COLUMNS = [
  ['patrols', (p) => p.patrols],
  ['patrol_km', (p) => p.distance_m / 1000],
  ['patrol_moving_h', (p) => p.moving_time_s / 3600],
  ['patrol_coverage', (p) => p.coverage_share],
];
// Sync health of a worker's devices (a row's `sync`, in the worker grouping).
const SYNC_COLUMNS = ['devices', 'last_contact_ms', 'events_waiting', 'rejected_events', 'photos_missing'];
const DAY = 86400000;

/** The evaluation page in `dialog`. */
export function createEvaluation(dialog, { api, catalog, t, lang, describeError }) {
  let link = null;
  const from = el('input', { type: 'date', id: 'eval-from' });
  const to = el('input', { type: 'date', id: 'eval-to' });
  const by = el('select', { id: 'eval-by' });
  const run = el('button', { type: 'submit', id: 'eval-run' });
  const csv = el('button', { type: 'button', id: 'eval-csv' });
  const download = el('a', { id: 'eval-download', hidden: true });
  const status = el('p', { className: 'muted', id: 'eval-status', attrs: { 'aria-live': 'polite' } });
  const table = el('div', { className: 'eval-table' });
  const chart = el('div', { className: 'eval-chart' });
  const title = el('h2', { id: 'eval-title' });
  const close = el('button', { type: 'button', className: 'close', on: { click: () => dialog.close() } });
  const labels = {};
  const form = el('form', { className: 'eval-form', on: { submit: (e) => { e.preventDefault(); load(); } } },
    labels.from = el('label', { htmlFor: 'eval-from' }), from,
    labels.to = el('label', { htmlFor: 'eval-to' }), to,
    labels.by = el('label', { htmlFor: 'eval-by' }), by, run, csv, download);
  replaceChildren(dialog, el('div', { className: 'page-head' }, title, close), form, status, chart, table);
  dialog.setAttribute('aria-labelledby', 'eval-title');
  dialog.addEventListener('close', () => {
    if (link) URL.revokeObjectURL(link);
    link = null;
    download.hidden = true;
  });

  function params() {
    const offset = cityOffset(catalog());
    const f = parseDate(from.value, offset);
    const tt = parseDate(to.value, offset);
    return { by: by.value, from_ms: Number.isNaN(f) ? undefined : f, to_ms: Number.isNaN(tt) ? undefined : tt + DAY };
  }

  function label(key) {
    if (key === 'total') return t('total');
    if (by.value === 'category') return `${catalogName(catalog()?.categories, 'code', key, lang())}`;
    if (by.value === 'department') return catalogName(catalog()?.departments, 'id', key, lang());
    return key;
  }

  function cell(col, v) {
    if (col.endsWith('_rate')) return percent(v);
    if (typeof v === 'number' && !Number.isInteger(v)) return v.toFixed(2);
    return v === null || v === undefined ? '—' : String(v);
  }

  async function load() {
    setText(status, t('loading'));
    try {
      const data = await api.evaluation(params());
      const rows = Array.isArray(data.rows) ? data.rows : [];
      const patrolCell = (p, [name, get]) => {
        if (!p) return '—';
        const v = get(p);
        if (name === 'patrol_coverage') return percent(v);
        if (v === null || v === undefined || Number.isNaN(v)) return '—';
        return Number.isInteger(v) ? String(v) : v.toFixed(2);
      };
      const sync = rows.some((r) => r.sync) ? SYNC_COLUMNS : [];
      const syncCell = (s, c) => {
        if (!s) return '—';
        if (c === 'last_contact_ms') return s[c] ? formatTime(s[c], cityOffset(catalog())) : t('health_never');
        return s[c] === null || s[c] === undefined ? '—' : String(s[c]);
      };
      replaceChildren(table, el('table', { id: 'eval-rows' },
        el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: t(`by_${by.value}`) }), COLUMNS.map((c) => el('th', { scope: 'col', text: t(`fig_${c}`) })),
          PATROL_COLUMNS.map(([c]) => el('th', { scope: 'col', className: 'patrol-col', text: t(`fig_${c}`) })),
          sync.map((c) => el('th', { scope: 'col', className: 'sync-col', text: t(`fig_sync_${c.replace('_ms', '')}`) })))),
        el('tbody', {}, rows.map((r) => el('tr', { className: r.key === 'total' ? 'total' : '', dataset: { key: r.key } },
          el('th', { scope: 'row', text: label(r.key) }), COLUMNS.map((c) => el('td', { text: cell(c, r.figures?.[c]) })),
          PATROL_COLUMNS.map((col) => el('td', { className: 'patrol-col', dataset: { fig: col[0] }, text: patrolCell(r.patrols, col) })),
          sync.map((c) => el('td', { className: 'sync-col', dataset: { fig: `sync_${c}` }, text: syncCell(r.sync, c) })))))));
      replaceChildren(chart, rows.length ? rateChart(rows.map((r) => ({ label: label(r.key), closure: r.figures?.closure_rate ?? null, onTime: r.figures?.on_time_closure_rate ?? null })),
        { title: t('chart_title'), legend: [t('fig_closure_rate'), t('fig_on_time_closure_rate')] }) : null);
      setText(status, rows.length ? '' : t('eval_empty'));
    } catch (error) {
      setText(status, describeError(error, t));
    }
  }

  csv.addEventListener('click', async () => {
    try {
      const blob = await api.evaluationCsv(params());
      if (link) URL.revokeObjectURL(link);
      link = URL.createObjectURL(blob);
      download.href = link;
      download.download = `evaluation-${by.value}-${from.value}-${to.value}.csv`;
      download.hidden = false;
      download.focus();
    } catch (error) {
      setText(status, describeError(error, t));
    }
  });

  function texts() {
    setText(title, t('evaluation'));
    setText(close, t('close'));
    setText(labels.from, t('period_from'));
    setText(labels.to, t('period_to'));
    setText(labels.by, t('group_by'));
    setText(run, t('show'));
    setText(csv, t('make_csv'));
    setText(download, t('download_csv'));
    const chosen = by.value || 'street';
    replaceChildren(by, GROUPS.map((g) => el('option', { value: g, text: t(`by_${g}`) })));
    by.value = chosen;
  }
  texts();

  return {
    open() {
      const offset = cityOffset(catalog());
      const now = Date.now();
      if (!from.value) from.value = dateInput(now - 30 * DAY, offset);
      if (!to.value) to.value = dateInput(now, offset);
      dialog.showModal();
      by.focus();
      return load();
    },
    retranslate() {
      texts();
      if (dialog.open) load();
    },
  };
}
