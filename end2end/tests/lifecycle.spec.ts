import { expect, test, type Page } from '@playwright/test';
import { hydrated, startSignedIn } from './support';

let crashes: string[] = [];

test.beforeEach(async ({ page }) => {
  crashes = await startSignedIn(page, '/customers');
});

test.afterEach(() => {
  expect(crashes, 'no page errors or wasm panics').toEqual([]);
});

async function open(page: Page, name: string) {
  await page.getByRole('link', { name: `Edit ${name}` }).click();
  await expect(page).toHaveURL(/\/customers\/[0-9a-f-]{36}$/);
  await hydrated(page);
}

async function more(page: Page, item: string) {
  await page.getByRole('button', { name: 'More' }).click();
  await page.getByRole('menuitem', { name: item }).click();
}

function isoDay(offset: number): string {
  const d = new Date();
  d.setUTCDate(d.getUTCDate() + offset);
  return d.toISOString().slice(0, 10);
}

test('disable, re-enable, then schedule a termination and cancel it', async ({ page }) => {
  await open(page, 'Brightwater Dental');
  const heading = page.getByRole('heading', { level: 1 });

  // Disable, after confirming.
  await more(page, 'Disable');
  const dialog = page.getByRole('alertdialog', { name: 'Disable this customer?' });
  await expect(dialog).toContainText('still billed');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  await expect(heading).toContainText('Active');
  await more(page, 'Disable');
  await dialog.getByRole('button', { name: 'Disable customer' }).click();
  await expect(heading).toContainText('Disabled');
  await expect(page.getByText('This customer is disabled')).toBeVisible();

  // Re-enable from the top of the page.
  await page.getByRole('button', { name: 'Re-enable Customer' }).click();
  await expect(heading).toContainText('Active');
  await expect(page.getByRole('button', { name: 'Re-enable Customer' })).toHaveCount(0);

  // Terminate on a date: the name must be typed; a past day is refused beside the field.
  await more(page, 'Terminate on specific date');
  const terminate = page.getByRole('alertdialog', { name: 'Terminate this customer on a date?' });
  const confirmButton = terminate.getByRole('button', { name: 'Schedule termination' });
  await terminate.getByLabel('Termination date').fill('2020-01-01');
  await expect(confirmButton).toBeDisabled();
  await terminate.getByLabel('Type “Brightwater Dental” to confirm').fill('brightwater dental');
  await confirmButton.click();
  await expect(terminate.getByText(/Choose a day after today/)).toBeVisible();
  const day = isoDay(14);
  await terminate.getByLabel('Termination date').fill(day);
  await confirmButton.click();
  await expect(terminate).toBeHidden();
  await expect(page.getByText(`Scheduled to terminate on ${day}.`)).toBeVisible();
  await expect(heading).toContainText('Active');

  // The activity log tells the story.
  await page.getByRole('navigation', { name: 'Customer sections' }).getByRole('link', { name: 'Activity' }).click();
  await expect(page.locator('.activity')).toContainText(`Scheduled the termination for ${day}.`);
  await expect(page.locator('.activity')).toContainText('Re-enabled the customer.');

  await page.getByRole('button', { name: 'Cancel termination' }).click();
  await expect(page.getByText(`Scheduled to terminate on ${day}.`)).toHaveCount(0);
});

test('terminate now makes the customer read-only', async ({ page }) => {
  await open(page, 'Castle Hotels Group');
  await more(page, 'Terminate now');
  const terminate = page.getByRole('alertdialog', { name: 'Terminate this customer now?' });
  await terminate.getByLabel('Type “Castle Hotels Group” to confirm').fill('Castle Hotels Group');
  await terminate.getByRole('button', { name: 'Terminate customer' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Terminated');
  await expect(page.getByText(/This customer was terminated on \d{4}-\d{2}-\d{2}/)).toBeVisible();
  await expect(page.getByRole('button', { name: 'More' })).toHaveCount(0);
  await expect(page.getByLabel('Name', { exact: true })).toBeDisabled();
});

test('a trial ending soon is announced in the grid and can be extended', async ({ page }) => {
  await expect(page.getByText('1 trial ends within 7 days.')).toBeVisible();
  await expect(page.getByRole('row', { name: /Delta Insurance Brokers/ })).toContainText(/Trial ends (in \d days|tomorrow|today)/);
  await open(page, 'Delta Insurance Brokers');
  await expect(page.getByText(/On a trial until \d{4}-\d{2}-\d{2}/)).toBeVisible();
  await page.getByRole('button', { name: 'Extend trial' }).click();
  const until = page.getByLabel('New trial end');
  // Written as the portal writes dates; the hint names the latest day.
  await expect(until).toHaveAttribute('placeholder', 'YYYY-MM-DD');
  const hint = await page.locator('#trial-until-hint').innerText();
  const latest = hint.match(/at most (\d{4}-\d{2}-\d{2})/)?.[1] ?? null;
  expect(latest).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  await until.fill(latest!);
  await page.getByRole('button', { name: 'Save trial end' }).click();
  await expect(page.getByText(`On a trial until ${latest}`)).toBeVisible();
  await page.getByRole('button', { name: 'Convert to paid now' }).click();
  await expect(page.getByText(/On a trial until/)).toHaveCount(0);
});

test('the More menu and its dialog work by keyboard, and focus comes back to More', async ({ page }) => {
  await open(page, 'Fjord Shipping AS');
  const moreButton = page.getByRole('button', { name: 'More' });
  await moreButton.focus();
  await page.keyboard.press('Enter');
  const item = (name: string) => page.getByRole('menuitem', { name });
  await expect(item('Disable')).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await expect(item('Terminate now')).toBeFocused();
  await page.keyboard.press('End');
  await expect(item('Terminate on specific date')).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await expect(item('Disable')).toBeFocused();
  await page.keyboard.press('ArrowUp');
  await expect(item('Terminate on specific date')).toBeFocused();
  await page.keyboard.press('Home');
  await expect(item('Disable')).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(page.getByRole('menu')).toBeHidden();
  await expect(moreButton).toBeFocused();

  // ArrowDown opens it too; Enter chooses; Escape closes the dialog and focus returns.
  await page.keyboard.press('ArrowDown');
  await expect(item('Disable')).toBeFocused();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('alertdialog', { name: 'Disable this customer?' });
  await expect(dialog).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(moreButton).toBeFocused();
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Active');
});
