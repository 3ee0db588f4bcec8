import { expect, test } from '@playwright/test';
import type { Page } from '@playwright/test';
import { hydrated, startSignedIn } from './support';

/** The page chunks (`split_…` files) the page requests from now on, by file name. */
function pageChunks(page: Page): string[] {
  const chunks: string[] = [];
  page.on('request', (r) => {
    const name = new URL(r.url()).pathname.split('/').pop() ?? '';
    if (name.startsWith('split_')) chunks.push(name);
  });
  return chunks;
}

test('the bundle is named by its content and kept for good; the page itself is compressed and never cached', async ({ page }) => {
  const bundle: { url: string; cacheControl: string | undefined; status: number }[] = [];
  page.on('response', (r) => {
    if (new URL(r.url()).pathname.startsWith('/pkg/')) {
      bundle.push({ url: r.url(), cacheControl: r.headers()['cache-control'], status: r.status() });
    }
  });
  const answer = await page.goto('/login');
  expect(answer?.headers()['cache-control']).toBe('no-store');
  // Browsers always offer gzip and brotli; the page comes back compressed.
  expect(['br', 'gzip']).toContain((await answer?.allHeaders())?.['content-encoding']);
  await hydrated(page);

  const names = bundle.map((b) => new URL(b.url).pathname.split('/').pop() ?? '');
  // wasm, its js glue and the stylesheet, each with a 22-character content hash in its name.
  for (const ext of ['wasm', 'js', 'css']) {
    expect(names.some((n) => new RegExp(`^reseller-portal\\.[A-Za-z0-9_-]{22}\\.${ext}$`).test(n)), `${ext} in ${names}`).toBe(true);
  }
  // The chunk loader, a static import of the js glue, is named in the page so it is fetched
  // alongside the glue rather than after it. (A lazy page, as sign-in is, is named again with
  // the chunks Leptos preloads for it.)
  const loader = await page.locator('head link[rel="modulepreload"][href*="__wasm_split."]').first().getAttribute('href');
  expect(loader).toMatch(/^\/pkg\/__wasm_split\.[A-Za-z0-9_-]{22}\.js$/);
  expect(names).toContain(loader!.split('/').pop());
  // The bundle is compacted (scripts/build-bundle): its files share one hash of the whole
  // bundle, the loader carries no comments, and a lazy page opened from its address (sign-in
  // is one) comes as one pack of its chunks, not as the chunks one by one.
  const hashOf = (name: string) => name.split('.').slice(-2, -1)[0];
  const bundleHash = hashOf(loader!);
  for (const name of names.filter((n) => !n.endsWith('.css'))) expect(hashOf(name), name).toBe(bundleHash);
  expect(names.filter((n) => n.startsWith('pack___login_route_view')), `the sign-in page's pack in ${names}`).toHaveLength(1);
  expect(names.filter((n) => /^(chunk|split)_/.test(n)), 'no chunk fetched on its own').toEqual([]);
  const loaderText = await (await page.request.get(loader!)).text();
  expect(loaderText).not.toContain('/*');
  for (const b of bundle) {
    expect(b.status, b.url).toBe(200);
    expect(b.cacheControl, b.url).toBe('public, max-age=31536000, immutable');
  }
});

