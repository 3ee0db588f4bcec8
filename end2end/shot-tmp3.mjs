import { chromium } from '@playwright/test';
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
await page.goto('http://127.0.0.1:3300/login');
await page.getByLabel('Email').fill('admin@demo-reseller.example');
await page.getByLabel('Password').fill('demo-password-2026');
await page.getByRole('button', { name: /sign in/i }).click();
await page.waitForURL(/customers/);
for (let i = 0; i < 6; i++) {
  const r = await page.request.get('http://127.0.0.1:3300/billing');
  const html = await r.text();
  const m = html.match(/error-panel[\s\S]{0,400}/);
  console.log(i, r.status(), m ? m[0].replace(/<[^>]+>/g, ' ').slice(0, 300) : 'no error panel', html.includes('Loading billing') ? 'FALLBACK' : '');
}
await browser.close();
