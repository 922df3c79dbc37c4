// The console in a real browser: Debian's chromium driven by playwright-core. Run by
// tests/tests/console_browser.rs, which starts the servers and passes (environment):
//   GRIDWORK_CONSOLE_URL        a server with the sample grid and no base map
//   GRIDWORK_CONSOLE_TILES_URL  a server configured with a base map (--console-tiles)
//   GRIDWORK_USER / GRIDWORK_PASSWORD          a supervisor on both servers
//   GRIDWORK_XSS_USER / GRIDWORK_XSS_PASSWORD  an account whose name is markup
//   GRIDWORK_XSS_CELL           the code of the cell whose name is markup
//   GRIDWORK_CELLS              how many cells the grid has
//   GRIDWORK_SCREENSHOTS        where to save screenshots
//   GRIDWORK_CASE_REPORTED / _HANDLED / _CONFLICT  case ids on the plain server: a new
//                               report, a handled case, a case with a conflict
//   GRIDWORK_CASE_MARKUP        the reported case's description (markup)
//   GRIDWORK_CASE_ROUTINE       how many older reports there are besides (all reported)
//   GRIDWORK_FORKED_DEVICE      a device the server flagged for forking its history
//   GRIDWORK_PATROL             a patrol a worker's phone walked and synced (in street 320508001)
//   CHROMIUM                    the browser [/usr/bin/chromium]
// Exits non-zero with the failed check on stderr.

import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const BASE = env('GRIDWORK_CONSOLE_URL');
const TILES_BASE = env('GRIDWORK_CONSOLE_TILES_URL');
const USER = env('GRIDWORK_USER');
const PASSWORD = env('GRIDWORK_PASSWORD');
const XSS_USER = env('GRIDWORK_XSS_USER');
const XSS_PASSWORD = env('GRIDWORK_XSS_PASSWORD');
const XSS_CELL = env('GRIDWORK_XSS_CELL');
const CELLS = Number(env('GRIDWORK_CELLS'));
const SHOTS = env('GRIDWORK_SCREENSHOTS');
const CASE_REPORTED = env('GRIDWORK_CASE_REPORTED');
const CASE_HANDLED = env('GRIDWORK_CASE_HANDLED');
const CASE_CONFLICT = env('GRIDWORK_CASE_CONFLICT');
const CASE_MARKUP = env('GRIDWORK_CASE_MARKUP');
const ROUTINE = Number(env('GRIDWORK_CASE_ROUTINE'));
const PATROL = env('GRIDWORK_PATROL');
const FORKED_DEVICE = env('GRIDWORK_FORKED_DEVICE');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function step(text) {
  process.stdout.write(`browser: ${text}\n`);
}

// A fresh browser profile (its own --user-data-dir) with these context options; gives
// the page and what went wrong on it.
async function open(options) {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'gridwork-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    ...options,
  });
  context.setDefaultTimeout(15000);
  await context.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  const page = context.pages()[0] || (await context.newPage());
  const problems = { errors: [], dialogs: [], failed: [] };
  page.on('response', (r) => {
    if (r.status() >= 400) problems.failed.push(`${r.status()} ${new URL(r.url()).pathname}`);
  });
  page.on('pageerror', (e) => problems.errors.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    // Failed requests are logged as failed resource loads; they are checked one by
    // one in `problems.failed`.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.errors.push(`console: ${m.text()}`);
  });
  page.on('dialog', async (d) => {
    problems.dialogs.push(d.message());
    await d.dismiss();
  });
  const close = async () => {
    await context.close();
    await rm(profile, { recursive: true, force: true });
  };
  return { page, problems, close };
}

async function clean(page, problems, where, failed = []) {
  assert.deepEqual(problems.failed, failed, `${where}: failed requests`);
  const csp = await page.evaluate(() => window.__csp);
  assert.deepEqual(csp, [], `${where}: Content-Security-Policy violations`);
  assert.deepEqual(problems.errors, [], `${where}: errors in the page`);
  assert.deepEqual(problems.dialogs, [], `${where}: a dialog opened (script ran from data)`);
}

async function ready(page) {
  await page.waitForSelector('body[data-ready="true"]');
}

async function signIn(page, user, password) {
  await page.fill('#login-user', user);
  await page.fill('#login-password', password);
  await page.click('#login-form button[type=submit]');
}

async function text(page, selector) {
  return (await page.textContent(selector)) ?? '';
}

async function shot(page, name) {
  const file = path.join(SHOTS, name);
  await page.screenshot({ path: file });
  step(`screenshot ${file}`);
}

// The bounding box of a cell's path on screen.
async function cellBox(page, code) {
  return page.locator(`path.gw-cell[data-code="${code}"]`).boundingBox();
}

