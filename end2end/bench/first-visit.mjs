// A new user's first visit, measured in Debian's chromium over a throttled link (a "Fast 3G"-like
// profile through the DevTools protocol: 1.6 Mbit/s down, 750 kbit/s up, 150 ms latency):
// bytes on the wire for a cold visit to the login page and to the Images page, time until each
// page is hydrated (interactive), and what a warm visit fetches again. Run by `make bench-web`
// against a release build: GLIMPSE_URL and GLIMPSE_ADMIN_PASSWORD name the server.
import { chromium } from '@playwright/test';

const base = process.env.GLIMPSE_URL;
const password = process.env.GLIMPSE_ADMIN_PASSWORD;
const FAST_3G = { offline: false, latency: 150, downloadThroughput: 1.6e6 / 8, uploadThroughput: 750e3 / 8 };

/** Opens `path` in `context` under the throttled link; returns bytes by kind and time to hydration. */
async function visit(context, path, throttle = true) {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  if (throttle) await cdp.send('Network.emulateNetworkConditions', FAST_3G);
  const kinds = new Map();
  const bytes = { total: 0 };
  cdp.on('Network.responseReceived', (e) => {
    const url = e.response.url;
    const kind = url.endsWith('.wasm') ? 'wasm' : url.endsWith('.js') ? 'js' : url.endsWith('.css') ? 'css'
      : url.includes('/words/') ? 'words' : e.type === 'Document' ? 'html' : 'other';
    kinds.set(e.requestId, kind);
  });
  cdp.on('Network.loadingFinished', (e) => {
    const kind = kinds.get(e.requestId) ?? 'other';
    bytes[kind] = (bytes[kind] ?? 0) + e.encodedDataLength;
    bytes.total += e.encodedDataLength;
  });
  const start = Date.now();
  await page.goto(base + path);
  await page.locator('#app[data-hydrated="true"]').waitFor({ state: 'attached', timeout: 300_000 });
  const hydrated = (Date.now() - start) / 1000;
  // Let in-flight requests finish before counting.
  await page.waitForTimeout(500);
  await page.close();
  return { bytes, hydrated };
}

const kib = (n) => `${((n ?? 0) / 1024).toFixed(1)} KiB`;
const show = (label, r) => console.log(
  `${label}: ${kib(r.bytes.total)} on the wire (html ${kib(r.bytes.html)}, js ${kib(r.bytes.js)}, ` +
  `wasm ${kib(r.bytes.wasm)}, css ${kib(r.bytes.css)}, other ${kib((r.bytes.other ?? 0) + (r.bytes.words ?? 0))}); hydrated after ${r.hydrated.toFixed(2)} s`);

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
try {
  console.log('== First visit in chromium over a Fast-3G-like link (1.6 Mbit/s, 150 ms) ==');
  const cold = await browser.newContext();
  show('cold login page', await visit(cold, '/login'));
  // Log in (unthrottled: the form is not what is measured), then take the session to a context
  // with an empty cache: the Images page as a user's first page after logging in elsewhere.
  const page = await cold.newPage();
  await page.goto(base + '/login');
  await page.locator('#app[data-hydrated="true"]').waitFor({ state: 'attached' });
  await page.getByLabel('User name').fill('admin');
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
  const cookies = await cold.cookies();
  await page.close();
  const fresh = await browser.newContext();
  await fresh.addCookies(cookies);
  const images = await visit(fresh, '/project/images');
  show('cold Images page (logged in, empty cache)', images);
  console.log(`cold Images page total ${kib(images.bytes.total)} (target < 350 KB = 341.8 KiB): ${images.bytes.total < 350_000 ? 'met' : 'not met'}`);
  const warm = await visit(fresh, '/project/images');
  show('warm Images page (same browser)', warm);
  const again = (warm.bytes.wasm ?? 0) + (warm.bytes.js ?? 0);
  console.log(`warm visit: wasm and js fetched again ${kib(again)} (target: none)`);
  // The same page in German: the wasm holds English only, and the page's words come as one more
  // asset, cached as the wasm is.
  const german = await browser.newContext({ locale: 'de-DE' });
  await german.addCookies(cookies);
  const de = await visit(german, '/project/images');
  show('cold Images page in German (empty cache)', de);
  const deWarm = await visit(german, '/project/images');
  console.log(`German words: ${kib(de.bytes.words)} cold (counted in "other" above), ${kib(deWarm.bytes.words)} warm`);
  // A page whose code is split off (a chunk of its own): opened from the Images page, what it
  // fetches and how long until its form answers.
  const p = await fresh.newPage();
  await p.goto(base + '/project/images');
  await p.locator('#app[data-hydrated="true"]').waitFor({ state: 'attached' });
  const cdp = await fresh.newCDPSession(p);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', FAST_3G);
  let chunks = 0;
  let files = 0;
  cdp.on('Network.loadingFinished', (e) => { chunks += e.encodedDataLength; files += 1; });
  const start = Date.now();
  await p.getByRole('link', { name: 'Create Image' }).click();
  await p.getByLabel('Image name').fill('bench');
  const opened = (Date.now() - start) / 1000;
  console.log(`Create Image opened from the Images page: ${kib(chunks)} in ${files} requests, usable after ${opened.toFixed(2)} s`);
  await p.close();
  // The same page as the first one opened (a bookmark): its chunks are preloaded beside the main
  // wasm and hydration waits for them.
  const direct = await browser.newContext();
  await direct.addCookies(cookies);
  show('cold Create Image page (opened directly, empty cache)', await visit(direct, '/project/images/create'));
} finally {
  await browser.close();
}
