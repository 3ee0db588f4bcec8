import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { hydrated, openPage, PAGES, startSignedIn } from './support';

// An axe scan (WCAG 2.1 A and AA) of every page finds nothing, in light and dark mode, on a
// desktop and on a phone.

async function scan(page: Page, what: string) {
  // The page as it settles, not mid-fade: a list that has just loaded fades back from its busy
  // opacity (.55) over 150 ms, and axe would judge the contrast of that moment.
  await page.locator('[aria-busy="true"]').first().waitFor({ state: 'detached', timeout: 5_000 }).catch(() => {});
  await page.waitForFunction(() =>
    document.getAnimations().every((a) => a.playState !== 'running' || a.effect?.getTiming().iterations === Infinity),
  );
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const found = result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')})`);
  expect(found, `${what}: axe violations`).toEqual([]);
}

for (const scheme of ['light', 'dark'] as const) {
  for (const width of [1280, 390]) {
    test(`every page passes axe in ${scheme} mode at ${width} px`, async ({ page }) => {
      // Eighteen pages and views, each loaded, hydrated (debug wasm) and scanned: about a
      // minute on two cores, so the default minute per test is too tight.
      test.setTimeout(180_000);
      await page.setViewportSize({ width, height: 900 });
      await page.emulateMedia({ colorScheme: scheme });
      await page.goto('/login');
      await hydrated(page);
      await scan(page, '/login');
      const crashes = await startSignedIn(page, '/customers');
      await scan(page, '/customers');
      for (const path of PAGES) {
        await openPage(page, path);
        await page.waitForLoadState('networkidle');
        await scan(page, path);
      }
      await page.goto('/customers');
      await hydrated(page);
      await page.getByRole('link', { name: 'Acme Logistics', exact: true }).click();
      await hydrated(page);
      for (const tab of ['Details', 'Users', 'PBX', 'Activity']) {
        const link = page.getByRole('navigation', { name: 'Customer sections' }).getByRole('link', { name: tab, exact: true });
        await link.click();
        await expect(link).toHaveAttribute('aria-current', 'page');
        await page.waitForLoadState('networkidle');
        await scan(page, `customer ${tab}`);
      }
      await page.getByRole('button', { name: 'More' }).click();
      await scan(page, 'the More menu');
      expect(crashes).toEqual([]);
    });
  }
}

/** WCAG relative luminance of a CSS `rgb(…)` colour. */
function luminance(rgb: string): number {
  const [r, g, b] = rgb.match(/[\d.]+/g)!.slice(0, 3).map((v) => {
    const c = Number(v) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

for (const scheme of ['light', 'dark'] as const) {
  test(`the focus ring stands out from the page by 3:1 or more in ${scheme} mode`, async ({ page }) => {
    await page.emulateMedia({ colorScheme: scheme });
    const crashes = await startSignedIn(page, '/customers');
    await page.getByRole('button', { name: 'Export CSV' }).or(page.getByRole('link', { name: 'Export CSV' })).focus();
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Tab');
    const { ring, ground, style, focusVisible } = await page.evaluate(() => ({
      ring: getComputedStyle(document.activeElement!).outlineColor,
      style: getComputedStyle(document.activeElement!).outlineStyle,
      focusVisible: document.activeElement!.matches(':focus-visible'),
      ground: getComputedStyle(document.documentElement).backgroundColor,
    }));
    expect([focusVisible, style]).toEqual([true, 'solid']);
    const [light, dark] = [luminance(ring), luminance(ground)].sort((a, b) => b - a);
    const contrast = (light + 0.05) / (dark + 0.05);
    expect(contrast, `${ring} on ${ground}`).toBeGreaterThanOrEqual(3);
    expect(crashes).toEqual([]);
  });
}
