import { expect, test } from '@playwright/test';
import { hydrated, startSignedIn } from './support';

let crashes: string[] = [];

test.beforeEach(async ({ page }) => {
  crashes = await startSignedIn(page, '/customers');
});

test.afterEach(() => {
  expect(crashes, 'no page errors or wasm panics (e.g. a hydration mismatch)').toEqual([]);
});

const rows = (page: import('@playwright/test').Page) => page.locator('table.grid tbody tr');

test('the grid lists the reseller\'s customers sorted by name, with an Edit link each', async ({ page }) => {
  await expect(page.getByRole('heading', { level: 1, name: 'Customers' })).toBeVisible();
  await expect(page.getByRole('link', { name: '+ Create New Customer' })).toBeVisible();
  await expect(rows(page)).toHaveCount(8);
  await expect(rows(page).first()).toContainText('Acme Logistics');
  await expect(page.getByRole('columnheader', { name: 'Name' })).toHaveAttribute('aria-sort', 'ascending');
  await expect(page.getByRole('link', { name: 'Edit Acme Logistics' })).toHaveAttribute('href', /\/customers\/[0-9a-f-]{36}$/);
  await expect(page.getByText('Harbor Freight Brokers')).toHaveCount(0);
  // Countries show their ISO code, named in full on hover.
  await expect(rows(page).first().locator('abbr')).toHaveAttribute('title', 'United Kingdom');
});

test('typing in the search filters without a reload and the URL keeps the state', async ({ page }) => {
  await page.evaluate(() => ((window as any).__sameDocument = true));
  await page.getByLabel('Search').fill('dental');
  await expect(page).toHaveURL(/\/customers\?q=dental$/);
  await expect(rows(page)).toHaveCount(1);
  await expect(rows(page).first()).toContainText('Brightwater Dental');
  expect(await page.evaluate(() => (window as any).__sameDocument)).toBe(true);

  await page.reload();
  await hydrated(page);
  await expect(page.getByLabel('Search')).toHaveValue('dental');
  await expect(rows(page)).toHaveCount(1);
});

test('headers sort and reverse; the back button restores the previous order', async ({ page }) => {
  const name = page.getByRole('columnheader', { name: 'Name' });
  await name.getByRole('button').click();
  await expect(page).toHaveURL(/dir=desc/);
  await expect(name).toHaveAttribute('aria-sort', 'descending');
  await expect(rows(page).first()).toContainText('Granite Legal LLP');

  await page.getByRole('columnheader', { name: 'Country' }).getByRole('button').click();
  await expect(page).toHaveURL(/sort=country/);
  await expect(page.getByRole('columnheader', { name: 'Country' })).toHaveAttribute('aria-sort', 'ascending');

  await page.goBack();
  await expect(name).toHaveAttribute('aria-sort', 'descending');
  await expect(rows(page).first()).toContainText('Granite Legal LLP');
});

test('filters and the empty state', async ({ page }) => {
  await page.getByLabel('Status').selectOption('terminated');
  await expect(page).toHaveURL(/status=terminated/);
  await expect(rows(page)).toHaveCount(1);
  await expect(rows(page).first()).toContainText('Granite Legal LLP');

  await page.getByLabel('Search').fill('no such customer');
  await expect(page.getByRole('heading', { name: 'No customers match' })).toBeVisible();
  await page.getByRole('link', { name: 'Clear search and filters' }).click();
  await expect(rows(page)).toHaveCount(8);
});

test('Export CSV downloads the current view', async ({ page }) => {
  await page.getByLabel('Trial').selectOption('yes');
  await expect(rows(page)).toHaveCount(1);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export CSV' }).click()]);
  expect(download.suggestedFilename()).toMatch(/^customers-\d{4}-\d{2}-\d{2}\.csv$/);
  const text = require('node:fs').readFileSync(await download.path(), 'utf8');
  const lines = text.trim().split('\n');
  expect(lines[0]).toBe('Name,Date Created,Status,Reference,Product Type,Country,Trial End,In-house,Tenant ID');
  expect(lines).toHaveLength(2);
  expect(lines[1]).toContain('Delta Insurance Brokers');
});

test('the pager shows the total and the page size lives in the URL', async ({ page }) => {
  const pager = page.getByRole('navigation', { name: 'Pages' });
  await expect(pager).toContainText('1–8 of 8');
  await expect(pager).toContainText('Page 1 of 1');
  await page.getByLabel('Rows per page').selectOption('50');
  await expect(page).toHaveURL(/size=50/);
  await page.reload();
  await hydrated(page);
  await expect(page.getByLabel('Rows per page')).toHaveValue('50');
  // A page past the end says so and offers the way back.
  await page.goto('/customers?page=3');
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'No customers on this page' })).toBeVisible();
  await page.getByRole('link', { name: 'Go to page 1' }).click();
  await expect(page).toHaveURL(/^https?:\/\/[^/]+\/customers$/);
  await expect(page.locator('table.grid tbody tr')).toHaveCount(8);
});
