import { defineConfig } from '@playwright/test';

// The suite starts its own server (debug build by default) on a fresh data dir.
const port = process.env.GLIMPSE_E2E_PORT ?? '9393';
const bin = process.env.GLIMPSE_E2E_BIN ?? '../target/debug/glimpse';
export const ADMIN_PASSWORD = 'e2e-admin-password';

export default defineConfig({
  testDir: './tests',
  timeout: 120_000,
  expect: { timeout: 15_000 },
  workers: 1,
  fullyParallel: false,
  reporter: 'list',
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    browserName: 'chromium',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
  },
  webServer: {
    // Standard error goes to a file that tests read to fail on any server panic.
    command: `rm -rf ../target/e2e-data && ${bin} serve --config glimpse-e2e.toml --bind 127.0.0.1:${port} --data-dir ../target/e2e-data --site-root ../target/site 2> ../target/e2e-server.log`,
    url: `http://127.0.0.1:${port}/healthcheck`,
    reuseExistingServer: false,
    timeout: 60_000,
    // Delayed delete on (a day's wait): the Trash page's test restores and purges.
    env: { GLIMPSE_ADMIN_PASSWORD: ADMIN_PASSWORD, GLIMPSE_LOG: process.env.GLIMPSE_E2E_LOG ?? 'warn', GLIMPSE_DELAYED_DELETE: 'true', GLIMPSE_SCRUB_TIME: '86400' },
  },
});
