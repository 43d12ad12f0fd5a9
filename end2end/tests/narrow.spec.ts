import { test, expect } from '@playwright/test';
import { ADMIN_PASSWORD, hydrated, login, watchConsole } from './helpers';

// A phone-sized window: nothing makes the page itself scroll sideways; wide tables scroll inside
// their card, and the navigation and the row menus stay usable.
test.use({ viewport: { width: 400, height: 860 } });

async function noSidewaysScroll(page) {
  const [scroll, client] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
  expect(scroll).toBeLessThanOrEqual(client);
}

test('a narrow window: pages fit, tables scroll in their card, menus work', async ({ page }) => {
  const errors = watchConsole(page);
  await login(page, 'admin', ADMIN_PASSWORD);
  const created = await (await page.request.post('/image/v2/images', {
    data: { name: 'e2e-narrow', disk_format: 'raw', container_format: 'bare' },
  })).json();
  for (const path of ['/project/images', `/project/images/${created.id}`, '/project/images/create', '/admin/metadefs', '/project/shared']) {
    await page.goto(path);
    await hydrated(page);
    await noSidewaysScroll(page);
  }
  await page.goto('/project/images?name=e2e-narrow');
  await hydrated(page);
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Images', exact: true })).toBeInViewport();
  const wrap = page.locator('.table-wrap').first();
  const [inner, outer] = await wrap.evaluate((el) => [el.scrollWidth, el.clientWidth]);
  expect(inner).toBeGreaterThan(outer); // the table is wider than the window: it scrolls in its card
  const row = page.getByRole('row').filter({ hasText: 'e2e-narrow' });
  await row.getByLabel('Actions for e2e-narrow').scrollIntoViewIfNeeded();
  await row.getByLabel('Actions for e2e-narrow').click();
  await expect(row.getByRole('link', { name: 'Edit' })).toBeVisible();
  await page.screenshot({ path: 'test-results/narrow-images.png', fullPage: true });
  await page.request.delete(`/image/v2/images/${created.id}`);
  expect(errors).toEqual([]);
});
