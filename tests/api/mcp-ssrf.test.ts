/**
 * SSRF guard at creation (ares.toml `[mcp] allow_private_urls`): a non-admin user's
 * Streamable HTTP MCP server may not point at loopback, private, link-local (cloud metadata) or
 * `localhost` addresses: POST and PUT /api/mcps answer 400 with a `url` detail and a hint, and
 * nothing is stored. Public addresses are accepted; the admin (control socket) is trusted; `--as`
 * over the socket is the user, not the admin; `allow_private_urls = true` lifts the check.
 * In-process app over real parts (tests/api/fixture.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, makeApp } from './fixture.js';

const t = await makeApp({ authRequired: true });
const call = client(t.app);
let token = '';
afterAll(() => t.close());

beforeAll(async () => {
  const creds = { email: 'ssrf@example.com', password: 'correct horse', name: 'S' };
  expect((await call('POST', '/api/auth/register', { body: creds })).status).toBe(201);
  token = (await call('POST', '/api/auth/login', { body: { email: creds.email, password: creds.password } })).json.access_token;
  expect(token).toBeTruthy();
});

const PRIVATE = [
  'http://127.0.0.1:8080/mcp',
  'http://localhost:3000/mcp',
  'http://api.localhost/mcp',
  'http://169.254.169.254/latest/meta-data/',
  'http://10.1.2.3/mcp',
  'http://192.168.0.10:8000/mcp',
  'http://172.16.5.4/mcp',
  'http://[::1]:9000/mcp',
  'http://[::ffff:127.0.0.1]/mcp',
  'http://0.0.0.0:8080/mcp',
];

describe('POST/PUT /api/mcps: non-admin HTTP servers must be public', () => {
  it.each(PRIVATE)('refuses %s with a located 400 and stores nothing', async (url) => {
    const res = await call('POST', '/api/mcps', { token, body: { name: 'probe', url } });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('BAD_REQUEST');
    expect(res.json.error.details[0]).toMatchObject({ field: 'url', message: expect.stringMatching(/private|loopback|link-local/) });
    expect(res.json.error.details[0].hint).toContain('allow_private_urls');
    expect((await call('GET', '/api/mcps/probe', { token })).status).toBe(404);
  });

  it('accepts a public address, and refuses an update that points it at a private one (the row is kept as it was)', async () => {
    expect((await call('POST', '/api/mcps', { token, body: { name: 'remote', url: 'https://1.1.1.1/mcp' } })).status).toBe(201);
    const put = await call('PUT', '/api/mcps/remote', { token, body: { url: 'http://169.254.169.254/mcp' } });
    expect(put.status).toBe(400);
    expect(put.json.error.details[0].field).toBe('url');
    expect((await call('GET', '/api/mcps/remote', { token })).json.url).toBe('https://1.1.1.1/mcp');
  });

  it('refuses non-http schemes', async () => {
    const res = await call('POST', '/api/mcps', { token, body: { name: 'files', url: 'file:///etc/passwd' } });
    expect(res.status).toBe(400);
  });

  it('the admin over the control socket is trusted; --as a user is checked like that user', async () => {
    expect((await call('POST', '/api/mcps', { socket: true, body: { name: 'internal', url: 'http://127.0.0.1:9/mcp' } })).status).toBe(201);
    const as = await call('POST', '/api/mcps', { socket: true, as: 'ssrf@example.com', body: { name: 'sneaky', url: 'http://127.0.0.1:9/mcp' } });
    expect(as.status).toBe(400);
    expect(as.json.error.details[0].field).toBe('url');
  });
});

describe('[mcp] allow_private_urls = true', async () => {
  const open = await makeApp({ allowPrivateMcpUrls: true });
  const ocall = client(open.app);
  afterAll(() => open.close());

  it('lets any user register a server on a private address', async () => {
    expect((await ocall('POST', '/api/mcps', { body: { name: 'lan', url: 'http://192.168.0.10:8000/mcp' } })).status).toBe(201);
  });
});
