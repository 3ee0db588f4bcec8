import { expect, test, type Page } from '@playwright/test';
import { hydrated, openPage, outOfReach, PAGES, startSignedIn } from './support';

// Every action of every page is within reach on a phone (390 px), at 200 % zoom of a 1280 px
// window (a 640 px CSS viewport) and on a desktop (1280 px): no button, link or field sits
// beside the viewport, or behind a box's own sideways scroll, where a user does not see it.

const WIDTHS = [
  { name: 'phone', width: 390, height: 844 },
  { name: '200 % zoom', width: 640, height: 400 },
  { name: 'desktop', width: 1280, height: 800 },
];

async function expectInReach(page: Page, what: string) {
  expect(await outOfReach(page), `${what}: every control within reach`).toEqual([]);
}

for (const size of WIDTHS) {
  test.describe(`at ${size.width} px (${size.name})`, () => {
    test.use({ viewport: { width: size.width, height: size.height } });

    test('the grid, the lists and the editors keep every action within reach', async ({ page }) => {
      const crashes = await startSignedIn(page, '/customers');
      await expectInReach(page, '/customers');
      for (const path of PAGES) {
        await openPage(page, path);
        await expectInReach(page, path);
      }
      expect(crashes).toEqual([]);
    });

    test('the customer page keeps its tabs and the More menu within reach', async ({ page }) => {
      const crashes = await startSignedIn(page, '/customers');
      await page.getByRole('link', { name: 'Acme Logistics', exact: true }).click();
      await expect(page).toHaveURL(/\/customers\/[0-9a-f-]{36}$/);
      await hydrated(page);
      await expectInReach(page, 'Details');
      await page.getByRole('button', { name: 'More' }).click();
      await expect(page.getByRole('menuitem', { name: 'Terminate now' })).toBeVisible();
      await expectInReach(page, 'the More menu');
      await page.keyboard.press('Escape');
      for (const tab of ['Users', 'PBX', 'Activity']) {
        const link = page.getByRole('navigation', { name: 'Customer sections' }).getByRole('link', { name: tab, exact: true });
        await link.click();
        await expect(link).toHaveAttribute('aria-current', 'page');
        await page.waitForLoadState('networkidle');
        await expectInReach(page, `the ${tab} tab`);
      }
      // The inline confirmation of a removal, too.
      await page.getByRole('navigation', { name: 'Customer sections' }).getByRole('link', { name: 'Users', exact: true }).click();
      await page.getByRole('button', { name: 'Remove', exact: true }).first().click();
      await expectInReach(page, 'the removal confirmation');
      expect(crashes).toEqual([]);
    });
  });
}

test('"Skip to content" shows when focused and moves focus into the page', async ({ page }) => {
  const crashes = await startSignedIn(page, '/customers');
  // A page opened afresh: the first Tab reaches the skip link.
  await page.reload();
  await hydrated(page);
  await page.keyboard.press('Tab');
  const skip = page.getByRole('link', { name: 'Skip to content' });
  await expect(skip).toBeFocused();
  expect(await outOfReach(page)).toEqual([]);
  await page.keyboard.press('Enter');
  await expect(page.locator('main#main')).toBeFocused();
  // The next Tab lands inside the page, not back in the header.
  await page.keyboard.press('Tab');
  expect(await page.evaluate(() => document.querySelector('main')!.contains(document.activeElement))).toBe(true);
  expect(crashes).toEqual([]);
});

test('on a phone the grid sorts from its "Sort by" field and names open their customer', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  const crashes = await startSignedIn(page, '/customers');
  await page.getByLabel('Sort by').selectOption({ label: 'Name (Z to A)' });
  await expect(page).toHaveURL(/dir=desc/);
  const first = page.locator('tbody tr').first().getByRole('link').first();
  await expect(first).toHaveText('Granite Legal LLP');
  await first.click();
  await expect(page).toHaveURL(/\/customers\/[0-9a-f-]{36}$/);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Granite Legal LLP');
  expect(crashes).toEqual([]);
});
