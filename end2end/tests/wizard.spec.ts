import { expect, test, type Page } from '@playwright/test';
import { hydrated, startSignedIn, watchForCrashes } from './support';

let crashes: string[] = [];

test.beforeEach(async ({ page }) => {
  crashes = await startSignedIn(page, '/customers');
});

test.afterEach(() => {
  expect(crashes, 'no page errors or wasm panics').toEqual([]);
});

const heading = (page: Page, name: string) => page.getByRole('heading', { level: 2, name });

async function chooseTemplate(page: Page, prefix: string) {
  const select = page.getByLabel('PBX Template');
  const labels = await select.locator('option').allTextContents();
  const label = labels.find((l) => l.startsWith(prefix));
  expect(label, `a template starting with ${prefix}`).toBeTruthy();
  await select.selectOption({ label: label! });
}

test('create a customer through all four steps, with trial and in-house; the draft survives a reload', async ({ page }) => {
  await page.getByRole('link', { name: '+ Create New Customer' }).click();
  await expect(page).toHaveURL(/\/customers\/new$/);
  await hydrated(page);
  const steps = page.getByRole('list', { name: 'Steps' });
  for (const step of ['Customer Details', 'Primary User', 'PBX Details', 'Role Assignment']) {
    await expect(steps).toContainText(step);
  }

  // "Next" is refused with the problems beside the fields.
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.getByText('Name is required.')).toBeVisible();
  await expect(page.getByText('Choose a product type.')).toBeVisible();
  await expect(page.getByLabel('Name', { exact: true })).toBeFocused();
  await expect(heading(page, 'Customer Details')).toBeVisible();
  // Only the current step shows.
  await expect(page.getByLabel('Display Name')).toBeHidden();
  await expect(page.getByRole('button', { name: 'Back' })).toBeHidden();

  // Checked as typed, by the server's rules.
  await page.getByLabel('Name', { exact: true }).fill('x'.repeat(101));
  await expect(page.getByText('Name can be at most 100 characters (now 101).')).toBeVisible();
  await page.getByLabel('Name', { exact: true }).fill('acme logistics');
  await page.getByLabel('Product Type').selectOption({ label: 'Call Analytics Essentials' });
  await page.getByLabel('Reference').fill('ZEP-2026');
  await page.getByLabel('Country').fill('Germany (DE)');
  await expect(page.getByText('Time zone Europe/Berlin · numbers written 1.234,56')).toBeVisible();
  await page.getByLabel('Notes').fill('Signed at the Berlin fair.');
  await page.getByLabel('Enable Trial Period').check();
  const trialEnd = page.getByLabel('Trial Expiration Date');
  await expect(trialEnd).toBeVisible();
  const latest = await trialEnd.inputValue();
  expect(latest).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  await page.getByLabel('In-house System').check();

  // The name is checked for uniqueness before going on.
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.getByText('A customer named “acme logistics” already exists.')).toBeVisible();
  await page.getByLabel('Name', { exact: true }).fill('Zephyr Analytics GmbH');
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(heading(page, 'Primary User')).toBeVisible();

  await page.getByLabel('Display Name').fill('Zoë Zimmermann');
  await page.getByLabel('Email', { exact: true }).fill('zoe@zephyr');
  await expect(page.getByText('Enter an email address like name@example.com.')).toBeVisible();
  await page.getByLabel('Email', { exact: true }).fill('zoe@zephyr.example');

  // A reload keeps the step and everything typed.
  await page.reload();
  await hydrated(page);
  await expect(heading(page, 'Primary User')).toBeVisible();
  await expect(page.getByLabel('Email', { exact: true })).toHaveValue('zoe@zephyr.example');
  await page.getByRole('button', { name: 'Back' }).click();
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue('Zephyr Analytics GmbH');
  await expect(page.getByLabel('Enable Trial Period')).toBeChecked();
  await expect(page.getByLabel('In-house System')).toBeChecked();
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByRole('button', { name: 'Next' }).click();

  await expect(heading(page, 'PBX Details')).toBeVisible();
  await chooseTemplate(page, 'Kazoo Simulator (demo)');
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.getByText('Account ID is required.')).toBeVisible();
  await page.getByLabel('Account ID').fill('0123456789abcdef0123456789abcdef');
  await page.getByLabel('Auto provision sub accounts').check();
  await page.getByRole('button', { name: 'Next' }).click();

  await expect(heading(page, 'Role Assignment')).toBeVisible();
  await expect(page.getByLabel('User Administrator')).toBeChecked();
  await expect(page.getByLabel('User Administrator')).toBeDisabled();
  await page.getByLabel('Essential User').uncheck();
  await page.getByLabel('Agent add-on', { exact: true }).check();
  await expect(page.getByLabel('Essential User')).toBeChecked();
  await page.getByLabel('Contact Centre').check();
  await expect(page.getByLabel('Real-Time add-on')).toBeChecked();
  await expect(page.getByText('Included with Live Analytics and Contact Centre.')).toBeVisible();
  await expect(page.getByRole('region', { name: 'Summary' })).toContainText('Zephyr Analytics GmbH · Call Analytics Essentials · Germany');

  // A double click creates one customer.
  await page.getByRole('button', { name: 'Create Customer' }).dblclick();
  await expect(page).toHaveURL(/\/customers\/[0-9a-f-]{36}\?created=1$/);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Zephyr Analytics GmbH');
  await expect(page.getByText('Customer created.')).toBeVisible();

  await page.getByRole('navigation', { name: 'Customer sections' }).getByRole('link', { name: 'Users' }).click();
  await expect(page.getByRole('row', { name: /Zoë Zimmermann/ })).toContainText('Invitation queued');
  await expect(page.getByRole('row', { name: /Zoë Zimmermann/ })).toContainText('Supervisor: Contact Centre');

  // Found in the grid by search, once.
  await page.goto('/customers');
  await hydrated(page);
  await page.getByLabel('Search').fill('zephyr');
  await expect(page).toHaveURL(/q=zephyr/);
  await expect(page.locator('table.grid tbody tr')).toHaveCount(1);
  await expect(page.locator('table.grid tbody tr').first()).toContainText('ZEP-2026');

  // A new wizard starts empty again.
  await page.goto('/customers/new');
  await hydrated(page);
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue('');
});

