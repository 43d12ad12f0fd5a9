import { test, expect } from '@playwright/test';
import { ADMIN_PASSWORD, hydrated, login, startSource, token, watchConsole } from './helpers';

// A confirmation opened from the keyboard takes the focus, keeps Tab inside, closes on Escape
// and gives the focus back to the button that opened it; Enter on its button confirms.
test('confirm dialogs trap the keyboard focus and give it back', async ({ page, request }) => {
  const errors = watchConsole(page);
  const h = { 'X-Auth-Token': await token(request) };
  const img = await (await request.post('/image/v2/images', { headers: h, data: { name: 'e2e-keyboard' } })).json();
  await login(page, 'admin', ADMIN_PASSWORD);
  await page.goto(`/project/images/${img.id}`);
  await hydrated(page);
  const del = page.getByRole('button', { name: 'Delete', exact: true });
  await del.focus();
  await expect(del).toBeFocused();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('alertdialog', { name: 'Delete this image?' });
  await expect(dialog).toBeVisible();
  const confirm = dialog.getByRole('button', { name: 'Delete image' });
  const cancel = dialog.getByRole('button', { name: 'Cancel' });
  await expect(confirm).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(cancel).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(confirm).toBeFocused();
  await page.keyboard.press('Shift+Tab');
  await expect(cancel).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await expect(del).toBeFocused();
  // Again, and confirm with the keyboard alone.
  await page.keyboard.press('Enter');
  await expect(confirm).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/project\/images$/);
  expect((await request.get(`/image/v2/images/${img.id}`, { headers: h })).status()).toBe(404);
  expect(errors).toEqual([]);
});

/** The focused element when its focus does not show (no outline, no ring); '' when it shows. */
async function focusHidden(page) {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return 'nothing has the focus';
    const s = getComputedStyle(el);
    const shows = (s.outlineStyle !== 'none' && s.outlineWidth !== '0px') || s.boxShadow !== 'none';
    return shows ? '' : el.outerHTML.slice(0, 200);
  });
}

/** Presses Tab until the focused element is `target`, checking on the way that focus shows. */
async function tabTo(page, target, max = 80) {
  for (let i = 0; i < max; i++) {
    if (await target.evaluate((el) => el === document.activeElement)) return;
    await page.keyboard.press('Tab');
    const hidden = await focusHidden(page);
    // Past the page's last element the focus goes to the browser itself, then comes back.
    if (hidden !== 'nothing has the focus') expect(hidden, `the focus shows on step ${i}`).toBe('');
  }
  throw new Error(`Tab never reached ${target}`);
}

// A keyboard-only user: logs in, opens Images, creates an image from a URL, and reaches its
// page's actions, never touching the mouse; every element the focus lands on shows it.
test('the main flow works from the keyboard alone, with the focus always visible', async ({ page }, info) => {
  const errors = watchConsole(page);
  const { server, base } = await startSource(info.outputPath('walk.qcow2'));
  try {
    await page.goto('/login');
    await hydrated(page);
    await tabTo(page, page.getByLabel('User name'));
    await page.keyboard.type('admin');
    await tabTo(page, page.getByLabel('Password', { exact: true }));
    await page.keyboard.type(ADMIN_PASSWORD);
    await page.keyboard.press('Enter');
    await expect(page.getByRole('button', { name: 'Log out' })).toBeVisible();
    await hydrated(page);

    await tabTo(page, page.getByRole('link', { name: 'Images', exact: true }));
    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(/\/project\/images$/);
    await hydrated(page);
    await tabTo(page, page.getByRole('link', { name: 'Create Image' }));
    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(/\/project\/images\/create$/);
    await hydrated(page);

    await tabTo(page, page.getByLabel('Image name'));
    await page.keyboard.type('e2e-keyboard-walk');
    await tabTo(page, page.getByRole('radio', { name: /File/ }));
    await page.keyboard.press('ArrowRight');
    await expect(page.getByRole('radio', { name: /URL/ })).toBeChecked();
    await tabTo(page, page.getByLabel('Image URL'));
    await page.keyboard.type(`${base}/cirros.qcow2`);
    await tabTo(page, page.getByLabel('Disk format'));
    await expect(page.getByLabel('Disk format')).toHaveValue('qcow2');
    await tabTo(page, page.getByRole('button', { name: 'Create Image' }));
    await page.keyboard.press('Enter');
    await expect(page.getByRole('heading', { name: 'e2e-keyboard-walk' })).toBeVisible();
    await expect(page.getByText('active', { exact: true }).first()).toBeVisible();
    await hydrated(page);

    // The page's actions are reachable too: Edit opens its form from the keyboard.
    await tabTo(page, page.getByRole('button', { name: 'Edit', exact: true }));
    await page.keyboard.press('Enter');
    await expect(page.getByRole('button', { name: 'Save' })).toBeVisible();
  } finally {
    server.close();
  }
  expect(errors).toEqual([]);
});
