// The console map figure (issue 9: "the console's first map view with 100,000 cases,
// target < 1 s to interactive in headless Chromium"). Run by console/test/map-figure.sh,
// which seeds the databases and starts the servers; environment:
//   GRIDWORK_FIGURE_SERVERS  name=url pairs, comma-separated (the first is the baseline)
//   GRIDWORK_USER / GRIDWORK_PASSWORD  a supervisor on every server
//   GRIDWORK_FIGURE_RUNS     page loads per server [9]
//   GRIDWORK_SCREENSHOTS     where to save one screenshot per server [none]
//   CHROMIUM                 the browser [/usr/bin/chromium]
// Per server: signs in once, then loads the console again and again in the same tab
// (the token stays in sessionStorage) and reads the time from navigation start to the
// console's `gw-map-drawn` mark: cells drawn and the server's overview (shading,
// clusters, markers) on the map, ready for clicks. Prints p50/p90 and the ratio to the
// baseline. Not a test: nothing is asserted about the times.

import { chromium } from 'playwright-core';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const env = (name, fallback) => {
  const v = process.env[name] ?? fallback;
  if (v === undefined) throw new Error(`${name} is not set`);
  return v;
};
const SERVERS = env('GRIDWORK_FIGURE_SERVERS').split(',').map((p) => p.split('='));
const USER = env('GRIDWORK_USER');
const PASSWORD = env('GRIDWORK_PASSWORD');
const RUNS = Number(env('GRIDWORK_FIGURE_RUNS', '9'));
const SHOTS = process.env.GRIDWORK_SCREENSHOTS;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
// The flags of console/test/browser.mjs.
const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

async function measure(name, base) {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'gridwork-figure-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: ARGS, locale: 'en-US', viewport: { width: 1280, height: 800 },
  });
  context.setDefaultTimeout(60000);
  try {
    const page = context.pages()[0] || (await context.newPage());
    await page.goto(`${base}/console`);
    await page.waitForSelector('body[data-ready="true"]');
    await page.fill('#login-user', USER);
    await page.fill('#login-password', PASSWORD);
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#map[data-overview="ready"]');
    const times = [];
    const map = [];
    let shape = null;
    for (let i = 0; i < RUNS; i++) {
      await page.reload();
      await page.waitForFunction(() => performance.getEntriesByName('gw-map-drawn').length > 0);
      const ms = await page.evaluate(() => performance.getEntriesByName('gw-map-drawn')[0].startTime);
      shape = await page.evaluate(() => ({ ...document.getElementById('map').dataset }));
      times.push(ms);
      // The server's share: the longest `GET /v1/map` of the load, request to last byte.
      map.push(await page.evaluate(() => Math.max(0, ...performance.getEntriesByType('resource')
        .filter((e) => e.name.includes('/v1/map')).map((e) => e.responseEnd - e.requestStart))));
    }
    if (SHOTS) await page.screenshot({ path: path.join(SHOTS, `map-figure-${name}.png`) });
    return { name, times, map, shape };
  } finally {
    await context.close();
    await rm(profile, { recursive: true, force: true });
  }
}

const results = [];
for (const [name, base] of SERVERS) results.push(await measure(name, base));
const baseline = pct(results[0].times, 0.5);
for (const r of results) {
  const p50 = pct(r.times, 0.5);
  const p90 = pct(r.times, 0.9);
  process.stdout.write(
    `${r.name}: navigation to map drawn p50 ${p50.toFixed(0)} ms, p90 ${p90.toFixed(0)} ms `
    + `(${r.shape.total} cases in view as ${r.shape.clusters} clusters and ${r.shape.points} markers, `
    + `${r.shape.cells} cells); ratio to ${results[0].name} (p50) ${(p50 / baseline).toFixed(2)}x; `
    + `GET /v1/map p50 ${pct(r.map, 0.5).toFixed(0)} ms\n`,
  );
}