test('the grid loads no other page\'s code; hovering Edit fetches the customer page before the click', async ({ page }) => {
  const chunks: string[] = [];
  const packs: string[] = [];
  page.on('request', (r) => {
    const name = new URL(r.url()).pathname.split('/').pop() ?? '';
    if (name.startsWith('split_')) chunks.push(name);
    if (name.startsWith('pack_')) packs.push(name);
  });
  await startSignedIn(page, '/customers');
  chunks.length = 0;
  packs.length = 0;
  await page.goto('/customers');
  await hydrated(page);
  expect(chunks, 'the grid fetches no page chunk').toEqual([]);

  // Focus preloads too (a keyboard user tabbing to a link), for any link of the app.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Billing' }).focus();
  await expect.poll(() => chunks.some((c) => c.startsWith('split___billing_route_view')), { message: 'focusing preloads' }).toBe(true);

  const edit = page.getByRole('link', { name: 'Edit Acme Logistics' });
  await edit.hover();
  await expect.poll(() => chunks.some((c) => c.startsWith('split___customer_route_view')), { message: 'hovering preloads' }).toBe(true);
  await edit.click();
  await expect(page.getByRole('heading', { level: 1, name: /^Acme Logistics/ })).toHaveCount(1);
  expect(chunks.filter((c) => c.startsWith('split___customer_route_view')), 'fetched once').toHaveLength(1);

  // Details needs none of the other tabs' code; a tab's link fetches its code when hovered.
  await hydrated(page);
  const tabChunks = () => chunks.filter((c) => /^split_(users|pbx|activity)_tab_/.test(c));
  expect(tabChunks(), 'the Details tab fetches no other tab').toEqual([]);
  const tabs = page.getByRole('navigation', { name: 'Customer sections' });
  await tabs.getByRole('link', { name: 'Users', exact: true }).hover();
  await expect.poll(() => tabChunks().some((c) => c.startsWith('split_users_tab_')), { message: 'hovering the Users tab preloads it' }).toBe(true);
  await tabs.getByRole('link', { name: 'Users', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Users', level: 2 })).toHaveCount(1);
  expect(tabChunks(), 'only the Users tab was fetched').toEqual([expect.stringMatching(/^split_users_tab_/)]);

  // Straight from its URL (`?tab=users`), the page hydrates: the page names the packs of its
  // code and of the open tab's, fetched at once, one file each.
  expect(packs, 'moving within the app fetches no pack').toEqual([]);
  chunks.length = 0;
  await page.goto(page.url());
  await hydrated(page);
  await expect(page.getByRole('heading', { level: 1, name: /^Acme Logistics/ })).toHaveCount(1);
  await expect(page.getByRole('heading', { name: 'Users', level: 2 })).toHaveCount(1);
  expect(packs.map((p) => p.replace(/_\d+\..*$/, '')).sort()).toEqual(['pack___customer_route_view', 'pack_users_tab']);
  expect(chunks, 'the page\'s and the tab\'s chunks come in their packs').toEqual([]);
});

test('a customer page opened cold at a tab fetches its code as two packs and no chunk twice', async ({ page, browser }) => {
  await startSignedIn(page, '/customers');
  const state = await page.context().storageState();
  const href = await page.getByRole('link', { name: 'Edit Acme Logistics' }).getAttribute('href');
  for (const [tab, heading] of [['pbx', 'PBX connection'], ['activity', 'Activity']]) {
    // A new context: an empty cache, as a link from an email or a bookmark opens it.
    const context = await browser.newContext({ storageState: state });
    const cold = await context.newPage();
    const fetched: string[] = [];
    cold.on('request', (r) => {
      const name = new URL(r.url()).pathname.split('/').pop() ?? '';
      if (/\.wasm$/.test(name)) fetched.push(name.replace(/\..*$/, '').replace(/_\d+$/, ''));
    });
    await cold.goto(`${href}?tab=${tab}`);
    await hydrated(cold);
    await expect(cold.getByRole('heading', { name: heading, level: 2 })).toHaveCount(1);
    expect(fetched.sort(), `${tab}: the main module and two packs, nothing one by one`).toEqual(
      ['pack___customer_route_view', `pack_${tab}_tab`, 'reseller-portal'],
    );
    await context.close();
  }
});

test('Webhooks opens without its form and delivery log; pointing at a button that opens one fetches it', async ({ page }) => {
  const chunks = pageChunks(page);
  await startSignedIn(page, '/customers');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks' }).click();
  await hydrated(page);
  const add = page.getByRole('button', { name: 'Add endpoint' });
  await expect(add).toBeVisible();
  const editorChunks = () => chunks.filter((c) => c.startsWith('split_endpoint_editor_'));
  const logChunks = () => chunks.filter((c) => c.startsWith('split_delivery_log_'));
  expect(editorChunks(), 'the page alone fetches no form').toEqual([]);
  expect(logChunks(), 'nor a delivery log').toEqual([]);
  await add.hover();
  await expect.poll(editorChunks, { message: 'pointing at "Add endpoint" fetches the form' }).toHaveLength(1);
  await add.click();
  await expect(page.getByRole('region', { name: 'New endpoint' }).getByLabel('URL', { exact: true })).toBeFocused();
  expect(editorChunks(), 'fetched once').toHaveLength(1);
  expect(logChunks(), 'the form needs no delivery log').toEqual([]);
});

test('the wizard opens without its PBX and roles steps, and fetches them once past the first step', async ({ page }) => {
  const chunks = pageChunks(page);
  await startSignedIn(page, '/customers/new');
  await hydrated(page);
  const later = () => chunks.filter((c) => c.startsWith('split_later_steps_'));
  await page.getByLabel('Name', { exact: true }).fill(`Chunk Test ${Date.now()}`);
  await page.getByLabel('Product Type').selectOption({ index: 1 });
  await page.getByLabel('Country').fill('Germany (DE)');
  expect(later(), 'step one needs no later step').toEqual([]);
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.getByRole('heading', { level: 2, name: 'Primary User' })).toBeVisible();
  await expect.poll(later, { message: 'the later steps are fetched while the primary user is entered' }).toHaveLength(1);
  await page.getByLabel('Display Name').fill('Chunk Tester');
  await page.getByLabel('Email').fill('chunk.tester@example.com');
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.getByRole('heading', { level: 2, name: 'PBX Details' })).toBeVisible();
  await expect(page.getByLabel('PBX Template')).toBeVisible();
  // Not created: Cancel forgets it (after asking).
  page.once('dialog', (d) => d.accept());
  await page.getByRole('link', { name: 'Cancel' }).click();
  await expect(page).toHaveURL(/\/customers$/);
});

