import { expect, test } from '@playwright/test';
import { hydrated, signIn, startSignedIn, watchForCrashes } from './support';

test('add a user, who activates through the emailed link and signs in; then deactivate them', async ({ page, browser }) => {
  const crashes = await startSignedIn(page, '/users');
  await expect(page.getByRole('heading', { level: 1, name: 'Users' })).toBeVisible();
  await expect(page.getByRole('row', { name: /Dana Demo/ })).toContainText('You');

  await page.getByRole('button', { name: '+ New User' }).click();
  const editor = page.getByRole('region', { name: 'New user' });
  await editor.getByLabel('Display Name').fill('Erin Example');
  await editor.getByLabel('Email').fill('erin@demo-reseller.example');
  // Without Website Access the other permissions cannot be chosen.
  await editor.getByLabel('Website Access').uncheck();
  await expect(editor.getByLabel('Customer Administrator')).toBeDisabled();
  await editor.getByLabel('Website Access').check();
  await editor.getByLabel('Customer Administrator').check();
  await editor.getByRole('button', { name: 'Add user' }).click();
  await expect(page.getByText('Erin Example was added; an activation email is on its way to erin@demo-reseller.example.')).toBeVisible();
  const row = page.getByRole('row', { name: /Erin Example/ });
  await expect(row).toContainText('Activation pending');
  await expect(row).toContainText('Website Access, Customer Administrator');

  // The demo outbox shows the email; its link opens without signing in.
  await page.goto('/outbox');
  await hydrated(page);
  await expect(page.getByText('Activate your Reseller Portal account (Demo Reseller)')).toBeVisible();
  const text = (await page.locator('main').textContent()) ?? '';
  const link = text.match(/https?:\/\/\S+\/activate\?token=[0-9a-f]{64}/)?.[0];
  expect(link, 'the activation link is in the email').toBeTruthy();

  const context = await browser.newContext();
  const erin = await context.newPage();
  const erinCrashes = watchForCrashes(erin);
  await erin.goto(new URL(link!).pathname + new URL(link!).search);
  await hydrated(erin);
  await expect(erin.getByRole('heading', { name: 'Choose your password' })).toBeVisible();
  await expect(erin.getByText('Welcome, Erin Example.')).toBeVisible();
  await erin.getByLabel('New password', { exact: true }).fill('password1234');
  await erin.getByLabel('Repeat the password').fill('password1234');
  await erin.getByRole('button', { name: 'Set password' }).click();
  await expect(erin.getByText(/too easy to guess/)).toBeVisible();
  await erin.getByLabel('New password', { exact: true }).fill('Lantern-Orbit-Quiche-47');
  await erin.getByLabel('Repeat the password').fill('Lantern-Orbit-Quiche-47');
  await erin.getByRole('button', { name: 'Set password' }).click();
  await expect(erin.getByText('Your password is set.')).toBeVisible();
  await erin.getByRole('link', { name: 'Sign in' }).click();
  await signIn(erin, 'erin@demo-reseller.example', 'Lantern-Orbit-Quiche-47');
  await expect(erin).toHaveURL(/\/customers$/);
  expect(erinCrashes).toEqual([]);

  // Deactivated: after confirming, they are signed out at once.
  await page.goto('/users');
  await hydrated(page);
  await page.getByRole('row', { name: /Erin Example/ }).getByRole('button', { name: 'Deactivate' }).click();
  await page.getByRole('button', { name: 'Deactivate user' }).click();
  await expect(page.getByText('Erin Example was deactivated and signed out.')).toBeVisible();
  await expect(page.getByRole('row', { name: /Erin Example/ })).toContainText('Deactivated');
  await erin.goto('/customers');
  await expect(erin).toHaveURL(/\/login/);
  await context.close();
  expect(crashes).toEqual([]);
});
