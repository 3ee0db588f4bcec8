import { expect, test, type Page } from '@playwright/test';
import { bearer, createCredentials, hydrated, startSignedIn } from './support';

// The reseller's Activity page: every recorded change, filtered through the URL, with the
// customer page's Activity tab linking to it.

let crashes: string[] = [];

test.beforeEach(async ({ page }) => {
  crashes = await startSignedIn(page, '/customers');
});

test.afterEach(() => {
  expect(crashes, 'no page errors or wasm panics').toEqual([]);
});

const entries = (page: Page) => page.locator('ol.activity > li');
const field = (page: Page, label: string) => page.locator('.field').filter({ has: page.getByLabel(label, { exact: true }) });

async function apply(page: Page) {
  await page.getByRole('button', { name: 'Apply' }).click();
}

const filtersButton = (page: Page) => page.getByRole('button', { name: 'Filters', exact: true });
const chips = (page: Page) => page.getByRole('list', { name: 'Filters in force' }).getByRole('link');

/** Opens the filter form (it is closed when the page opens on a filter that can be applied). */
async function openFilters(page: Page) {
  await filtersButton(page).click();
  await expect(filtersButton(page)).toHaveAttribute('aria-expanded', 'true');
  await expect(page.getByLabel('Actor', { exact: true })).toBeFocused();
}

/** Edits Acme Logistics' notes (a change that records a "Customer details changed" event); returns its id. */
async function changeAcme(page: Page, notes: string): Promise<string> {
  await page.getByRole('link', { name: 'Edit Acme Logistics' }).click();
  await expect(page).toHaveURL(/\/customers\/[0-9a-f-]{36}$/);
  await hydrated(page);
  const id = page.url().match(/\/customers\/([0-9a-f-]{36})$/)![1];
  await page.getByLabel('Notes').fill(notes);
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
  return id;
}

