import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Locator, type Page } from '@playwright/test';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { hydrated, outOfReach, signIn, startSignedIn, watchForCrashes } from './support';

// The Webhooks page end to end: an endpoint pointing at a receiver started here (on 127.0.0.1,
// which the test server's egress policy allows by an operator exception, see
// playwright.config.ts) gets a customer change as a signed POST, checked with the Standard
// Webhooks reference library; its delivery log shows it; a test event, a resend, a rotated
// secret, disabling and deleting it all work from the page.

type Received = { headers: Record<string, string>; body: string; type: string };

/** An HTTP server on a free loopback port that answers 200 to everything and keeps the POSTs. */
async function startReceiver() {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      if (req.method === 'POST') {
        const headers: Record<string, string> = {};
        for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature', 'content-type']) {
          const value = req.headers[name];
          if (typeof value === 'string') headers[name] = value;
        }
        let type = '';
        try { type = JSON.parse(body).type; } catch { type = '(not JSON)'; }
        received.push({ headers, body, type });
      }
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/portal`,
    received,
    of: (type: string) => received.filter((r) => r.type === type),
    close: () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}

/** Whether `secret` verifies the delivery (the reference library throws otherwise). */
function verifies(secret: string, delivery: Received): boolean {
  try {
    new Webhook(secret).verify(delivery.body, delivery.headers);
    return true;
  } catch {
    return false;
  }
}

/** Clicks the log's Refresh until `row` says `text`. */
/** Adds an endpoint for `url` from the Webhooks page, dismisses its secret, returns its card. */
async function addEndpoint(page: Page, url: string, description?: string): Promise<Locator> {
  await page.getByRole('button', { name: 'Add endpoint' }).click();
  const editor = page.getByRole('region', { name: 'New endpoint' });
  await editor.getByLabel('URL', { exact: true }).fill(url);
  if (description) await editor.getByLabel('Description', { exact: true }).fill(description);
  await editor.getByRole('button', { name: 'Add endpoint' }).click();
  await page.getByRole('button', { name: 'I have stored the secret' }).click();
  return page.locator('li.webhook').filter({ hasText: url });
}

async function refreshUntil(log: Locator, row: Locator, text: string) {
  await expect(async () => {
    await log.getByRole('button', { name: /^Refresh/ }).click();
    await expect(row).toContainText(text, { timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
}

async function editAcmeNotes(page: Page, notes: string) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Customers' }).click();
  await hydrated(page);
  await page.getByRole('link', { name: 'Edit Acme Logistics' }).click();
  await expect(page).toHaveURL(/\/customers\/[0-9a-f-]{36}$/);
  await hydrated(page);
  await page.getByLabel('Notes').fill(notes);
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
}

test('add a webhook endpoint, receive signed events, read its log, resend, rotate, disable and delete it', async ({ page }) => {
  test.setTimeout(120_000);
  const receiver = await startReceiver();
  try {
    const crashes = await startSignedIn(page, '/customers');
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Webhooks' }).click();
    await expect(page).toHaveURL(/\/webhooks$/);
    await hydrated(page);
    await expect(page.getByRole('heading', { level: 1, name: 'Webhooks' })).toBeVisible();
    await expect(nav.getByRole('link', { name: 'Webhooks' })).toHaveAttribute('aria-current', 'page');

    // Nothing yet: the page says what webhooks are for and offers to add one.
    await expect(page.getByRole('heading', { name: 'No webhook endpoints yet' })).toBeVisible();
    await expect(page.getByText(/every delivery is signed/)).toBeVisible();
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const editor = page.getByRole('region', { name: 'New endpoint' });
    const url = editor.getByLabel('URL', { exact: true });
    await expect(url).toBeFocused();

    // Checked as typed, beside the field.
    await url.fill('ftp://x');
    await expect(editor.locator('#webhook-url-error')).toHaveText('The URL must start with https:// (or http://).');
    await expect(url).toHaveAttribute('aria-invalid', 'true');
    await url.fill(receiver.url);
    await expect(editor.locator('#webhook-url-error')).toHaveCount(0);
    await editor.getByLabel('Description', { exact: true }).fill('CRM sync');

    // "All events" off and nothing chosen is refused; two types chosen are fine.
    await editor.getByLabel('All events', { exact: true }).uncheck();
    await editor.getByRole('button', { name: 'Add endpoint' }).click();
    await expect(editor.locator('#webhook-events-error')).toHaveText('Choose at least one event type, or tick All events.');
    await expect(editor.getByRole('group', { name: 'Customers' })).toBeVisible();
    await editor.getByLabel('Customer details changed', { exact: true }).check();
    await editor.getByLabel('Customer created', { exact: true }).check();
    await expect(editor.locator('#webhook-events-error')).toHaveCount(0);
    await editor.getByRole('button', { name: 'Add endpoint' }).click();

    // The signing secret, this once, with how to check deliveries.
    const panel = page.getByRole('region', { name: `Endpoint added: ${receiver.url}` });
    await expect(panel).toBeVisible();
    await expect(panel.getByText('Copy it now: it is not shown again.')).toBeVisible();
    await expect(panel.getByRole('button', { name: 'Copy Signing secret' })).toBeVisible();
    for (const header of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) await expect(panel).toContainText(header);
    const secret = ((await panel.locator('#webhook-secret').textContent()) ?? '').trim();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    await expect(editor).toHaveCount(0);

    const card = page.locator('li.webhook').filter({ hasText: receiver.url });
    await expect(card.locator('.webhook-head .status')).toHaveText('Enabled');
    await expect(card).toContainText('CRM sync');
    await expect(card.locator('.event-tags li')).toHaveText(['Customer created', 'Customer details changed']);
    await expect(card).toContainText('No deliveries in the last day');

    // Once dismissed (or after a reload) the secret is gone for good.
    await panel.getByRole('button', { name: 'I have stored the secret' }).click();
    await expect(panel).toHaveCount(0);
    await page.reload();
    await hydrated(page);
    await expect(card).toBeVisible();
    await expect(page.locator('body')).not.toContainText(secret);

    // A subscribed event arrives, signed per Standard Webhooks.
    const notes = `Webhook check ${Date.now()}`;
    await editAcmeNotes(page, notes);
    await expect.poll(() => receiver.of('customer.updated').length, { timeout: 20_000 }).toBe(1);
    const first = receiver.of('customer.updated')[0];
    expect(first.headers['webhook-id']).toBeTruthy();
    expect(first.headers['webhook-timestamp']).toMatch(/^\d+$/);
    expect(first.headers['webhook-signature']).toMatch(/^v1,/);
    expect(first.headers['content-type']).toBe('application/json');
    expect(verifies(secret, first)).toBe(true);
    expect(verifies(secret, { ...first, body: first.body.replace('"customer.updated"', '"customer.created"') })).toBe(false);
    expect(first.body).toContain('Acme Logistics');
    // Nothing it did not subscribe to (its own creation, for one).
    expect(receiver.received.map((r) => r.type)).toEqual(['customer.updated']);

    // The delivery log shows it.
    await nav.getByRole('link', { name: 'Webhooks' }).click();
    await hydrated(page);
    await card.getByRole('button', { name: /^Show delivery log/ }).click();
    const log = card.getByRole('region', { name: `Delivery log of ${receiver.url}` });
    const updated = log.getByRole('row').filter({ hasText: 'Customer details changed' });
    await refreshUntil(log, updated, 'Delivered');
    await expect(updated.locator('td[data-label="Status code"]')).toHaveText('200');
    await expect(updated.locator('td[data-label="Attempts"]')).toHaveText('1');
    await expect(updated.locator('td[data-label="Response time"]')).toHaveText(/^\d+ ms$/);
    await expect(card.locator('.health')).toContainText('100 % delivered over the last day');

    // "Send test event" arrives too, and shows in the log.
    await card.getByRole('button', { name: /^Send test event/ }).click();
    await expect(card.getByText('Test event queued')).toBeVisible();
    await expect.poll(() => receiver.of('webhook_endpoint.test').length, { timeout: 20_000 }).toBe(1);
    expect(verifies(secret, receiver.of('webhook_endpoint.test')[0])).toBe(true);
    const testRow = log.getByRole('row').filter({ hasText: 'Test event' });
    await refreshUntil(log, testRow, 'Delivered');

    // "Resend" sends the same event again: same webhook-id, same body.
    await updated.getByRole('button', { name: /^Resend/ }).click();
    await expect(log.getByText('is being sent again, with the same webhook-id')).toBeVisible();
    await expect.poll(() => receiver.of('customer.updated').length, { timeout: 20_000 }).toBe(2);
    const again = receiver.of('customer.updated')[1];
    expect(again.headers['webhook-id']).toBe(first.headers['webhook-id']);
    expect(again.body).toBe(first.body);
    expect(verifies(secret, again)).toBe(true);
    await refreshUntil(log, updated, 'Delivered');

    // Editing: the saved change shows on the card.
    await card.getByRole('button', { name: /^Edit/ }).click();
    const edit = page.getByRole('region', { name: `Edit ${receiver.url}` });
    await expect(edit.getByLabel('URL', { exact: true })).toHaveValue(receiver.url);
    await expect(edit.getByLabel('Customer details changed', { exact: true })).toBeChecked();
    await edit.getByLabel('Description', { exact: true }).fill('CRM sync (production)');
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await expect(page.getByText(`Saved ${receiver.url}.`)).toBeVisible();
    await expect(card.locator('.webhook-description')).toHaveText('CRM sync (production)');

    // Rotating asks first, then shows the new secret once; the old one still signs for a day.
    await card.getByRole('button', { name: /^Rotate secret/ }).click();
    const rotate = page.getByRole('alertdialog', { name: 'Rotate the signing secret?' });
    await expect(rotate).toContainText('keeps signing too for 24 hours');
    await rotate.getByRole('button', { name: 'Cancel' }).click();
    await expect(rotate).toHaveCount(0);
    await card.getByRole('button', { name: /^Rotate secret/ }).click();
    await rotate.getByRole('button', { name: 'Rotate secret' }).click();
    const rotated = page.getByRole('region', { name: `New signing secret for ${receiver.url}` });
    await expect(rotated.getByText('Copy it now: it is not shown again.')).toBeVisible();
    const newSecret = ((await rotated.locator('#webhook-secret').textContent()) ?? '').trim();
    expect(newSecret).toMatch(/^whsec_/);
    expect(newSecret).not.toBe(secret);
    await expect(rotated).toContainText('The previous secret keeps signing too until');
    await expect(card).toContainText('Previous secret');
    // A delivery now carries both signatures: either secret verifies it.
    await card.getByRole('button', { name: /^Send test event/ }).click();
    await expect.poll(() => receiver.of('webhook_endpoint.test').length, { timeout: 20_000 }).toBe(2);
    const afterRotation = receiver.of('webhook_endpoint.test')[1];
    expect(verifies(newSecret, afterRotation)).toBe(true);
    expect(verifies(secret, afterRotation)).toBe(true);

    // Disabled: nothing to test or resend.
    await card.getByRole('button', { name: /^Disable/ }).click();
    await expect(card.locator('.webhook-head .status')).toHaveText('Disabled');
    await expect(card.getByText('Disabled: nothing is sent to it until you enable it again.')).toBeVisible();
    await expect(card.getByRole('button', { name: /^Send test event/ })).toHaveCount(0);
    await expect(log.getByRole('button', { name: /^Resend/ })).toHaveCount(0);
    await expect(card.getByRole('button', { name: /^Enable/ })).toBeVisible();

    // Deleting names the endpoint, says the log goes too, and leaves the empty page.
    await card.getByRole('button', { name: /^Delete/ }).click();
    const remove = page.getByRole('alertdialog', { name: 'Delete webhook endpoint?' });
    await expect(remove).toContainText(receiver.url);
    await expect(remove).toContainText('its delivery log is deleted too');
    await remove.getByRole('button', { name: 'Delete endpoint' }).click();
    await expect(page.getByText(`Deleted ${receiver.url} and its delivery log.`)).toBeVisible();
    await expect(page.getByRole('heading', { name: 'No webhook endpoints yet' })).toBeVisible();
    await expect(card).toHaveCount(0);
    expect(crashes).toEqual([]);
  } finally {
    await receiver.close();
  }
});

// The layout and accessibility specs see the page empty; this looks at its interesting parts:
// an endpoint with its delivery log open, the form with errors, and the dialogs.
test('with an endpoint, its delivery log and the form open, the page fits a phone and a desktop and passes axe', async ({ page }) => {
  test.setTimeout(120_000);
  const receiver = await startReceiver();
  try {
    const crashes = await startSignedIn(page, '/webhooks');
    const card = await addEndpoint(page, receiver.url, 'Layout check');
    await expect(card).toContainText('All events');
    await card.getByRole('button', { name: /^Send test event/ }).click();
    const log = card.getByRole('region', { name: `Delivery log of ${receiver.url}` });
    await refreshUntil(log, log.getByRole('row').filter({ hasText: 'Test event' }), 'Delivered');

    const scan = async (what: string) => {
      expect(await outOfReach(page), `${what}: every control within reach`).toEqual([]);
      const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
      expect(result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')})`), `${what}: axe`).toEqual([]);
    };
    for (const width of [390, 640, 1280]) {
      await page.setViewportSize({ width, height: 900 });
      for (const scheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme: scheme });
        await scan(`the list at ${width} px in ${scheme} mode`);
      }
      await page.emulateMedia({ colorScheme: 'light' });
    }

    // The form with errors beside its fields (the URL as typed, no type chosen).
    await card.getByRole('button', { name: /^Edit/ }).click();
    const edit = page.getByRole('region', { name: `Edit ${receiver.url}` });
    await edit.getByLabel('URL', { exact: true }).fill('ftp://x');
    await edit.getByLabel('All events', { exact: true }).uncheck();
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await expect(edit.locator('#webhook-events-error')).toBeVisible();
    await expect(edit.getByLabel('URL', { exact: true })).toBeFocused();
    for (const width of [390, 1280]) {
      await page.setViewportSize({ width, height: 900 });
      await scan(`the form at ${width} px`);
    }
    // Escape closes it, and nothing was saved.
    await page.keyboard.press('Escape');
    await expect(edit).toHaveCount(0);
    await expect(card.getByRole('button', { name: /^Edit/ })).toBeFocused();
    await expect(card).toContainText('All events');

    // The dialogs, at a phone's width.
    await page.setViewportSize({ width: 390, height: 844 });
    await card.getByRole('button', { name: /^Rotate secret/ }).click();
    await expect(page.getByRole('alertdialog', { name: 'Rotate the signing secret?' })).toBeVisible();
    await scan('the rotation dialog');
    await page.keyboard.press('Escape');
    await card.getByRole('button', { name: /^Delete/ }).click();
    const remove = page.getByRole('alertdialog', { name: 'Delete webhook endpoint?' });
    await scan('the deletion dialog');
    await remove.getByRole('button', { name: 'Delete endpoint' }).click();
    await expect(page.getByRole('heading', { name: 'No webhook endpoints yet' })).toBeVisible();
    expect(crashes).toEqual([]);
  } finally {
    await receiver.close();
  }
});

