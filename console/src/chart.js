// A plain SVG bar chart (createElementNS, no library): per row, two bars — the closure
// rate and the on-time closure rate — as a share of the full width.

const NS = 'http://www.w3.org/2000/svg';

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

/** An SVG chart of `rows` (`{ label, closure, onTime }`, rates 0–1 or null), titled `title`. */
export function rateChart(rows, { title, legend }) {
  const bar = 10;
  const rowH = 2 * bar + 10;
  const labelW = 240;
  const width = 720;
  const plot = width - labelW - 60;
  const height = rows.length * rowH + 30;
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': title });
  root.append(svg('title', {}, title));
  const colours = ['#1f5fa8', '#3a8c4f'];
  legend.forEach((name, i) => {
    root.append(svg('rect', { x: labelW + i * 200, y: 4, width: 12, height: 12, fill: colours[i] }));
    root.append(svg('text', { x: labelW + i * 200 + 16, y: 15, 'font-size': 12 }, name));
  });
  rows.forEach((r, i) => {
    const y = 28 + i * rowH;
    // Long names are cut to fit; the whole name is the label's tooltip.
    const name = String(r.label);
    const shown = name.length > 32 ? `${name.slice(0, 31)}…` : name;
    const label = svg('text', { x: labelW - 6, y: y + bar + 4, 'font-size': 12, 'text-anchor': 'end' }, shown);
    label.append(svg('title', {}, name));
    root.append(label);
    [r.closure, r.onTime].forEach((rate, j) => {
      const v = typeof rate === 'number' && Number.isFinite(rate) ? Math.max(0, Math.min(1, rate)) : 0;
      const yy = y + j * bar;
      root.append(svg('rect', { x: labelW, y: yy, width: Math.max(1, v * plot), height: bar - 1, fill: colours[j], class: 'bar' }));
      root.append(svg('text', { x: labelW + v * plot + 4, y: yy + bar - 1, 'font-size': 10 }, rate === null || rate === undefined ? '—' : `${(v * 100).toFixed(0)}%`));
    });
  });
  return root;
}
