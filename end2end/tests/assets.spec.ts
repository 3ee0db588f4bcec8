import { expect, test } from '@playwright/test';
import { hydrated } from './support';

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
  for (const b of bundle) {
    expect(b.status, b.url).toBe(200);
    expect(b.cacheControl, b.url).toBe('public, max-age=31536000, immutable');
  }
});
