import { test, expect } from '@playwright/test';
import { ADMIN_PASSWORD, hydrated, login, token, watchConsole } from './helpers';

test.describe.configure({ mode: 'serial' });

test('share with a second project: pending, accepted, listed; the owner sees accepted; reject', async ({ page, request }) => {
  const errors = watchConsole(page);
  const h = { 'X-Auth-Token': await token(request) };
  const project = (await (await request.post('/identity/v3/projects', { headers: h, data: { project: { name: 'e2e-share-b' } } })).json()).project;
  const user = (await (await request.post('/identity/v3/users', { headers: h, data: { user: { name: 'e2e-carl', password: 'carl-password', default_project_id: project.id } } })).json()).user;
  const roles = (await (await request.get('/identity/v3/roles?name=member', { headers: h })).json()).roles;
  await request.put(`/identity/v3/projects/${project.id}/users/${user.id}/roles/${roles[0].id}`, { headers: h });
  const img = await (await request.post('/image/v2/images', { headers: h, data: { name: 'e2e-shared-img' } })).json();

  // The owner shares it by project name.
  await login(page, 'admin', ADMIN_PASSWORD);
  await page.goto(`/project/images/${img.id}`);
  await hydrated(page);
  const members = page.getByRole('region', { name: 'Members' });
  await members.getByLabel('Share with project (name or ID)').fill('e2e-share-b');
  await members.getByRole('button', { name: 'Share' }).click();
  await expect(members.getByRole('listitem').filter({ hasText: 'e2e-share-b' })).toContainText('pending');
  await page.getByRole('button', { name: 'Log out' }).click();

  // The consumer sees it pending, accepts it and finds it in its list.
  await login(page, 'e2e-carl', 'carl-password');
  const nav = page.getByRole('navigation', { name: 'Main' });
  await expect(nav.getByLabel('1 pending')).toBeVisible();
  await nav.getByRole('link', { name: /Shared with me/ }).click();
  await expect(page.getByRole('heading', { name: 'Pending (1)' })).toBeVisible();
  await page.getByRole('button', { name: 'Accept e2e-shared-img' }).click();
  await expect(page.getByRole('heading', { name: 'Accepted (1)' })).toBeVisible();
  // The navigation's count follows at once, without a reload.
  await expect(nav.getByLabel('1 pending')).toHaveCount(0);
  await page.screenshot({ path: 'test-results/shared.png', fullPage: true });
  await page.goto('/project/images');
  await expect(page.getByRole('table').getByRole('link', { name: 'e2e-shared-img' })).toBeVisible();
  await page.getByRole('button', { name: 'Log out' }).click();

  await login(page, 'admin', ADMIN_PASSWORD);
  await page.goto(`/project/images/${img.id}`);
  await expect(page.getByRole('region', { name: 'Members' }).getByRole('listitem')).toContainText('accepted');
  await page.getByRole('button', { name: 'Log out' }).click();

  // Reject: gone from the list, still on the Shared page to accept later.
  await login(page, 'e2e-carl', 'carl-password');
  await page.goto('/project/shared');
  await hydrated(page);
  await page.getByRole('button', { name: 'Reject e2e-shared-img' }).click();
  await expect(page.getByRole('heading', { name: 'Rejected (1)' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Accept e2e-shared-img' })).toBeVisible();
  await page.goto('/project/images');
  await expect(page.getByRole('table').getByRole('link', { name: 'e2e-shared-img' })).toHaveCount(0);
  expect(errors).toEqual([]);
});
