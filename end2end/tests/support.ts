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

/**
 * Creates API credentials named `name` on the API Access page (which must be open), with the
 * permissions in `without` left off; returns what the page shows once: the client id and secret.
 */
export async function createCredentials(page: Page, name: string, without: string[] = []) {
  await page.getByRole('button', { name: '+ New Credentials' }).click();
  const form = page.getByRole('region', { name: 'New credentials' });
  await form.getByLabel('Name', { exact: true }).fill(name);
  for (const permission of without) await form.getByLabel(permission).uncheck();
  await form.getByRole('button', { name: 'Create credentials' }).click();
  const panel = page.getByRole('region', { name: `Credentials created: “${name}”` });
  const clientId = (await panel.locator('#new-client-id').textContent()) ?? '';
  const secret = (await panel.locator('#new-client-secret').textContent()) ?? '';
  expect(clientId).toMatch(/^rp_[0-9a-f]{24}$/);
  return { clientId, secret };
}

/** The headers that sign an API request in as those credentials (a token from `/oauth/token`). */
export async function bearer(page: Page, clientId: string, secret: string) {
  const token = await page.request.post('/api/v1/oauth/token', { form: { grant_type: 'client_credentials', client_id: clientId, client_secret: secret } });
  expect(token.status()).toBe(200);
  return { authorization: `Bearer ${(await token.json()).access_token}` };
}

/** Every signed-in page besides the grid and the customer page (which tests open by clicking). */
export const PAGES = ['/customers/new', '/pbx-templates', '/users', '/billing', '/api-access', '/activity', '/account', '/outbox', '/webhooks'];

/** Opens `path` afresh and waits until it is hydrated and its heading shows. */
export async function openPage(page: Page, path: string) {
  await page.goto(path);
  await hydrated(page);
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
}

/**
 * The visible controls of the page that are out of reach: beyond the viewport's left or right
 * edge, or clipped by an ancestor that scrolls or hides its overflow. (Scrolling the page itself
 * up and down is fine; the page must not scroll sideways.)
 */
export async function outOfReach(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const problems: string[] = [];
    if (document.documentElement.scrollWidth > width + 1) {
      problems.push(`the page scrolls sideways (${document.documentElement.scrollWidth} px wide in ${width} px)`);
    }
    const controls = document.querySelectorAll<HTMLElement>('a[href], button, input, select, textarea, [role="menuitem"], [tabindex="0"]');
    for (const el of controls) {
      const rect = el.getBoundingClientRect();
      // Not shown (hidden, collapsed) or visually hidden until focused (the skip link).
      if (rect.width <= 1 || rect.height <= 1 || getComputedStyle(el).visibility === 'hidden') continue;
      if (el.closest('dialog:not([open])')) continue;
      // The skip link waits off-screen until it is focused (tested below).
      if (el.classList.contains('skip-link') && document.activeElement !== el) continue;
      const name = `${el.tagName.toLowerCase()} "${(el.getAttribute('aria-label') ?? el.textContent ?? (el as HTMLInputElement).name ?? '').trim().slice(0, 40)}"`;
      if (rect.left < -1 || rect.right > width + 1) {
        problems.push(`${name} at x ${Math.round(rect.left)}–${Math.round(rect.right)} (viewport ${width})`);
        continue;
      }
      for (let box = el.parentElement; box && box !== document.body; box = box.parentElement) {
        const style = getComputedStyle(box);
        if (style.overflowX === 'visible' && style.overflowY === 'visible') continue;
        const outer = box.getBoundingClientRect();
        const clippedX = style.overflowX !== 'visible' && (rect.left < outer.left - 1 || rect.right > outer.right + 1);
        const clippedY = style.overflowY !== 'visible' && (rect.top < outer.top - 1 || rect.bottom > outer.bottom + 1);
        if (clippedX || clippedY) {
          problems.push(`${name} is cut off by its ${box.tagName.toLowerCase()}.${box.className}`);
          break;
        }
      }
    }
    return problems;
  });
}
