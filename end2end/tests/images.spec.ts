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

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Images', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Images' })).toBeVisible();
  const table = page.getByRole('table');
  await hydrated(page);
  // The search finds by any part of the name, in any case; the address carries no empty field.
  await page.getByLabel('Name contains').fill('IMG-');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page).toHaveURL(/\/project\/images\?search=IMG-$/);
  await expect(table.getByRole('caption')).toHaveText('20 of 60 images on this page');

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
  await page.getByRole('link', { name: 'Next page »' }).click();
  await expect(firstName()).toHaveText('e2e-img-41');
  await expect(page.getByRole('link', { name: 'Next page »' })).toHaveCount(0);
  // Back one page at a time, then no Previous on the first page.
  await page.getByRole('link', { name: '‹ Previous page' }).click();
  await expect(firstName()).toHaveText('e2e-img-21');
  await expect(table.getByRole('rowheader').last()).toHaveText('e2e-img-40');
  await page.getByRole('link', { name: '‹ Previous page' }).click();
  await expect(firstName()).toHaveText('e2e-img-01');
  await expect(page.getByRole('link', { name: '‹ Previous page' })).toHaveCount(0);
  await page.getByRole('link', { name: 'Next page »' }).click();
  await expect(firstName()).toHaveText('e2e-img-21');
  await page.screenshot({ path: 'test-results/images.png', fullPage: true });

  await page.getByLabel('Disk format').selectOption('qcow2');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page).toHaveURL(/disk_format=qcow2/);
  await expect(firstName()).toHaveText('e2e-img-02');
  await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: '50' }).click();
  await expect(table.getByRole('caption')).toHaveText('30 images');
  await expect(page.getByRole('link', { name: 'Next page »' })).toHaveCount(0);
  for (const cell of await table.locator('tbody tr td:nth-child(8)').allTextContents()) {
    expect(cell).toBe('qcow2');
  }
  await page.goBack();
  await expect(table.getByRole('caption')).toHaveText('20 of 30 images on this page');

  await table.getByRole('link', { name: 'e2e-img-02' }).click();
  await expect(page.getByRole('heading', { name: 'e2e-img-02' })).toBeVisible();
  await expect(page.getByText('queued', { exact: true })).toBeVisible();
  await page.screenshot({ path: 'test-results/image-details.png', fullPage: true });
  expect(errors).toEqual([]);
});

test('admins list every project, filter by project, and publish an image another project then sees', async ({ page, request }) => {
  const errors = watchConsole(page);
  const auth = await request.post('/identity/v3/auth/tokens', { data: { auth: {
    identity: { methods: ['password'], password: { user: { name: 'admin', domain: { name: 'Default' }, password: ADMIN_PASSWORD } } },
    scope: { project: { name: 'admin', domain: { name: 'Default' } } } } } });
  const h = { 'X-Auth-Token': auth.headers()['x-subject-token'] };
  const project = (await (await request.post('/identity/v3/projects', { headers: h, data: { project: { name: 'e2e-viewers' } } })).json()).project;
  const user = (await (await request.post('/identity/v3/users', { headers: h, data: { user: { name: 'e2e-vic', password: 'vic-password', default_project_id: project.id } } })).json()).user;
  const roles = (await (await request.get('/identity/v3/roles?name=member', { headers: h })).json()).roles;
  await request.put(`/identity/v3/projects/${project.id}/users/${user.id}/roles/${roles[0].id}`, { headers: h });
  // An image of the new project, made by its member.
  const vicAuth = await request.post('/identity/v3/auth/tokens', { data: { auth: {
    identity: { methods: ['password'], password: { user: { name: 'e2e-vic', domain: { name: 'Default' }, password: 'vic-password' } } },
    scope: { project: { id: project.id } } } } });
  const vic = { 'X-Auth-Token': vicAuth.headers()['x-subject-token'] };
  expect((await request.post('/image/v2/images', { headers: vic, data: { name: 'e2e-vic-own' } })).status()).toBe(201);

  await login(page, 'admin', ADMIN_PASSWORD);
  await page.goto('/project/images');
  await expect(page.getByLabel('Project quota usage')).toContainText('images');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'All Images' }).click();
  await expect(page.getByRole('heading', { name: 'All Images' })).toBeVisible();
  await page.getByLabel('Project', { exact: true }).last().selectOption({ label: 'e2e-viewers' });
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page).toHaveURL(/\/admin\/images\?.*owner=/);
  const table = page.getByRole('table');
  await expect(table.getByRole('rowheader')).toHaveText(['e2e-vic-own']);
  await expect(table.getByRole('row').nth(1)).toContainText('e2e-viewers');
  await page.screenshot({ path: 'test-results/admin-images.png', fullPage: true });

  // Publish one of the admin project's images through Edit.
  const mine = (await (await page.request.get('/image/v2/images?name=e2e-img-05')).json()).images[0];
  await page.goto(`/project/images/${mine.id}`);
  await hydrated(page);
  await page.getByRole('button', { name: 'Edit' }).click();
  await page.getByRole('form', { name: 'Edit Image' }).getByLabel('Visibility').selectOption('public');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByText('public', { exact: true })).toBeVisible();
  await page.getByRole('button', { name: 'Log out' }).click();

  await login(page, 'e2e-vic', 'vic-password');
  await page.goto('/project/images');
  await expect(page.getByRole('table').getByRole('link', { name: 'e2e-img-05' })).toBeVisible();
  expect(errors).toEqual([]);
});