test('the Activity page lists changes and filters them by type, customer, actor and day', async ({ page }) => {
  const id = await changeAcme(page, `Called about the renewal (${Date.now()}).`);

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Activity' }).click();
  await expect(page).toHaveURL(/\/activity$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Activity' })).toBeVisible();
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Activity' })).toHaveAttribute('aria-current', 'page');

  // The change is there, newest first, with its type, who made it and its customer's page.
  const newest = entries(page).first();
  await expect(newest).toHaveAttribute('data-event-type', 'customer.updated');
  await expect(newest.locator('.event-type')).toHaveText('Customer details changed');
  await expect(newest.locator('.actor')).toHaveText('Dana Demo');
  await expect(newest.locator('.summary')).toHaveText('Changed Notes.');
  await expect(newest.getByRole('link', { name: 'Acme Logistics' })).toHaveAttribute('href', `/customers/${id}`);
  // Unfiltered, the log holds other types too (the demo's template, its syncs).
  await expect(page.locator('ol.activity > li:not([data-event-type="customer.updated"])')).not.toHaveCount(0);
  // The page opens on the log: no filter is in force, and the form opens on request.
  await expect(chips(page)).toHaveCount(0);
  await expect(filtersButton(page)).toHaveAttribute('aria-expanded', 'false');
  await openFilters(page);

  // By event type: only that type, and the URL (and so Export CSV) says so.
  await page.getByLabel('Event type', { exact: true }).selectOption({ label: 'Customer details changed' });
  await apply(page);
  await expect(page).toHaveURL(/\/activity\?types=customer\.updated$/);
  await expect(page.locator('ol.activity > li:not([data-event-type="customer.updated"])')).toHaveCount(0);
  await expect(entries(page)).not.toHaveCount(0);
  await expect(page.getByRole('link', { name: 'Export CSV' })).toHaveAttribute('href', '/activity/export?types=customer.updated');
  await expect(chips(page)).toHaveText(['Event type: Customer details changed ×']);

  // By customer: only Acme's events.
  await page.getByLabel('Event type', { exact: true }).selectOption({ label: 'All event types' });
  await page.getByLabel('Customer', { exact: true }).fill(id);
  await apply(page);
  await expect(page).toHaveURL(new RegExp(`/activity\\?customer=${id}$`));
  await expect(entries(page)).not.toHaveCount(0);
  for (const entry of await entries(page).all()) {
    await expect(entry.locator('a.customer')).toHaveText('Acme Logistics');
  }

  // By actor (part of a name, any case), together with the customer.
  await page.getByLabel('Actor', { exact: true }).fill('dana');
  await apply(page);
  await expect(page).toHaveURL(new RegExp(`/activity\\?actor=dana&customer=${id}$`));
  await expect(chips(page)).toHaveText(['Actor: dana ×', `Customer: ${id} ×`]);
  await expect(page.getByRole('link', { name: 'Export CSV' })).toHaveAttribute('href', `/activity/export?actor=dana&customer=${id}`);
  await expect(entries(page)).not.toHaveCount(0);
  for (const entry of await entries(page).all()) {
    await expect(entry.locator('.actor')).toContainText('Dana');
  }
  await page.getByLabel('Actor', { exact: true }).fill('nobody at all');
  await apply(page);
  await expect(page.getByText('No activity matches these filters.')).toBeVisible();
  await expect(entries(page)).toHaveCount(0);

  // Back restores the previous filter, in the form and in the list.
  await page.goBack();
  await expect(page).toHaveURL(/actor=dana&/);
  await expect(page.getByLabel('Actor', { exact: true })).toHaveValue('dana');
  await expect(entries(page)).not.toHaveCount(0);

  // Each filter in force has a link that removes it (and only it); the form follows.
  await page.getByRole('link', { name: 'Remove filter Actor: dana' }).click();
  await expect(page).toHaveURL(new RegExp(`/activity\\?customer=${id}$`));
  await expect(page.getByLabel('Actor', { exact: true })).toHaveValue('');
  await expect(page.getByLabel('Customer', { exact: true })).toHaveValue(id);
  await expect(chips(page)).toHaveText([`Customer: ${id} ×`]);

  // Days: a range long ago has nothing; one that holds today has the change.
  await page.getByRole('button', { name: 'Clear', exact: true }).click();
  await expect(chips(page)).toHaveCount(0);
  await expect(page).toHaveURL(/\/activity$/);
  await expect(page.getByLabel('Actor', { exact: true })).toHaveValue('');
  await page.getByLabel('From', { exact: true }).fill('2000-01-01');
  await page.getByLabel('To', { exact: true }).fill('2000-12-31');
  await apply(page);
  await expect(page).toHaveURL(/\/activity\?from=2000-01-01&to=2000-12-31$/);
  await expect(page.getByText('No activity matches these filters.')).toBeVisible();
  await page.getByLabel('To', { exact: true }).fill('2999-12-31');
  await apply(page);
  await expect(entries(page).first()).toHaveAttribute('data-event-type', 'customer.updated');

  // An impossible date is named beside its field as it is typed, and nothing is applied.
  await page.getByLabel('From', { exact: true }).fill('2026-13-01');
  await expect(field(page, 'From').locator('.field-error')).toHaveText('Enter a date as YYYY-MM-DD.');
  await expect(page.getByLabel('From', { exact: true })).toHaveAttribute('aria-invalid', 'true');
  await apply(page);
  await expect(page).toHaveURL(/from=2000-01-01/);
  // The last day before the first, likewise.
  await page.getByLabel('From', { exact: true }).fill('2026-12-02');
  await page.getByLabel('To', { exact: true }).fill('2026-12-01');
  await expect(field(page, 'To').locator('.field-error')).toHaveText('The last day cannot come before the first.');
  await expect(field(page, 'From').locator('.field-error')).toHaveCount(0);
});

test('a filter in the URL fills the form, and one that cannot be applied says why', async ({ page }) => {
  await page.goto('/activity?types=customer.updated&from=2026-02-30');
  await hydrated(page);
  await expect(page.getByLabel('Event type', { exact: true })).toHaveValue('customer.updated');
  await expect(page.getByLabel('From', { exact: true })).toHaveValue('2026-02-30');
  await expect(field(page, 'From').locator('.field-error')).toHaveText('Enter a date as YYYY-MM-DD.');
  await expect(page.getByRole('alert').filter({ hasText: 'Correct the filters above' })).toBeVisible();
  await expect(filtersButton(page), 'a filter that cannot be applied opens the form by itself').toHaveAttribute('aria-expanded', 'true');
  await page.getByLabel('From', { exact: true }).fill('');
  await apply(page);
  await expect(page).toHaveURL(/\/activity\?types=customer\.updated$/);
  await expect(page.getByRole('alert').filter({ hasText: 'Correct the filters above' })).toHaveCount(0);
  await expect(page.getByLabel('Event type', { exact: true })).toHaveValue('customer.updated');
});

test("the customer page's Activity tab leads to the Activity page filtered by that customer", async ({ page }) => {
  const id = await changeAcme(page, `Renewal agreed (${Date.now()}).`);
  await page.getByRole('navigation', { name: 'Customer sections' }).getByRole('link', { name: 'Activity' }).click();
  await expect(page.locator('ol.activity > li').first()).toContainText('Changed Notes.');
  await page.getByRole('link', { name: 'All activity of this customer' }).click();
  await expect(page).toHaveURL(new RegExp(`/activity\\?customer=${id}$`));
  await expect(page.getByRole('heading', { level: 1, name: 'Activity' })).toBeVisible();
  await expect(chips(page)).toHaveText([`Customer: ${id} ×`]);
  await expect(entries(page).first().locator('a.customer')).toHaveText('Acme Logistics');
  for (const entry of await entries(page).all()) {
    await expect(entry.locator('a.customer')).toHaveAttribute('href', `/customers/${id}`);
  }
  await expect(page.getByRole('link', { name: 'Export CSV' })).toHaveAttribute('href', `/activity/export?customer=${id}`);
  // A reload keeps the filter.
  await page.reload();
  await hydrated(page);
  await expect(chips(page)).toHaveText([`Customer: ${id} ×`]);
  await expect(entries(page).first().locator('a.customer')).toHaveText('Acme Logistics');
  await openFilters(page);
  await expect(page.getByLabel('Customer', { exact: true })).toHaveValue(id);
  // "Clear all" leaves the log unfiltered.
  await page.getByRole('link', { name: 'Clear all' }).click();
  await expect(page).toHaveURL(/\/activity$/);
  await expect(chips(page)).toHaveCount(0);
  await expect(page.getByLabel('Customer', { exact: true })).toHaveValue('');
});

/**
 * Makes 55 changes to Acme through the API with credentials of their own, so the log filtered
 * by that actor holds exactly these (a page of the log is 50); returns the credentials' id.
 */
async function fiftyFiveApiChanges(page: Page): Promise<string> {
  await page.goto('/api-access');
  await hydrated(page);
  const name = `Log filler ${Date.now()}`;
  const { clientId, secret } = await createCredentials(page, name);
  const headers = await bearer(page, clientId, secret);
  const listed = await page.request.get('/api/v1/customers?filter=acme', { headers });
  const acme: string = (await listed.json()).data.items[0].id;
  for (let i = 1; i <= 55; i++) {
    const patched = await page.request.patch(`/api/v1/customers/${acme}`, { headers, data: { notes: `Note ${i} from ${name}.` } });
    expect(patched.status()).toBe(200);
  }
  return clientId;
}

test('"Show older" brings the next page of a long log below the first, until there is none left', async ({ page }) => {
  const clientId = await fiftyFiveApiChanges(page);
  await page.goto(`/activity?actor=${clientId}&types=customer.updated`);
  await hydrated(page);
  await expect(entries(page)).toHaveCount(50);
  const newest = await entries(page).first().textContent();
  const older = page.getByRole('button', { name: 'Show older' });
  await older.click();
  // The five oldest come below the first page (which stays as it was), once; nothing is left.
  await expect(entries(page)).toHaveCount(55);
  await expect(entries(page).first()).toHaveText(newest ?? '');
  await expect(older).toHaveCount(0);
  await expect(entries(page).locator('.actor')).toHaveText(Array(55).fill(`API client ${clientId}`));
});

test('an older page that arrives after the filter changed is not added to the new log', async ({ page }) => {
  await changeAcme(page, `Asked for a callback (${Date.now()}).`);
  const clientId = await fiftyFiveApiChanges(page);
  await page.goto(`/activity?actor=${clientId}&types=customer.updated`);
  await hydrated(page);
  await expect(entries(page)).toHaveCount(50);

  // The answer to "Show older" is held back until the log shows another filter.
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  let hold = true;
  await page.route('**/api/activity_page*', async (route) => {
    if (hold) {
      hold = false;
      await held;
    }
    await route.continue();
  });
  await page.getByRole('button', { name: 'Show older' }).click();
  await expect(page.getByRole('button', { name: 'Loading…' })).toBeDisabled();
  await openFilters(page);
  await page.getByLabel('Actor', { exact: true }).fill('dana');
  await apply(page);
  await expect(page).toHaveURL(/\/activity\?actor=dana&types=customer\.updated$/);
  await expect(entries(page).first().locator('.actor')).toHaveText('Dana Demo');
  const shown = await entries(page).count();

  const answered = page.waitForResponse((r) => r.url().includes('/api/activity_page'));
  release();
  await (await answered).finished();
  // Past the answer's handling in the page (a turn of its event loop after the body arrived).
  await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 200)));
  await expect(entries(page)).toHaveCount(shown);
  await expect(entries(page).locator('.actor')).toHaveText(Array(shown).fill('Dana Demo'));
  await expect(page.getByRole('button', { name: 'Loading…' })).toHaveCount(0);
});