test('edit details; a concurrent save is refused and nothing is overwritten', async ({ page, context }) => {
  await page.getByRole('link', { name: 'Edit Brightwater Dental' }).click();
  await expect(page).toHaveURL(/\/customers\/[0-9a-f-]{36}$/);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Brightwater Dental');
  const url = page.url();

  const other = await context.newPage();
  const otherCrashes = watchForCrashes(other);
  await other.goto(url);
  await hydrated(other);

  await page.getByLabel('Name', { exact: true }).fill('');
  await expect(page.getByText('Name is required.')).toBeVisible();
  await page.getByLabel('Name', { exact: true }).fill('Brightwater Dental Clinics');
  await page.getByLabel('Reference').fill('BWD-2027');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('Saved.')).toBeVisible();
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Brightwater Dental Clinics');
  // Coming back to Details after another tab shows the saved values, and saves again cleanly.
  const sections = page.getByRole('navigation', { name: 'Customer sections' });
  await sections.getByRole('link', { name: 'Activity' }).click();
  await sections.getByRole('link', { name: 'Details' }).click();
  await expect(page.getByLabel('Reference')).toHaveValue('BWD-2027');
  await page.getByLabel('Reference').fill('BWD-2028');
  await expect(page.getByText('Saved.')).toBeHidden();
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('Saved.')).toBeVisible();
  await page.getByLabel('Reference').fill('BWD-2027');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('Saved.')).toBeVisible();

  await other.getByLabel('Notes').fill('From the stale tab');
  await other.getByRole('button', { name: 'Save' }).click();
  await expect(other.getByRole('alert')).toContainText('Someone else changed this customer');
  await other.getByRole('button', { name: 'Reload' }).click();
  await hydrated(other);
  await expect(other.getByLabel('Reference')).toHaveValue('BWD-2027');
  await expect(other.getByLabel('Notes')).toHaveValue('');
  expect(otherCrashes).toEqual([]);

  // A locked product type is shown but cannot be changed.
  await page.goto('/customers');
  await hydrated(page);
  await page.getByRole('link', { name: 'Edit Castle Hotels Group' }).click();
  await expect(page).toHaveURL(/\/customers\/[0-9a-f-]{36}$/);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Castle Hotels Group');
  await expect(page.getByLabel('Product Type')).toBeDisabled();
  await expect(page.getByText('is a locked product type')).toBeVisible();

  // Activity lists the change with its author.
  await page.goto(url + '?tab=activity');
  await hydrated(page);
  await expect(page.getByRole('listitem').filter({ hasText: 'Reference from “BWD-7781” to “BWD-2027”' })).toContainText('Dana Demo');
});

