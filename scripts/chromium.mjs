// What the browser-driven scripts share: Debian's Chromium through Playwright (from end2end's
// node_modules), and a session of the demo user.
import { createRequire } from 'node:module';

const require = createRequire(new URL('../end2end/package.json', import.meta.url));
const { chromium } = require('@playwright/test');

/** Headless Chromium, as the browser tests run it. */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
}

/** Signs in as the demo user at `base`; returns the storage state (the session cookie) and
 * the link of the grid's first customer. */
export async function demoSession(browser, base) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${base}/login`);
  await page.getByLabel('Email').fill(process.env.DEMO_EMAIL ?? 'admin@demo-reseller.example');
  await page.getByLabel('Password').fill(process.env.DEMO_PASSWORD ?? 'demo-password-2026');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/customers/);
  const customer = await page.getByRole('link', { name: /^Edit / }).first().getAttribute('href');
  const state = await context.storageState();
  await context.close();
  return { state, customer };
}
