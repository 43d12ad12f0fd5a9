import { APIRequestContext, expect, Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';

export const ADMIN_PASSWORD = 'e2e-admin-password';

/** Waits until the page has hydrated (an Effect flips this attribute in the browser only). */
export async function hydrated(page: Page) {
  await expect(page.locator('#app')).toHaveAttribute('data-hydrated', 'true');
}

export async function login(page: Page, user: string, password: string) {
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('button', { name: 'Log out' })).toBeVisible();
  await hydrated(page);
}

/** The table row whose row header is exactly `name`. */
export function row(page: Page, name: string) {
  return page.getByRole('row').filter({ has: page.getByRole('rowheader', { name, exact: true }) });
}

/**
 * Collects console errors and uncaught exceptions; tests assert the list is empty. `expected`
 * names HTTP statuses the test provokes on purpose (the browser logs every 4xx answer).
 */
export function watchConsole(page: Page, expected: number[] = []): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const text = m.text();
    if (expected.some((s) => text.includes(`status of ${s} `))) return;
    const where = m.location()?.url;
    errors.push(where ? `${text} (${where})` : text);
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  return errors;
}

/** An API token for `user` scoped to `project` (the admin by default). */
export async function token(request: APIRequestContext, user = 'admin', password = ADMIN_PASSWORD, project = 'admin'): Promise<string> {
  const auth = await request.post('/identity/v3/auth/tokens', { data: { auth: {
    identity: { methods: ['password'], password: { user: { name: user, domain: { name: 'Default' }, password } } },
    scope: { project: { name: project, domain: { name: 'Default' } } } } } });
  expect(auth.status()).toBe(201);
  return auth.headers()['x-subject-token'];
}

/** Makes a project with one member user (password `<user>-password`); returns that user's API headers. */
export async function memberOf(request: APIRequestContext, admin: Record<string, string>, project: string, user: string) {
  const p = (await (await request.post('/identity/v3/projects', { headers: admin, data: { project: { name: project } } })).json()).project;
  const u = (await (await request.post('/identity/v3/users', { headers: admin, data: { user: { name: user, password: `${user}-password`, default_project_id: p.id } } })).json()).user;
  const roles = (await (await request.get('/identity/v3/roles?name=member', { headers: admin })).json()).roles;
  await request.put(`/identity/v3/projects/${p.id}/users/${u.id}/roles/${roles[0].id}`, { headers: admin });
  return { 'X-Auth-Token': await token(request, user, `${user}-password`, project) };
}

/** A local HTTP source for web-download: serves a qcow2 made by qemu-img at `/cirros.qcow2` (404 otherwise). */
export async function startSource(file: string): Promise<{ server: Server; base: string; image: Buffer }> {
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', file, '32M']);
  const image = readFileSync(file);
  const server = createServer((req, res) => {
    if (req.url === '/cirros.qcow2') {
      res.writeHead(200, { 'Content-Length': image.length });
      res.end(image);
    } else {
      res.writeHead(404);
      res.end('not here');
    }
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, image };
}
