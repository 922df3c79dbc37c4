// The map: the city's grid cells from GET /v1/catalog drawn with Leaflet on a plain
// background (no base map unless the server is configured with one), a WGS-84 / GCJ-02
// display switch that re-projects every drawn coordinate at the display edge, and
// tooltips built from text nodes (Leaflet would set a string tooltip as innerHTML).

import { map as leafletMap, geoJSON, tileLayer, latLng, control, circleMarker, layerGroup, polyline } from 'leaflet/dist/leaflet-src.esm.js';
import { wgs84ToGcj02 } from './datum.js';
import { el } from './dom.js';
import { createOverview, shade } from './overview.js';

// Fill colours by street (the first nine digits of a cell code), so neighbouring
// streets read apart without a base map.
const PALETTE = ['#2f6db5', '#c0562b', '#3a8c4f', '#8a4fb0', '#b58a1f', '#2b8c8c'];

/** The street part of a cell code (district 6 + street 3 digits). */
export function streetOf(code) {
  return String(code).slice(0, 9);
}

function project(datum) {
  return datum === 'gcj02'
    ? ([lon, lat]) => {
      const p = wgs84ToGcj02({ lat, lon });
      return latLng(p.lat, p.lon);
    }
    : ([lon, lat]) => latLng(lat, lon);
}

function tooltip(props, t) {
  return el('div', { className: 'cell-tip' },
    el('strong', { text: props.name || props.code }),
    el('span', { text: t('cell_code', { code: props.code }) }),
    props.street_name || props.community_name
      ? el('span', { text: [props.street_name, props.community_name].filter(Boolean).join(' · ') })
      : null);
}

/**
 * Creates the map in `container`. `tiles` is the server's base-map option
 * (`{ url, attribution }`) or null; `t` gives texts in the current language.
 */
