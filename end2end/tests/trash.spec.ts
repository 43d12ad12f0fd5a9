import { test, expect } from '@playwright/test';
import { ADMIN_PASSWORD, hydrated, login, token, watchConsole } from './helpers';

test.describe.configure({ mode: 'serial' });

test('delayed delete: a deleted image waits in the Trash, Restore brings it back with its data, Delete now removes it', async ({ page, request }) => {
  const errors = watchConsole(page);
  const h = { 'X-Auth-Token': await token(request) };
  const data = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 13) % 256));
  const images = [];
  for (const name of ['e2e-trash-keep', 'e2e-trash-purge']) {
    const img = await (await request.post('/image/v2/images', { headers: h, data: { name, disk_format: 'raw', container_format: 'bare' } })).json();
    const up = await request.put(`/image/v2/images/${img.id}/file`, { headers: { ...h, 'Content-Type': 'application/octet-stream' }, data });
    expect(up.status()).toBe(204);
    expect((await request.delete(`/image/v2/images/${img.id}`, { headers: h })).status()).toBe(204);
    expect((await request.get(`/image/v2/images/${img.id}`, { headers: h })).status()).toBe(404);
    images.push(img);
  }

  await login(page, 'admin', ADMIN_PASSWORD);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Trash' }).click();
  await hydrated(page);
  await expect(page.getByText('Delayed delete is on')).toBeVisible();
  await expect(page.getByRole('rowheader', { name: /e2e-trash-keep/ })).toBeVisible();
  await page.screenshot({ path: 'test-results/trash.png', fullPage: true });

  // Restore: back in the images list, and the data downloads unchanged.
  await page.getByRole('button', { name: 'Restore e2e-trash-keep' }).click();
  await expect(page.getByText('The image was restored.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Restore e2e-trash-keep' })).toHaveCount(0);
  const back = await request.get(`/image/v2/images/${images[0].id}/file`, { headers: h });
  expect(back.status()).toBe(200);
  expect(Buffer.compare(await back.body(), data)).toBe(0);
  await page.goto('/project/images');
  await expect(page.getByRole('table').getByRole('link', { name: 'e2e-trash-keep' })).toBeVisible();

  // Delete now asks first, then the image is gone for good.
  await page.goto('/admin/trash');
  await hydrated(page);
  await page.getByRole('button', { name: 'Delete e2e-trash-purge now' }).click();
  const dialog = page.getByRole('alertdialog');
  await expect(dialog).toContainText('cannot be restored');
  await dialog.getByRole('button', { name: 'Delete now' }).click();
  await expect(page.getByText("The image's data was removed.")).toBeVisible();
  // (Other tests' deletions may wait in the trash too.)
  await expect(page.getByRole('button', { name: 'Restore e2e-trash-purge' })).toHaveCount(0);
  expect((await request.get(`/image/v2/images/${images[1].id}/file`, { headers: h })).status()).toBe(404);
  expect(errors).toEqual([]);
});
