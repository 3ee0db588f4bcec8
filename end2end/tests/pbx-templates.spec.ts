import { expect, test, type Page } from '@playwright/test';
import { hydrated, signIn } from './support';

test.beforeEach(async ({ page }) => {
  await page.goto('/login?next=/pbx-templates');
  await signIn(page);
  await expect(page).toHaveURL(/^https?:\/\/[^/]+\/pbx-templates$/);
  await hydrated(page);
});

const row = (page: Page, name: string) => page.locator('table.templates-table tbody tr').filter({ hasText: name });
// Labels of required fields end in an asterisk that assistive technology does not read.
const field = (page: Page, label: string) =>
  page.getByLabel(new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}( \\*)?$`));

test('create a Kazoo template, see it as the default, edit it and delete it', async ({ page }) => {
  await expect(page.getByRole('heading', { level: 1, name: 'PBX Templates' })).toBeVisible();
  await page.getByRole('button', { name: '+ New Template' }).first().click();

  const editor = page.getByRole('region', { name: 'New PBX Template' });
  await expect(editor).toBeVisible();
  await expect(field(page, 'Name')).toBeFocused();
  await field(page, 'Name').fill('E2E Kazoo');
  await expect(field(page, 'Type')).toHaveValue('kazoo');
  await field(page, 'REST API URL').fill('https://kazoo.example.com:8443/v2');
  await field(page, 'WebSocket URL').fill('wss://kazoo.example.com:5443');
  await expect(field(page, 'API Key')).toHaveAttribute('type', 'password');
  await field(page, 'API Key').fill('e2e-master-key');
  await field(page, 'Default').check();
  await editor.getByRole('button', { name: 'Create Template' }).click();

  await expect(page.getByRole('status').filter({ hasText: 'Created “E2E Kazoo”.' })).toBeVisible();
  await expect(editor).toHaveCount(0);
  const created = row(page, 'E2E Kazoo');
  await expect(created).toHaveCount(1);
  await expect(created).toContainText('Kazoo');
  await expect(created).toContainText('https://kazoo.example.com:8443/v2');
  await expect(created.locator('.default-tag')).toHaveText('Default');
  await expect(page.getByText('e2e-master-key')).toHaveCount(0);

  // Edit: the secret is empty and may stay so.
  await page.getByRole('button', { name: 'Edit E2E Kazoo' }).click();
  const edit = page.getByRole('region', { name: 'Edit “E2E Kazoo”' });
  await expect(edit).toBeVisible();
  await expect(field(page, 'Name')).toHaveValue('E2E Kazoo');
  await expect(field(page, 'API Key')).toHaveValue('');
  await expect(edit.getByText('Leave empty to keep the stored key')).toBeVisible();
  await field(page, 'Name').fill('E2E Kazoo EU');
  await field(page, 'REST API URL').fill('https://eu.kazoo.example.com/v2');
  // A new address: the stored key is not kept for it unless entered again, and the form says so.
  await expect(edit.getByText('The address changed: enter the key again')).toBeVisible();
  await edit.getByRole('button', { name: 'Save Changes' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Saved “E2E Kazoo EU”.' })).toBeVisible();
  await expect(row(page, 'E2E Kazoo EU')).toContainText('https://eu.kazoo.example.com/v2');
  await expect(row(page, 'E2E Kazoo EU')).toContainText('No API key stored');
  await expect(row(page, 'E2E Kazoo EU').locator('.default-tag')).toHaveText('Default');

  // Delete asks first; Cancel keeps it.
  await page.getByRole('button', { name: 'Delete E2E Kazoo EU' }).click();
  const dialog = page.getByRole('alertdialog', { name: 'Delete PBX template?' });
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText('“E2E Kazoo EU” will be deleted');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  await expect(row(page, 'E2E Kazoo EU')).toHaveCount(1);

  await page.getByRole('button', { name: 'Delete E2E Kazoo EU' }).click();
  await dialog.getByRole('button', { name: 'Delete' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole('status').filter({ hasText: 'Deleted “E2E Kazoo EU”.' })).toBeVisible();
  await expect(row(page, 'E2E Kazoo EU')).toHaveCount(0);

  // Give the demo data its default back, for the tests that follow.
  await page.getByRole('button', { name: 'Edit Kazoo Simulator (demo)' }).click();
  await field(page, 'Default').check();
  await page.getByRole('button', { name: 'Save Changes' }).click();
  await expect(row(page, 'Kazoo Simulator (demo)').locator('.default-tag')).toHaveText('Default');
});

test('a template customers use cannot be deleted: the dialog says why', async ({ page }) => {
  const demo = row(page, 'Kazoo Simulator (demo)');
  await expect(demo).toHaveCount(1);
  const used = Number(await demo.locator('td[data-label="Customers"]').innerText());
  expect(used).toBeGreaterThan(0);
  await page.getByRole('button', { name: 'Delete Kazoo Simulator (demo)' }).click();
  const dialog = page.getByRole('alertdialog', { name: 'Delete PBX template?' });
  // Said before anyone tries: no Delete button, only Close.
  const whom = used === 1 ? '1 customer' : `${used} customers`;
  await expect(dialog).toContainText(`“Kazoo Simulator (demo)” is used by ${whom} and cannot be deleted. Move them to another template first.`);
  await expect(dialog.getByRole('button', { name: 'Delete' })).toHaveCount(0);
  await expect(dialog.getByRole('button', { name: 'Close' })).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(demo).toHaveCount(1);
  // Focus is back on the button that opened the dialog.
  await expect(page.getByRole('button', { name: 'Delete Kazoo Simulator (demo)' })).toBeFocused();
});

test('fields are checked while typing, and the type decides which fields are asked for', async ({ page }) => {
  await page.getByRole('button', { name: '+ New Template' }).first().click();
  const url = field(page, 'REST API URL');
  await url.fill('kazoo.example.com');
  const error = page.locator('#template-api-url-error');
  await expect(error).toHaveText('REST API URL must start with https:// (or http://).');
  await expect(url).toHaveAttribute('aria-invalid', 'true');
  await expect(url).toHaveAttribute('aria-describedby', /template-api-url-error/);
  await url.fill('https://kazoo.example.com');
  await expect(error).toHaveCount(0);
  await expect(url).toHaveAttribute('aria-invalid', 'false');

  // Submitting shows every remaining problem and focuses the first.
  await page.getByRole('button', { name: 'Create Template' }).click();
  await expect(page.locator('#template-name-error')).toHaveText('Name is required.');
  await expect(page.locator('#template-secret-error')).toHaveText('API Key is required.');
  await expect(field(page, 'Name')).toBeFocused();

  await field(page, 'Type').selectOption({ label: 'Microsoft Teams' });
  await expect(field(page, 'REST API URL')).toHaveCount(0);
  await expect(field(page, 'Directory Tenant ID')).toBeVisible();
  await expect(field(page, 'Client ID')).toBeVisible();
  await expect(field(page, 'Client Secret')).toHaveAttribute('type', 'password');
  await field(page, 'Directory Tenant ID').fill('not-a-guid');
  await expect(page.locator('#template-directory-tenant-id-error')).toContainText('GUID');

  await field(page, 'Type').selectOption({ label: '3CX' });
  await expect(field(page, 'Server URL')).toBeVisible();

  // Escape closes the form without saving.
  await field(page, 'Server URL').press('Escape');
  await expect(page.getByRole('region', { name: 'New PBX Template' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: '+ New Template' }).first()).toBeFocused();
});

test('a duplicate name is reported beside the field', async ({ page }) => {
  const create = async (name: string) => {
    await page.getByRole('button', { name: '+ New Template' }).first().click();
    await field(page, 'Name').fill(name);
    await field(page, 'Type').selectOption({ label: '3CX' });
    await field(page, 'Server URL').fill('https://pbx.example.com:5001');
    await field(page, 'Client ID').fill('portal');
    await field(page, 'Client Secret').fill('3cx-secret');
    await page.getByRole('button', { name: 'Create Template' }).click();
  };
  await create('E2E 3CX');
  await expect(row(page, 'E2E 3CX')).toHaveCount(1);
  await create('e2e 3cx');
  await expect(page.locator('#template-name-error')).toHaveText('A template named “e2e 3cx” already exists.');
  await expect(page.getByRole('alert').filter({ hasText: 'Please correct the highlighted fields.' })).toBeVisible();
  await expect(field(page, 'Name')).toBeFocused();
  await page.getByRole('button', { name: 'Cancel' }).click();

  await page.getByRole('button', { name: 'Delete E2E 3CX' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
  await expect(row(page, 'E2E 3CX')).toHaveCount(0);
});

test('the page works on a 390 px wide screen', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByRole('button', { name: '+ New Template' }).first().click();
  await expect(field(page, 'Name')).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await page.getByRole('button', { name: 'Cancel' }).click();
});

test('a reseller without templates sees the empty state and can start from it', async ({ page }) => {
  // Sign out through the UI: clearing cookies raced the first sign-in's navigation.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login/);
  await page.goto('/login?next=/pbx-templates');
  await signIn(page, 'admin@northwind.example');
  await expect(page).toHaveURL(/^https?:\/\/[^/]+\/pbx-templates$/);
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'No PBX templates yet' })).toBeVisible();
  await expect(page.getByText('Kazoo Simulator (demo)')).toHaveCount(0);

  await page.locator('.empty-state').getByRole('button', { name: '+ New Template' }).click();
  await expect(page.getByRole('heading', { name: 'No PBX templates yet' })).toBeHidden();
  await field(page, 'Name').fill('Northwind Teams');
  await field(page, 'Type').selectOption({ label: 'Microsoft Teams' });
  await field(page, 'Directory Tenant ID').fill('72f988bf-86f1-41af-91ab-2d7cd011db47');
  await field(page, 'Client ID').fill('portal-app');
  await field(page, 'Client Secret').fill('teams-secret');
  await page.keyboard.press('Enter');
  await expect(row(page, 'Northwind Teams')).toContainText('Microsoft Graph');

  await page.getByRole('button', { name: 'Delete Northwind Teams' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
  await expect(page.getByRole('heading', { name: 'No PBX templates yet' })).toBeVisible();
});
