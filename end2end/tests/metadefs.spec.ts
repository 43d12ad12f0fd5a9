import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { ADMIN_PASSWORD, hydrated, login, row, watchConsole } from './helpers';

const NAMESPACE = {
  namespace: 'E2E::Guest',
  display_name: 'E2E guest settings',
  description: 'Settings made in the end-to-end test.',
  visibility: 'public',
  properties: {
    agent: { title: 'Guest agent', type: 'boolean' },
    cores: { title: 'Cores', type: 'integer', minimum: 1, maximum: 8 },
    flavor: { title: 'Flavor', type: 'string', enum: ['small', 'large'] },
    label: { title: 'Label', type: 'string', pattern: '^[a-z]+$', maxLength: 10 },
  },
  tags: [{ name: 'e2e' }],
};

test('import a namespace from JSON, associate it, and set typed metadata on an image', async ({ page }) => {
  const errors = watchConsole(page);
  await login(page, 'admin', ADMIN_PASSWORD);
  await page.goto('/admin/metadefs');
  await hydrated(page);
  // Glimpse's own catalog is there from the first start.
  await expect(row(page, 'Operating system Glimpse::OperatingSystem')).toBeVisible();

  const json = page.getByLabel('Namespace JSON');
  await json.fill('{"namespace": "E2E::Broken", "properties": {"x": {"type": "string"}}}');
  await expect(page.getByRole('alert')).toHaveText("'properties.x.title' is required");
  await expect(page.getByRole('button', { name: 'Import' })).toBeDisabled();
  await json.fill(JSON.stringify(NAMESPACE, null, 2));
  await expect(page.getByRole('status', { name: 'Import preview' })).toHaveText(
    'Ready to import E2E::Guest: 4 properties, 0 objects, 1 tags, resource types: none.');
  await page.getByRole('button', { name: 'Import' }).click();
  await expect(page.getByText('Namespace E2E::Guest was imported.')).toBeVisible();
  await page.screenshot({ path: 'test-results/metadefs.png', fullPage: true });

  // Browse it, then associate it with images under a prefix.
  await page.getByRole('link', { name: 'E2E guest settings' }).click();
  const props = page.getByRole('table', { name: 'Properties' });
  await expect(props.getByRole('row').filter({ hasText: 'cores' })).toContainText('min 1 · max 8');
  await expect(props.getByRole('row').filter({ hasText: 'flavor' })).toContainText('one of small, large');
  await hydrated(page);
  await page.getByLabel('Prefix').fill('e2e_');
  await page.getByRole('button', { name: 'Associate' }).click();
  await expect(page.getByRole('table', { name: 'Associations' }).getByRole('row').filter({ hasText: 'OS::Glance::Image' })).toContainText('e2e_');
  await page.screenshot({ path: 'test-results/metadef.png', fullPage: true });

  // An image's owner sets typed values; wrong ones are refused with the reason.
  const img = await (await page.request.post('/image/v2/images', {
    data: { name: 'e2e-metadata', disk_format: 'raw', container_format: 'bare' },
  })).json();
  await page.goto(`/project/images/${img.id}`);
  await hydrated(page);
  await page.getByRole('button', { name: 'Update Metadata' }).click();
  const editor = page.getByRole('region', { name: 'Update Metadata' });
  await editor.getByLabel('Search definitions').fill('e2e guest');
  for (const key of ['e2e_cores', 'e2e_flavor', 'e2e_label', 'e2e_agent']) {
    await editor.getByRole('button', { name: `Add ${key}` }).click();
  }
  await editor.getByLabel('Cores e2e_cores').fill('12');
  await expect(editor.getByRole('alert').filter({ hasText: 'e2e_cores must be at most 8' })).toBeVisible();
  await expect(editor.getByRole('button', { name: 'Save metadata' })).toBeDisabled();
  await editor.getByLabel('Cores e2e_cores').fill('4');
  await editor.getByLabel('Label e2e_label').fill('Bad1');
  await expect(editor.getByRole('alert').filter({ hasText: 'e2e_label must match ^[a-z]+$' })).toBeVisible();
  await editor.getByLabel('Label e2e_label').fill('web');
  await editor.getByLabel('Flavor e2e_flavor').selectOption('large');
  await editor.getByLabel('Guest agent e2e_agent').check();
  await page.screenshot({ path: 'test-results/update-metadata.png', fullPage: true });
  await editor.getByRole('button', { name: 'Save metadata' }).click();
  await expect(page.getByText('The metadata was saved.')).toBeVisible();
  await expect(page.getByText('e2e_flavor')).toBeVisible();

  // The real client sees the same properties.
  const venv = resolve(__dirname, '../../target/venv/bin/openstack');
  const out = execFileSync(venv, ['image', 'show', img.id, '-f', 'json'], { env: {
    ...process.env,
    OS_AUTH_URL: 'http://127.0.0.1:9393/identity/v3', OS_USERNAME: 'admin', OS_PASSWORD: ADMIN_PASSWORD,
    OS_PROJECT_NAME: 'admin', OS_USER_DOMAIN_NAME: 'Default', OS_PROJECT_DOMAIN_NAME: 'Default',
    OS_IDENTITY_API_VERSION: '3', OS_INTERFACE: 'public',
  } }).toString();
  const shown = JSON.parse(out);
  expect(shown.properties).toMatchObject({ e2e_cores: '4', e2e_flavor: 'large', e2e_label: 'web', e2e_agent: 'true' });
  expect(errors).toEqual([]);
});
