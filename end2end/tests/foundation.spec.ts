import { test, expect } from '@playwright/test';
import { ADMIN_PASSWORD, hydrated, login, row, watchConsole } from './helpers';

test.describe.configure({ mode: 'serial' });

test('a wrong password shows the error, and the form hydrates', async ({ page }) => {
  const errors = watchConsole(page, [401]);
  await page.goto('/');
  await expect(page).toHaveURL(/\/login$/);
  await hydrated(page);
  // A client-side interaction: only a hydrated page can toggle the password's visibility.
  const password = page.getByLabel('Password', { exact: true });
  await expect(password).toHaveAttribute('type', 'password');
  await page.getByLabel('Show password').check();
  await expect(password).toHaveAttribute('type', 'text');

  await page.getByLabel('User name').fill('admin');
  await password.fill('not-the-password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('alert')).toHaveText('The user name or password is incorrect.');
  await expect(page).toHaveURL(/\/login/);
  expect(errors).toEqual([]);
});

test('an admin creates a project and a user with a role, and switches project', async ({ page }) => {
  const errors = watchConsole(page);
  await login(page, 'admin', ADMIN_PASSWORD);
  await expect(page.getByRole('heading', { name: 'Overview' })).toBeVisible();
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' })).toBeVisible();
  await page.screenshot({ path: 'test-results/overview.png', fullPage: true });

  await page.getByRole('link', { name: 'Projects' }).click();
  await expect(page.getByRole('heading', { name: 'Projects' })).toBeVisible();
  const create = page.getByRole('region', { name: 'Create Project' });
  await create.getByLabel('Name').fill(' bad');
  await expect(create.getByText('Name must not start or end with a space')).toBeVisible();
  await expect(create.getByRole('button', { name: 'Create Project' })).toBeDisabled();
  await create.getByLabel('Name').fill('e2e-demo');
  await create.getByLabel('Description').fill('Made by the end-to-end test');
  await create.getByRole('button', { name: 'Create Project' }).click();
  await expect(page.getByText('Project e2e-demo was created.')).toBeVisible();
  await expect(row(page, 'e2e-demo')).toContainText('Made by the end-to-end test');
  await page.screenshot({ path: 'test-results/projects.png', fullPage: true });

  await page.getByRole('link', { name: 'Users' }).click();
  await expect(page.getByRole('heading', { name: 'Users' })).toBeVisible();
  const form = page.getByRole('region', { name: 'Create User' });
  await form.getByLabel('User name').fill('e2e-alice');
  await form.getByLabel('Password').fill('short');
  await expect(form.getByText('Password must be at least 8 characters')).toBeVisible();
  await form.getByLabel('Password').fill('alice-password');
  await form.getByLabel('Primary project').selectOption({ label: 'e2e-demo' });
  await form.getByLabel('Role', { exact: true }).selectOption('member');
  await form.getByRole('button', { name: 'Create User' }).click();
  await expect(page.getByText('User e2e-alice was created.')).toBeVisible();
  await expect(row(page, 'e2e-alice')).toContainText('e2e-demo: member');

  // Give the admin a role on the new project, then switch to it.
  const adminRow = row(page, 'admin');
  await adminRow.getByText('Add role').click();
  await adminRow.getByLabel('Project', { exact: true }).selectOption({ label: 'e2e-demo' });
  await adminRow.getByLabel('Role', { exact: true }).selectOption('reader');
  await adminRow.getByRole('button', { name: 'Save role' }).click();
  await expect(row(page, 'admin')).toContainText('e2e-demo: reader');
  await page.screenshot({ path: 'test-results/users.png', fullPage: true });

  await page.reload();
  await hydrated(page);
  await page.getByLabel('Project', { exact: true }).first().selectOption({ label: 'e2e-demo' });
  await expect(page.getByLabel('Project', { exact: true }).first()).toHaveValue(/[0-9a-f]{32}/);
  await page.getByRole('link', { name: 'Overview' }).click();
  await expect(page.getByText('Project e2e-demo')).toBeVisible();
  // A reader in e2e-demo is no admin there: the Identity section is gone.
  await expect(page.getByRole('link', { name: 'Users' })).toHaveCount(0);
  expect(errors).toEqual([]);
});

test('the new user logs in, sees only their project, and logs out', async ({ page }) => {
  const errors = watchConsole(page, [403]);
  await login(page, 'e2e-alice', 'alice-password');
  const switcher = page.getByLabel('Project', { exact: true }).first();
  await expect(switcher.locator('option')).toHaveText(['e2e-demo']);
  await expect(page.getByRole('link', { name: 'Users' })).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'Projects' })).toHaveCount(0);
  // Typing the admin page's address does not help: the server refuses the data.
  await page.goto('/accounts/users');
  await expect(page.getByRole('alert')).toContainText('Only administrators');

  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto('/project');
  await expect(page).toHaveURL(/\/login\?next=\/project$/);
  expect(errors).toEqual([]);
});