test('add a user with roles, then remove them after confirming', async ({ page }) => {
  await page.getByRole('link', { name: 'Edit Acme Logistics' }).click();
  await expect(page).toHaveURL(/\/customers\/[0-9a-f-]{36}$/);
  await page.getByRole('navigation', { name: 'Customer sections' }).getByRole('link', { name: 'Users' }).click();
  await expect(page).toHaveURL(/tab=users/);
  await page.getByRole('button', { name: '+ Add User' }).click();
  await page.getByLabel('Display Name').fill('Una User');
  await page.getByLabel('Email', { exact: true }).fill('una@acme.example');
  await page.getByLabel('Real-Time add-on').check();
  await page.getByRole('button', { name: 'Add user', exact: true }).click();
  await expect(page.getByText('Una User was added.')).toBeVisible();
  const row = page.getByRole('row', { name: /Una User/ });
  await expect(row).toContainText('Essential User, Real-Time add-on');
  await expect(row).toContainText('Invitation queued');

  // Their roles change in place: the row says so once saved.
  await row.getByRole('button', { name: 'Edit roles of Una User' }).click();
  const editor = page.locator('.editor-row');
  await editor.getByLabel('Agent add-on').check();
  await editor.getByRole('button', { name: 'Save roles' }).click();
  await expect(page.getByText('Roles of Una User saved.')).toBeVisible();
  await expect(editor).toHaveCount(0);
  await expect(row).toContainText('Essential User, Real-Time add-on, Agent add-on');
  // The invitation can be sent again.
  await row.getByRole('button', { name: 'Resend invitation' }).click();
  await expect(page.getByText('Invitation to Una User queued.')).toBeVisible();

  await row.getByRole('button', { name: 'Remove' }).click();
  await page.getByRole('button', { name: 'Remove user' }).click();
  await expect(page.getByText('Una User was removed.')).toBeVisible();
  await expect(page.getByRole('row', { name: /Una User/ })).toHaveCount(0);
});

test('the wizard fits a 390 px wide phone', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto('/customers/new');
  await hydrated(page);
  await expect(heading(page, 'Customer Details')).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await page.getByLabel('Name', { exact: true }).focus();
  await page.keyboard.type('Phone Co');
  await page.keyboard.press('Enter');
  await expect(page.getByText('Choose a product type.')).toBeVisible();
});

test('every tab loads straight from its URL', async ({ page }) => {
  await page.getByRole('link', { name: 'Edit Fjord Shipping AS' }).click();
  await expect(page).toHaveURL(/\/customers\/[0-9a-f-]{36}$/);
  const url = page.url();
  for (const [tab, text] of [['users', 'Robin Hale'], ['pbx', 'Kazoo Simulator (demo)'], ['activity', 'Nothing has happened yet.'], ['details', 'Trial']]) {
    await page.goto(`${url}?tab=${tab}`);
    await hydrated(page);
    await expect(page.locator('.tab-panel')).toContainText(text);
    await expect(page.getByRole('navigation', { name: 'Customer sections' }).locator('[aria-current="page"]')).toHaveAttribute('href', `?tab=${tab}`);
  }
  // Another reseller's (or a made-up) Tenant ID is simply not found.
  await page.goto('/customers/00000000-0000-4000-8000-000000000000');
  await expect(page.getByRole('heading', { name: 'Customer not found' })).toBeVisible();
});

test('the demo template connects to the built-in Kazoo simulator', async ({ page }) => {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'PBX Templates' }).click();
  await expect(page).toHaveURL(/\/pbx-templates$/);
  await page.getByRole('button', { name: 'Test connection of Kazoo Simulator (demo)' }).click();
  await expect(page.getByRole('status')).toContainText('Connected: the PBX accepted the API key');
});

/** Opens the wizard and completes step 1 with `name`; the wizard is then on step 2. */
async function startCustomer(page: Page, name: string) {
  await page.goto('/customers/new');
  await hydrated(page);
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Product Type').selectOption({ label: 'Call Analytics Essentials' });
  await page.getByLabel('Country').fill('Germany (DE)');
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(heading(page, 'Primary User')).toBeVisible();
  await page.getByLabel('Display Name').fill('Paula Draft');
}

test('a restored draft says so, and "Start over" empties the wizard', async ({ page }) => {
  await startCustomer(page, 'Draft Holdings');
  await page.reload();
  await hydrated(page);
  const notice = page.getByRole('status').filter({ hasText: 'We kept the customer you started creating earlier' });
  await expect(notice).toBeVisible();
  await expect(heading(page, 'Primary User')).toBeVisible();
  await expect(page.getByLabel('Display Name')).toHaveValue('Paula Draft');

  await notice.getByRole('button', { name: 'Start over' }).click();
  await expect(heading(page, 'Customer Details')).toBeVisible();
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue('');
  await expect(notice).toBeHidden();
  // And it stays empty.
  await page.reload();
  await hydrated(page);
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue('');
  await expect(page.getByText('We kept the customer you started creating earlier')).toBeHidden();
});

