import { expect, test } from '@playwright/test';
import { hydrated, startSignedIn } from './support';

// When the server (or a proxy in front of it) fails, the user reads the product's words and a
// way forward, never a parser's message; when the application's scripts fail to load, the page
// says so instead of looking usable while doing nothing.

const DEVELOPER_WORDS = /deserializ|expected value|line 1 column|TypeError|server function/i;

test('a server that answers with a proxy\'s error page is reported in the product\'s words', async ({ page }) => {
  const crashes = await startSignedIn(page, '/customers');
  await page.route('**/api/list_customers*', (route) =>
    route.fulfill({ status: 502, contentType: 'text/html', body: '<html><body><h1>502 Bad Gateway</h1></body></html>' }));
  await page.getByLabel('Search').fill('acme');
  const alert = page.getByRole('alert').filter({ hasText: 'could not be reached or did not answer properly' });
  await expect(alert).toBeVisible();
  await expect(alert).toContainText('try again');
  await expect(alert).not.toContainText(DEVELOPER_WORDS);
  await expect(alert.getByRole('link', { name: 'Try again' })).toBeVisible();
  expect(crashes).toEqual([]);
});

test('a failed Save keeps the edits and says how to go on', async ({ page }) => {
  const crashes = await startSignedIn(page, '/customers');
  await page.getByRole('link', { name: 'Edit Evergreen Garden Centres' }).click();
  await hydrated(page);
  await page.route('**/api/update_customer*', (route) => route.fulfill({ status: 500, contentType: 'text/plain', body: 'Internal Server Error' }));
  await page.getByLabel('Reference').fill('EGC-500');
  await page.getByRole('button', { name: 'Save' }).click();
  const alert = page.getByRole('alert').filter({ hasText: 'Your changes are still here' });
  await expect(alert).toBeVisible();
  await expect(alert).not.toContainText(DEVELOPER_WORDS);
  await expect(page.getByLabel('Reference')).toHaveValue('EGC-500');
  // And once the server answers again, Save works.
  await page.unroute('**/api/update_customer*');
  page.on('dialog', (d) => void d.accept());
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
  expect(crashes).toEqual([]);
});

test('a bundle that fails to load shows a notice with Reload', async ({ page }) => {
  await page.route('**/*.wasm', (route) => route.abort());
  await page.goto('/login');
  const notice = page.getByRole('alert').filter({ hasText: 'This page could not finish loading' });
  await expect(notice).toBeVisible();
  await expect(notice.getByRole('button', { name: 'Reload' })).toBeFocused();
  // Reloading with the bundle back works.
  await page.unroute('**/*.wasm');
  await notice.getByRole('button', { name: 'Reload' }).click();
  await hydrated(page);
  await expect(page.getByText('This page could not finish loading')).toHaveCount(0);
});

test('a fault on the server shows its request id to quote', async ({ page }) => {
  const crashes = await startSignedIn(page, '/customers');
  // `AppError::Internal { request_id }` in the server functions' wire format (postcard): the
  // variant's index (the sixth, 5), then the string's length and its bytes.
  const requestId = Buffer.from('req-7f3a9c');
  await page.route('**/api/list_customers*', (route) =>
    route.fulfill({ status: 500, contentType: 'application/x-postcard', body: Buffer.concat([Buffer.from([5, requestId.length]), requestId]) }));
  await page.getByLabel('Search').fill('fault');
  const alert = page.getByRole('alert').filter({ hasText: 'Something went wrong on our side' });
  await expect(alert).toContainText('quote reference req-7f3a9c');
  await expect(alert.getByRole('link', { name: 'Try again' })).toBeVisible();
  expect(crashes).toEqual([]);
});
