import { test, expect } from '@playwright/test';
import { execFileSync } from 'child_process';
import { ADMIN_PASSWORD, hydrated, row, watchConsole } from './helpers';

test.describe.configure({ mode: 'serial' });

test.describe('in German (from the browser language)', () => {
  test.use({ locale: 'de-DE' });

  test('log in, find an image, read its details and delete it, all in German', async ({ page }, info) => {
    // The refused login (401) and the refused tag (400) are meant.
    const errors = watchConsole(page, [401, 400]);
    await page.goto('/login');
    await hydrated(page);
    await expect(page.locator('html')).toHaveAttribute('lang', 'de');
    await expect(page).toHaveTitle(/Anmelden/);
    // A refused login is told in German too (the server sends why, typed).
    await page.getByLabel('Benutzername').fill('admin');
    await page.getByLabel('Passwort', { exact: true }).fill('nicht-das-passwort');
    await page.getByRole('button', { name: 'Anmelden' }).click();
    await expect(page.getByRole('alert')).toHaveText('Benutzername oder Passwort ist falsch.');
    await page.getByLabel('Benutzername').fill('admin');
    await page.getByLabel('Passwort', { exact: true }).fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Anmelden' }).click();
    await expect(page.getByRole('button', { name: 'Abmelden' })).toBeVisible();
    await hydrated(page);

    const made = await page.request.post('/image/v2/images', {
      data: { name: 'e2e-de-bild', disk_format: 'raw', container_format: 'bare' },
    });
    expect(made.status()).toBe(201);
    await page.getByRole('navigation', { name: 'Hauptnavigation' }).getByRole('link', { name: 'Abbilder', exact: true }).click();
    await expect(page.getByRole('heading', { name: 'Abbilder', exact: true })).toBeVisible();
    await page.getByLabel('Name enthält').fill('e2e-de-');
    await page.getByRole('button', { name: 'Filter anwenden' }).click();
    const table = page.getByRole('table');
    await expect(table.getByRole('caption')).toHaveText('1 Abbild');
    await expect(table.getByRole('columnheader', { name: 'Größe' })).toBeVisible();
    await expect(row(page, 'e2e-de-bild')).toContainText('wartend');
    await page.screenshot({ path: 'test-results/images-de.png', fullPage: true });

    await row(page, 'e2e-de-bild').getByRole('link', { name: 'e2e-de-bild' }).click();
    await expect(page.getByText('Abbilddetails')).toBeVisible();
    await hydrated(page);
    // A refusal only the server makes (a tag over the schema's 255 characters) arrives as a typed
    // problem: its words load with their own chunk, in German.
    const lazyWords = page.waitForRequest((r) => /split_error_later/.test(r.url()));
    await page.getByRole('button', { name: 'Bearbeiten', exact: true }).click();
    await page.getByLabel('Schlagwörter (durch Kommas getrennt)').fill('t'.repeat(300));
    await page.getByRole('button', { name: 'Änderungen speichern' }).click();
    await expect(page.getByText(`Das Objekt entspricht nicht dem Schema 'image': „${'t'.repeat(32)}…“ ist zu lang (höchstens 255 Zeichen)`)).toBeVisible();
    await lazyWords;
    await page.getByRole('button', { name: 'Löschen' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Dieses Abbild löschen?' });
    await dialog.getByRole('button', { name: 'Abbild löschen' }).click();
    await expect(page.getByText('Das Abbild wurde gelöscht.')).toBeVisible();

    // The pages that load their own code when first opened speak German too.
    await page.goto('/project/images/create');
    await hydrated(page);
    await expect(page.getByRole('heading', { name: 'Abbild erstellen' })).toBeVisible();
    await page.getByLabel('Name des Abbilds').fill(' x');
    await page.getByLabel('Name des Abbilds').blur();
    await expect(page.getByRole('status').filter({ hasText: 'Um das Abbild zu erstellen' })).toContainText('eine Abbilddatei wählen');
    // The image rules' and the format inspector's refusals arrive typed and read in German.
    await page.getByLabel('Eigene Eigenschaften (Schlüssel=Wert, eine pro Zeile)').fill('status=x');
    await expect(page.getByText("Attribut 'status' ist schreibgeschützt.")).toBeVisible();
    await page.getByLabel('Eigene Eigenschaften (Schlüssel=Wert, eine pro Zeile)').fill('ohne-gleichheitszeichen');
    await expect(page.getByText('„ohne-gleichheitszeichen“ hat nicht die Form Schlüssel=Wert')).toBeVisible();
    await page.getByLabel('Eigene Eigenschaften (Schlüssel=Wert, eine pro Zeile)').fill('');
    const base = info.outputPath('base.qcow2');
    execFileSync('qemu-img', ['create', '-f', 'qcow2', base, '64M']);
    const backed = info.outputPath('backed.qcow2');
    execFileSync('qemu-img', ['create', '-f', 'qcow2', '-b', base, '-F', 'qcow2', backed]);
    await page.getByLabel('Abbilddatei').setInputFiles(backed);
    await expect(page.getByRole('status', { name: 'Erkanntes Format' })).toHaveText('Erkannt: qcow2');
    await expect(page.getByRole('alert').filter({ hasText: 'Das qcow2-Abbild hat die Sicherheitsprüfung backing_file nicht bestanden: es verweist auf eine Basisdatei (backing file).' })).toBeVisible();
    await page.screenshot({ path: 'test-results/create-image-de.png', fullPage: true });
    await page.goto('/admin/metadefs');
    await hydrated(page);
    await expect(page.getByRole('heading', { name: 'Metadatendefinitionen' })).toBeVisible();
    await expect(page.getByRole('heading', { name: 'Namensraum importieren' })).toBeVisible();

    // A form's own checks speak German: the identity rules' refusals travel as data.
    await page.goto('/accounts/projects');
    await hydrated(page);
    const create = page.getByRole('region', { name: 'Projekt erstellen' });
    await create.getByLabel('Name').fill(' falsch');
    await expect(create.getByText('Name darf nicht mit einem Leerzeichen beginnen oder enden')).toBeVisible();
    await expect(create.getByRole('button', { name: 'Projekt erstellen' })).toBeDisabled();
    expect(errors).toEqual([]);
  });
});

test('the language picker switches to Chinese, keeps it in the session, and back', async ({ page }) => {
  const errors = watchConsole(page);
  await page.goto('/login');
  await hydrated(page);
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await page.getByLabel('Language').selectOption('zh');
  // The choice is saved, then the page loads again in it.
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh');
  await expect(page.getByLabel('用户名')).toBeVisible();
  await hydrated(page);
  await page.getByLabel('用户名').fill('admin');
  await page.getByLabel('密码', { exact: true }).fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: '登录' }).click();
  await expect(page.getByRole('button', { name: '退出' })).toBeVisible();
  await hydrated(page);

  expect((await page.request.post('/image/v2/images', { data: { name: 'e2e-zh-镜像' } })).status()).toBe(201);
  await page.getByRole('navigation', { name: '主导航' }).getByRole('link', { name: '镜像', exact: true }).click();
  await expect(page.getByRole('heading', { name: '镜像', exact: true })).toBeVisible();
  await expect(page.getByRole('table').getByRole('caption')).toContainText(/\d+ 个镜像/);
  await expect(row(page, 'e2e-zh-镜像')).toContainText('排队中');
  await expect(page.getByRole('button', { name: '创建镜像' }).or(page.getByRole('link', { name: '创建镜像' }))).toBeVisible();
  await page.screenshot({ path: 'test-results/images-zh.png', fullPage: true });

  // Another page load in the same session stays in Chinese, whatever the browser asks for.
  await page.goto('/project/shared');
  await expect(page.getByRole('heading', { name: '共享给我的' })).toBeVisible();
  // The picker works once the page is live (Shared with me loads its own chunk first).
  await hydrated(page);
  await page.getByLabel('语言').selectOption('en');
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await expect(page.getByRole('heading', { name: 'Shared with me' })).toBeVisible();
  expect(errors).toEqual([]);
});
