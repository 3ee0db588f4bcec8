import { expect, test } from '@playwright/test';
import { bearer, createCredentials, hydrated, startSignedIn } from './support';

test('create API credentials, see the secret only once, then revoke them after confirming', async ({ page }) => {
  const crashes = await startSignedIn(page, '/api-access');
  await expect(page.getByRole('heading', { level: 1, name: 'API Access' })).toBeVisible();
  await expect(page.getByText('POST /api/v1/oauth/token')).toBeVisible();

  // The form opens on request, at its first field; Cancel closes it and focus returns.
  const open = page.getByRole('button', { name: '+ New Credentials' });
  await open.click();
  const form = page.getByRole('region', { name: 'New credentials' });
  await expect(form.getByLabel('Name', { exact: true })).toBeFocused();
  await form.getByRole('button', { name: 'Cancel' }).click();
  await expect(form).toHaveCount(0);
  await expect(open).toBeFocused();
  await open.click();

  // The name is required, beside its field.
  await form.getByRole('button', { name: 'Create credentials' }).click();
  await expect(form.getByText('Name is required.')).toBeVisible();

  const name = `Provisioning robot ${Date.now()}`;
  await form.getByLabel('Name', { exact: true }).fill(name);
  await form.getByRole('button', { name: 'Create credentials' }).click();
  const panel = page.getByRole('region', { name: `Credentials created: “${name}”` });
  await expect(panel).toBeVisible();
  await expect(panel.getByText('This secret is shown only now: store it safely.')).toBeVisible();
  const clientId = (await panel.locator('#new-client-id').textContent()) ?? '';
  const secret = (await panel.locator('#new-client-secret').textContent()) ?? '';
  expect(clientId).toMatch(/^rp_[0-9a-f]{24}$/);
  expect(secret).toMatch(/^[0-9a-f]{64}$/);
  await expect(panel.getByRole('button', { name: 'Copy Client Secret' })).toBeVisible();

  // The credentials work against the API at once, and the page links the API's description.
  const tokenResponse = await page.request.post('/api/v1/oauth/token', {
    form: { grant_type: 'client_credentials', client_id: clientId, client_secret: secret },
  });
  expect(tokenResponse.status()).toBe(200);
  const { access_token } = await tokenResponse.json();
  const listed = await page.request.get('/api/v1/customers?filter=acme', { headers: { authorization: `Bearer ${access_token}` } });
  expect(listed.status()).toBe(200);
  expect((await listed.json()).data.items[0].name).toBe('Acme Logistics');
  const reference = page.getByRole('link', { name: 'OpenAPI document' });
  const document = await page.request.get((await reference.getAttribute('href')) ?? '');
  expect((await document.json()).openapi).toBe('3.1.0');

  const row = page.getByRole('row', { name: new RegExp(name) }).first();
  await expect(row).toContainText(clientId);
  await expect(row).toContainText('Active');
  await expect(row).toContainText('Never');
  await expect(page.locator('table')).not.toContainText(secret);

  // A second set with the same name (in any case) is refused beside the field.
  await form.getByLabel('Name', { exact: true }).fill(name.toUpperCase());
  await form.getByRole('button', { name: 'Create credentials' }).click();
  await expect(form.getByText(/already exist/)).toBeVisible();

  // Once dismissed (or after a reload) the secret is gone for good.
  await panel.getByRole('button', { name: 'I have stored the secret' }).click();
  await expect(panel).toHaveCount(0);
  await page.reload();
  await hydrated(page);
  await expect(page.getByRole('row', { name: new RegExp(name) })).toContainText(clientId);
  await expect(page.locator('body')).not.toContainText(secret);

  // Revoking asks first; Cancel changes nothing.
  await page.getByRole('row', { name: new RegExp(name) }).first().getByRole('button', { name: /^Revoke/ }).click();
  const confirm = page.getByRole('alertdialog', { name: 'Confirm revocation' });
  await expect(confirm).toContainText('Systems using them stop working at once');
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  await expect(confirm).toHaveCount(0);
  await page.getByRole('row', { name: new RegExp(name) }).first().getByRole('button', { name: /^Revoke/ }).click();
  await page.getByRole('alertdialog', { name: 'Confirm revocation' }).getByRole('button', { name: 'Revoke credentials' }).click();
  await expect(page.getByText(`“${name}” was revoked: its tokens no longer work.`)).toBeVisible();
  const revoked = page.getByRole('row', { name: new RegExp(name) });
  await expect(revoked).toContainText('Revoked');
  await expect(revoked.getByRole('button', { name: /^Revoke/ })).toHaveCount(0);
  const afterRevoke = await page.request.get('/api/v1/customers', { headers: { authorization: `Bearer ${access_token}` } });
  expect(afterRevoke.status()).toBe(401);
  expect(crashes).toEqual([]);
});

test('credentials do only what they were given: provisioning-only credentials cannot read billing', async ({ page }) => {
  await startSignedIn(page, '/api-access');
  const name = `CRM ${Date.now()}`;
  const { clientId, secret } = await createCredentials(page, name, ['Billing Administrator']);
  const form = page.getByRole('region', { name: 'New credentials' });
  const row = page.getByRole('row', { name: new RegExp(name) }).first();
  await expect(row).toContainText('Customer Administrator');
  await expect(row).not.toContainText('Billing Administrator');
  // The Revoke button fits inside the table's frame at 1280 px (no sideways scrolling to reach it).
  const button = await row.getByRole('button', { name: /^Revoke/ }).boundingBox();
  const frame = await page.locator('.table-wrap').boundingBox();
  expect(button!.x + button!.width).toBeLessThanOrEqual(frame!.x + frame!.width);

  const auth = { headers: await bearer(page, clientId, secret) };
  expect((await page.request.get('/api/v1/customers', auth)).status()).toBe(200);
  expect((await page.request.get('/api/v1/billing', auth)).status()).toBe(403);

  // No permission at all: refused beside the choice, nothing created.
  await form.getByLabel('Name', { exact: true }).fill(`${name} 2`);
  await form.getByLabel('Customer Administrator').uncheck();
  await form.getByLabel('Billing Administrator').uncheck();
  await form.getByLabel('Webhooks Administrator').uncheck();
  await form.getByRole('button', { name: 'Create credentials' }).click();
  await expect(form.getByText(/Choose what the credentials may do/)).toBeVisible();
});