async function desktopInChinese() {
  // Reduced motion: the console then draws without zoom animations, so positions on
  // screen can be compared as soon as an action returns.
  const { page, problems, close } = await open({ locale: 'zh-CN', viewport: { width: 1280, height: 800 }, reducedMotion: 'reduce' });
  try {
    await page.goto(`${BASE}/console`);
    await ready(page);
    step('a Chinese browser gets the Chinese sign-in form');
    assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
    assert.equal(await text(page, 'h1'), '网格化管理 · 监督台');
    assert.equal(await text(page, '#login-form h2'), '登录');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'login-user');

    step('a wrong password is refused with a message');
    await signIn(page, USER, 'not-the-password');
    await page.waitForFunction(() => document.getElementById('login-error').textContent.length > 0);
    assert.equal(await text(page, '#login-error'), '用户名或密码错误。');
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);

    step('signing in draws every cell of the grid');
    await signIn(page, USER, PASSWORD);
    await page.waitForSelector(`#map[data-cells="${CELLS}"]`);
    assert.equal(await page.locator('path.gw-cell').count(), CELLS);
    assert.equal(await page.locator('#cell-list button.cell').count(), CELLS);
    assert.equal(await text(page, '#cell-count'), `显示 ${CELLS} / ${CELLS} 个网格`);
    assert.equal(await text(page, '#who'), `${USER} · 监督员 · 范围 全部`);
    const device = await page.evaluate((u) => localStorage.getItem(`gridwork.console.device.${encodeURIComponent(u)}`), USER);
    assert.match(device, UUID);
    assert.ok(await page.evaluate(() => sessionStorage.getItem('gridwork.console.token')));
    const map = await page.locator('#map').boundingBox();
    const list = await page.locator('#cell-list').boundingBox();
    assert.ok(map.width >= 600 && map.height >= 550, `map ${JSON.stringify(map)}`);
    assert.ok(list.width >= 200 && list.x + list.width <= map.x + 1, `list ${JSON.stringify(list)}`);
    await page.mouse.move(1, 799);
    await shot(page, '01-zh-1280x800.png');

    step('a cell name with markup shows as text, in the list and the tooltip');
    const xssButton = page.locator(`#cell-list button.cell[data-code="${XSS_CELL}"]`);
    assert.match(await xssButton.textContent(), /<script>/);
    assert.equal(await page.locator('script').count(), 1, 'only the bundle is a script element');
    assert.equal(await page.locator('img[src="x"]').count(), 0);
    await xssButton.click();
    await page.waitForSelector(`path.gw-selected[data-code="${XSS_CELL}"]`);
    const tip = page.locator('.gw-tooltip');
    await tip.waitFor();
    assert.match(await tip.textContent(), /<script>/);
    assert.match(await tip.textContent(), new RegExp(`编码 ${XSS_CELL}`));
    assert.equal(await page.locator('.gw-tooltip script, .gw-tooltip img').count(), 0);
    assert.equal(await page.evaluate(() => window.__xss), undefined);
    await shot(page, '02-zh-cell-with-markup.png');

    step('keyboard: the skip link, /, Enter, m, ? and Esc');
    const focused = () => page.evaluate(() => document.activeElement.id || document.activeElement.classList[0]);
    await page.focus('#skip');
    assert.ok(await page.locator('#skip').isVisible(), 'the skip link shows when focused');
    const order = [];
    for (let i = 0; i < 7; i++) {
      await page.keyboard.press('Tab');
      order.push(await focused());
    }
    assert.deepEqual(order, ['eval-button', 'health-button', 'users-button', 'help-button', 'lang', 'sign-out', 'cell-filter'], 'focus order');
    await page.focus('#skip');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'map');
    await page.keyboard.press('/');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'cell-filter');
    const target = await page.evaluate(() => document.querySelectorAll('#cell-list button.cell')[37].dataset.code);
    await page.keyboard.type(target);
    assert.equal(await page.locator('#cell-list button.cell').count(), 1);
    assert.equal(await text(page, '#cell-count'), `显示 1 / ${CELLS} 个网格`);
    await page.keyboard.press('Enter');
    await page.waitForSelector(`path.gw-selected[data-code="${target}"]`);
    assert.equal(await page.evaluate(() => document.activeElement.dataset.code), target);
    await page.keyboard.press('m');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'map');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    assert.equal(outline, 'solid', 'the focused map shows its focus');
    await page.keyboard.press('?');
    await page.waitForSelector('dialog#help[open]');
    // Nine shortcuts, but this server has no base map, so b is not offered.
    assert.deepEqual(await page.locator('#shortcut-list kbd').allTextContents(), ['/', 'm', 'g', 'q', 'e', 'l', '?', 'Esc']);
    await shot(page, '03-zh-shortcuts.png');
    await page.keyboard.press('Escape');
    await page.waitForSelector('dialog#help', { state: 'hidden' });

    step('GCJ-02: the cells move by the offset and come back');
    const before = await page.getAttribute(`path.gw-cell[data-code="${target}"]`, 'd');
    const boxBefore = await cellBox(page, target);
    await page.keyboard.press('g');
    await page.waitForSelector('#map[data-datum="gcj02"]');
    assert.ok(await page.isChecked('#gcj02'));
    assert.equal(await text(page, '#datum'), '坐标：GCJ-02');
    const boxAfter = await cellBox(page, target);
    const moved = Math.hypot(boxAfter.x - boxBefore.x, boxAfter.y - boxBefore.y);
    assert.ok(moved > 20, `the cell moved ${moved} px`);
    assert.ok(boxAfter.x > boxBefore.x, 'GCJ-02 lies east of WGS-84 here');
    assert.notEqual(await page.getAttribute(`path.gw-cell[data-code="${target}"]`, 'd'), before);
    assert.equal(await page.locator('path.gw-cell').count(), CELLS);
    await shot(page, '04-zh-gcj02.png');
    await page.click('#gcj02');
    await page.waitForSelector('#map[data-datum="wgs84"]');
    assert.equal(await page.getAttribute(`path.gw-cell[data-code="${target}"]`, 'd'), before);

    step('switching language: the button, then l');
    await page.click('#lang');
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.equal(await text(page, 'h1'), 'Grid management · Supervisor console');
    assert.equal(await text(page, '#who'), `${USER} · supervisor · scope all`);
    assert.equal(await text(page, '#cell-count'), `Showing 1 of ${CELLS} cells`);
    assert.equal(await text(page, '#datum'), 'Datum: WGS-84');
    await page.focus('#cell-filter');
    await page.keyboard.press('Escape');
    assert.equal(await page.inputValue('#cell-filter'), '', 'Esc clears the filter');
    assert.equal(await page.locator('#cell-list button.cell').count(), CELLS);
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    const codes = await page.locator('#cell-list button.cell').evaluateAll((bs) => bs.map((b) => b.dataset.code));
    assert.equal(await page.evaluate(() => document.activeElement.dataset.code), codes[1], 'arrow keys move through the list');
    await page.keyboard.press('ArrowUp');
    assert.equal(await page.evaluate(() => document.activeElement.dataset.code), codes[0]);
    await page.evaluate(() => document.activeElement.blur());
    await shot(page, '05-en-1280x800.png');
    await page.keyboard.press('l');
    assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
    await page.keyboard.press('l');
    assert.equal(await page.getAttribute('html', 'lang'), 'en');

    step('a reload keeps the session and the language');
    await page.reload();
    await ready(page);
    await page.waitForSelector(`#map[data-cells="${CELLS}"]`);
    assert.equal(await page.getAttribute('html', 'lang'), 'en');

    step('signing out forgets the token; the device id stays');
    await page.click('#sign-out');
    await page.waitForSelector('#login-view:not([hidden])');
    assert.ok(await page.locator('#console-view').isHidden());
    assert.equal(await page.evaluate(() => sessionStorage.getItem('gridwork.console.token')), null);
    assert.equal(await page.getAttribute('#map', 'data-cells'), '0');
    step('a second account signs in on the same browser with its own device; the first keeps its own');
    await signIn(page, XSS_USER, XSS_PASSWORD);
    await page.waitForSelector(`#map[data-cells="${CELLS}"]`);
    assert.equal(await text(page, '#who'), `${XSS_USER} · grid worker · scope 320508001`);
    const other = await page.evaluate((u) => localStorage.getItem(`gridwork.console.device.${encodeURIComponent(u)}`), XSS_USER);
    assert.ok(other && other !== device, `second account's device ${other}`);
    await page.click('#sign-out');
    await page.waitForSelector('#login-view:not([hidden])');
    await signIn(page, USER, PASSWORD);
    await page.waitForSelector(`#map[data-cells="${CELLS}"]`);
    assert.equal(await page.evaluate((u) => localStorage.getItem(`gridwork.console.device.${encodeURIComponent(u)}`), USER), device);

    step('an expired session goes back to the sign-in form with a message');
    await page.evaluate(() => sessionStorage.setItem('gridwork.console.token', 'revoked-or-expired'));
    await page.reload();
    await ready(page);
    await page.waitForSelector('#login-view:not([hidden])');
    assert.equal(await text(page, '#login-error'), 'Your session has ended. Please sign in again.');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('gridwork.console.token')), null);
    await clean(page, problems, 'desktop', ['401 /v1/login', '401 /v1/me']);

    // Last, as it logs a violation on purpose: which also shows that violations are
    // seen, so the clean() checks above could fail.
    step('Trusted Types: a string cannot be assigned as HTML');
    const sink = await page.evaluate(() => {
      try {
        document.createElement('div').innerHTML = '<img src=x onerror="window.__xss=3">';
        return 'assigned';
      } catch (e) {
        return e.name;
      }
    });
    assert.equal(sink, 'TypeError');
    await page.waitForFunction(() => window.__csp.some((v) => v.startsWith('require-trusted-types-for')));
  } finally {
    await close();
  }
}

