import { expect, test } from '@playwright/test';
import { hydrated, startSignedIn } from './support';

// The customer's Users tab puts its administrators first (not buried among dozens of users
// imported from the PBX without access), filters by access, licence and invitation state, and
// sorts by its column headers.

test('administrators first, then filters and sorting', async ({ page }) => {
  const crashes = await startSignedIn(page, '/customers');
  await page.getByRole('link', { name: 'Edit Acme Logistics' }).click();
  await hydrated(page);
  await page.getByRole('navigation', { name: 'Customer sections' }).getByRole('link', { name: 'Users', exact: true }).click();
  const rows = page.locator('.customer-users-table tbody tr');
  await expect(rows.first()).toContainText('User Administrator');

  await page.getByLabel('Access').selectOption({ label: 'No access' });
  await expect(page.locator('.pager-count')).toContainText('matching users');
  for (const text of await rows.locator('td[data-label="Roles"]').allInnerTexts()) expect(text).toBe('No access');

  await page.getByLabel('Access').selectOption({ label: 'User Administrators' });
  await expect(rows).toHaveCount(1);
  await page.getByLabel('Access').selectOption({ label: 'Anyone' });
  await page.getByLabel('Licence').selectOption({ label: 'Supervisor access' });
  await expect(rows.first()).toContainText('Supervisor');
  await page.getByLabel('Licence').selectOption({ label: 'Any licence' });

  const nameHeader = page.getByRole('columnheader', { name: 'Name' });
  await nameHeader.getByRole('button').click();
  await expect(nameHeader).toHaveAttribute('aria-sort', 'ascending');
  await nameHeader.getByRole('button').click();
  await expect(nameHeader).toHaveAttribute('aria-sort', 'descending');
  const names = await rows.locator('td.name').allInnerTexts();
  expect(names.length).toBeGreaterThan(2);
  const keys = names.map((n) => n.replace('From PBX', '').trim());
  expect(keys).toEqual([...keys].sort((a, b) => b.localeCompare(a)));
  expect(crashes).toEqual([]);
});
