import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { writeFileSync } from 'node:fs';
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
    zones: { title: 'Zones', type: 'array', operators: ['<in>', '<or>'], items: { type: 'string', enum: ['a', 'b', 'c'] } },
  },
  objects: [{ name: 'Boot', properties: { boot_menu: { title: 'Boot menu', type: 'boolean' } } }],
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
    'Ready to import E2E::Guest: 5 properties, 1 objects, 1 tags, resource types: none.');
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
  // From the images table's row menu straight into the editor.
  await page.goto('/project/images?name=e2e-metadata');
  await hydrated(page);
  const imageRow = page.getByRole('row').filter({ hasText: 'e2e-metadata' });
  await imageRow.getByLabel('Actions for e2e-metadata').click();
  await imageRow.getByRole('link', { name: 'Update metadata' }).click();
  await hydrated(page);
  const editor = page.getByRole('region', { name: 'Update Metadata' });
  await editor.getByLabel('Search definitions').fill('e2e guest');
  await expect(editor.getByText('Boot', { exact: true })).toBeVisible();
  for (const key of ['e2e_cores', 'e2e_flavor', 'e2e_label', 'e2e_agent', 'e2e_zones', 'e2e_boot_menu']) {
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
  await editor.getByLabel('Boot menu e2e_boot_menu').check();
  const zones = editor.getByRole('group', { name: 'Zones values' });
  await zones.getByLabel('Zones operator').selectOption('<or>');
  await zones.getByLabel('a', { exact: true }).check();
  await zones.getByLabel('c', { exact: true }).check();
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
  expect(shown.properties).toMatchObject({ e2e_cores: '4', e2e_flavor: 'large', e2e_label: 'web', e2e_agent: 'true', e2e_zones: '<or> a,c', e2e_boot_menu: 'true' });
  expect(errors).toEqual([]);
});

test('import from a file; create, edit and delete properties, objects and tags; protected refuses deletes', async ({ page }, info) => {
  const errors = watchConsole(page, [403]);
  const file = info.outputPath('items.json');
  writeFileSync(file, JSON.stringify({ namespace: 'E2E::Items', display_name: 'E2E items', tags: [{ name: 'old' }] }));
  await login(page, 'admin', ADMIN_PASSWORD);
  await page.goto('/admin/metadefs');
  await hydrated(page);
  await page.getByLabel('Namespace file').setInputFiles(file);
  await expect(page.getByRole('status', { name: 'Import preview' })).toContainText('Ready to import E2E::Items');
  await page.getByRole('button', { name: 'Import' }).click();
  await page.getByRole('link', { name: 'E2E items' }).click();
  await hydrated(page);

  // A property: the definition is checked as it is typed.
  await page.getByRole('button', { name: 'Add property' }).click();
  const form = page.getByRole('form', { name: 'Save property' });
  await form.getByLabel('New property name').fill('speed');
  await form.getByLabel('Definition of the property (JSON)').fill('{"title": "Speed", "type": "fast"}');
  await expect(form.getByRole('alert')).toContainText("'properties.speed.type' must be one of");
  await expect(form.getByRole('button', { name: 'Save property' })).toBeDisabled();
  await form.getByLabel('Definition of the property (JSON)').fill('{"title": "Speed", "type": "integer", "minimum": 1}');
  await form.getByRole('button', { name: 'Save property' }).click();
  const props = page.getByRole('table', { name: 'Properties' });
  await expect(props.getByRole('row').filter({ hasText: 'speed' })).toContainText('min 1');
  await page.getByRole('button', { name: 'Edit property speed' }).click();
  await page.getByLabel('Definition of the property (JSON)').fill('{"title": "Link speed", "type": "integer"}');
  await page.getByRole('button', { name: 'Save property' }).click();
  await expect(props.getByRole('row').filter({ hasText: 'speed' })).toContainText('Link speed');

  // An object and a tag.
  await page.getByRole('button', { name: 'Add object' }).click();
  await page.getByLabel('New object name').fill('Net');
  await page.getByLabel('Definition of the object (JSON)').fill('{"required": ["mtu"], "properties": {"mtu": {"title": "MTU", "type": "integer"}}}');
  await page.getByRole('button', { name: 'Save object' }).click();
  await expect(page.getByRole('heading', { name: 'Objects (1)' })).toBeVisible();
  await expect(page.getByRole('table', { name: 'Properties of Net' })).toContainText('MTU');
  await page.getByRole('button', { name: 'Add tag' }).click();
  await page.getByLabel('New tag name').fill('fast');
  await page.getByRole('button', { name: 'Save tag' }).click();
  await expect(page.getByRole('heading', { name: 'Tags (2)' })).toBeVisible();
  await page.getByRole('button', { name: 'Delete tag old' }).click();
  await expect(page.getByRole('heading', { name: 'Tags (1)' })).toBeVisible();

  // Protected: deletes are refused, with the reason.
  await page.getByLabel('Protected').check();
  await page.getByRole('button', { name: 'Save flags' }).click();
  await expect(page.getByRole('button', { name: 'Delete property speed' })).toBeDisabled();
  await expect(page.getByRole('button', { name: 'Delete namespace' })).toBeDisabled();
  await page.screenshot({ path: 'test-results/metadef-protected.png', fullPage: true });
  await page.getByLabel('Protected').uncheck();
  await page.getByRole('button', { name: 'Save flags' }).click();
  await expect(page.getByRole('button', { name: 'Delete namespace' })).toBeEnabled();
  await page.getByRole('button', { name: 'Delete property speed' }).click();
  await expect(props.getByRole('row').filter({ hasText: 'speed' })).toHaveCount(0);
  await page.getByRole('button', { name: 'Delete namespace' }).click();
  await expect(page).toHaveURL(/\/admin\/metadefs$/);
  await expect(page.getByRole('link', { name: 'E2E items' })).toHaveCount(0);
  expect(errors).toEqual([]);
});
