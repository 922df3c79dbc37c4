// The sync-health page (a modal dialog): each device of the supervisor's area from
// GET /v1/devices — last contact, client, events and photos waiting as the device
// reported them, events the server rejected, photos the server is missing — as a table
// with a plain SVG bar chart of the problems per device, a "stale since" filter (hours
// without contact) and the same list as a CSV download.

import { el, replaceChildren, setText } from './dom.js';
import { formatTime, cityOffset } from './format.js';

const NS = 'http://www.w3.org/2000/svg';
const HOUR = 3600000;
const COLUMNS = ['events_waiting', 'photos_waiting', 'rejected_events', 'photos_missing'];
const COLOURS = ['#1f5fa8', '#3a8c4f', '#b3261e', '#c77700'];

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

/** An SVG chart: per device, one bar per figure in COLUMNS, scaled to the largest. */
export function healthChart(devices, { title, legend }) {
  const bar = 8;
  const rowH = COLUMNS.length * bar + 10;
  const labelW = 200;
  const width = 720;
  const plot = width - labelW - 60;
  const height = devices.length * rowH + 30;
  const top = Math.max(1, ...devices.flatMap((d) => COLUMNS.map((c) => Number(d[c]) || 0)));
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': title, id: 'health-chart' });
  root.append(svg('title', {}, title));
  legend.forEach((name, i) => {
    root.append(svg('rect', { x: labelW + i * 130, y: 4, width: 12, height: 12, fill: COLOURS[i] }));
    root.append(svg('text', { x: labelW + i * 130 + 16, y: 15, 'font-size': 11 }, name));
  });
  devices.forEach((d, i) => {
    const y = 28 + i * rowH;
    root.append(svg('text', { x: labelW - 6, y: y + 2 * bar, 'font-size': 12, 'text-anchor': 'end' }, `${d.user} · ${d.device_id}`.slice(0, 30)));
    COLUMNS.forEach((c, j) => {
      const v = Number(d[c]) || 0;
      const yy = y + j * bar;
      root.append(svg('rect', { x: labelW, y: yy, width: Math.max(1, (v / top) * plot), height: bar - 1, fill: COLOURS[j], class: 'bar', 'data-figure': c, 'data-value': v }));
      root.append(svg('text', { x: labelW + (v / top) * plot + 4, y: yy + bar - 1, 'font-size': 9 }, d[c] === null || d[c] === undefined ? '—' : String(v)));
    });
  });
  return root;
}

/** The sync-health page in `dialog`. */
export function createHealth(dialog, { api, catalog, t, describeError }) {
  let link = null;
  const stale = el('input', { type: 'number', id: 'health-stale', min: 0, step: 1 });
  const run = el('button', { type: 'submit', id: 'health-run' });
  const csv = el('button', { type: 'button', id: 'health-csv' });
  const download = el('a', { id: 'health-download', hidden: true });
  const status = el('p', { className: 'muted', id: 'health-status', attrs: { 'aria-live': 'polite' } });
  const table = el('div', { className: 'eval-table' });
  const chart = el('div', { className: 'eval-chart' });
  const title = el('h2', { id: 'health-title' });
  const close = el('button', { type: 'button', className: 'close', on: { click: () => dialog.close() } });
  const staleLabel = el('label', { htmlFor: 'health-stale' });
  const form = el('form', { className: 'eval-form', on: { submit: (e) => { e.preventDefault(); load(); } } },
    staleLabel, stale, run, csv, download);
  replaceChildren(dialog, el('div', { className: 'page-head' }, title, close), form, status, chart, table);
  dialog.setAttribute('aria-labelledby', 'health-title');
  dialog.addEventListener('close', () => {
    if (link) URL.revokeObjectURL(link);
    link = null;
    download.hidden = true;
  });

  function params() {
    const hours = Number(stale.value);
    return stale.value !== '' && Number.isFinite(hours) && hours >= 0 ? { stale_since: Date.now() - Math.round(hours * HOUR) } : {};
  }

  const num = (v) => (v === null || v === undefined ? '—' : String(v));

  async function load() {
    setText(status, t('loading'));
    try {
      const data = await api.devices(params());
      const devices = Array.isArray(data.devices) ? data.devices : [];
      const offset = cityOffset(catalog());
      replaceChildren(table, el('table', { id: 'health-rows' },
        el('thead', {}, el('tr', {},
          ['device', 'user', 'last_contact', 'client'].map((c) => el('th', { scope: 'col', text: t(`health_${c}`) })),
          COLUMNS.map((c) => el('th', { scope: 'col', text: t(`health_${c}`) })))),
        el('tbody', {}, devices.map((d) => el('tr', { className: d.stale ? 'stale' : '', dataset: { device: d.device_id } },
          el('th', { scope: 'row', text: d.device_id },
            d.flagged ? el('span', { className: 'flagged', title: d.flagged, text: ` ⚠ ${t('health_flagged')}` }) : null),
          el('td', { text: d.user }),
          el('td', { text: d.last_contact_ms ? `${formatTime(d.last_contact_ms, offset)} (${d.last_via})` : t('health_never') }),
          el('td', { text: d.client || '—' }),
          COLUMNS.map((c) => el('td', { className: Number(d[c]) > 0 ? 'warn' : '', dataset: { figure: c }, text: num(d[c]) })))))));
      replaceChildren(chart, devices.length ? healthChart(devices, { title: t('health_chart'), legend: COLUMNS.map((c) => t(`health_${c}`)) }) : null);
      setText(status, devices.length ? t('health_count', { n: devices.length }) : t('health_empty'));
    } catch (error) {
      setText(status, describeError(error, t));
    }
  }

  csv.addEventListener('click', async () => {
    try {
      const blob = await api.devicesCsv(params());
      if (link) URL.revokeObjectURL(link);
      link = URL.createObjectURL(blob);
      download.href = link;
      download.download = 'devices.csv';
      download.hidden = false;
      download.focus();
    } catch (error) {
      setText(status, describeError(error, t));
    }
  });

  function texts() {
    setText(title, t('health'));
    setText(close, t('close'));
    setText(staleLabel, t('health_stale_hours'));
    setText(run, t('show'));
    setText(csv, t('make_csv'));
    setText(download, t('download_csv'));
  }
  texts();

  return {
    open() {
      dialog.showModal();
      stale.focus();
      return load();
    },
    retranslate() {
      texts();
      if (dialog.open) load();
    },
  };
}
