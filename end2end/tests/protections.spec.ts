import { test, expect } from '@playwright/test';
import { hydrated, login, memberOf, token, watchConsole } from './helpers';

// The e2e server's property protection file makes licence_* keys the admins' (everyone reads
// them): a member sees them read-only in Edit and Update Metadata, decided by the server.
test('a member sees protected properties read-only in Edit and Update Metadata', async ({ page, request }) => {
  const errors = watchConsole(page);
  const admin = { 'X-Auth-Token': await token(request) };
  const pia = await memberOf(request, admin, 'e2e-licensed', 'e2e-pia');

  // The member may not set a licence key through the API either (Glance's 403).
  const refused = await request.post('/image/v2/images', { headers: pia, data: { name: 'e2e-licensed-image', licence_key: 'mine' } });
  expect(refused.status()).toBe(403);
  const img = await (await request.post('/image/v2/images', { headers: pia, data: { name: 'e2e-licensed-image', os_distro: 'debian' } })).json();
  const set = await request.patch(`/image/v2/images/${img.id}`, {
    headers: { ...admin, 'Content-Type': 'application/openstack-images-v2.1-json-patch' },
    data: [{ op: 'add', path: '/licence_key', value: 'ABC-123' }],
  });
  expect(set.status()).toBe(200);

  await login(page, 'e2e-pia', 'e2e-pia-password');
  await page.goto(`/project/images/${img.id}`);
  await hydrated(page);
  await page.getByRole('button', { name: 'Edit' }).click();
  const form = page.locator('form.edit-image');
  await expect(form.getByText('Protected properties')).toBeVisible();
  await expect(form.getByText('ABC-123')).toBeVisible();
  const props = form.getByLabel('Properties (key=value, one per line)');
  await expect(props).toHaveValue('os_distro=debian\n');
  // Typing the protected key into the free-form properties is refused before saving.
  await props.fill('os_distro=debian\nlicence_key=free\n');
  await expect(form.getByRole('alert')).toContainText('"licence_key" is read-only for your roles');
  await expect(form.getByRole('button', { name: 'Save changes' })).toBeDisabled();
  await props.fill('os_distro=debian\nx_team=web\n');
  await page.screenshot({ path: 'test-results/protected-edit.png', fullPage: true });
  await form.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByText('The image was updated.')).toBeVisible();
  const after = await (await request.get(`/image/v2/images/${img.id}`, { headers: admin })).json();
  expect(after.licence_key).toBe('ABC-123');
  expect(after.x_team).toBe('web');

  await page.getByRole('button', { name: 'Update Metadata' }).click();
  const editor = page.getByRole('region', { name: 'Update Metadata' });
  await expect(editor.getByRole('button', { name: 'Remove licence_key' })).toBeDisabled();
  await expect(editor.getByRole('button', { name: 'Remove x_team' })).toBeEnabled();
  await expect(editor.locator('#md-v-licence-key')).toBeDisabled();
  await expect(editor.getByText(/Read-only: the operator's property protections/)).toBeVisible();
  await editor.getByLabel('Custom key').fill('licence_seats');
  await editor.getByRole('button', { name: 'Add custom key' }).click();
  await expect(editor.getByText('The operator\'s property protections do not let your roles add this key.')).toBeVisible();
  await expect(editor.getByRole('button', { name: 'Remove licence_seats' })).toHaveCount(0);
  await editor.getByLabel('Custom key').fill('x_seats');
  await editor.getByRole('button', { name: 'Add custom key' }).click();
  await expect(editor.getByRole('button', { name: 'Remove x_seats' })).toBeVisible();
  await page.screenshot({ path: 'test-results/protected-metadata.png', fullPage: true });
  expect(errors).toEqual([]);
});
