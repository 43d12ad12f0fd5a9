import { test, expect } from '@playwright/test';
import { writeFileSync } from 'node:fs';
import { ADMIN_PASSWORD, hydrated, login, row, watchConsole } from './helpers';

test.describe.configure({ mode: 'serial' });

test('Create Image offers the stores; the data lands in the chosen one; Admin > Stores counts it', async ({ page }, info) => {
  const errors = watchConsole(page);
  const file = info.outputPath('archive.raw');
  writeFileSync(file, Buffer.alloc(300_000, 7));
  await login(page, 'admin', ADMIN_PASSWORD);
  await page.goto('/project/images/create');
  await hydrated(page);
  await page.getByLabel('Image name').fill('e2e-archived');
  await page.getByLabel('Image file').setInputFiles(file);
  const store = page.getByLabel('Store');
  await expect(store).toHaveValue('');
  await expect(store.locator('option')).toHaveText(['local (fast disk, default)', 'archive (slow disk)']);
  await store.selectOption({ label: 'archive (slow disk)' });
  await page.getByRole('button', { name: 'Create Image' }).click();
  await expect(page.getByRole('heading', { name: 'e2e-archived' })).toBeVisible();
  await expect(page.getByText('active', { exact: true })).toBeVisible();
  const facts = page.locator('dl');
  await expect(facts.getByText('Stored in')).toBeVisible();
  await expect(facts.locator('dt:has-text("Stored in") + dd')).toHaveText('archive');

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Stores' }).click();
  await hydrated(page);
  await expect(row(page, 'archive')).toContainText('slow disk');
  await expect(row(page, 'archive')).toContainText('1');
  await expect(row(page, 'archive')).toContainText('293.0 KiB');
  await page.screenshot({ path: 'test-results/stores.png', fullPage: true });
  expect(errors).toEqual([]);
});
