import { defineConfig } from '@playwright/test';
import * as os from 'node:os';
import * as path from 'node:path';

// The browser tests drive Debian's Chromium against the real server binary, started here on
// a fresh SQLite database with demo data. Build first (`scripts/build-bundle`); scripts/test
// does both. E2E_PORT, E2E_SERVER_BIN and E2E_SITE_ROOT point it at another build (its own
// CARGO_TARGET_DIR and LEPTOS_SITE_ROOT), so two builds can be tested side by side.
const port = Number(process.env.E2E_PORT ?? 3199);
const root = path.resolve(__dirname, '..');
const server = process.env.E2E_SERVER_BIN ?? path.join(root, 'target', 'debug', 'server');
const siteRoot = process.env.E2E_SITE_ROOT ?? path.join(root, 'target', 'site');
const dataDir = path.join(os.tmpdir(), `reseller-portal-e2e-${port}`);

export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ],
    },
  },
  webServer: {
    // `--egress-allow 127.0.0.1`: an operator's exception to the egress policy (which otherwise
    // refuses loopback addresses), so the webhook test's receiver on 127.0.0.1 can be reached.
    command: [
      `rm -rf '${dataDir}' &&`,
      `'${server}' --demo --bind 127.0.0.1:${port}`,
      `--database-url 'sqlite://${dataDir}/portal.db'`,
      `--secret-key-file '${dataDir}/secret.key'`,
      `--site-root '${siteRoot}'`,
      `--egress-allow 127.0.0.1`,
    ].join(' '),
    url: `http://127.0.0.1:${port}/readyz`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
