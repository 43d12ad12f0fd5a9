import { test, expect } from '@playwright/test';
import { ADMIN_PASSWORD, hydrated, login, watchConsole } from './helpers';

test.describe.configure({ mode: 'serial' });

test('filter, sort and page through 60 images; the URL keeps the view', async ({ page }) => {
  const errors = watchConsole(page);
  await login(page, 'admin', ADMIN_PASSWORD);
  // 60 images through the image API, authenticated by the browser session.
  for (let i = 1; i <= 60; i++) {
    const n = String(i).padStart(2, '0');
    const r = await page.request.post('/image/v2/images', {
      data: { name: `e2e-img-${n}`, disk_format: i % 2 ? 'raw' : 'qcow2', container_format: 'bare' },
    });
    expect(r.status()).toBe(201);
  }

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Images' }).click();
  await expect(page.getByRole('heading', { name: 'Images' })).toBeVisible();
  const table = page.getByRole('table');
  await expect(table.getByRole('caption')).toHaveText('20 images on this page');

  await table.getByRole('link', { name: 'Name' }).click();
  await expect(page).toHaveURL(/sort_key=name&sort_dir=asc|sort_dir=asc.*sort_key=name/);
  const firstName = () => table.getByRole('rowheader').first();
  await expect(firstName()).toHaveText('e2e-img-01');
  await expect(table.getByRole('columnheader', { name: /Name/ })).toHaveAttribute('aria-sort', 'ascending');

  await page.getByRole('link', { name: 'Next page »' }).click();
  await expect(firstName()).toHaveText('e2e-img-21');
  await page.reload();
  await hydrated(page);
  await expect(firstName()).toHaveText('e2e-img-21');
  await page.screenshot({ path: 'test-results/images.png', fullPage: true });

  await page.getByLabel('Disk format').selectOption('qcow2');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page).toHaveURL(/disk_format=qcow2/);
  await expect(firstName()).toHaveText('e2e-img-02');
  await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: '50' }).click();
  await expect(table.getByRole('caption')).toHaveText('30 images on this page');
  await expect(page.getByRole('link', { name: 'Next page »' })).toHaveCount(0);
  for (const cell of await table.locator('tbody tr td:nth-child(6)').allTextContents()) {
    expect(cell).toBe('qcow2');
  }
  await page.goBack();
  await expect(table.getByRole('caption')).toHaveText('20 images on this page');

  await table.getByRole('link', { name: 'e2e-img-02' }).click();
  await expect(page.getByRole('heading', { name: 'e2e-img-02' })).toBeVisible();
  await expect(page.getByText('queued', { exact: true })).toBeVisible();
  await page.screenshot({ path: 'test-results/image-details.png', fullPage: true });
  expect(errors).toEqual([]);
});
