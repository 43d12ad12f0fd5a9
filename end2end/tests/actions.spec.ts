import { test, expect } from '@playwright/test';
import { ADMIN_PASSWORD, hydrated, login, watchConsole } from './helpers';

test.describe.configure({ mode: 'serial' });

test('edit; protect, fail to delete, unprotect, delete; deactivate and reactivate', async ({ page }) => {
  const errors = watchConsole(page);
  await login(page, 'admin', ADMIN_PASSWORD);
  const created = await (await page.request.post('/image/v2/images', {
    data: { name: 'e2e-actions', disk_format: 'raw', container_format: 'bare', min_ram: 64 },
  })).json();
  const put = await page.request.put(`/image/v2/images/${created.id}/file`, {
    headers: { 'Content-Type': 'application/octet-stream' }, data: Buffer.from('some image bytes'),
  });
  expect(put.status()).toBe(204);
  await page.goto(`/project/images/${created.id}`);
  await hydrated(page);

  await page.getByRole('button', { name: 'Edit' }).click();
  const form = page.getByRole('form', { name: 'Edit Image' });
  await form.getByLabel('Name').fill('e2e-edited');
  await form.getByLabel('Minimum RAM (MB)').fill('-5');
  await expect(form.getByRole('alert')).toHaveText('Minimum RAM cannot be negative');
  await form.getByLabel('Minimum RAM (MB)').fill('512');
  await form.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByRole('heading', { name: 'e2e-edited' })).toBeVisible();
  await expect(page.getByText('512 MB')).toBeVisible();
  // Fields the user did not touch are unchanged.
  const after = await (await page.request.get(`/image/v2/images/${created.id}`)).json();
  expect(after.disk_format).toBe('raw');
  expect(after.visibility).toBe('shared');

  await page.getByRole('button', { name: 'Protect' }).click();
  await expect(page.getByRole('button', { name: 'Unprotect' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Delete' })).toBeDisabled();
  await expect(page.getByText('Protected: unprotect the image first.')).toBeVisible();
  await page.screenshot({ path: 'test-results/actions.png', fullPage: true });
  await page.getByRole('button', { name: 'Unprotect' }).click();
  await expect(page.getByRole('button', { name: 'Delete' })).toBeEnabled();

  await page.getByRole('button', { name: 'Deactivate' }).click();
  await expect(page.getByText('deactivated', { exact: true })).toBeVisible();
  await page.getByRole('button', { name: 'Reactivate' }).click();
  await expect(page.getByText('active', { exact: true })).toBeVisible();

  await page.getByRole('button', { name: 'Delete' }).click();
  await expect(page.getByRole('alertdialog')).toContainText('cannot be undone');
  await page.getByRole('button', { name: 'Delete image' }).click();
  await expect(page).toHaveURL(/\/project\/images$/);
  expect((await page.request.get(`/image/v2/images/${created.id}`)).status()).toBe(404);
  expect(errors).toEqual([]);
});

test('a member of another project sees the actions disabled, with the reason', async ({ page, request }) => {
  const errors = watchConsole(page);
  // An admin token, a project and a member through the identity API.
  const auth = await request.post('/identity/v3/auth/tokens', { data: { auth: {
    identity: { methods: ['password'], password: { user: { name: 'admin', domain: { name: 'Default' }, password: ADMIN_PASSWORD } } },
    scope: { project: { name: 'admin', domain: { name: 'Default' } } } } } });
  const token = auth.headers()['x-subject-token'];
  const h = { 'X-Auth-Token': token };
  const project = (await (await request.post('/identity/v3/projects', { headers: h, data: { project: { name: 'e2e-other' } } })).json()).project;
  const user = (await (await request.post('/identity/v3/users', { headers: h, data: { user: { name: 'e2e-bob', password: 'bob-password', default_project_id: project.id } } })).json()).user;
  const roles = (await (await request.get('/identity/v3/roles?name=member', { headers: h })).json()).roles;
  expect((await request.put(`/identity/v3/projects/${project.id}/users/${user.id}/roles/${roles[0].id}`, { headers: h })).status()).toBe(204);
  const img = await (await request.post('/image/v2/images', { headers: h, data: { name: 'e2e-public', visibility: 'public' } })).json();

  await login(page, 'e2e-bob', 'bob-password');
  await page.goto(`/project/images/${img.id}`);
  await hydrated(page);
  for (const name of ['Edit', 'Protect', 'Delete']) {
    await expect(page.getByRole('button', { name, exact: true })).toBeDisabled();
  }
  await expect(page.getByText('You are not permitted to modify this image: it belongs to another project.').first()).toBeVisible();
  await page.screenshot({ path: 'test-results/disabled-actions.png', fullPage: true });
  expect(errors).toEqual([]);
});
