import { expect, type Page } from '@playwright/test';

export const DEMO_EMAIL = 'admin@demo-reseller.example';
export const DEMO_PASSWORD = 'demo-password-2026';

/** Waits until the wasm has taken over the server-rendered page (the app marks <body>). */
export async function hydrated(page: Page) {
  await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(1);
}

export async function signIn(page: Page, email = DEMO_EMAIL, password = DEMO_PASSWORD) {
  await hydrated(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Collects uncaught page errors and wasm panics (e.g. a failed hydration) for `afterEach`. */
export function watchForCrashes(page: Page): string[] {
  const crashes: string[] = [];
  page.on('pageerror', (e) => crashes.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && /panicked|hydration error/i.test(m.text())) crashes.push(m.text());
  });
  return crashes;
}

/** Signs in as the demo reseller and waits for `path`; returns the crash log for `afterEach`. */
export async function startSignedIn(page: Page, path: string): Promise<string[]> {
  const crashes = watchForCrashes(page);
  await page.goto(`/login?next=${path}`);
  await signIn(page);
  // Anchored on the host: `/login?next=/customers` also ends in `/customers`.
  await expect(page).toHaveURL(new RegExp(`^https?://[^/]+${path}$`));
  await hydrated(page);
  return crashes;
}

/** Every signed-in page besides the grid and the customer page (which tests open by clicking). */
export const PAGES = ['/customers/new', '/pbx-templates', '/users', '/billing', '/api-access', '/activity', '/account', '/outbox'];

/** Opens `path` afresh and waits until it is hydrated and its heading shows. */
export async function openPage(page: Page, path: string) {
  await page.goto(path);
  await hydrated(page);
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
}
