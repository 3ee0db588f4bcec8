import { expect, test } from '@playwright/test';
import { DEMO_EMAIL, DEMO_PASSWORD, hydrated, signIn } from './support';

test('a signed-out visit goes to the sign-in page, then back to the page asked for', async ({ page }) => {
  await page.goto('/users');
  await expect(page).toHaveURL(/\/login\?next=\/users$/);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await signIn(page);
  await expect(page).toHaveURL(/^https?:\/\/[^/]+\/users$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Users' })).toBeVisible();
});

test('signing in shows the shell with the reseller, the navigation and the user', async ({ page }) => {
  await page.goto('/login');
  await signIn(page);
  await expect(page).toHaveURL(/^https?:\/\/[^/]+\/customers$/);
  const header = page.getByRole('banner');
  await expect(header.getByText('Demo Reseller')).toBeVisible();
  await expect(header.getByText('Dana Demo')).toBeVisible();
  const nav = page.getByRole('navigation', { name: 'Main' });
  for (const name of ['Customers', 'PBX Templates', 'Users', 'Billing', 'Activity', 'API Access']) {
    await expect(nav.getByRole('link', { name })).toBeVisible();
  }
  await expect(nav.getByRole('link', { name: 'Customers' })).toHaveAttribute('aria-current', 'page');
  await expect(page.getByRole('heading', { level: 1, name: 'Customers' })).toBeVisible();

  // Navigation after hydration happens in the browser, without a full reload.
  await hydrated(page);
  await nav.getByRole('link', { name: 'Billing' }).click();
  await expect(page).toHaveURL(/^https?:\/\/[^/]+\/billing$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Billing' })).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Billing' })).toHaveAttribute('aria-current', 'page');
});

test('signing out ends the session', async ({ page }) => {
  await page.goto('/login');
  await signIn(page);
  await expect(page).toHaveURL(/^https?:\/\/[^/]+\/customers$/);
  await hydrated(page);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto('/customers');
  await expect(page).toHaveURL(/\/login\?next=\/customers$/);
});

test('a wrong password is refused with one generic message', async ({ page }) => {
  await page.goto('/login?next=/billing');
  await signIn(page, DEMO_EMAIL, 'certainly-not-the-password');
  await expect(page.getByRole('alert')).toHaveText('The email or password is incorrect.');
  // Only the password is asked again: it has the focus, and says what is wrong with it.
  await hydrated(page);
  await expect(page.getByLabel('Email')).toHaveValue(DEMO_EMAIL);
  const password = page.getByLabel('Password');
  await expect(password).toHaveValue('');
  await expect(password).toBeFocused();
  await expect(password).toHaveAttribute('aria-invalid', 'true');
  await expect(password).toHaveAccessibleDescription('The email or password is incorrect.');
  // The refusal is not kept in the address: a reload is a fresh sign-in page, still going on
  // to the page asked for.
  await expect(page).toHaveURL(/\/login\?next=%2Fbilling$/);
  await page.reload();
  await hydrated(page);
  await expect(page.getByRole('alert')).toHaveCount(0);
  await expect(page.getByLabel('Password')).not.toHaveAttribute('aria-invalid', 'true');
  await signIn(page);
  await expect(page).toHaveURL(/^https?:\/\/[^/]+\/billing$/);
});

test('signing in works before the application\'s scripts have loaded', async ({ browser }) => {
  // The sign-in page is a plain form the browser posts: without any script it signs in, goes
  // to the page asked for, and shows a refusal.
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto('/login?next=/users');
  await page.getByLabel('Email').fill('nobody@nowhere.example');
  await page.getByLabel('Password').fill('certainly-not-the-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toHaveText('The email or password is incorrect.');
  await expect(page.getByLabel('Password'), 'the password is asked again').toBeFocused();
  await page.getByLabel('Email').fill(DEMO_EMAIL);
  await page.getByLabel('Password').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/^https?:\/\/[^/]+\/users$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Users' })).toBeVisible();
  await context.close();
});

test('the sign-in form works from the keyboard alone', async ({ page }) => {
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('Email').focus();
  await page.keyboard.type(DEMO_EMAIL);
  await page.keyboard.press('Tab');
  await page.keyboard.type('demo-password-2026');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/^https?:\/\/[^/]+\/customers$/);
});

test('unknown pages show a readable not-found page', async ({ page }) => {
  await page.goto('/login');
  await signIn(page);
  await expect(page).toHaveURL(/^https?:\/\/[^/]+\/customers$/);
  const res = await page.goto('/no-such-page');
  expect(res?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
});

test.describe('on a phone-sized screen', () => {
  test.use({ viewport: { width: 390, height: 844 } });

  test('the sign-in and the shell fit and work', async ({ page }) => {
    await page.goto('/login');
    await signIn(page);
    await expect(page).toHaveURL(/^https?:\/\/[^/]+\/customers$/);
    await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Customers' })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
  });
});