async function tabletInEnglishWithBaseMap() {
  const { page, problems, close } = await open({ locale: 'en-US', viewport: { width: 768, height: 1024 }, hasTouch: true, reducedMotion: 'reduce' });
  try {
    await page.goto(`${TILES_BASE}/console/`);
    await ready(page);
    step('an English browser gets English');
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.equal(await text(page, '#login-form h2'), 'Sign in');

    step('a user name with markup shows as text');
    await signIn(page, XSS_USER, XSS_PASSWORD);
    await page.waitForSelector(`#map[data-cells="${CELLS}"]`);
    assert.equal(await text(page, '#who'), `${XSS_USER} · grid worker · scope 320508001`);
    assert.equal(await page.locator('img[src="x"]').count(), 0);

    step('the configured base map loads from its own origin');
    assert.ok(await page.isChecked('#base-map'));
    await page.waitForSelector('img.leaflet-tile-loaded');
    const tiles = await page.locator('img.leaflet-tile-loaded').count();
    assert.ok(tiles > 0, `${tiles} tiles`);
    const src = await page.getAttribute('img.leaflet-tile-loaded', 'src');
    assert.ok(!src.startsWith(TILES_BASE), `tile ${src} is from another origin`);
    assert.equal(await text(page, '#attribution'), 'Test tiles <b>not markup</b>');
    const map = await page.locator('#map').boundingBox();
    const list = await page.locator('#cell-list').boundingBox();
    assert.ok(map.width >= 500 && map.height >= 500, `map ${JSON.stringify(map)}`);
    assert.ok(list.width >= 180, `list ${JSON.stringify(list)}`);
    assert.ok(map.x + map.width <= 768 + 1, 'no horizontal overflow');
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), 768);
    await shot(page, '06-en-tablet-768x1024-base-map.png');

    step('b hides the base map');
    await page.click('#help-button');
    assert.deepEqual(await page.locator('#shortcut-list kbd').allTextContents(), ['/', 'm', 'g', 'b', 'q', 'e', 'l', '?', 'Esc']);
    await page.keyboard.press('Escape');
    await page.waitForSelector('dialog#help', { state: 'hidden' });
    await page.evaluate(() => document.activeElement.blur());
    await page.keyboard.press('b');
    await page.waitForSelector('#map[data-base-map="off"]');
    assert.equal(await page.locator('img.leaflet-tile').count(), 0);
    assert.ok(await page.locator('#attribution').isHidden());
    await shot(page, '07-en-tablet-no-base-map.png');
    await clean(page, problems, 'tablet');
  } finally {
    await close();
  }
}

