import { expect, test, type Page } from '@playwright/test';
import * as fs from 'node:fs';
import { hydrated, startSignedIn } from './support';

let crashes: string[] = [];

test.beforeEach(async ({ page }) => {
  crashes = await startSignedIn(page, '/billing');
});

test.afterEach(() => {
  expect(crashes, 'no page errors or wasm panics').toEqual([]);
});

const CSV_HEADER = 'tenant_code,customer_name,product_type,part_number,quantity,days_in_period,from,to,unit_price,value';
const monthPicker = (page: Page) => page.getByLabel('Month');
const lines = (page: Page) => page.locator('table.billing-table tbody tr');

/** Picks the newest ended month (the previous month: the picker lists newest first). */
async function pickPreviousMonth(page: Page): Promise<string> {
  const picker = monthPicker(page);
  const previous = await picker.locator('option').first().getAttribute('value');
  expect(previous).toMatch(/^\d{4}-\d{2}$/);
  await picker.selectOption(previous!);
  await expect(picker).toHaveValue(previous!);
  return previous!;
}

test('run the previous month, see its lines and download them as CSV', async ({ page }) => {
  await expect(page.getByRole('heading', { level: 1, name: 'Billing' })).toBeVisible();
  await expect(monthPicker(page).locator('option')).toHaveCount(24);
  const period = await pickPreviousMonth(page);

  const run = page.getByRole('button', { name: 'Run billing' });
  await run.click();
  // Acme Logistics was created 40 days before the demo started: it is billed for that month.
  await expect(lines(page).filter({ hasText: 'Acme Logistics' })).toHaveCount(1);
  await expect(page.getByText(/^Run on .+ by Dana Demo\./)).toBeVisible();
  await expect(run).toBeEnabled();
  // At 1280 px every column fits, long tenant codes (a Tenant ID when there is no reference)
  // included: nothing scrolls sideways.
  await page.setViewportSize({ width: 1280, height: 900 });
  const table = page.locator('.billing-run .table-wrap');
  expect(await table.evaluate((e) => e.scrollWidth - e.clientWidth)).toBeLessThanOrEqual(0);

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download CSV' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe(`billing-demo-reseller-${period}.csv`);
  const text = fs.readFileSync(await download.path(), 'utf8');
  const [header, ...rows] = text.trimEnd().split('\n');
  expect(header).toBe(CSV_HEADER);
  expect(rows.some((r) => r.includes('Acme Logistics'))).toBe(true);
  expect(rows).toHaveLength(await lines(page).count());

  // The month is listed among the runs, and running it again changes nothing.
  const [year, month] = period.split('-').map(Number);
  const label = new Date(Date.UTC(year, month - 1, 15)).toLocaleString('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' });
  const listed = page.getByRole('link', { name: `Download ${label} as CSV` });
  await expect(listed).toHaveCount(1);
  const before = await lines(page).allInnerTexts();
  await run.click();
  await expect(run).toBeEnabled();
  expect(await lines(page).allInnerTexts()).toEqual(before);
  await expect(listed).toHaveCount(1);
});

test('a month not run yet says so, and the page fits a 390 px wide screen', async ({ page }) => {
  const picker = monthPicker(page);
  const oldest = await picker.locator('option').last().getAttribute('value');
  await picker.selectOption(oldest!);
  await expect(page.getByText('has not been run yet')).toBeVisible();
  await expect(page.getByRole('link', { name: 'Download CSV' })).toHaveCount(0);

  await page.setViewportSize({ width: 390, height: 844 });
  await pickPreviousMonth(page);
  await page.getByRole('button', { name: 'Run billing' }).click();
  await expect(lines(page).first()).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
});

test('the page hydrates cleanly however often it is opened directly', async ({ page }) => {
  // It once loaded with two server calls in one resource; the server's first, discarded render
  // could fail the second call and the browser then hydrated that answer (a wasm panic).
  for (let i = 0; i < 6; i++) {
    await page.goto('/billing');
    await hydrated(page);
    await expect(monthPicker(page)).toBeVisible();
  }
});
