import { expect, test, type Page } from '@playwright/test';
import { hydrated, startSignedIn } from './support';

// Edits are not thrown away without a word: a link that leaves a form with unsaved changes
// (another tab of the customer page, another page) asks "Discard changes?" first, and leaving
// the site gets the browser's own warning. Saved or unchanged forms leave quietly.

// A customer no other test terminates.
const CUSTOMER = 'Demo Reseller (in-house)';

let crashes: string[] = [];

test.beforeEach(async ({ page }) => {
  crashes = await startSignedIn(page, '/customers');
  await page.getByRole('link', { name: `Edit ${CUSTOMER}` }).click();
  await expect(page).toHaveURL(/\/customers\/[0-9a-f-]{36}$/);
  await hydrated(page);
});

test.afterEach(() => {
  expect(crashes, 'no page errors or wasm panics').toEqual([]);
});

function tab(page: Page, name: string) {
  return page.getByRole('navigation', { name: 'Customer sections' }).getByRole('link', { name, exact: true });
}

test('switching tab with unsaved details asks first; staying keeps the typing', async ({ page }) => {
  const name = page.getByLabel('Name', { exact: true });
  await name.fill(`${CUSTOMER} (renamed)`);

  // Stay: the question is asked, nothing moves, the typing is still there.
  const questions: string[] = [];
  page.once('dialog', (d) => { questions.push(d.message()); void d.dismiss(); });
  await tab(page, 'Users').click();
  await expect.poll(() => questions).toEqual(['Discard changes? What you changed on this page has not been saved.']);
  await expect(tab(page, 'Details')).toHaveAttribute('aria-current', 'page');
  await expect(name).toHaveValue(`${CUSTOMER} (renamed)`);

  // Leave: the Users tab opens, and coming back shows the saved name.
  page.once('dialog', (d) => void d.accept());
  await tab(page, 'Users').click();
  await expect(tab(page, 'Users')).toHaveAttribute('aria-current', 'page');
  await tab(page, 'Details').click();
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue(CUSTOMER);
});

test('leaving for another page asks too; typing the saved value back, or saving, leaves quietly', async ({ page }) => {
  const name = page.getByLabel('Name', { exact: true });
  let asked = 0;
  page.on('dialog', (d) => { asked += 1; void d.dismiss(); });

  await name.fill('Demo Reseller');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'PBX Templates' }).click();
  await expect.poll(() => asked).toBe(1);
  await expect(page).toHaveURL(/\/customers\/[0-9a-f-]{36}$/);

  // Back to what was saved: nothing to lose, no question.
  await name.fill(CUSTOMER);
  await tab(page, 'PBX').click();
  await expect(tab(page, 'PBX')).toHaveAttribute('aria-current', 'page');
  await tab(page, 'Details').click();

  // Saved: no question either.
  await page.getByLabel('Reference').fill('INTERNAL-1');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
  await tab(page, 'Activity').click();
  await expect(tab(page, 'Activity')).toHaveAttribute('aria-current', 'page');
  expect(asked).toBe(1);
});

test('closing or reloading the page with unsaved changes gets the browser\'s warning', async ({ page }) => {
  await page.getByLabel('Reference').fill('unsaved');
  const kinds: string[] = [];
  page.on('dialog', (d) => { kinds.push(d.type()); void d.accept(); });
  await page.close({ runBeforeUnload: true });
  await expect.poll(() => kinds).toEqual(['beforeunload']);
});
