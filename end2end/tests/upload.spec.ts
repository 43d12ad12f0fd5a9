import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { ADMIN_PASSWORD, hydrated, login, watchConsole } from './helpers';

test.describe.configure({ mode: 'serial' });

async function fillForm(page, name: string, file: string) {
  await page.goto('/project/images/create');
  await hydrated(page);
  await page.getByLabel('Image name').fill(name);
  await page.getByLabel('Image file').setInputFiles(file);
  await page.getByLabel('OS distro').fill('cirros');
  await page.getByLabel('Tags (comma separated)').fill('e2e, upload');
}

test('upload a qcow2 made by qemu-img: progress, then active with its checksum', async ({ page }, info) => {
  const errors = watchConsole(page);
  const file = info.outputPath('disk.qcow2');
  execFileSync('qemu-img', ['create', '-f', 'qcow2', file, '64M']);
  const md5 = createHash('md5').update(readFileSync(file)).digest('hex');
  await login(page, 'admin', ADMIN_PASSWORD);
  await fillForm(page, 'e2e-qcow2', file);
  await page.getByLabel('Custom properties (key=value, one per line)').fill('status=x');
  await expect(page.getByText("Attribute 'status' is read-only.")).toBeVisible();
  await expect(page.getByRole('button', { name: 'Create Image' })).toBeDisabled();
  await page.getByLabel('Custom properties (key=value, one per line)').fill('hw_disk_bus=scsi');
  await page.getByRole('button', { name: 'Create Image' }).click();
  await expect(page.getByRole('heading', { name: 'e2e-qcow2' })).toBeVisible();
  await expect(page.getByText('active', { exact: true })).toBeVisible();
  await expect(page.getByText(md5)).toBeVisible();
  await expect(page.getByText('hw_disk_bus')).toBeVisible();
  await page.screenshot({ path: 'test-results/uploaded.png', fullPage: true });
  expect(errors).toEqual([]);
});

test('abort an upload, then delete the queued leftover', async ({ page }, info) => {
  const errors = watchConsole(page);
  const file = info.outputPath('big.raw');
  writeFileSync(file, Buffer.alloc(8 * 1024 * 1024, 7));
  await login(page, 'admin', ADMIN_PASSWORD);
  // 1 MB/s upload: the transfer takes seconds, so Abort is pressed while it runs.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 1024 * 1024 });
  await fillForm(page, 'e2e-aborted', file);
  await page.getByLabel('Disk format').selectOption('raw');
  await page.getByRole('button', { name: 'Create Image' }).click();
  const bar = page.getByRole('progressbar', { name: 'Upload progress' });
  await expect(bar).toBeVisible();
  // Progress events arrive: the bar moves and speed and time left are shown.
  await expect(bar).not.toHaveAttribute('value', '0');
  await expect(page.getByText(/\d+ s left/)).toBeVisible();
  await page.screenshot({ path: 'test-results/uploading.png', fullPage: true });
  await page.getByRole('button', { name: 'Abort upload' }).click();
  await expect(page.getByRole('heading', { name: 'The upload did not finish' })).toBeVisible();
  await expect(page.getByText('The upload was aborted')).toBeVisible();
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });

  // The server sees the connection close a moment after the browser aborts; then the image is
  // back to queued, with no data.
  await expect.poll(async () => {
    const list = await (await page.request.get('/image/v2/images?name=e2e-aborted')).json();
    return list.images.map((i) => i.status);
  }).toEqual(['queued']);
  await page.getByRole('button', { name: 'Delete image' }).click();
  await expect(page.getByText('The queued image was deleted.')).toBeVisible();
  const after = await (await page.request.get('/image/v2/images?name=e2e-aborted')).json();
  expect(after.images).toHaveLength(0);
  expect(errors).toEqual([]);
});

