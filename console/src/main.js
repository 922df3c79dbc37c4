// The console's start: language, the server's console options, then either the sign-in
// form or (with a token kept in this tab) the map of the city's cells.

import './trusted-types.js';
import 'leaflet/dist/leaflet.css';
import './console.css';
import { createApi } from './api.js';
import { initLanguage, setLanguage, language, onLanguageChange, t } from './i18n.js';
import { token, setToken } from './session.js';
import { initLogin, signOut, describeError } from './login.js';
import { createMap } from './map.js';
import { createCellList } from './cells.js';
import { installShortcuts, renderShortcuts } from './keyboard.js';
import { setText } from './dom.js';
import { createQueue } from './queue.js';
import { createCasePage } from './casepage.js';
import { createEvaluation } from './evaluation.js';
import { createHealth } from './health.js';
import { createUsers } from './users.js';
import { catalogName } from './format.js';

const $ = (id) => document.getElementById(id);
const PREFS = { datum: 'gridwork.console.datum', baseMap: 'gridwork.console.basemap', tracks: 'gridwork.console.tracks' };

function pref(key) {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function setPref(key, value) {
  try {
    localStorage.setItem(key, value);
  } catch {
    // Not kept; fine.
  }
}

const ui = {
  loginView: $('login-view'),
  consoleView: $('console-view'),
  who: $('who'),
  signOut: $('sign-out'),
  status: $('status'),
  gcj02: $('gcj02'),
  baseMap: $('base-map'),
  baseMapToggle: $('base-map-toggle'),
  datum: $('datum'),
  attribution: $('attribution'),
  help: $('help'),
};

let session = null;
let map = null;
let cells = null;
let queue = null;
let casePage = null;
let evaluation = null;
let health = null;
let users = null;
let catalog = null;

const api = createApi({
  token,
  onUnauthorized: () => showLogin(t('session_expired')),
});

const ROLES = ['worker', 'supervisor', 'handler', 'intake', 'dispatcher', 'shift_lead', 'integration'];
function roleName(role) {
  return ROLES.includes(role) ? t(`role_${role}`) : String(role);
}

/** A department account's department: its scope `@<dept>/<area>`. */
function departmentOf(scope) {
  const p = (Array.isArray(scope) ? scope : []).find((x) => typeof x === 'string' && x.startsWith('@'));
  return p ? p.slice(1).split('/')[0] : null;
}

function renderWho() {
  if (!session) return;
  const scope = Array.isArray(session.scope) ? session.scope : [];
  const dept = departmentOf(scope);
  ui.who.dataset.role = session.role || '';
  ui.who.dataset.department = dept || '';
  if (dept) {
    const name = catalogName(catalog?.departments, 'id', dept, language());
    setText(ui.who, t('signed_in_dept', { user: session.user, role: roleName(session.role), department: name === dept ? dept : `${name} (${dept})` }));
    return;
  }
  // The whole city is the empty prefix (`*` when the account was made).
  const scopeText = scope.some((p) => p === '' || p === '*') ? t('scope_all') : scope.join(', ');
  setText(ui.who, t('signed_in_as', { user: session.user, role: roleName(session.role), scope: scopeText }));
}

/** A supervisor whose scope is everywhere administers accounts (the server checks). */
function isCityAdmin(who) {
  return who?.role === 'supervisor' && Array.isArray(who.scope) && who.scope.some((p) => p === '' || p === '*');
}

function renderDatum() {
  if (map) setText(ui.datum, t(map.datum() === 'gcj02' ? 'datum_gcj02' : 'datum_wgs84'));
}

function showLogin(message = '') {
  session = null;
  setToken(null);
  map?.clear();
  cells?.clear();
  queue?.clear();
  catalog = null;
  for (const d of [$('case-page'), $('eval-page'), $('health-page'), $('users-page')]) if (d.open) d.close();
  $('eval-button').hidden = true;
  $('health-button').hidden = true;
  $('users-button').hidden = true;
  ui.consoleView.hidden = true;
  ui.who.hidden = true;
  ui.signOut.hidden = true;
  ui.loginView.hidden = false;
  setText($('login-error'), message);
  setText(ui.status, '');
  $('login-user').focus();
}

// Report photos shown on the map's clusters, fetched once each (with the token).
const thumbs = new Map();
function thumb(url) {
  if (!thumbs.has(url)) {
    thumbs.set(url, api.blob(url, 'image/*').then((b) => URL.createObjectURL(b), () => null));
  }
  return thumbs.get(url);
}

async function showConsole(who) {
  session = who;
  ui.loginView.hidden = true;
  ui.consoleView.hidden = false;
  ui.who.hidden = false;
  ui.signOut.hidden = false;
  $('eval-button').hidden = false;
  $('health-button').hidden = session?.role !== 'supervisor';
  $('users-button').hidden = !isCityAdmin(session);
  renderWho();
  map.resize();
  setText(ui.status, t('loading'));
  try {
    const answer = await api.catalog();
    catalog = answer.catalog || null;
    const { grid } = answer;
    renderWho();
    map.setGrid(grid);
    cells.setGrid(grid);
    setText(ui.status, '');
    map.showOverview({ load: (q) => api.map(q), thumb, onOpen: (id) => casePage.open(id) });
  } catch (error) {
    if (error.status === 401) return;
    map.setGrid(null);
    cells.setGrid(null);
    setText(ui.status, error.status === 404 ? t('no_grid') : describeError(error, t));
  }
  queue.refresh();
  loadPatrols();
  $('cell-filter').focus();
}

// The patrols of the last seven days in the caller's scope, newest first (one page of
// 200), drawn as tracks on the map when the layer is on.
const PATROL_PERIOD_MS = 7 * 86400000;
async function loadPatrols() {
  const box = $('patrol-tracks');
  try {
    const answer = await api.patrols({ track: true, limit: 200, started_from: Math.max(0, Date.now() - PATROL_PERIOD_MS) });
    map.setPatrols(answer.patrols);
    box.dataset.loaded = String(Array.isArray(answer.patrols) ? answer.patrols.length : 0);
  } catch (error) {
    if (error.status === 401) return;
    map.setPatrols([]);
    setText(ui.status, describeError(error, t));
  }
}

function toggleDatum() {
  ui.gcj02.checked = !ui.gcj02.checked;
  ui.gcj02.dispatchEvent(new Event('change'));
}

function toggleBaseMap() {
  if (!map.hasBaseMap()) return false;
  ui.baseMap.checked = !ui.baseMap.checked;
  ui.baseMap.dispatchEvent(new Event('change'));
  return true;
}

function switchLanguage() {
  setLanguage(language() === 'zh' ? 'en' : 'zh');
}

// Console shortcuts act only when the console shows and no dialog (case page,
// evaluation, help) covers it.
const free = () => !ui.consoleView.hidden && !document.querySelector('dialog[open]');

const shortcuts = [
  { key: '/', label: 'key_filter', run: () => cells.focusFilter(), when: free },
  { key: 'm', label: 'key_map', run: () => map.focus(), when: free },
  { key: 'g', label: 'key_gcj02', run: toggleDatum, when: free },
  { key: 'b', label: 'key_base_map', run: toggleBaseMap, when: () => free() && map.hasBaseMap(), available: () => map.hasBaseMap() },
  { key: 'q', label: 'key_queue', run: () => $('queue').querySelector('.tab[aria-selected=true]')?.focus(), when: free },
  { key: 'e', label: 'key_evaluation', run: () => evaluation.open(), when: free },
  { key: 'l', label: 'key_language', run: switchLanguage },
  { key: '?', label: 'key_help', run: () => ui.help.showModal() },
  { key: 'Escape', shown: 'Esc', label: 'key_escape', run: () => false },
];

async function start() {
  initLanguage();
  let config = {};
  try {
    config = (await api.config()) || {};
  } catch {
    config = {};
  }
  const tiles = config.tiles && typeof config.tiles.url === 'string' ? config.tiles : null;
  $('map').setAttribute('aria-label', t('map_label'));
  map = createMap($('map'), { tiles, t });
  cells = createCellList({
    list: $('cell-list'),
    filter: $('cell-filter'),
    count: $('cell-count'),
    onSelect: (code) => map.focusCell(code),
    t,
  });

  const common = { api, catalog: () => catalog, t, lang: language, describeError };
  casePage = createCasePage($('case-page'), { ...common, onChanged: () => queue.refresh(), onClosed: (id) => queue.focusCase(id),
    onLoaded: (c) => map.setCasePoint(c.id, c.view?.case?.report?.lat, c.view?.case?.report?.lon),
  });
  queue = createQueue($('queue'), {
    ...common,
    role: () => session?.role,
    onCases: (list) => map.setCases(list, (id) => casePage.open(id)),
    onOpen: (id) => casePage.open(id),
  });
  evaluation = createEvaluation($('eval-page'), common);
  $('eval-button').addEventListener('click', () => evaluation.open());
  health = createHealth($('health-page'), common);
  $('health-button').addEventListener('click', () => health.open());
  users = createUsers($('users-page'), common);
  $('users-button').addEventListener('click', () => users.open());

  ui.gcj02.checked = pref(PREFS.datum) === 'gcj02';
  map.setDatum(ui.gcj02.checked ? 'gcj02' : 'wgs84');
  ui.gcj02.addEventListener('change', () => {
    map.setDatum(ui.gcj02.checked ? 'gcj02' : 'wgs84');
    setPref(PREFS.datum, map.datum());
    renderDatum();
  });
  if (tiles) {
    ui.baseMapToggle.hidden = false;
    ui.baseMap.checked = pref(PREFS.baseMap) !== 'off';
    map.setBaseMap(ui.baseMap.checked);
    ui.baseMap.addEventListener('change', () => {
      map.setBaseMap(ui.baseMap.checked);
      ui.attribution.hidden = !ui.baseMap.checked || !tiles.attribution;
      setPref(PREFS.baseMap, ui.baseMap.checked ? 'on' : 'off');
    });
    setText(ui.attribution, tiles.attribution || '');
    ui.attribution.hidden = !ui.baseMap.checked || !tiles.attribution;
  }
  renderDatum();
  const tracksBox = $('patrol-tracks');
  tracksBox.checked = pref(PREFS.tracks) === 'on';
  map.setTracksShown(tracksBox.checked);
  tracksBox.addEventListener('change', () => {
    map.setTracksShown(tracksBox.checked);
    setPref(PREFS.tracks, tracksBox.checked ? 'on' : 'off');
  });

  onLanguageChange(() => {
    renderWho();
    renderDatum();
    cells.retranslate();
    map.retranslate();
    queue.retranslate();
    casePage.retranslate();
    evaluation.retranslate();
    health.retranslate();
    users.retranslate();
    renderShortcuts($('shortcut-list'), shortcuts, t);
  });
  renderShortcuts($('shortcut-list'), shortcuts, t);
  installShortcuts(shortcuts);
  $('lang').addEventListener('click', switchLanguage);
  $('help-button').addEventListener('click', () => ui.help.showModal());
  ui.signOut.addEventListener('click', () => {
    signOut();
    showLogin();
  });
  $('skip').addEventListener('click', (e) => {
    e.preventDefault();
    if (!ui.consoleView.hidden) map.focus();
    else $('login-user').focus();
  });
  window.addEventListener('resize', () => map.resize());
  initLogin({ form: $('login-form'), errorNode: $('login-error'), api, t, onSignedIn: showConsole });

  if (token()) {
    try {
      await showConsole(await api.me());
    } catch (error) {
      if (error.status !== 401) showLogin(describeError(error, t));
    }
  } else {
    showLogin();
  }
  document.body.dataset.ready = 'true';
}

start();
