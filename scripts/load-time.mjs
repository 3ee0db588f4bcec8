// Time from navigation to an interactive grid, in Chromium through the DevTools protocol.
// Usage: node scripts/load-time.mjs [base URL] (default http://127.0.0.1:3000, a running
// `scripts/start`). Signs in as the demo user, then for each profile opens /customers cold (a
// new browser context: empty cache, only the session cookie) and warm (the same page again).
// The page itself clicks the "Date Created" header the moment it is hydrated (the app marks
// <body>) and notes when the grid shows that order: the time from navigation start until then
// is when a user's first click has done its work (bundle loaded, page hydrated, server
// function answered, rows shown). It is all read from the page's own clock, so the time the
// test driver takes to find and click things is not counted (under a 4x CPU slowdown that was
// 100-300 ms per step, more than some of the phases measured).
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

// Runs in the page before its own scripts: clicks the sort header once hydrated and records
// the phases, in milliseconds from navigation start, in `window.__timing`.
const CLICK_WHEN_HYDRATED = `(() => {
  const timing = (window.__timing = {});
  const header = () => [...document.querySelectorAll('th')].find((th) => th.textContent.trim().startsWith('Date Created'));
  const observe = () => {
    if (!timing.hydrated && document.body && document.body.dataset.hydrated === 'true') {
      timing.hydrated = performance.now();
      const button = header() && header().querySelector('button');
      if (button) {
        timing.clicked = performance.now();
        button.click();
      }
    }
    if (timing.clicked && !timing.sorted && location.search.includes('sort=created')
        && header() && header().getAttribute('aria-sort') === 'ascending'
        && document.querySelector('.table-wrap[aria-busy="false"]')) {
      timing.sorted = performance.now();
    }
  };
  new MutationObserver(observe).observe(document, { subtree: true, childList: true, attributes: true });
})();`;

/** Opens the grid; returns the phases, in ms from navigation start: the HTML received, the
 * last wasm or js file in, hydrated, clicked, sorted (= the total). */
async function interactive(page) {
  await page.goto(`${base}/customers`, { waitUntil: 'commit' });
  await page.waitForFunction(() => window.__timing && window.__timing.sorted, null, { polling: 50, timeout: 30_000 });
  return page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const code = performance.getEntriesByType('resource').filter((r) => /\.(wasm|js)$/.test(new URL(r.name).pathname));
    return { html: nav.responseEnd, code: Math.max(0, ...code.map((r) => r.responseEnd)), ...window.__timing };
  });
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
  const runs = { cold: [], warm: [] };
  for (let i = 0; i < RUNS; i++) {
    const context = await browser.newContext({ storageState: state });
    await context.addInitScript(CLICK_WHEN_HYDRATED);
    const page = await context.newPage();
    await throttle(page, profile);
    runs.cold.push(await interactive(page));
    runs.warm.push(await interactive(page));
    await context.close();
  }
  const cold = runs.cold.map((r) => Math.round(r.sorted));
  const warm = runs.warm.map((r) => Math.round(r.sorted));
  results.push({ profile: profile.name, cold, warm });
  console.log(`${profile.name}: cold median ${median(cold)} ms (${cold.join(', ')}), warm median ${median(warm)} ms (${warm.join(', ')})`);
  for (const [kind, list] of Object.entries(runs)) {
    const at = (key) => Math.round(median(list.map((r) => r[key])));
    console.log(`  ${kind}, medians from navigation start: HTML in ${at('html')} ms, code in ${at('code')} ms, hydrated ${at('hydrated')} ms, sorted ${at('sorted')} ms`);
  }
}
await browser.close();
console.log(`\n${RUNS} runs each, ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} × ${os.cpus()[0]?.model}, Chromium headless`);
