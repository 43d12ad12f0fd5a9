import { test, expect } from '@playwright/test';
import { createHash } from 'node:crypto';
import { Server } from 'node:http';
import { ADMIN_PASSWORD, hydrated, login, startSource, watchConsole } from './helpers';

test.describe.configure({ mode: 'serial' });

// A local HTTP source the image service downloads from (web-download).
let source: Server;
let base = '';
let image: Buffer;

test.beforeAll(async ({}, info) => {
  ({ server: source, base, image } = await startSource(info.outputPath('source.qcow2')));
});

test.afterAll(() => source.close());

async function fromUrl(page, name: string, url: string) {
  await page.goto('/project/images/create');
  await hydrated(page);
  await page.getByLabel('Image name').fill(name);
  await page.getByRole('radio', { name: /URL/ }).check();
  await expect(page.getByLabel('Image file')).toBeHidden();
  await page.getByLabel('Image URL').fill(url);
  await page.getByLabel('Disk format').selectOption('qcow2');
  await page.screenshot({ path: 'test-results/create-from-url.png', fullPage: true });
}

test('create an image from a URL and watch it become active', async ({ page }) => {
  const errors = watchConsole(page);
  const md5 = createHash('md5').update(image).digest('hex');
  await login(page, 'admin', ADMIN_PASSWORD);
  await fromUrl(page, 'e2e-from-url', `${base}/cirros.qcow2`);
  await page.getByRole('button', { name: 'Create Image' }).click();
  await expect(page.getByRole('heading', { name: 'e2e-from-url' })).toBeVisible();
  // The page follows the import live: active, with the checksum and a successful task.
  await expect(page.getByText('active', { exact: true }).first()).toBeVisible();
  await expect(page.getByText(md5)).toBeVisible();
  const tasks = page.getByRole('table', { name: 'Import tasks' });
  await expect(tasks.getByText('web-download')).toBeVisible();
  await expect(tasks.getByText('success')).toBeVisible();
  await page.screenshot({ path: 'test-results/imported.png', fullPage: true });
  // An admin copies it to the other store (copy-image); the page follows that task too.
  await page.getByLabel('Copy to store').selectOption('archive');
  await page.getByRole('button', { name: 'Copy', exact: true }).click();
  await expect(page.getByText('archive, local')).toBeVisible();
  await expect(tasks.getByText('copy-image')).toBeVisible();
  await expect(page.getByLabel('Copy to store')).toHaveCount(0);
  // The copy goes again (Glance's store delete), so the Stores page's counts stay the stores test's own.
  const id = page.url().split('/').pop();
  expect((await page.request.delete(`/image/v2/stores/archive/${id}`)).status()).toBe(204);
  expect(errors).toEqual([]);
});

test('a failing URL shows the reason, and the import can be retried', async ({ page }) => {
  const errors = watchConsole(page, [400]);
  await login(page, 'admin', ADMIN_PASSWORD);
  await fromUrl(page, 'e2e-missing-url', `${base}/missing.qcow2`);
  await page.getByRole('button', { name: 'Create Image' }).click();
  await expect(page.getByRole('heading', { name: 'e2e-missing-url' })).toBeVisible();
  const tasks = page.getByRole('table', { name: 'Import tasks' });
  await expect(tasks.getByText('failure')).toBeVisible();
  await expect(tasks.getByText(/the source answered 404/)).toBeVisible();
  await expect(page.getByText('queued', { exact: true }).first()).toBeVisible();
  await expect(page.getByRole('button', { name: 'Retry import' })).toBeVisible();
  await page.screenshot({ path: 'test-results/import-failed.png', fullPage: true });
  // A URL the cloud refuses to fetch is refused on the form, and nothing is created.
  await fromUrl(page, 'e2e-metadata-url', 'http://169.254.169.254/latest/meta-data/');
  await page.getByRole('button', { name: 'Create Image' }).click();
  await expect(page.getByText(/does not pass filtering/).first()).toBeVisible();
  await expect(page.getByLabel('Image URL')).toHaveAttribute('aria-invalid', 'true');
  const listed = await (await page.request.get('/image/v2/images?name=e2e-metadata-url')).json();
  expect(listed.images).toEqual([]);
  expect(errors).toEqual([]);
});
