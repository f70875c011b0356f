/**
 * The real daemon behind a proxy on loopback (`[server] trusted_proxies = ["127.0.0.1"]`): clients the
 * proxy forwards for (`X-Forwarded-For`) get separate per-address limits, and the daemon log names the
 * forwarded client. (tests/e2e/abuse.test.ts shows the default: the header is ignored.)
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { homeRegistry, openaiToml, requireBuild, waitFor, type TestHome } from '../helpers/cli.js';

requireBuild();

const PASSWORD = 'correct horse battery';

describe('trusted proxies on the real daemon', { timeout: 60_000 }, () => {
  const homes = homeRegistry();
  let home: TestHome;
  let url = '';

  beforeAll(async () => {
    ({ home, url } = await homes.startWithFake({ default: { content: 'hi' } }, (h, fake) =>
      h.writeAresToml(openaiToml(fake.url).replace('port = 0', 'port = 0\ntrusted_proxies = ["127.0.0.1"]')),
    ));
  }, 30_000);
  afterAll(() => homes.cleanupAll());

  /** POST JSON as the proxy on loopback forwarding for `client`. */
  const forwarded = (client: string, path: string, body: unknown) =>
    fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': client }, body: JSON.stringify(body) });

  it('two clients behind the proxy have separate registration limits', async () => {
    const first: number[] = [];
    for (let i = 0; i < 11; i++) first.push((await forwarded('198.51.100.1', '/api/auth/register', { email: `a${i}@example.com`, password: PASSWORD })).status);
    expect(first).toEqual([...Array<number>(10).fill(201), 429]);
    expect((await forwarded('198.51.100.2', '/api/auth/register', { email: 'b@example.com', password: PASSWORD })).status).toBe(201);
  });

  it('a failed login is logged with the forwarded client address', async () => {
    expect((await forwarded('198.51.100.3', '/api/auth/login', { email: 'nobody@example.com', password: PASSWORD })).status).toBe(401);
    const line = await waitFor('the failed login in the log', () =>
      readFileSync(home.logFile, 'utf8')
        .split('\n')
        .find((l) => l.includes('"login failed"')),
    );
    expect(JSON.parse(line)).toMatchObject({ email: 'nobody@example.com', client: '198.51.100.3' });
  });
});