async function plainServerLoadsNoTiles() {
  const { page, problems, close } = await open({ locale: 'en-US', viewport: { width: 1280, height: 800 } });
  try {
    step('without a base-map option no tile is requested');
    const requests = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(`${BASE}/console`);
    await ready(page);
    await signIn(page, USER, PASSWORD);
    await page.waitForSelector(`#map[data-cells="${CELLS}"]`);
    assert.ok(await page.locator('#base-map-toggle').isHidden());
    assert.equal(await page.locator('img.leaflet-tile').count(), 0);
    // Object URLs of photos fetched from this server (the map's cluster thumbnails) are
    // this origin's too.
    const foreign = requests.filter((u) => !u.startsWith(BASE) && !u.startsWith(`blob:${BASE}/`));
    assert.deepEqual(foreign, [], 'requests to other origins');

    step('on a phone-sized screen the list moves under the map');
    await page.setViewportSize({ width: 390, height: 844 });
    const map = await page.locator('#map').boundingBox();
    const list = await page.locator('#cell-list').boundingBox();
    assert.ok(list.y >= map.y + map.height, `list ${JSON.stringify(list)} under map ${JSON.stringify(map)}`);
    assert.ok(map.width >= 380, `map ${JSON.stringify(map)}`);
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), 390);
    await shot(page, '08-en-phone-390x844.png');
    await clean(page, problems, 'plain');
  } finally {
    await close();
  }
}

