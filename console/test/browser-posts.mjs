// The centre's posts and a department in a real browser (issue 10): Debian's chromium
// driven by playwright-core. Run by tests/tests/console_posts.rs, which starts the
// server and passes (environment):
//   GRIDWORK_CONSOLE_URL   the server (sample grid and catalogue)
//   GRIDWORK_PASSWORD      the password of every account below
//   GRIDWORK_CASE          a case a worker (li) reported, with a photo
//   GRIDWORK_PHOTO         a JPEG file: the department's after photo
//   GRIDWORK_SCREENSHOTS   where to save screenshots
//   CHROMIUM               the browser [/usr/bin/chromium]
// Accounts: an (intake), du (dispatcher), zhang (shift lead), chen (handler of
// sanitation), wang (supervisor, everywhere: administers accounts).
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
const PASSWORD = env('GRIDWORK_PASSWORD');
const CASE = env('GRIDWORK_CASE');
const PHOTO = env('GRIDWORK_PHOTO');
const SHOTS = env('GRIDWORK_SCREENSHOTS');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

function step(text) {
  process.stdout.write(`browser-posts: ${text}\n`);
}

async function open(options) {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'gridwork-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: ARGS, ...options,
  });
  context.setDefaultTimeout(15000);
  await context.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const page = context.pages()[0] || (await context.newPage());
  const problems = { errors: [], dialogs: [], failed: [] };
  page.on('response', (r) => {
    if (r.status() >= 400) problems.failed.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`);
  });
  page.on('pageerror', (e) => problems.errors.push(`page error: ${e.message}`));
  page.on('console', (m) => {
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

const text = async (page, selector) => (await page.textContent(selector)) ?? '';

async function shot(page, name) {
  const file = path.join(SHOTS, name);
  await page.screenshot({ path: file });
  step(`screenshot ${file}`);
}

async function signIn(page, user) {
  await page.waitForSelector('#login-view:not([hidden])');
  await page.fill('#login-user', user);
  await page.fill('#login-password', PASSWORD);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#console-view:not([hidden])');
  await page.waitForFunction(() => document.getElementById('queue-note').textContent !== '' && !/Loading/.test(document.getElementById('queue-note').textContent));
}

async function signOut(page) {
  await page.click('#sign-out');
  await page.waitForSelector('#login-view:not([hidden])');
}

const offered = (page) => page.locator('#case-page button.action').evaluateAll((bs) => bs.map((b) => b.dataset.action));

async function openCase(page, tab) {
  await page.click(`.tab[data-tab="${tab}"]`);
  await page.click(`#case-list .case-row[data-id="${CASE}"]`);
  await page.waitForSelector(`dialog#case-page[open][data-id="${CASE}"] .facts`);
}

async function closeCase(page) {
  await page.keyboard.press('Escape');
  await page.waitForSelector('dialog#case-page', { state: 'hidden' });
}

// An action forced through the API from the page, with the page's own token: its
// status and the server's message.
function force(page, body) {
  return page.evaluate(async ({ id, body }) => {
    const res = await fetch(`/v1/cases/${id}/actions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Gridwork-Protocol': '1', Authorization: `Bearer ${sessionStorage.getItem('gridwork.console.token')}` },
      body: JSON.stringify(body),
    });
    const answer = await res.json();
    return { status: res.status, code: answer.error?.code, message: answer.error?.message };
  }, { id: CASE, body });
}

async function clickAction(page, name, status) {
  await page.click(`#case-page button[data-action="${name}"]`);
  if (status) await page.waitForSelector(`dialog#case-page[data-status="${status}"]`);
}

// Each person at their own desk: a browser of their own (a browser's device id belongs
// to the account that first signed in with it), checked for CSP violations, page
// errors, dialogs and exactly the `failed` requests.
async function desk(user, failed, run) {
  const { page, problems, close } = await open({ locale: 'en-US', viewport: { width: 1280, height: 800 }, reducedMotion: 'reduce' });
  try {
    await page.goto(`${BASE}/console`);
    await page.waitForSelector('body[data-ready="true"]');
    await signIn(page, user);
    await run(page);
    assert.deepEqual(problems.failed, failed, `${user}: failed requests`);
    assert.deepEqual(await page.evaluate(() => window.__csp), [], `${user}: CSP violations`);
    assert.deepEqual(problems.errors, [], `${user}: errors in the page`);
    assert.deepEqual(problems.dialogs, [], `${user}: dialogs`);
  } finally {
    await close();
  }
}

async function main() {
  await mkdir(SHOTS, { recursive: true });
  const refusedAction = `409 POST /v1/cases/${CASE}/actions`;

  await desk('an', [refusedAction], async (page) => {
    step('the intake operator: the post shows in the header; the source shows and filters');
    assert.equal(await text(page, '#who'), 'an · intake operator · scope all');
    assert.ok(await page.locator('#users-button').isHidden(), 'only a city administrator sees the users page');
    const row = page.locator(`#case-list .case-row[data-id="${CASE}"]`);
    await row.waitFor();
    assert.equal(await row.locator('.source').getAttribute('data-source'), 'grid_worker');
    assert.match(await row.textContent(), /grid worker/);
    await page.selectOption('#queue-source', 'hotline');
    await page.waitForFunction(() => document.getElementById('queue-note').textContent === 'No cases.');
    await page.selectOption('#queue-source', 'grid_worker');
    await row.waitFor();
    await page.selectOption('#queue-source', '');

    step('the intake operator is offered check, register and cancel; checks and registers');
    await openCase(page, 'reported');
    assert.deepEqual(await offered(page), ['register', 'cancel', 'check']);
    const facts = await text(page, '#case-page .facts');
    assert.match(facts, /Sourcegrid worker/);
    assert.match(facts, /To verifyli \(the reporting worker\)/);
    await shot(page, 'posts-01-intake.png');
    await clickAction(page, 'check');
    await page.waitForSelector('#case-page .timeline li[data-kind="incident.checked"]');
    await clickAction(page, 'register', 'registered');
    await page.waitForSelector('#case-page #no-actions');
    assert.deepEqual(await offered(page), []);

    step('a dispatch forced through the API by the intake operator is refused with the reason');
    const refused = await force(page, { action: 'dispatch' });
    assert.equal(refused.status, 409);
    assert.equal(refused.code, 'not_allowed');
    assert.match(refused.message, /may not dispatch/);
    await closeCase(page);
  });

  await desk('du', [], async (page) => {
    step('the dispatcher: dispatches to the default department, urges, adds an assisting department');
    assert.equal(await text(page, '#who'), 'du · dispatcher · scope all');
    await openCase(page, 'registered');
    assert.deepEqual(await offered(page), ['dispatch']);
    assert.match(await page.locator('#action-department option').first().textContent(), /default: K City Sanitation/);
    assert.match(await text(page, '#dispatch-limit'), /Time limit: \d+ working (hours|days)/);
    await clickAction(page, 'dispatch', 'dispatched');
    assert.match(await text(page, '#case-page .facts'), /DepartmentK City Sanitation[^(]*\(sanitation\)/);
    assert.deepEqual(await offered(page), ['urge', 'supervise', 'assist']);
    await page.fill('#action-note', 'please hurry');
    await clickAction(page, 'urge');
    await page.waitForSelector('#case-page .timeline li[data-kind="incident.urged"]');
    assert.match(await text(page, '#case-page .facts'), /Times urged1/);
    await page.selectOption('#action-department', 'roads');
    await clickAction(page, 'assist');
    await page.waitForSelector('#case-page .timeline li[data-kind="incident.assisted"]');
    assert.match(await text(page, '#case-page .facts'), /Assisting departments.*\(roads\)/);
    await shot(page, 'posts-02-dispatched.png');
    await closeCase(page);
  });

  await desk('chen', [], async (page) => {
    step("the department's handler: its department in the header, its queue; signs and applies for a postponement");
    assert.equal(await page.getAttribute('#who', 'data-department'), 'sanitation');
    assert.match(await text(page, '#who'), /^chen · handler · K City Sanitation.* \(sanitation\)$/);
    assert.ok(await page.locator('#users-button').isHidden());
    assert.deepEqual(await page.locator('.tab').evaluateAll((ts) => ts.map((x) => x.dataset.tab)), ['department', 'overdue']);
    await openCase(page, 'department');
    assert.deepEqual(await offered(page), ['handle', 'sign', 'apply_return', 'apply_postpone', 'apply_suspend']);
    await clickAction(page, 'sign');
    await page.waitForSelector('#case-page .timeline li[data-kind="incident.signed"]');
    assert.deepEqual(await offered(page), ['handle', 'apply_return', 'apply_postpone', 'apply_suspend']);
    await clickAction(page, 'apply_postpone');
    assert.equal(await text(page, '#action-error'), 'This action needs a reason.');
    await page.fill('#action-note', 'waiting for a new bin');
    await page.fill('#action-extend', '8');
    await clickAction(page, 'apply_postpone');
    await page.waitForSelector('#case-application');
    assert.match(await text(page, '#case-application'), /postponement: waiting for a new bin \(chen,/);
    assert.deepEqual(await offered(page), ['handle']);
    await shot(page, 'posts-03-department-applied.png');
    await closeCase(page);
  });

  await desk('zhang', [refusedAction], async (page) => {
    step('the shift lead approves the postponement; a department step forced by the lead is refused');
    assert.equal(await text(page, '#who'), 'zhang · shift lead · scope all');
    await openCase(page, 'applications');
    const lead = await offered(page);
    assert.ok(lead.includes('approve') && lead.includes('refuse'), lead.join());
    assert.ok(!lead.includes('sign') && !lead.includes('handle'), lead.join());
    await clickAction(page, 'approve');
    await page.waitForSelector('#case-page .timeline li[data-kind="incident.approved"]');
    assert.equal(await page.locator('#case-application').count(), 0);
    const sign = await force(page, { action: 'sign' });
    assert.equal(sign.status, 409);
    assert.match(sign.message, /may not sign/);
    await closeCase(page);
    await page.waitForFunction(() => document.getElementById('queue-note').textContent === 'No cases.');
  });

  await desk('chen', [], async (page) => {
    step('the department reports it handled with an after photo');
    await openCase(page, 'department');
    await clickAction(page, 'handle');
    assert.equal(await text(page, '#action-error'), 'Reporting a case handled needs an after photo.');
    await page.setInputFiles('#action-photo', PHOTO);
    await clickAction(page, 'handle', 'handled');
    await page.waitForFunction(() => {
      const imgs = [...document.querySelectorAll('#case-page img.photo')];
      // The report's photo is the phone's test file (not a picture); the after photo
      // is the JPEG the browser uploaded, and it decodes.
      return imgs.length === 2 && imgs.every((i) => i.src.startsWith('blob:')) && imgs[1].complete && imgs[1].naturalWidth === 160;
    });
    await shot(page, 'posts-04-handled.png');
    await closeCase(page);
  });

  await desk('wang', ['409 POST /v1/users'], async (page) => {
    step("the administrator's users page: list, create, a refused duplicate, change, disable");
    await page.click('#users-button');
    await page.waitForSelector('dialog#users-page[open] #users-list tr[data-user="chen"]');
    assert.equal(await page.locator('#users-list tr[data-user="chen"] input.user-scope').inputValue(), '@sanitation/');
    assert.equal(await page.locator('#users-list tr[data-user="chen"] select.user-role').inputValue(), 'handler');
    assert.equal(await page.locator('#users-list tr[data-user="an"] select.user-role').inputValue(), 'intake');
    await page.fill('#new-user-name', 'ma');
    await page.selectOption('#new-user-role', 'dispatcher');
    await page.fill('#new-user-scope', '*');
    await page.fill('#new-user-password', 'pw-ma-123456');
    await page.click('#new-user-create');
    await page.waitForSelector('#users-list tr[data-user="ma"][data-role="dispatcher"]');
    await page.fill('#new-user-name', 'ma');
    await page.fill('#new-user-scope', '*');
    await page.click('#new-user-create');
    await page.waitForFunction(() => /exists/.test(document.getElementById('users-status').textContent));
    const ma = page.locator('#users-list tr[data-user="ma"]');
    await ma.locator('select.user-role').selectOption('shift_lead');
    await ma.locator('button.user-save').click();
    await page.waitForSelector('#users-list tr[data-user="ma"][data-role="shift_lead"]');
    await page.locator('#users-list tr[data-user="ma"] button.user-toggle').click();
    await page.waitForSelector('#users-list tr[data-user="ma"][data-disabled="true"]');
    await shot(page, 'posts-05-users.png');
    await page.keyboard.press('Escape');

    step('in Chinese: posts, sources and department names');
    await page.click('#lang');
    await page.click('.tab[data-tab="handled"]');
    await page.click(`#case-list .case-row[data-id="${CASE}"]`);
    await page.waitForSelector(`dialog#case-page[open][data-id="${CASE}"] .facts`);
    const zh = await text(page, '#case-page .facts');
    assert.match(zh, /来源网格员上报/);
    assert.match(zh, /协办部门/);
    assert.match(await text(page, '#who'), /监督员/);
    await shot(page, 'posts-06-zh-case.png');
  });
  step('all checks passed');
}

main().catch((e) => {
  process.stderr.write(`${e.stack || e}\n`);
  process.exit(1);
});