test('Users and PBX Templates open without their forms; pointing at a button that opens one fetches it', async ({ page }) => {
  const chunks = pageChunks(page);
  const of = (stem: string) => () => chunks.filter((c) => c.startsWith(`split_${stem}_`));
  await startSignedIn(page, '/customers');
  const nav = page.getByRole('navigation', { name: 'Main' });

  await nav.getByRole('link', { name: 'Users' }).click();
  await hydrated(page);
  const newUser = page.getByRole('button', { name: '+ New User' });
  await expect(newUser).toBeVisible();
  expect(of('user_editor')(), 'the list alone fetches no form').toEqual([]);
  await newUser.hover();
  await expect.poll(of('user_editor'), { message: 'pointing at "+ New User" fetches the form' }).toHaveLength(1);
  await newUser.click();
  await expect(page.getByRole('region', { name: 'New user' }).getByLabel('Display Name')).toBeVisible();
  await page.getByRole('region', { name: 'New user' }).getByRole('button', { name: 'Cancel' }).click();

  await nav.getByRole('link', { name: 'PBX Templates' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'PBX Templates' })).toBeVisible();
  const edit = page.getByRole('button', { name: /^Edit / }).first();
  await expect(edit).toBeVisible();
  expect(of('template_editor')(), 'the table alone fetches no form').toEqual([]);
  await edit.focus();
  await expect.poll(of('template_editor'), { message: 'focusing "Edit" fetches the form' }).toHaveLength(1);
  await edit.press('Enter');
  await expect(page.getByRole('region', { name: /^Edit / }).getByLabel('Name', { exact: true })).toBeVisible();
  expect(of('template_editor')(), 'fetched once').toHaveLength(1);
});

test("a customer's Users tab opens without its forms; pointing at a button that opens one fetches it", async ({ page }) => {
  const chunks = pageChunks(page);
  const of = (stem: string) => () => chunks.filter((c) => c.startsWith(`split_${stem}_`));
  await startSignedIn(page, '/customers');
  await page.getByRole('link', { name: 'Edit Acme Logistics' }).click();
  await hydrated(page);
  await page.getByRole('navigation', { name: 'Customer sections' }).getByRole('link', { name: 'Users', exact: true }).click();
  const add = page.getByRole('button', { name: '+ Add User' });
  const editRoles = page.getByRole('button', { name: /^Edit roles/ }).first();
  await expect(editRoles).toBeVisible();
  expect(of('add_user_form')(), 'the list alone fetches no form').toEqual([]);
  expect(of('roles_editor')(), 'nor a roles editor').toEqual([]);

  await add.hover();
  await expect.poll(of('add_user_form'), { message: 'pointing at "+ Add User" fetches the form' }).toHaveLength(1);
  await add.click();
  const form = page.locator('form.add-user');
  await expect(form.getByLabel('Display Name')).toBeVisible();
  await expect(form.getByRole('group', { name: 'Licences' })).toBeVisible();
  await form.getByRole('button', { name: 'Cancel' }).click();
  await expect(form).toHaveCount(0);

  await editRoles.focus();
  await expect.poll(of('roles_editor'), { message: 'focusing "Edit roles" fetches the editor' }).toHaveLength(1);
  await editRoles.press('Enter');
  const editor = page.locator('.editor-row');
  await expect(editor.locator('.roles-editor input[type="checkbox"]').first()).toBeVisible();
  await editor.getByRole('button', { name: 'Cancel' }).click();
  await expect(editor).toHaveCount(0);
  expect(of('add_user_form')(), 'each fetched once').toHaveLength(1);
  expect(of('roles_editor')()).toHaveLength(1);
});