// An open delivery log re-reads the endpoints (for their health) whenever its rows change. Such
// a listing can be answered just before a change commits and arrive just after the change's own
// answer: here the listings are held back until then. The page must keep what the change did.
test('a listing that arrives after a disable or a delete does not bring the endpoint back as it was', async ({ page }) => {
  test.setTimeout(120_000);
  const receiver = await startReceiver();
  try {
    const crashes = await startSignedIn(page, '/webhooks');
    const card = await addEndpoint(page, receiver.url);
    const status = card.locator('.webhook-head .status');
    await expect(status).toHaveText('Enabled');

    // Each listing is answered by the server at once, and handed to the page only on release.
    let held: Array<() => Promise<void>> = [];
    let answered = 0;
    await page.route('**/api/list_webhooks*', async (route) => {
      const response = await route.fetch();
      const body = await response.body();
      answered += 1;
      await new Promise<void>((resolve) => held.push(async () => { await route.fulfill({ response, body }); resolve(); }));
    });
    const release = async () => {
      const now = held;
      held = [];
      for (const fulfil of now) await fulfil();
      // Let the page read what it was handed.
      await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 200))));
    };

    // A test event: the log opens, its rows change, and it asks for the endpoints.
    await card.getByRole('button', { name: /^Send test event/ }).click();
    await expect.poll(() => answered, { timeout: 20_000 }).toBeGreaterThan(0);
    await card.getByRole('button', { name: /^Disable/ }).click();
    await expect(status).toHaveText('Disabled');
    await release();
    await expect(status).toHaveText('Disabled');
    await expect(card.getByRole('button', { name: /^Enable/ })).toBeVisible();

    // The same for a delete: the endpoint stays gone.
    await card.getByRole('button', { name: /^Enable/ }).click();
    await expect(status).toHaveText('Enabled');
    const before = answered;
    await card.getByRole('button', { name: /^Send test event/ }).click();
    await expect.poll(() => answered, { timeout: 20_000 }).toBeGreaterThan(before);
    await card.getByRole('button', { name: /^Delete/ }).click();
    await page.getByRole('alertdialog', { name: 'Delete webhook endpoint?' }).getByRole('button', { name: 'Delete endpoint' }).click();
    await expect(page.getByRole('heading', { name: 'No webhook endpoints yet' })).toBeVisible();
    await release();
    await expect(page.getByRole('heading', { name: 'No webhook endpoints yet' })).toBeVisible();
    await expect(card).toHaveCount(0);
    await page.unroute('**/api/list_webhooks*');
    await release();
    expect(crashes).toEqual([]);
  } finally {
    await receiver.close();
  }
});

