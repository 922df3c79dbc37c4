// The map's overview from GET /v1/map: the server aggregates, so a view of 100,000
// cases draws a few hundred shapes. Cells are shaded by their open cases; the cases in
// view come as clusters (a count and one report photo; a click zooms to the cluster's
// cases) and, where a grid square holds a single case, as that case's marker (a click
// opens the case). Reloaded after every move or zoom; a stale answer is dropped.

import { marker, circleMarker, divIcon, layerGroup, latLngBounds } from 'leaflet/dist/leaflet-src.esm.js';
import { el } from './dom.js';

/** How dark a cell with `open` of `most` open cases is drawn (0.08 … 0.6). */
export function shade(open, most) {
  if (!open || !most) return 0.08;
  return 0.08 + 0.52 * Math.sqrt(Math.min(open, most) / most);
}

/** The query of a view: its box (WGS-84, padded by `pad` degrees) and whole zoom. */
export function viewQuery(bounds, zoom, pad = 0) {
  const r = (x) => Math.round(x * 1e5) / 1e5;
  const west = Math.max(-180, bounds.getWest() - pad);
  const south = Math.max(-90, bounds.getSouth() - pad);
  const east = Math.min(180, bounds.getEast() + pad);
  const north = Math.min(90, bounds.getNorth() + pad);
  return { bbox: [r(west), r(south), r(east), r(north)].join(','), zoom: Math.max(0, Math.min(22, Math.round(zoom))) };
}

/**
 * Attaches the overview to the Leaflet `map`. `load(query)` fetches GET /v1/map;
 * `thumb(url)` resolves to an object URL of a photo (or null); `project([lon, lat])`
 * gives the display point; `onOpen(id)` opens a case; `onCells(counts)` gets the
 * per-cell counts (a Map of code → { open, overdue, cases }) for shading.
 */
export function createOverview(map, container, { load, thumb, project, onOpen, onCells, t }) {
  const layer = layerGroup().addTo(map);
  let seq = 0;
  let last = null;
  let timer = null;
  let gcj = false;
  let enabled = false;

  function clusterIcon(c) {
    const node = el('div', { className: 'gw-cluster-body' },
      el('span', { className: 'gw-cluster-count', text: String(c.count) }));
    node.title = t ? t('cluster_title', { count: c.count, open: c.open, overdue: c.overdue }) : String(c.count);
    if (c.photo && thumb) {
      thumb(c.photo.url).then((src) => {
        if (!src) return;
        const img = el('img', { className: 'gw-cluster-photo' });
        img.alt = '';
        img.src = src;
        node.prepend(img);
      }, () => {});
    }
    const size = c.count >= 1000 ? 52 : c.count >= 100 ? 46 : 40;
    return divIcon({ html: node, className: `gw-cluster${c.overdue ? ' gw-cluster-overdue' : ''}`, iconSize: [size, size] });
  }

  function draw(view) {
    layer.clearLayers();
    const counts = new Map();
    for (const c of view.cells || []) counts.set(String(c.cell), c);
    onCells?.(counts);
    for (const c of view.clusters || []) {
      const m = marker(project([c.lon, c.lat]), { icon: clusterIcon(c), keyboard: true, title: String(c.count) });
      m.on('add', () => {
        const node = m.getElement();
        if (node) node.dataset.count = String(c.count);
      });
      m.on('click', () => {
        const [w, s, e, n] = c.bounds;
        const b = latLngBounds([project([w, s]), project([e, n])]);
        // Cases at one point cannot come apart by zooming: go one level further in.
        if (b.getNorth() - b.getSouth() < 1e-7 && b.getEast() - b.getWest() < 1e-7) map.setView(b.getCenter(), map.getZoom() + 2);
        else map.fitBounds(b.pad(0.2));
      });
      m.addTo(layer);
    }
    for (const p of view.markers || []) {
      const m = circleMarker(project([p.lon, p.lat]), {
        radius: 6, weight: 1.5, color: '#fff', fillColor: p.overdue ? '#b3261e' : '#3d6f99', fillOpacity: 0.85, className: 'gw-point',
      });
      m.on('add', () => {
        const node = m.getElement();
        if (node) {
          node.dataset.case = p.id;
          node.dataset.status = p.status;
        }
      });
      m.on('click', () => onOpen(p.id));
      m.addTo(layer);
    }
    container.dataset.clusters = String((view.clusters || []).length);
    container.dataset.points = String((view.markers || []).length);
    container.dataset.total = String(view.total ?? 0);
    container.dataset.zoom = String(view.zoom);
    container.dataset.overview = 'ready';
    if (!globalThis.performance?.getEntriesByName?.('gw-map-drawn').length) globalThis.performance?.mark?.('gw-map-drawn');
  }

  async function refresh() {
    const mine = ++seq;
    // GCJ-02 moves drawn points by up to ~700 m: widen the WGS-84 box to cover it.
    const q = viewQuery(map.getBounds(), map.getZoom(), gcj ? 0.01 : 0);
    try {
      const view = await load(q);
      if (mine !== seq) return;
      last = view;
      draw(view);
    } catch (error) {
      if (mine === seq) container.dataset.overview = 'failed';
    }
  }

  function schedule() {
    if (!enabled) return;
    clearTimeout(timer);
    timer = setTimeout(refresh, 120);
  }
  map.on('moveend', schedule);

  return {
    /** Starts loading the overview of every view (after sign-in), now first. */
    enable() {
      enabled = true;
      return refresh();
    },
    /** Draws the last answer again (after a datum switch). */
    redraw(datumIsGcj) {
      gcj = datumIsGcj;
      if (last) draw(last);
    },
    /** Drops everything (sign-out). */
    clear() {
      enabled = false;
      clearTimeout(timer);
      seq++;
      last = null;
      layer.clearLayers();
      onCells?.(new Map());
      container.dataset.overview = '';
    },
  };
}