test('the customer page opens without its life-cycle dialog; the More menu fetches it and the dialog works', async ({ page }) => {
  const chunks = pageChunks(page);
  const dialogChunks = () => chunks.filter((c) => c.startsWith('split_lifecycle_dialog_'));
  await startSignedIn(page, '/customers');
  await page.getByRole('link', { name: 'Edit Brightwater Dental' }).click();
  await hydrated(page);
  const more = page.getByRole('button', { name: 'More' });
  await expect(more).toBeVisible();
  expect(dialogChunks(), 'the page alone fetches no dialog').toEqual([]);
  await more.hover();
  await expect.poll(dialogChunks, { message: 'pointing at More fetches the dialog' }).toHaveLength(1);
  await more.click();
  await page.getByRole('menuitem', { name: 'Terminate now' }).click();
  const dialog = page.getByRole('alertdialog', { name: 'Terminate this customer now?' });
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  // Chosen again, the same dialog opens at once.
  await more.click();
  await page.getByRole('menuitem', { name: 'Disable' }).click();
  await expect(page.getByRole('alertdialog', { name: 'Disable this customer?' })).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(more).toBeFocused();
  expect(dialogChunks(), 'fetched once').toHaveLength(1);
});

test('API Access opens without its form and the new secret\'s panel, and fetches each when it is about to be needed', async ({ page }) => {
  const chunks = pageChunks(page);
  const of = (stem: string) => () => chunks.filter((c) => c.startsWith(`split_${stem}_`));
  await startSignedIn(page, '/customers');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API Access' }).click();
  await hydrated(page);
  const open = page.getByRole('button', { name: '+ New Credentials' });
  await expect(open).toBeVisible();
  expect(of('create_form')(), 'the list alone fetches no form').toEqual([]);
  await open.focus();
  await expect.poll(of('create_form'), { message: 'focusing "+ New Credentials" fetches the form' }).toHaveLength(1);
  await open.press('Enter');
  const form = page.getByRole('region', { name: 'New credentials' });
  const name = `Chunk robot ${Date.now()}`;
  await form.getByLabel('Name', { exact: true }).fill(name);
  expect(of('secret_panel')(), 'no panel before anything is created').toEqual([]);
  await form.getByRole('button', { name: 'Create credentials' }).click();
  await expect(page.getByRole('region', { name: `Credentials created: “${name}”` }).getByText('This secret is shown only now')).toBeVisible();
  expect(of('secret_panel')(), 'the panel was fetched once').toHaveLength(1);
  expect(of('create_form')(), 'the form once').toHaveLength(1);
});

test('Activity opens on its log without the filter form; pointing at "Filters" fetches the form, once', async ({ page }) => {
  const chunks = pageChunks(page);
  const form = () => chunks.filter((c) => c.startsWith('split_filter_form_'));
  await startSignedIn(page, '/customers');
  await page.goto('/activity?from=2000-01-01');
  await hydrated(page);
  await expect(page.locator('ol.activity > li').first()).toBeVisible();
  await expect(page.getByRole('list', { name: 'Filters in force' })).toHaveText('From: 2000-01-01 ×');
  expect(form(), 'the log alone fetches no form').toEqual([]);
  await expect(page.getByLabel('Event type', { exact: true })).toHaveCount(0);
  const filters = page.getByRole('button', { name: 'Filters', exact: true });
  await filters.hover();
  await expect.poll(form, { message: 'pointing at "Filters" fetches the form' }).toHaveLength(1);
  await filters.click();
  await expect(page.getByLabel('From', { exact: true })).toHaveValue('2000-01-01');
  await expect(page.getByLabel('Actor', { exact: true })).toBeFocused();
  // Closed and opened again, it is the same form (edits kept), fetched once.
  await page.getByLabel('Actor', { exact: true }).fill('dana');
  await filters.click();
  await expect(page.getByLabel('Actor', { exact: true })).toBeHidden();
  await filters.press('Enter');
  await expect(page.getByLabel('Actor', { exact: true })).toHaveValue('dana');
  await expect(page.getByLabel('Actor', { exact: true })).toBeFocused();
  expect(form(), 'fetched once').toHaveLength(1);
});
