import { test, expect } from '@playwright/test';
import { ADMIN_PASSWORD, hydrated, login, token, watchConsole } from './helpers';

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