export function createMap(container, { tiles = null, t }) {
  // Who asks the system for less motion gets no zoom, fade or pan animations.
  const still = Boolean(globalThis.matchMedia?.('(prefers-reduced-motion: reduce)').matches);
  const map = leafletMap(container, {
    zoomAnimation: !still,
    fadeAnimation: !still,
    markerZoomAnimation: !still,
    inertia: !still,
    attributionControl: false,
    zoomControl: false,
    zoomSnap: 0.25,
    maxZoom: 19,
    keyboard: true,
  });
  // A view from the start, so layers are drawn (and their elements exist) at once.
  map.setView([31.3, 120.6], 13);
  let zoom = null;
  // Leaflet's default zoom labels are markup; plain characters keep its innerHTML use
  // within what the Trusted Types policy allows (trusted-types.js).
  function addZoom() {
    if (zoom) zoom.remove();
    zoom = control.zoom({ zoomInText: '+', zoomOutText: '\u2212', zoomInTitle: t('zoom_in'), zoomOutTitle: t('zoom_out') }).addTo(map);
  }
  addZoom();
  let datum = 'wgs84';
  let features = [];
  let layer = null;
  let base = tiles && tiles.url ? tileLayer(tiles.url, { maxZoom: 19, className: 'gw-tiles' }) : null;
  let baseShown = false;
  const byCode = new Map();
  const colours = new Map();
  let selected = null;
  let cases = [];
  let openCase = () => {};
  // Report points (WGS-84) of the cases whose page was opened: their markers sit there.
  const points = new Map();
  const markers = layerGroup().addTo(map);
  // Patrol tracks (GET /v1/patrols?track=true), a layer the user toggles.
  let patrols = [];
  const tracks = layerGroup();
  let tracksShown = false;
  // Per-cell counts of the server's overview (GET /v1/map): cells shade by open cases.
  let counts = new Map();
  let most = 0;
  let overview = null;
  const fill = (code) => (counts.size ? shade(counts.get(code)?.open || 0, most) : 0.18);

  function colour(code) {
    const street = streetOf(code);
    if (!colours.has(street)) colours.set(street, PALETTE[colours.size % PALETTE.length]);
    return colours.get(street);
  }

  function style(feature) {
    const c = colour(feature.properties.code);
    return { className: 'gw-cell', color: c, weight: 1.5, fillColor: c, fillOpacity: fill(String(feature.properties.code)) };
  }

  function draw() {
    if (layer) layer.remove();
    byCode.clear();
    layer = geoJSON({ type: 'FeatureCollection', features }, {
      coordsToLatLng: project(datum),
      style,
      onEachFeature(feature, l) {
        const props = feature.properties || {};
        const code = String(props.code);
        byCode.set(code, l);
        // The cell's code on its SVG path, for styles and tests.
        l.on('add', () => {
          const node = l.getElement();
          if (node) {
            node.dataset.code = code;
            node.dataset.open = String(counts.get(code)?.open || 0);
          }
        });
        l.bindTooltip(() => tooltip(props, t), { sticky: true, className: 'gw-tooltip' });
      },
    }).addTo(map);
    container.dataset.datum = datum;
    container.dataset.cells = String(byCode.size);
    if (selected) highlight(selected);
    drawCases();
    drawTracks();
  }

  // One polyline per patrol (a MultiLineString's stretches as one multi-polyline), in
  // the display datum, with the worker in its tooltip.
  function drawTracks() {
    tracks.clearLayers();
    for (const p of patrols) {
      const g = p.track;
      const lines = g?.type === 'LineString' ? [g.coordinates] : g?.type === 'MultiLineString' ? g.coordinates : [];
      const latlngs = lines.filter((l) => Array.isArray(l) && l.length > 1).map((l) => l.map(project(datum)));
      if (!latlngs.length) continue;
      const line = polyline(latlngs, { color: '#6a1b9a', weight: 3, opacity: 0.85, className: 'gw-track' });
      line.on('add', () => {
        const node = line.getElement();
        if (node) {
          node.dataset.patrol = p.id;
          node.dataset.worker = p.worker;
        }
      });
      line.bindTooltip(() => el('div', { className: 'cell-tip' },
        el('strong', { text: p.worker }),
        el('span', { text: t('track_tip', { km: (Number(p.distance_m) / 1000).toFixed(2), cover: p.coverage_share == null ? '—' : `${Math.round(p.coverage_share * 100)}%` }) })),
      { sticky: true, className: 'gw-tooltip' });
      line.addTo(tracks);
    }
    container.dataset.tracks = tracksShown ? String(tracks.getLayers().length) : '0';
  }

  // One circle marker per listed case. A list item carries the server-located cell but
  // not the report's point, so the marker sits at the centre of its cell as drawn
  // (already in the display datum) until the case's page is opened, which gives the
  // report's point.
  function drawCases() {
    markers.clearLayers();
    for (const c of cases) {
      const point = points.get(c.id);
      const l = byCode.get(String(c.cell));
      if (!point && !l) continue;
      const at = point ? project(datum)([point.lon, point.lat]) : l.getBounds().getCenter();
      const m = circleMarker(at, {
        radius: 7, weight: 2, color: '#fff', fillColor: c.overdue ? '#b3261e' : '#1f5fa8', fillOpacity: 0.9,
        className: 'gw-case',
      });
      m.on('add', () => {
        const node = m.getElement();
        if (node) {
          node.dataset.case = c.id;
          node.dataset.at = point ? 'report' : 'cell';
        }
      });
      m.on('click', () => openCase(c.id));
      m.addTo(markers);
    }
    container.dataset.cases = String(markers.getLayers().length);
  }

  function highlight(code) {
    for (const [c, l] of byCode) {
      const on = c === code;
      l.setStyle({ weight: on ? 4 : 1.5, fillOpacity: on ? Math.max(0.35, fill(c)) : fill(c) });
      l.getElement()?.classList.toggle('gw-selected', on);
      if (on) l.bringToFront();
    }
  }

  function shadeCells(next) {
    counts = next;
    most = Math.max(0, ...[...counts.values()].map((c) => c.open || 0));
    for (const [code, l] of byCode) {
      l.setStyle({ fillOpacity: code === selected ? Math.max(0.35, fill(code)) : fill(code) });
      const node = l.getElement();
      if (node) node.dataset.open = String(counts.get(code)?.open || 0);
    }
  }

  return {
    /**
     * Shows the server's overview: `load(query)` fetches GET /v1/map, `thumb(url)` a
     * photo's object URL, `onOpen(id)` opens a case. Loads now and after every move.
     */
    showOverview({ load, thumb, onOpen }) {
      if (!overview) {
        overview = createOverview(map, container, {
          load, thumb, t, onOpen, onCells: shadeCells, project: (p) => project(datum)(p),
        });
      }
      return overview.enable();
    },
    /** Draws `grid` (a GeoJSON FeatureCollection of cells) and fits the view to it. */
    setGrid(grid) {
      features = Array.isArray(grid?.features) ? grid.features.filter((f) => f?.properties?.code) : [];
      selected = null;
      draw();
      // Not animated: the overview loads right after, for the view the map has then; an
      // animated fit would have it load the placeholder view first and the fitted one
      // again when the animation ends (the first answer dropped, the map drawn late).
      if (byCode.size) map.fitBounds(layer.getBounds(), { padding: [16, 16], animate: false });
      else map.setView([31.3, 120.6], 13);
    },
    /** Shows `list` (cases with a `cell`) as markers; clicking one calls `onOpen(id)`. */
    setCases(list, onOpen) {
      cases = Array.isArray(list) ? list : [];
      if (onOpen) openCase = onOpen;
      drawCases();
    },
    /** The report point (WGS-84) of case `id`, once known: its marker moves there. */
    setCasePoint(id, lat, lon) {
      if (!Number.isFinite(lat) || !Number.isFinite(lon)) return;
      points.set(id, { lat, lon });
      if (cases.some((c) => c.id === id)) drawCases();
    },
    /** Patrols of `GET /v1/patrols?track=true` to draw as tracks (when shown). */
    setPatrols(list) {
      patrols = Array.isArray(list) ? list : [];
      drawTracks();
    },
    /** Shows or hides the patrol tracks. */
    setTracksShown(on) {
      tracksShown = Boolean(on);
      if (tracksShown) tracks.addTo(map);
      else tracks.remove();
      drawTracks();
    },
    /** 'wgs84' or 'gcj02': how coordinates are drawn (data stays WGS-84). */
    setDatum(d) {
      datum = d === 'gcj02' ? 'gcj02' : 'wgs84';
      if (features.length) draw();
      else container.dataset.datum = datum;
      overview?.redraw(datum === 'gcj02');
    },
    datum: () => datum,
    /** Whether a base map is configured on the server. */
    hasBaseMap: () => base !== null,
    /** Shows or hides the configured base map. */
    setBaseMap(on) {
      if (!base) return;
      if (on && !baseShown) base.addTo(map);
      if (!on && baseShown) base.remove();
      baseShown = on;
      container.dataset.baseMap = on ? 'on' : 'off';
    },
    baseMapShown: () => baseShown,
    /** Selects the cell `code`: zooms to it, outlines it and opens its tooltip. */
    focusCell(code) {
      const l = byCode.get(String(code));
      if (!l) return;
      selected = String(code);
      // The cell with its neighbours around it.
      map.fitBounds(l.getBounds().pad(1.2), { maxZoom: 17, animate: !still });
      highlight(selected);
      l.openTooltip(l.getBounds().getCenter());
    },
    /** Keyboard focus on the map (arrow keys pan, +/− zoom). */
    focus() {
      container.focus();
    },
    /** Re-reads the texts after a language change. */
    retranslate() {
      addZoom();
      container.setAttribute('aria-label', t('map_label'));
    },
    /** Tells Leaflet the container changed size. */
    resize() {
      map.invalidateSize();
    },
    /** Drops the drawn cells (on sign-out). */
    clear() {
      features = [];
      selected = null;
      if (layer) layer.remove();
      layer = null;
      byCode.clear();
      cases = [];
      points.clear();
      markers.clearLayers();
      overview?.clear();
      container.dataset.cells = '0';
    },
  };
}