test('the form reads the file first: detected format pre-selected, mismatch warned, unsafe file stopped', async ({ page }, info) => {
  const errors = watchConsole(page);
  const vmdk = info.outputPath('disk.vmdk');
  execFileSync('qemu-img', ['create', '-f', 'vmdk', vmdk, '64M']);
  const base = info.outputPath('base.qcow2');
  execFileSync('qemu-img', ['create', '-f', 'qcow2', base, '64M']);
  const backed = info.outputPath('backed.qcow2');
  execFileSync('qemu-img', ['create', '-f', 'qcow2', '-b', base, '-F', 'qcow2', backed]);
  await login(page, 'admin', ADMIN_PASSWORD);
  await fillForm(page, 'e2e-vmdk', vmdk);
  const detected = page.getByRole('status', { name: 'Detected format' });
  await expect(detected).toHaveText('Detected vmdk · virtual size 64.0 MiB');
  const disk = page.getByLabel('Disk format');
  await expect(disk).toHaveValue('vmdk');

  await disk.selectOption('qcow2');
  await expect(page.getByRole('alert').filter({ hasText: 'The data is a vmdk image, not the declared qcow2.' })).toBeVisible();
  await page.screenshot({ path: 'test-results/format-mismatch.png', fullPage: true });
  // Another container is not inspected, so nothing is said about it.
  await page.getByLabel('Container format').selectOption('ovf');
  await expect(page.getByText('not the declared qcow2')).toHaveCount(0);
  await page.getByLabel('Container format').selectOption('bare');

  await page.getByLabel('Image file').setInputFiles(backed);
  await expect(detected).toHaveText('Detected qcow2');
  await expect(page.getByRole('alert').filter({ hasText: 'failed the backing_file safety check' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Create Image' })).toBeDisabled();

  await page.getByLabel('Image file').setInputFiles(vmdk);
  await expect(disk).toHaveValue('vmdk');
  await page.getByRole('button', { name: 'Create Image' }).click();
  await expect(page.getByRole('heading', { name: 'e2e-vmdk' })).toBeVisible();
  await expect(page.getByText('active', { exact: true })).toBeVisible();
  await expect(page.getByText('virtual size 64.0 MiB')).toBeVisible();
  expect(errors).toEqual([]);
});

test('the upload speed and time left match the real transfer', async ({ page }, info) => {
  const errors = watchConsole(page);
  const size = 6 * 1024 * 1024;
  const file = info.outputPath('paced.raw');
  writeFileSync(file, Buffer.alloc(size, 3));
  await login(page, 'admin', ADMIN_PASSWORD);
  // 512 KiB/s: about twelve seconds, long enough to read the figures mid-way.
  const rate = 512 * 1024;
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: rate });
  await fillForm(page, 'e2e-paced', file);
  await page.getByLabel('Disk format').selectOption('raw');
  await page.getByRole('button', { name: 'Create Image' }).click();
  const status = page.getByRole('status').filter({ hasText: ' left' });
  const units: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 * 1024, GiB: 1024 ** 3 };
  const read = async () => {
    const text = await status.textContent() ?? '';
    const m = text.match(/^(\d+) % · .* · ([\d.]+) (B|KiB|MiB|GiB)\/s · (\d+) s left/);
    return m ? { pct: Number(m[1]), speed: Number(m[2]) * units[m[3]], left: Number(m[4]), at: Date.now() } : null;
  };
  // Sample the figures while the bar moves through the middle of the transfer.
  const samples: { pct: number; speed: number; left: number; at: number }[] = [];
  await expect.poll(async () => {
    const s = await read();
    if (s && s.pct >= 25 && s.pct <= 75 && (samples.length === 0 || s.at - samples[samples.length - 1].at >= 900)) samples.push(s);
    return samples.length;
  }, { timeout: 60_000, intervals: [250] }).toBeGreaterThanOrEqual(3);
  await expect(page.getByRole('heading', { name: 'e2e-paced' })).toBeVisible({ timeout: 60_000 });
  const done = Date.now();
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  // What really went through: the bytes left at each sample over the time they actually took.
  for (const s of samples) {
    const actualLeft = (done - s.at) / 1000;
    const bytesLeft = size * (100 - s.pct) / 100;
    const actualRate = bytesLeft / actualLeft;
    expect(Math.abs(s.speed - actualRate) / actualRate, `shown ${s.speed} B/s, actual ${actualRate} B/s`).toBeLessThan(0.25);
    expect(Math.abs(s.left - actualLeft) / actualLeft, `shown ${s.left} s left, actual ${actualLeft} s`).toBeLessThan(0.25);
  }
  expect(errors).toEqual([]);
});