test('without Webhooks Administrator the navigation has no Webhooks, and its address says what is needed', async ({ page, browser }) => {
  const crashes = await startSignedIn(page, '/users');
  const email = `wes-${Date.now()}@demo-reseller.example`;
  await page.getByRole('button', { name: '+ New User' }).click();
  const editor = page.getByRole('region', { name: 'New user' });
  await editor.getByLabel('Display Name').fill('Wes Without-Webhooks');
  await editor.getByLabel('Email').fill(email);
  await editor.getByLabel('Customer Administrator').check();
  await expect(editor.getByLabel('Webhooks Administrator')).not.toBeChecked();
  await editor.getByRole('button', { name: 'Add user' }).click();
  await expect(page.getByText(`Wes Without-Webhooks was added; an activation email is on its way to ${email}.`)).toBeVisible();
  await page.goto('/outbox');
  await hydrated(page);
  // The outbox lists one email per row; Wes's holds the link.
  const text = (await page.getByRole('row').filter({ hasText: email }).first().textContent()) ?? '';
  const link = text.match(/https?:\/\/\S+\/activate\?token=[0-9a-f]{64}/)?.[0];
  expect(link, 'the activation link is in the email').toBeTruthy();

  const context = await browser.newContext();
  const wes = await context.newPage();
  const wesCrashes = watchForCrashes(wes);
  await wes.goto(new URL(link!).pathname + new URL(link!).search);
  await hydrated(wes);
  await expect(wes.getByText('Welcome, Wes Without-Webhooks.')).toBeVisible();
  await wes.getByLabel('New password', { exact: true }).fill('Lantern-Orbit-Quiche-47');
  await wes.getByLabel('Repeat the password').fill('Lantern-Orbit-Quiche-47');
  await wes.getByRole('button', { name: 'Set password' }).click();
  await expect(wes.getByText('Your password is set.')).toBeVisible();
  await wes.getByRole('link', { name: 'Sign in' }).click();
  await signIn(wes, email, 'Lantern-Orbit-Quiche-47');
  await expect(wes).toHaveURL(/\/customers$/);
  await hydrated(wes);
  const nav = wes.getByRole('navigation', { name: 'Main' });
  await expect(nav.getByRole('link', { name: 'Customers' })).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Webhooks' })).toHaveCount(0);

  await wes.goto('/webhooks');
  await hydrated(wes);
  await expect(wes.getByRole('heading', { level: 1, name: 'Webhooks' })).toBeVisible();
  await expect(wes.getByRole('alert').filter({ hasText: 'You need the Webhooks Administrator permission' })).toBeVisible();
  await expect(wes.getByRole('button', { name: 'Add endpoint' })).toHaveCount(0);
  expect(wesCrashes).toEqual([]);
  await context.close();
  expect(crashes).toEqual([]);
});