test('Cancel asks, then forgets the new customer', async ({ page }) => {
  await startCustomer(page, 'Cancelled Ltd');
  let asked = '';
  page.once('dialog', (d) => { asked = d.message(); void d.dismiss(); });
  await page.getByRole('link', { name: 'Cancel' }).click();
  await expect.poll(() => asked).toBe('Discard this new customer? What you entered so far is not kept.');
  await expect(page).toHaveURL(/\/customers\/new\?step=2$/);
  await expect(page.getByLabel('Display Name')).toHaveValue('Paula Draft');

  page.once('dialog', (d) => void d.accept());
  await page.getByRole('link', { name: 'Cancel' }).click();
  await expect(page).toHaveURL(/\/customers$/);
  await page.getByRole('link', { name: '+ Create New Customer' }).click();
  await hydrated(page);
  await expect(heading(page, 'Customer Details')).toBeVisible();
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue('');
  await expect(page.getByText('We kept the customer you started creating earlier')).toBeHidden();
});

test('signing out forgets the draft: the next person at the browser starts empty', async ({ page }) => {
  await startCustomer(page, 'Left Behind plc');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login/);
  await hydrated(page);
  await page.getByLabel('Email').fill('admin@demo-reseller.example');
  await page.getByLabel('Password').fill('demo-password-2026');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/customers/);
  await page.goto('/customers/new');
  await hydrated(page);
  await expect(heading(page, 'Customer Details')).toBeVisible();
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue('');
});

test('by keyboard: Enter goes on, focus lands on the step heading, Back and Forward move between steps', async ({ page }) => {
  await page.goto('/customers/new');
  await hydrated(page);
  await page.getByLabel('Name', { exact: true }).focus();
  await page.keyboard.type('Keyboard Kft');
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('Product Type')).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await page.getByLabel('Country').focus();
  await page.keyboard.type('Hungary (HU)');
  await page.getByLabel('Reference').focus();
  await page.keyboard.press('Enter');

  // Step 2: its heading has focus, the step is announced, and one Tab reaches its first field.
  await expect(heading(page, 'Primary User')).toBeFocused();
  await expect(page.getByRole('status').filter({ hasText: 'Step 2 of 4: Primary User' })).toBeVisible();
  await expect(page).toHaveURL(/\/customers\/new\?step=2$/);
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.id);
  expect(focused).toBe('primary-display-name');
  await page.keyboard.type('Kata Kovács');

  // The browser's Back returns to step 1 with everything kept; Forward goes to step 2 again.
  await page.goBack();
  await expect(heading(page, 'Customer Details')).toBeVisible();
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue('Keyboard Kft');
  await expect(page).toHaveURL(/\/customers\/new$/);
  await page.goForward();
  await expect(heading(page, 'Primary User')).toBeVisible();
  await expect(page.getByLabel('Display Name')).toHaveValue('Kata Kovács');

  // A step cannot be skipped to from the address bar: the first unfinished one opens.
  await page.goto('/customers/new?step=4');
  await hydrated(page);
  await expect(heading(page, 'Primary User')).toBeVisible();
  await expect(page).toHaveURL(/\/customers\/new\?step=2$/);
});

test('an unknown country is named, and a primary user without a licence is pointed out', async ({ page }) => {
  await page.goto('/customers/new');
  await hydrated(page);
  await page.getByLabel('Country').fill('Narnia');
  await page.getByLabel('Notes').focus();
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.getByText('No country in the list is “Narnia”: choose one from the list.')).toBeVisible();
  await expect(page.getByText('Country is required.')).toHaveCount(0);

  await page.getByLabel('Name', { exact: true }).fill('Unlicensed Ltd');
  await page.getByLabel('Product Type').selectOption({ label: 'Call Analytics Essentials' });
  await page.getByLabel('Country').fill('Norway (NO)');
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByLabel('Display Name').fill('Una Licence');
  await page.getByLabel('Email', { exact: true }).fill('una@unlicensed.example');
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByLabel('Account ID').fill('0123456789abcdef0123456789abcdef');
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(heading(page, 'Role Assignment')).toBeVisible();
  const warning = page.getByText('No licence is chosen: this user can manage the customer\'s users but sees no analytics.');
  await expect(warning).toHaveCount(0);
  await page.getByLabel('Essential User').uncheck();
  await expect(warning).toBeVisible();
});
