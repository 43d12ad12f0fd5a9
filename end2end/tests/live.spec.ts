import { test, expect, Browser } from '@playwright/test';
import { hydrated, login, memberOf, row, token, watchConsole } from './helpers';

async function openImages(browser: Browser, user: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = watchConsole(page);
  await login(page, user, `${user}-password`);
  await page.goto('/project/images');
  await hydrated(page);
  // What this browser's event stream delivers, by image name (a second listener on the same
  // endpoint, opened once the page is up).
  await page.evaluate(() => new Promise<void>((ready) => {
    const w = window as unknown as { seen: string[] };
    w.seen = [];
    const s = new EventSource('/events');
    s.addEventListener('image', (e) => w.seen.push(JSON.parse((e as MessageEvent).data).name));
    s.addEventListener('open', () => ready());
  }));
  return { page, errors };
}

// The images table changes live: a new image appears and its status moves to active without a
// reload; another project's browser never receives the first project's private events.
test('the images table updates live, and each browser gets only its own events', async ({ browser, request }) => {
  const admin = { 'X-Auth-Token': await token(request) };
  const lia = await memberOf(request, admin, 'e2e-live-a', 'e2e-lia');
  await memberOf(request, admin, 'e2e-live-b', 'e2e-lib');
  const a = await openImages(browser, 'e2e-lia');
  const b = await openImages(browser, 'e2e-lib');

  const img = await (await request.post('/image/v2/images', { headers: lia, data: { name: 'e2e-live-private', visibility: 'private', disk_format: 'raw', container_format: 'bare' } })).json();
  await expect(row(a.page, 'e2e-live-private')).toBeVisible();
  await expect(row(a.page, 'e2e-live-private').getByText('queued')).toBeVisible();
  const up = await request.put(`/image/v2/images/${img.id}/file`, { headers: { ...lia, 'Content-Type': 'application/octet-stream' }, data: Buffer.alloc(4096, 7) });
  expect(up.status()).toBe(204);
  await expect(row(a.page, 'e2e-live-private').getByText('active')).toBeVisible();
  await a.page.screenshot({ path: 'test-results/live-table.png', fullPage: true });

  // A public image reaches both; the private one reached only its project's browser.
  await request.post('/image/v2/images', { headers: admin, data: { name: 'e2e-live-public', visibility: 'public' } });
  await expect(row(b.page, 'e2e-live-public')).toBeVisible();
  await expect.poll(() => b.page.evaluate(() => (window as unknown as { seen: string[] }).seen)).toContain('e2e-live-public');
  const seenByB = await b.page.evaluate(() => (window as unknown as { seen: string[] }).seen);
  expect(seenByB).not.toContain('e2e-live-private');
  const seenByA = await a.page.evaluate(() => (window as unknown as { seen: string[] }).seen);
  expect(seenByA).toContain('e2e-live-private');
  await expect(row(b.page, 'e2e-live-private')).toHaveCount(0);

  // A share offered to B's project shows in B's navigation at once.
  const projectB = (await (await request.get('/identity/v3/projects?name=e2e-live-b', { headers: admin })).json()).projects[0];
  const shared = await (await request.post('/image/v2/images', { headers: lia, data: { name: 'e2e-live-shared', visibility: 'shared' } })).json();
  const offer = await request.post(`/image/v2/images/${shared.id}/members`, { headers: lia, data: { member: projectB.id } });
  expect(offer.status()).toBe(200);
  await expect(b.page.getByRole('navigation', { name: 'Main' }).getByLabel('1 pending')).toBeVisible();
  expect(a.errors).toEqual([]);
  expect(b.errors).toEqual([]);
});