// The review queue, the case page and its actions, conflicts and the evaluation, in
// English at 1280×800, then the case page at tablet width.
async function casesInEnglish() {
  const { page, problems, close } = await open({ locale: 'en-US', viewport: { width: 1280, height: 800 }, reducedMotion: 'reduce', acceptDownloads: true });
  try {
    await page.goto(`${BASE}/console`);
    await ready(page);
    await signIn(page, USER, PASSWORD);
    await page.waitForSelector(`#map[data-cells="${CELLS}"]`);

    step('the review queue lists the new reports, newest first, a page at a time, with markers on the map');
    const rows = page.locator('#case-list .case-row');
    await page.waitForSelector(`#case-list .case-row[data-id="${CASE_REPORTED}"]`);
    const reportedCount = ROUTINE + 1;
    assert.equal(await rows.count(), 50, 'a full first page');
    assert.equal(await rows.first().getAttribute('data-id'), CASE_REPORTED, 'the newest report first');
    assert.ok(await rows.evaluateAll((rs) => rs.every((r) => r.dataset.status === 'reported')));
    await page.waitForSelector('#map[data-cases="50"]');
    await page.click('#queue-more');
    await page.waitForFunction((n) => document.querySelectorAll('#case-list .case-row').length === n, reportedCount);
    assert.ok(await page.locator('#queue-more').isHidden(), 'the last page has no More');
    await page.waitForSelector(`#map[data-cases="${reportedCount}"]`);
    assert.equal(await text(page, '.tab[aria-selected=true]'), 'To register');
    const row = page.locator(`#case-list .case-row[data-id="${CASE_REPORTED}"]`);
    assert.match(await row.textContent(), /Exposed rubbish/);
    assert.match(await row.textContent(), /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}Reported/);
    assert.equal(await page.locator(`path.gw-case[data-case="${CASE_REPORTED}"][data-at="cell"]`).count(), 1);
    const markerOf = () => page.locator(`path.gw-case[data-case="${CASE_REPORTED}"]`).boundingBox();
    const marker = await markerOf();
    const queue = await page.locator('#queue-panel').boundingBox();
    const mapBox = await page.locator('#map').boundingBox();
    assert.ok(queue.x >= mapBox.x + mapBox.width - 1, 'the queue sits beside the map');
    await shot(page, '10-en-queue.png');

    step('GCJ-02 moves the case marker with the cells');
    await page.evaluate(() => document.activeElement.blur());
    await page.keyboard.press('g');
    await page.waitForSelector('#map[data-datum="gcj02"]');
    const moved = await markerOf();
    assert.ok(moved.x > marker.x + 20, `the marker moved east: ${marker.x} → ${moved.x}`);
    await page.keyboard.press('g');
    await page.waitForSelector('#map[data-datum="wgs84"]');

    step('the other tabs: handled, overdue, conflicts (arrow keys move between tabs)');
    await page.keyboard.press('q');
    assert.equal(await page.evaluate(() => document.activeElement.dataset.tab), 'reported', await page.evaluate(() => document.activeElement.outerHTML.slice(0, 200)));
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => document.querySelector('.tab[aria-selected=true]').dataset.tab === 'registered' && document.getElementById('queue-note').textContent === 'No cases.');
    await page.keyboard.press('ArrowRight');
    await page.waitForSelector(`#case-list .case-row[data-id="${CASE_HANDLED}"]`);
    assert.equal(await rows.count(), 1);
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => document.querySelector('.tab[aria-selected=true]').dataset.tab === 'overdue' && document.getElementById('queue-note').textContent === 'No cases.');
    await page.keyboard.press('ArrowRight');
    await page.waitForSelector(`#case-list .case-row[data-id="${CASE_CONFLICT}"]`);
    assert.equal(await rows.count(), 1);
    assert.match(await text(page, '#case-list'), /conflicts: 1/);

    step('a conflict shows on the case page, marked with its reason');
    await page.focus(`#case-list .case-row[data-id="${CASE_CONFLICT}"]`);
    await page.keyboard.press('Enter');
    await page.waitForSelector(`dialog#case-page[open][data-id="${CASE_CONFLICT}"]`);
    const conflicted = page.locator('#case-page .timeline li.conflict');
    assert.equal(await conflicted.count(), 1);
    assert.equal(await conflicted.getAttribute('data-kind'), 'incident.dispatched');
    assert.match(await conflicted.textContent(), /Conflict: .+/);
    assert.match(await conflicted.textContent(), /tablet-zhou-/);
    assert.match(await conflicted.textContent(), /Dispatched incident\.dispatched/);
    assert.match(await conflicted.textContent(), /Department: K City Municipal Road/);
    await conflicted.scrollIntoViewIfNeeded();
    await shot(page, '11-en-case-conflict.png');
    step('Esc closes the case page');
    await page.keyboard.press('Escape');
    await page.waitForSelector('dialog#case-page', { state: 'hidden' });
    await page.waitForFunction((id) => document.activeElement.dataset.id === id, CASE_CONFLICT); // focus goes back to the row

    step('the new report: markup in its description shows as text; its photo loads from a blob');
    await page.click('.tab[data-tab="reported"]');
    await row.waitFor();
    await row.focus();
    await page.keyboard.press(' ');
    await page.waitForSelector(`dialog#case-page[open][data-id="${CASE_REPORTED}"][data-status="reported"]`);
    assert.match(await text(page, '#case-page .facts'), new RegExp(CASE_MARKUP.replace(/[()]/g, '\\$&')));
    assert.equal(await page.locator('script').count(), 1, 'only the bundle is a script element');
    // Its marker moved from the centre of its cell to the report's point.
    await page.waitForSelector(`path.gw-case[data-case="${CASE_REPORTED}"][data-at="report"]`, { state: 'attached' });
    await page.waitForFunction(() => {
      const img = document.querySelector('#case-page img.photo');
      return img?.src.startsWith('blob:') && img.complete && img.naturalWidth === 160;
    });
    assert.deepEqual(await page.locator('#case-page button.action').evaluateAll((bs) => bs.map((b) => b.dataset.action)), ['register', 'cancel', 'check']);
    // The category's registration condition (立案条件) shows beside register.
    assert.equal(await text(page, '#registration-condition'), 'Registration condition: Visible rubbish, dirt or waste in a public place');

    step('cancel needs a reason; register, then dispatch to a department');
    await page.click('#case-page button[data-action="cancel"]');
    assert.equal(await text(page, '#action-error'), 'This action needs a reason.');
    await page.click('#case-page button[data-action="register"]');
    await page.waitForSelector('dialog#case-page[data-status="registered"]');
    await page.selectOption('#action-department', 'sanitation');
    await page.click('#case-page button[data-action="dispatch"]');
    await page.waitForSelector('dialog#case-page[data-status="dispatched"]');
    assert.match(await text(page, '#case-page .facts'), /Dispatched/);
    assert.match(await text(page, '#case-page .facts'), /K City Sanitation|sanitation/i);
    assert.ok((await page.locator('#case-page .timeline li[data-kind="incident.dispatched"]').textContent()).includes('console:wang'));
    await shot(page, '12-en-case-dispatched.png');
    await page.keyboard.press('Escape');
    await page.waitForSelector('dialog#case-page', { state: 'hidden' });
    await page.waitForFunction(() => document.querySelectorAll('#case-list .case-row').length === 50);
    // Its row is gone, so focus went back to the tab.
    await page.waitForFunction(() => document.activeElement.dataset.tab === 'reported');
    assert.equal(await page.locator(`#case-list .case-row[data-id="${CASE_REPORTED}"]`).count(), 0, 'the dispatched case left the queue');

    step('a refused action shows the server\'s reason');
    await page.click('.tab[data-tab="handled"]');
    await page.click(`#case-list .case-row[data-id="${CASE_HANDLED}"]`);
    await page.waitForSelector(`dialog#case-page[open][data-id="${CASE_HANDLED}"][data-status="handled"]`);
    // Someone else suspends the case meanwhile; this page still offers "return".
    const suspended = await page.evaluate(async (id) => {
      const res = await fetch(`/v1/cases/${id}/actions`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Gridwork-Protocol': '1', Authorization: `Bearer ${sessionStorage.getItem('gridwork.console.token')}` },
        body: JSON.stringify({ action: 'suspend', note: 'road works' }),
      });
      return res.status;
    }, CASE_HANDLED);
    assert.equal(suspended, 200);
    await page.fill('#action-note', 'wrong department');
    await page.click('#case-page button[data-action="return"]');
    await page.waitForFunction(() => document.getElementById('action-error').textContent.startsWith('The server refused: '));
    assert.ok((await text(page, '#action-error')).length > 'The server refused: '.length);
    await shot(page, '13-en-case-refused.png');

    step('the case page at tablet width');
    await page.setViewportSize({ width: 768, height: 1024 });
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), 768);
    await shot(page, '14-en-tablet-case.png');
    await page.keyboard.press('Escape');
    await page.setViewportSize({ width: 1280, height: 800 });

    step("a worker's synced patrol is drawn as a track when the layer is on");
    await page.waitForSelector('#patrol-tracks[data-loaded="1"]', { state: 'attached' });
    assert.equal(await page.locator('path.gw-track').count(), 0, 'the layer starts off');
    await page.check('#patrol-tracks');
    const track = page.locator(`path.gw-track[data-patrol="${PATROL}"]`);
    await track.waitFor({ state: 'attached' });
    assert.equal(await track.getAttribute('data-worker'), 'li');
    assert.equal(await page.getAttribute('#map', 'data-tracks'), '1');
    const line = await track.boundingBox();
    assert.ok(line && line.width > 10, `a line across the cell: ${JSON.stringify(line)}`);
    await shot(page, '14b-en-patrol-track.png');
    await page.uncheck('#patrol-tracks');
    assert.equal(await page.locator('path.gw-track').count(), 0, 'the layer is off again');

    step('the evaluation: a table, a chart and a CSV download');
    await page.evaluate(() => document.activeElement.blur());
    await page.keyboard.press('e');
    await page.waitForSelector('dialog#eval-page[open] #eval-rows');
    const evalRows = page.locator('#eval-rows tbody tr');
    assert.ok(await evalRows.count() >= 2, 'a street row and the total');
    const total = await page.locator('#eval-rows tbody tr.total').textContent();
    assert.match(total, new RegExp(`^Total${ROUTINE + 3}`), 'every case reported in the period');
    assert.match(await text(page, '#eval-rows thead'), /Closure rate/);
    assert.match(await text(page, '#eval-rows thead'), /Patrol km/);
    assert.equal(await text(page, '#eval-rows tbody tr.total td[data-fig="patrols"]'), '1', 'the patrol of the period');
    assert.equal(await text(page, '#eval-rows tbody tr[data-key="320508001"] td[data-fig="patrols"]'), '1');
    assert.match(await text(page, '#eval-rows tbody tr.total td[data-fig="patrol_coverage"]'), /^\d+(\.\d)?%$/);
    assert.equal(await page.locator('#eval-page svg.chart rect.bar').count(), 2 * (await evalRows.count()));
    await page.selectOption('#eval-by', 'department');
    await page.click('#eval-run');
    await page.waitForFunction(() => [...document.querySelectorAll('#eval-rows tbody th')].some((th) => th.textContent.includes('Sanitation')));
    assert.equal(await page.locator('#eval-rows tbody tr.total th').textContent(), 'Total');
    await shot(page, '15-en-evaluation.png');
    await page.click('#eval-csv');
    await page.waitForSelector('#eval-download:not([hidden])');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#eval-download')]);
    const { readFile } = await import('node:fs/promises');
    const csv = await readFile(await download.path(), 'utf8');
    assert.match(csv.split('\n')[0], /^key,/);
    assert.match(csv, new RegExp(`\\ntotal,${ROUTINE + 3},`));
    // By worker: the sync health of each worker's devices.
    await page.selectOption('#eval-by', 'worker');
    await page.click('#eval-run');
    await page.waitForSelector('#eval-rows thead th.sync-col');
    assert.match(await text(page, '#eval-rows thead'), /Last contact/);
    assert.match(await text(page, '#eval-rows tbody tr.total td[data-fig="sync_devices"]'), /^[1-9]\d*$/, "the workers' devices");
    await page.keyboard.press('Escape');
    await page.waitForSelector('dialog#eval-page', { state: 'hidden' });

    step('Chinese on the case page');
    await page.keyboard.press('l');
    await page.click('.tab[data-tab="conflicts"]');
    await page.click(`#case-list .case-row[data-id="${CASE_CONFLICT}"]`);
    await page.waitForSelector(`dialog#case-page[open][data-id="${CASE_CONFLICT}"]`);
    assert.match(await text(page, '#case-page .timeline li.conflict'), /冲突：/);
    assert.match(await text(page, '#case-page .timeline li.conflict'), /派遣/);
    await page.locator('#case-page .timeline li.conflict').scrollIntoViewIfNeeded();
    await shot(page, '16-zh-case-conflict.png');

    step('resolve the conflict on the case page: it leaves the conflicts queue');
    const open = page.locator('#case-conflicts li.conflict.open');
    assert.equal(await open.count(), 1);
    await open.locator('input.conflict-note').fill('两台平板重复派遣，保留先派遣的');
    await open.locator('button.resolve-conflict').click();
    await page.waitForSelector('#case-conflicts li.conflict.resolved');
    assert.match(await text(page, '#case-conflicts li.conflict.resolved'), /已由 wang 于 .+ 处理/);
    assert.match(await text(page, '#case-conflicts li.conflict.resolved'), /保留先派遣的/);
    assert.match(await text(page, '#case-page .timeline'), /冲突已处理/);
    await page.locator('#case-conflicts').scrollIntoViewIfNeeded();
    await shot(page, '17-zh-conflict-resolved.png');
    await page.keyboard.press('Escape');
    await page.waitForSelector('dialog#case-page', { state: 'hidden' });
    await page.waitForFunction(() => document.querySelector('.tab[aria-selected=true]').dataset.tab === 'conflicts'
      && document.querySelectorAll('#case-list .case-row').length === 0);

    step('the sync-health page lists the field devices with a chart');
    await page.click('#health-button');
    await page.waitForSelector('dialog#health-page[open] #health-rows tbody tr[data-device="phone-li"]');
    assert.ok(await page.locator('#health-chart rect.bar').count() > 0);
    assert.match(await text(page, '#health-rows thead'), /最后联系/);
    // The phone that forked its history is marked, with the server's reason; the others are not.
    const forked = page.locator(`#health-rows tbody tr[data-device="${FORKED_DEVICE}"] th .flagged`);
    assert.equal(await forked.count(), 1, 'the forked phone is marked');
    assert.match(await forked.textContent(), /历史被改写/);
    assert.match(await forked.getAttribute('title'), /forked history/);
    assert.equal(await page.locator('#health-rows tbody .flagged').count(), 1, 'only the forked phone is marked');
    await shot(page, '18-zh-sync-health.png');
    await page.keyboard.press('Escape');
    await page.waitForSelector('dialog#health-page', { state: 'hidden' });
    await clean(page, problems, 'cases', [`409 /v1/cases/${CASE_HANDLED}/actions`]);
  } finally {
    await close();
  }
}

