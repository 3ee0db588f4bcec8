// Time from navigation to an interactive grid, in Chromium through the DevTools protocol.
// Usage: node scripts/load-time.mjs [base URL] (default http://127.0.0.1:3000, a running
// `scripts/start`). Signs in as the demo user, then for each profile opens /customers cold (a
// new browser context: empty cache, only the session cookie) and warm (the same page again),
// and, as soon as the page is hydrated (the app marks <body>), clicks the "Date Created" header
// and waits until the grid has sorted by it: the time until then is when a user's first click
// has done its work (bundle loaded, page hydrated, server function answered, rows shown).
import { launch, demoSession } from './chromium.mjs';
import os from 'node:os';

const base = process.argv[2] ?? 'http://127.0.0.1:3000';
const RUNS = Number(process.env.LOAD_TIME_RUNS ?? 5);
const profiles = [
  { name: 'unthrottled', network: null, cpu: 1 },
  // 10 Mbit/s both ways, 40 ms round trip, CPU four times slower.
  { name: 'throttled (10 Mbit/s, 40 ms RTT, 4× CPU)', network: { latency: 40, down: 10e6 / 8, up: 10e6 / 8 }, cpu: 4 },
];

const browser = await launch();
// A session cookie, from signing in once.
const { state } = await demoSession(browser, base);

/** Milliseconds from navigation to a header click that sorted the grid. */
async function interactive(page) {
  const started = Date.now();
  await page.goto(`${base}/customers`, { waitUntil: 'commit' });
  const header = page.getByRole('columnheader', { name: 'Date Created' });
  const button = header.getByRole('button');
  await page.locator('body[data-hydrated="true"]').waitFor();
  await button.click();
  await page.waitForURL(/sort=created/);
  await page.locator('.table-wrap[aria-busy="false"]').waitFor();
  await header.and(page.locator('[aria-sort="ascending"]')).waitFor();
  return Date.now() - started;
}

async function throttle(page, profile) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  if (profile.network) {
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: profile.network.latency,
      downloadThroughput: profile.network.down,
      uploadThroughput: profile.network.up,
    });
  }
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: profile.cpu });
  return cdp;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = [];
for (const profile of profiles) {
  const cold = [];
  const warm = [];
  for (let i = 0; i < RUNS; i++) {
    const context = await browser.newContext({ storageState: state });
    const page = await context.newPage();
    await throttle(page, profile);
    cold.push(await interactive(page));
    warm.push(await interactive(page));
    await context.close();
  }
  results.push({ profile: profile.name, cold, warm });
  console.log(`${profile.name}: cold median ${median(cold)} ms (${cold.join(', ')}), warm median ${median(warm)} ms (${warm.join(', ')})`);
}
await browser.close();
console.log(`\n${RUNS} runs each, ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} × ${os.cpus()[0]?.model}, Chromium headless`);
