import { expect, test, type Page } from '@playwright/test';
import { hydrated, startSignedIn } from './support';

let crashes: string[] = [];

test.beforeEach(async ({ page }) => {
  crashes = await startSignedIn(page, '/customers');
});

test.afterEach(() => {
  expect(crashes, 'no page errors or wasm panics').toEqual([]);
});

const sections = (page: Page) => page.getByRole('navigation', { name: 'Customer sections' });

test('a customer created on the simulator template gets its PBX users, live', async ({ page }) => {
  await page.goto('/customers/new');
  await hydrated(page);
  await page.getByLabel('Name', { exact: true }).fill('Northwind Trading');
  await page.getByLabel('Product Type').selectOption({ label: 'Call Analytics Essentials' });
  await page.getByLabel('Country').fill('United Kingdom (GB)');
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByLabel('Display Name').fill('Nia North');
  await page.getByLabel('Email', { exact: true }).fill('nia@northwind.example');
  await page.getByRole('button', { name: 'Next' }).click();
  // The demo's default template is the built-in Kazoo simulator; this is its top account.
  await expect(page.getByLabel('PBX Template')).toHaveValue(/.+/);
  await page.getByLabel('Account ID').fill('5a11a70000000000000000000000000a');
  await page.getByLabel('Auto provision sub accounts').check();
  await page.getByLabel('Give PBX agents the Agent add-on').check();
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByRole('button', { name: 'Create Customer' }).click();
  await expect(page).toHaveURL(/\/customers\/[0-9a-f-]{36}\?created=1$/);

  await sections(page).getByRole('link', { name: 'PBX' }).click();
  const state = page.getByTestId('sync-state');
  // The sync starts on its own and the tab follows it without a reload.
  await expect(state).toContainText('Synced at', { timeout: 20_000 });
  const counts = page.getByRole('definition');
  await expect(page.locator('.sync-counts')).toContainText('Found44');
  await expect(counts.nth(1)).toHaveText('44');
  await page.getByText('Recent runs').click();
  await expect(page.getByRole('row', { name: /Customer created\s+Succeeded/ })).toBeVisible();

  // "Sync now" runs again: nothing new, nothing duplicated.
  await page.getByRole('button', { name: 'Sync now' }).click();
  await expect(page.getByRole('row', { name: /Sync now\s+Succeeded/ })).toBeVisible({ timeout: 20_000 });
  await expect(page.locator('.sync-counts')).toContainText('Unchanged44');

  await sections(page).getByRole('link', { name: 'Users' }).click();
  await expect(page.getByRole('row', { name: /Ada Adams/ }).first()).toContainText('From PBX');
  await expect(page.locator('table.grid tbody tr')).toHaveCount(45);
  await expect(page.getByRole('navigation', { name: 'User pages' })).toContainText('1–45 of 45 users');
  // Searching narrows the list on the server as the user types.
  await page.getByLabel('Search users').fill('elena');
  await expect(page.locator('table.grid tbody tr')).toHaveCount(3);
  await expect(page.getByRole('navigation', { name: 'User pages' })).toContainText('1–3 of 3 matching users (45 in all)');
  await page.getByLabel('Search users').fill('');
  await expect(page.locator('table.grid tbody tr')).toHaveCount(45);
  // Agents got the Agent add-on (with the Essential licence it needs), but no invitation.
  const agent = page.getByRole('row', { name: /Grace Adams/ });
  await expect(agent).toContainText('Essential User, Agent add-on');
  const plain = page.getByRole('row', { name: /ben.adams@northwind-trading.example/ });
  await expect(plain).toContainText('No access');
  await expect(plain).toContainText('Not invited');

  // A removed PBX user is not imported again until someone asks for it.
  await plain.getByRole('button', { name: 'Remove' }).click();
  const confirm = page.getByRole('alertdialog', { name: 'Confirm removal' });
  await expect(confirm).toContainText('the PBX sync no longer imports them');
  await confirm.getByRole('button', { name: 'Remove user' }).click();
  await expect(page.getByText('Ben Adams was removed. The PBX sync no longer imports them.')).toBeVisible();
  const removed = page.getByRole('region', { name: 'Removed PBX users (1)' });
  await expect(removed.getByRole('row', { name: /Ben Adams/ })).toContainText('ben.adams@northwind-trading.example');
  await sections(page).getByRole('link', { name: 'PBX' }).click();
  await page.getByRole('button', { name: 'Sync now' }).click();
  await page.getByText('Recent runs').click();
  await expect(page.getByRole('row', { name: /Sync now\s+Succeeded/ })).toHaveCount(2, { timeout: 20_000 });
  await expect(page.locator('.sync-counts')).toContainText('Found43');
  await sections(page).getByRole('link', { name: 'Users' }).click();
  await expect(page.locator('table.grid tbody tr').filter({ hasText: 'ben.adams@northwind-trading.example' })).toHaveCount(1); // only in the removed list
  await removed.getByRole('button', { name: 'Import Ben Adams again' }).click();
  await expect(page.getByText('Ben Adams will be imported again at the next sync')).toBeVisible();
  await expect(removed).toHaveCount(0);
  await sections(page).getByRole('link', { name: 'PBX' }).click();
  await page.getByText('Recent runs').click();
  await expect(page.getByRole('row', { name: /Settings changed\s+Succeeded/ })).toBeVisible({ timeout: 20_000 });
  await sections(page).getByRole('link', { name: 'Users' }).click();
  await expect(page.getByRole('row', { name: /ben.adams@northwind-trading.example/ })).toContainText('From PBX');
});

test('a disabled connection says so and cannot sync', async ({ page }) => {
  await page.getByRole('link', { name: 'Edit Fjord Shipping AS' }).click();
  await expect(page).toHaveURL(/\/customers\/[0-9a-f-]{36}$/);
  await sections(page).getByRole('link', { name: 'PBX' }).click();
  await expect(page.getByTestId('sync-state')).toContainText('Connection disabled');
  await expect(page.getByRole('button', { name: 'Sync now' })).toBeDisabled();
});