// The map's overview from GET /v1/map: cells shaded by open cases, the fifty routine
// reports (all at one point) one cluster; a click on it zooms in.
// The zooms the console's GET /v1/map requests of `page` asked for, in order.
function mapZooms(page) {
  const zooms = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.pathname === '/v1/map') zooms.push(Number(u.searchParams.get('zoom')));
  });
  return zooms;
}

async function overviewClusters() {
  const { page, problems, close } = await open({ locale: 'en-US', viewport: { width: 1280, height: 800 }, reducedMotion: 'reduce' });
  const zooms = mapZooms(page);
  try {
    await page.goto(`${BASE}/console`);
    await ready(page);
    await signIn(page, USER, PASSWORD);
    await page.waitForSelector(`#map[data-cells="${CELLS}"][data-overview="ready"]`);
    step('the map shows the server\'s clusters and shades cells by their open cases');
    const counts = await page.locator('.gw-cluster').evaluateAll((cs) => cs.map((c) => Number(c.dataset.count)));
    assert.ok(counts.some((n) => n >= ROUTINE), `a cluster of the ${ROUTINE} routine reports: ${counts}`);
    const total = Number(await page.getAttribute('#map', 'data-total'));
    assert.ok(total >= ROUTINE + 3, `every case is in view: ${total}`);
    const open = await page.locator('path.gw-cell').evaluateAll((ps) => ps.map((p) => Number(p.dataset.open)).filter((n) => n > 0));
    assert.ok(open.some((n) => n >= ROUTINE), `a cell shaded by its open cases: ${open}`);
    await shot(page, '17-en-map-clusters.png');
    step('a click on a cluster zooms in');
    const before = Number(await page.getAttribute('#map', 'data-zoom'));
    const big = page.locator('.gw-cluster').filter({ hasText: String(Math.max(...counts)) }).first();
    await big.click();
    await page.waitForFunction((z) => Number(document.getElementById('map').dataset.zoom) > z, before);
    await page.waitForSelector('#map[data-overview="ready"]');
    await clean(page, problems, 'map overview');
  } finally {
    await close();
  }
  return zooms[0];
}

