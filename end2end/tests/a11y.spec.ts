import { test, expect, Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { ADMIN_PASSWORD, hydrated, login, token } from './helpers';

/** The serious and critical accessibility violations axe-core finds on the page as it is. */
async function audit(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

// Every page of the dashboard, audited by axe-core once hydrated: no serious or critical
// violation (names, labels, contrast, roles, landmarks).
test('every page passes an axe-core audit with no serious or critical violation', async ({ page, request }) => {
  const h = { 'X-Auth-Token': await token(request) };
  const img = await (await request.post('/image/v2/images', { headers: h, data: { name: 'e2e-a11y', disk_format: 'raw', container_format: 'bare' } })).json();
  const found: Record<string, string[]> = {};
  await page.goto('/login');
  await hydrated(page);
  found['/login'] = await audit(page);
  await login(page, 'admin', ADMIN_PASSWORD);
  for (const path of [
    '/project', '/project/images', '/project/images/create', `/project/images/${img.id}`,
    `/project/images/${img.id}?edit=1`, `/project/images/${img.id}?metadata=1`, '/project/shared',
    '/admin/images', '/admin/trash', '/admin/stores', '/admin/metadefs', 'first namespace',
    '/admin/metadefs/No::Such::Namespace', '/accounts/projects', '/accounts/users',
  ]) {
    if (path === 'first namespace') {
      // The first namespace of the catalog, as its link in the table names it.
      await page.getByRole('table').getByRole('link').first().click();
      await expect(page).toHaveURL(/\/admin\/metadefs\/.+/);
      await hydrated(page);
      await expect(page.locator('.loading')).toHaveCount(0);
      found[page.url()] = await audit(page);
      continue;
    }
    await page.goto(path);
    await hydrated(page);
    await expect(page.locator('.loading')).toHaveCount(0);
    found[path] = await audit(page);
  }
  const failing = Object.fromEntries(Object.entries(found).filter(([, v]) => v.length > 0));
  expect(failing).toEqual({});
});
