/**
 * Abuse limits on the real daemon over TCP: logout stops the session's access token at once, and
 * brute-forcing a login gets 429 with Retry-After after 10 failures, each failure in the daemon log
 * with the email and client address but never the password. Without `[server] trusted_proxies` a
 * forged `X-Forwarded-For` does not give a client a fresh address to be counted under.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { homeRegistry, requireBuild, waitFor, type TestHome } from '../helpers/cli.js';

requireBuild();

const PASSWORD = 'correct horse battery';
const WRONG = 'not-the-password-';

describe('abuse limits on the real daemon', { timeout: 60_000 }, () => {
  const homes = homeRegistry();
  let home: TestHome;
  let url = '';

  beforeAll(async () => {
    ({ home, url } = await homes.startWithFake({ default: { content: 'hi' } }));
  }, 30_000);
  afterAll(() => homes.cleanupAll());

  const post = (path: string, body: unknown) =>
    fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const me = async (token: string) => (await fetch(`${url}/api/me`, { headers: { authorization: `Bearer ${token}` } })).status;

  it('an access token stops working right after logout', async () => {
    expect((await post('/api/auth/register', { email: 'leaver@example.com', password: PASSWORD })).status).toBe(201);
    const tokens = (await (await post('/api/auth/login', { email: 'leaver@example.com', password: PASSWORD })).json()) as {
      access_token: string;
      refresh_token: string;
    };
    expect(await me(tokens.access_token)).toBe(200);
    expect((await post('/api/auth/logout', { refresh_token: tokens.refresh_token })).status).toBe(204);
    expect(await me(tokens.access_token)).toBe(401);
  });

  it('after 10 wrong passwords the next login gets 429 with Retry-After; each failure is logged without the password', async () => {
    expect((await post('/api/auth/register', { email: 'target@example.com', password: PASSWORD })).status).toBe(201);
    for (let i = 0; i < 10; i++) expect((await post('/api/auth/login', { email: 'target@example.com', password: `${WRONG}${i}` })).status).toBe(401);
    const refused = await post('/api/auth/login', { email: 'target@example.com', password: PASSWORD });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('TOO_MANY_REQUESTS');

    const failures = await waitFor('10 failed logins in the log', () => {
      const lines = readFileSync(home.logFile, 'utf8')
        .split('\n')
        .filter((l) => l.includes('"login failed"'));
      return lines.length >= 10 ? lines : undefined;
    });
    expect(JSON.parse(failures.at(-1)!)).toMatchObject({ email: 'target@example.com', client: expect.stringContaining('127.0.0.1'), account_failures: 10 });
    expect(readFileSync(home.logFile, 'utf8')).not.toContain(WRONG);
  });

  it('a forged X-Forwarded-For is ignored: registrations from loopback share one limit whatever the header says', async () => {
    const statuses: number[] = [];
    // Earlier tests registered from loopback too, so the limit comes within 11 attempts.
    for (let i = 0; i < 11 && !statuses.includes(429); i++) {
      const res = await fetch(`${url}/api/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': `198.51.100.${i}` },
        body: JSON.stringify({ email: `forger${i}@example.com`, password: PASSWORD }),
      });
      statuses.push(res.status);
    }
    expect(statuses.at(-1)).toBe(429);
  });
});
