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
  // The table's row menu opens the editor on the image's page.
  await page.goto('/project/images?name=e2e-actions');
  await hydrated(page);
  const row = page.getByRole('row').filter({ hasText: 'e2e-actions' });
  await row.getByLabel('Actions for e2e-actions').click();
  await page.screenshot({ path: 'test-results/row-menu.png', fullPage: true });
  await row.getByRole('link', { name: 'Edit' }).click();
  const form = page.getByRole('form', { name: 'Edit Image' });
  await expect(form).toBeVisible();
  await hydrated(page);
  await form.getByLabel('Name').fill('e2e-edited');
  const props = form.getByLabel('Properties (key=value, one per line)');
  await props.fill('status=x');
  await expect(form.getByRole('alert')).toHaveText("Attribute 'status' is read-only.");
  await props.fill('hw_disk_bus=scsi\nos_distro=cirros');
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
  expect([after.hw_disk_bus, after.os_distro]).toEqual(['scsi', 'cirros']);
  await expect(page.getByText('hw_disk_bus')).toBeVisible();
  // Removing a line removes the property; the rest stays.
  await page.getByRole('button', { name: 'Edit' }).click();
  await page.getByRole('form', { name: 'Edit Image' }).getByLabel('Properties (key=value, one per line)').fill('os_distro=cirros');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByText('hw_disk_bus')).toHaveCount(0);
  const fewer = await (await page.request.get(`/image/v2/images/${created.id}`)).json();
  expect([fewer.hw_disk_bus, fewer.os_distro, fewer.min_ram]).toEqual([undefined, 'cirros', 512]);

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
  for (const name of ['Edit', 'Update Metadata', 'Protect', 'Delete']) {
    await expect(page.getByRole('button', { name, exact: true })).toBeDisabled();
  }
  await expect(page.getByText('You are not permitted to modify this image: it belongs to another project.').first()).toBeVisible();
  await page.screenshot({ path: 'test-results/disabled-actions.png', fullPage: true });

  // The same rules in the table's row menu.
  await page.goto('/project/images?name=e2e-public');
  await hydrated(page);
  const row = page.getByRole('row').filter({ hasText: 'e2e-public' });
  await row.getByLabel('Actions for e2e-public').click();
  for (const name of [/^Edit/, /^Update metadata/, /^Delete/, /^Deactivate/, /^Download/, /^Manage members/]) {
    await expect(row.getByRole('button', { name })).toBeDisabled();
  }
  await expect(row.getByText('You are not permitted to delete this image: it belongs to another project.')).toBeVisible();
  await expect(row.getByText('The image has no data yet.')).toBeVisible();
  await page.screenshot({ path: 'test-results/row-menu-disabled.png', fullPage: true });
  expect(errors).toEqual([]);
});
