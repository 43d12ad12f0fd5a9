import { test, expect, Page, APIRequestContext } from '@playwright/test';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ADMIN_PASSWORD, hydrated, login, watchConsole } from './helpers';

// The image panel's defects of issue 14, each as a new user met it, and a pass over every route.
test.describe.configure({ mode: 'serial' });

/** The server's standard error (the webServer command writes it there). */
const SERVER_LOG = resolve(__dirname, '../../target/e2e-server.log');
function serverPanics(): string[] {
  if (!existsSync(SERVER_LOG)) return [];
  return readFileSync(SERVER_LOG, 'utf8').split('\n').filter((l) => l.includes('panicked'));
}

async function adminToken(request: APIRequestContext): Promise<string> {
  const auth = await request.post('/identity/v3/auth/tokens', { data: { auth: {
    identity: { methods: ['password'], password: { user: { name: 'admin', domain: { name: 'Default' }, password: ADMIN_PASSWORD } } },
    scope: { project: { name: 'admin', domain: { name: 'Default' } } } } } });
  return auth.headers()['x-subject-token'];
}

/** A project with one user of `role` in it, made through the identity API. */
async function userIn(request: APIRequestContext, project: string, user: string, role: string) {
  const h = { 'X-Auth-Token': await adminToken(request) };
  const p = (await (await request.post('/identity/v3/projects', { headers: h, data: { project: { name: project } } })).json()).project;
  const u = (await (await request.post('/identity/v3/users', { headers: h, data: { user: { name: user, password: `${user}-password`, default_project_id: p.id } } })).json()).user;
  const roles = (await (await request.get(`/identity/v3/roles?name=${role}`, { headers: h })).json()).roles;
  expect((await request.put(`/identity/v3/projects/${p.id}/users/${u.id}/roles/${roles[0].id}`, { headers: h })).status()).toBe(204);
  return { project: p, user: u, headers: h };
}

async function imageWithData(page: Page, name: string, extra: object = {}) {
  const created = await (await page.request.post('/image/v2/images', {
    data: { name, disk_format: 'raw', container_format: 'bare', ...extra },
  })).json();
  const put = await page.request.put(`/image/v2/images/${created.id}/file`, {
    headers: { 'Content-Type': 'application/octet-stream' }, data: Buffer.from('bytes of an image'),
  });
  expect(put.status()).toBe(204);
  return created;
}

test('Update Metadata survives searches, and a boolean starts as a valid false', async ({ page }) => {
  const errors = watchConsole(page);
  await login(page, 'admin', ADMIN_PASSWORD);
  const img = await imageWithData(page, 'e2e-md-search');
  await page.goto(`/project/images/${img.id}`);
  await hydrated(page);
  await page.getByRole('button', { name: 'Update Metadata' }).click();
  const editor = page.getByRole('region', { name: 'Update Metadata' });
  const search = editor.getByLabel('Search definitions');
  await search.fill('disk bus');
  await editor.getByRole('button', { name: 'Add hw_disk_bus' }).click();
  await search.fill('cores');
  // Defined in the namespace and again in its CPU topology object: offered once.
  await expect(editor.getByRole('button', { name: 'Add hw_cpu_cores' })).toHaveCount(1);
  await editor.getByRole('button', { name: 'Add hw_cpu_cores' }).click();
  await search.fill('guest agent');
  await editor.getByRole('button', { name: 'Add hw_qemu_guest_agent' }).click();
  // The values added before the searches still work: checks update, Save saves.
  await editor.getByLabel('Disk bus hw_disk_bus').selectOption('scsi');
  await editor.getByLabel('Cores per socket hw_cpu_cores').fill('0');
  await expect(editor.getByRole('alert').filter({ hasText: 'hw_cpu_cores' })).toBeVisible();
  await expect(editor.getByRole('button', { name: 'Save metadata' })).toBeDisabled();
  await editor.getByLabel('Cores per socket hw_cpu_cores').fill('2');
  // An unchecked box is a valid false: no error, Save enabled.
  const agent = editor.getByLabel('QEMU guest agent hw_qemu_guest_agent');
  await expect(agent).not.toBeChecked();
  await expect(editor.getByRole('alert')).toHaveCount(0);
  await page.screenshot({ path: 'test-results/update-metadata-search.png', fullPage: true });
  await editor.getByRole('button', { name: 'Save metadata' }).click();
  await expect(page.getByText('The metadata was saved.')).toBeVisible();
  const saved = await (await page.request.get(`/image/v2/images/${img.id}`)).json();
  expect([saved.hw_disk_bus, saved.hw_cpu_cores, saved.hw_qemu_guest_agent]).toEqual(['scsi', '2', 'false']);
  expect(errors).toEqual([]);
});

test('the Update Metadata address opens directly and on reload', async ({ page }) => {
  const errors = watchConsole(page);
  const before = serverPanics().length;
  await login(page, 'admin', ADMIN_PASSWORD);
  const img = await imageWithData(page, 'e2e-md-direct');
  await page.goto(`/project/images/${img.id}?metadata=1`);
  await hydrated(page);
  const editor = page.getByRole('region', { name: 'Update Metadata' });
  await expect(editor.getByRole('group').filter({ hasText: 'Virtual hardware' }).first()).toBeVisible();
  await editor.getByLabel('Search definitions').fill('disk bus');
  await expect(editor.getByRole('button', { name: 'Add hw_disk_bus' })).toBeVisible();
  await page.reload();
  await hydrated(page);
  await page.getByRole('region', { name: 'Update Metadata' }).getByLabel('Search definitions').fill('disk bus');
  await expect(page.getByRole('region', { name: 'Update Metadata' }).getByRole('button', { name: 'Add hw_disk_bus' })).toBeVisible();
  expect(serverPanics().slice(before)).toEqual([]);
  expect(errors).toEqual([]);
});

