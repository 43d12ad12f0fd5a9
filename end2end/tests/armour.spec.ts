import { test, expect } from '@playwright/test';
import { ADMIN_PASSWORD, hydrated, login, watchConsole } from './helpers';

// The dashboard's pages carry a Content-Security-Policy with a per-response nonce; the app still
// hydrates and works under it, and the browser reports no violation on the way.
test('the dashboard hydrates and works under its Content-Security-Policy, with no violation', async ({ page }) => {
  const errors = watchConsole(page);
  await page.addInitScript(() => {
    const w = window as unknown as { violations: string[] };
    w.violations = [];
    document.addEventListener('securitypolicyviolation', (e) => w.violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  // The dashboard's wasm comes compressed (the browser accepts br and gzip).
  const wasm = page.waitForResponse((r) => r.url().endsWith('.wasm'));
  const res = await page.goto('/login');
  expect(['br', 'gzip']).toContain((await wasm).headers()['content-encoding']);
  const headers = res!.headers();
  expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
  expect(headers['content-security-policy']).toMatch(/script-src 'self' 'nonce-[^']{16,}' 'wasm-unsafe-eval'/);
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['referrer-policy']).toBe('same-origin');
  await hydrated(page);
  await login(page, 'admin', ADMIN_PASSWORD);
  // Client-side navigation, a server function, a live event stream and a form, all under the policy.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Images', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Images' })).toBeVisible();
  await page.goto('/project/images/create');
  await hydrated(page);
  await page.getByLabel('Image name').fill('under-the-policy');
  await expect(page.getByLabel('Image name')).toHaveValue('under-the-policy');
  await page.goto('/admin/metadefs');
  await hydrated(page);
  expect(await page.evaluate(() => (window as unknown as { violations: string[] }).violations)).toEqual([]);
  expect(errors).toEqual([]);
});