// With motion allowed (animated zooms), the console's first overview is still asked for
// the view fitted to the grid — the one a still console asks for — not for the
// placeholder view the map starts at (which cost a second request and drew late).
async function firstOverviewIsTheFittedView(fitted) {
  const { page, problems, close } = await open({ locale: 'en-US', viewport: { width: 1280, height: 800 }, reducedMotion: 'no-preference' });
  const zooms = mapZooms(page);
  try {
    await page.goto(`${BASE}/console`);
    await ready(page);
    await signIn(page, USER, PASSWORD);
    await page.waitForSelector(`#map[data-cells="${CELLS}"][data-overview="ready"]`);
    step(`with animations on, the first overview is asked for the fitted view (zoom ${fitted}; GET /v1/map zooms so far: ${zooms.join(', ')})`);
    assert.equal(zooms[0], fitted, `the first GET /v1/map asked for zoom ${zooms[0]}, the fitted view is ${fitted} (all: ${zooms})`);
    await clean(page, problems, 'map overview with motion');
  } finally {
    await close();
  }
}

await mkdir(SHOTS, { recursive: true });
await firstOverviewIsTheFittedView(await overviewClusters());
await casesInEnglish();
await desktopInChinese();
await tabletInEnglishWithBaseMap();
await plainServerLoadsNoTiles();
step('all checks passed');