test('Download is greyed out with the reason on a deactivated image of another project', async ({ page, request }) => {
  const errors = watchConsole(page);
  const { headers } = await userIn(request, 'e2e-dl-other', 'e2e-dl-carol', 'member');
  const img = await (await request.post('/image/v2/images', { headers, data: { name: 'e2e-dl-public', visibility: 'public', disk_format: 'raw', container_format: 'bare' } })).json();
  expect((await request.put(`/image/v2/images/${img.id}/file`, { headers: { ...headers, 'Content-Type': 'application/octet-stream' }, data: Buffer.from('data') })).status()).toBe(204);
  expect((await request.post(`/image/v2/images/${img.id}/actions/deactivate`, { headers })).status()).toBe(204);

  await login(page, 'e2e-dl-carol', 'e2e-dl-carol-password');
  await page.goto(`/project/images/${img.id}`);
  await hydrated(page);
  await expect(page.getByRole('link', { name: 'Download' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Download' })).toBeDisabled();
  await expect(page.getByText('Image data download is forbidden.').first()).toBeVisible();
  await page.screenshot({ path: 'test-results/download-deactivated.png', fullPage: true });
  expect(errors).toEqual([]);
});

test('a downloaded image is named after its disk format', async ({ page }) => {
  await login(page, 'admin', ADMIN_PASSWORD);
  // An ovf container is not inspected, so these bytes pass as qcow2.
  const img = await imageWithData(page, 'e2e-named', { disk_format: 'qcow2', container_format: 'ovf' });
  await page.goto(`/project/images/${img.id}`);
  await hydrated(page);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe('e2e-named.qcow2');
});

test('Create Image says why it cannot create: the missing name, or the policy', async ({ page, request }) => {
  const errors = watchConsole(page);
  await login(page, 'admin', ADMIN_PASSWORD);
  await page.goto('/project/images/create');
  await hydrated(page);
  const create = page.getByRole('button', { name: 'Create Image' });
  await expect(create).toBeDisabled();
  await expect(page.getByRole('status').filter({ hasText: 'To create the image, enter an image name and choose an image file.' })).toBeVisible();
  const name = page.getByLabel('Image name');
  await name.focus();
  await name.blur();
  await expect(page.getByText('Enter a name for the image.')).toBeVisible();
  await expect(name).toHaveAttribute('aria-invalid', 'true');
  await name.fill('e2e-named-now');
  await expect(page.getByText('Enter a name for the image.')).toHaveCount(0);
  await expect(page.getByRole('status').filter({ hasText: 'To create the image, choose an image file.' })).toBeVisible();
  await page.screenshot({ path: 'test-results/create-explained.png', fullPage: true });

  // A reader is told before filling anything, on the list and on the form.
  await userIn(request, 'e2e-readers', 'e2e-rita', 'reader');
  await login(page, 'e2e-rita', 'e2e-rita-password');
  await page.goto('/project/images');
  await hydrated(page);
  await expect(page.getByRole('button', { name: 'Create Image' })).toBeDisabled();
  await expect(page.getByText('Readers cannot create images.')).toBeVisible();
  await page.goto('/project/images/create');
  await hydrated(page);
  await expect(page.getByRole('alert').filter({ hasText: 'Readers cannot create images.' })).toBeVisible();
  await expect(page.getByLabel('Image name')).toBeDisabled();
  expect(errors).toEqual([]);
});

test('every route opens directly, with and without its parameters, with no server panic or page error', async ({ page }) => {
  const errors = watchConsole(page, [404]);
  const before = serverPanics().length;
  await login(page, 'admin', ADMIN_PASSWORD);
  const img = await imageWithData(page, 'e2e-routes');
  const project = (await (await page.request.get('/image/v2/images/' + img.id)).json()).owner;
  const routes = [
    '/', '/project', '/project/images', '/project/images?limit=50&sort_key=name&sort_dir=asc&name=e2e-routes&status=active',
    '/project/images?search=routes&visibility=all', `/project/images?marker=${img.id}`, '/project/images?limit=abc',
    '/project/images/create', '/project/shared', '/admin/images', `/admin/images?owner=${project}`,
    `/project/images/${img.id}`, `/project/images/${img.id}?edit=1`, `/project/images/${img.id}?metadata=1`,
    `/project/images/${img.id}#members`, '/project/images/00000000-0000-0000-0000-000000000000', '/project/images/not-an-id',
    '/admin/metadefs', '/admin/metadefs?resource_type=OS::Glance::Image', '/admin/metadefs/Glimpse::Libvirt::Image',
    '/admin/metadefs/No::Such', '/admin/trash', '/admin/stores', '/accounts/projects', '/accounts/users', '/no/such/page',
  ];
  for (const path of routes) {
    const resp = await page.goto(path);
    expect(resp, path).not.toBeNull();
    await hydrated(page);
    await expect(page.locator('p.loading'), path).toHaveCount(0);
    expect(serverPanics().slice(before), path).toEqual([]);
  }
  // The same routes again, each loaded twice at once (concurrent renders).
  await Promise.all(routes.slice(0, 12).map((p) => page.request.get(p).then((r) => expect(r.status(), p).toBeLessThan(500))));
  await Promise.all(routes.slice(0, 12).map((p) => page.request.get(p).then((r) => expect(r.status(), p).toBeLessThan(500))));
  expect(serverPanics().slice(before)).toEqual([]);
  expect(errors).toEqual([]);
});