test('a queued row refreshes on its own; batch delete explains protected images', async ({ page }) => {
  const errors = watchConsole(page);
  await login(page, 'admin', ADMIN_PASSWORD);
  const mk = async (data: object) => (await (await page.request.post('/image/v2/images', { data })).json()).id;
  await mk({ name: 'e2e-batch-a', protected: true });
  await mk({ name: 'e2e-batch-b' });
  const live = await mk({ name: 'e2e-live', disk_format: 'raw', container_format: 'bare' });
  await page.goto('/project/images?name=in:e2e-batch-a,e2e-batch-b,e2e-live&sort_key=name&sort_dir=asc');
  await hydrated(page);
  const liveRow = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'e2e-live' }) });
  await expect(liveRow).toContainText('queued');
  await page.getByLabel('Select e2e-live').check();

  // Data arrives through the API; only that row changes, and the selection stays.
  const put = await page.request.put(`/image/v2/images/${live}/file`, {
    headers: { 'Content-Type': 'application/octet-stream' }, data: Buffer.from('live data'),
  });
  expect(put.status()).toBe(204);
  await expect(liveRow).toContainText('active');
  await expect(page.getByLabel('Select e2e-live')).toBeChecked();
  await page.getByRole('button', { name: 'Clear selection' }).click();

  await page.getByLabel('Select e2e-batch-a').check();
  await page.getByLabel('Select e2e-batch-b').check();
  await expect(page.getByRole('region', { name: 'Selected images' })).toContainText('2 selected');
  await page.getByRole('button', { name: 'Delete selected' }).click();
  const dialog = page.getByRole('alertdialog', { name: 'Confirm delete' });
  await expect(dialog).toContainText('e2e-batch-a (protected: it will be kept; unprotect it first)');
  await expect(dialog).toContainText('e2e-batch-b');
  await page.screenshot({ path: 'test-results/batch.png', fullPage: true });
  await dialog.getByRole('button', { name: 'Delete images' }).click();
  const results = page.getByRole('region', { name: 'Delete results' });
  await expect(results).toContainText('e2e-batch-b: deleted');
  await expect(results).toContainText('e2e-batch-a: not deleted, protected: unprotect it first');
  await expect(page.getByRole('table').getByRole('link', { name: 'e2e-batch-b' })).toHaveCount(0);
  await expect(page.getByRole('table').getByRole('link', { name: 'e2e-batch-a' })).toBeVisible();
  expect(errors).toEqual([]);
});
