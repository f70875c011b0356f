/**
 * Auth on the real daemon (SPEC §6): with `[auth] required = true` anonymous TCP requests get 401
 * (except /health, /metrics, /openapi.json and the auth endpoints), while the CLI over the control
 * socket is still the admin; tokens survive a restart because the generated secret is persisted; and
 * a non-loopback bind refuses to start without ARES_JWT_SECRET.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeOpenAI } from '../helpers/fake-openai.js';
import { homeRegistry, openaiToml, requireBuild, type TestHome } from '../helpers/cli.js';

requireBuild();

describe('auth required on the real daemon', { timeout: 60_000 }, () => {
  const homes = homeRegistry();
  let fake: FakeOpenAI;
  let home: TestHome;
  let url = '';

  beforeAll(async () => {
    ({ fake, home, url } = await homes.startWithFake({ default: { content: 'hi there' } }, (h, f) =>
      h.writeAresToml(openaiToml(f.url, '\n[auth]\nrequired = true\n')),
    ));
  }, 30_000);
  afterAll(() => homes.cleanupAll());

  const json = (body: unknown, token?: string) => ({
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });

  it("anonymous requests get 401 in the SPEC §6 shape (OpenAI's on /v1); public paths answer", async () => {
    for (const path of ['/api/agents', '/agents', '/api/executions']) {
      const res = await fetch(`${url}${path}`);
      expect(res.status, path).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
    }
    const v1 = await fetch(`${url}/v1/models`);
    expect(v1.status).toBe(401);
    expect(((await v1.json()) as { error: object }).error).toMatchObject({ type: 'authentication_error', code: 'invalid_api_key' });
    for (const path of ['/health', '/metrics', '/openapi.json']) expect((await fetch(`${url}${path}`)).status, path).toBe(200);
    // The CLI is the admin over the socket, auth or not.
    expect((await home.run(['agent', 'list'])).exitCode).toBe(0);
  });

  it('register, login, use and refresh tokens; they still work after a restart', async () => {
    expect((await fetch(`${url}/api/auth/register`, json({ email: 'ann@example.com', password: 'long enough' }))).status).toBe(201);
    const login = (await (await fetch(`${url}/api/auth/login`, json({ email: 'ann@example.com', password: 'long enough' }))).json()) as {
      access_token: string;
      refresh_token: string;
      expires_in: number;
    };
    expect(login.expires_in).toBe(900);
    const created = await fetch(`${url}/api/agents`, json({ name: 'ann-bot', model: 'fast', system_prompt: 'Hi.' }, login.access_token));
    expect(created.status).toBe(201);
    const chat = await fetch(`${url}/api/agents/ann-bot/chat`, json({ message: 'hello' }, login.access_token));
    expect(((await chat.json()) as { reply: string }).reply).toBe('hi there');

    expect((await home.run(['server', 'restart', '--port', '0'])).exitCode).toBe(0);
    url = (await home.status()).url;
    const mine = await fetch(`${url}/api/agents/ann-bot`, { headers: { authorization: `Bearer ${login.access_token}` } });
    expect(mine.status).toBe(200);
    const refreshed = await fetch(`${url}/api/auth/refresh`, json({ refresh_token: login.refresh_token }));
    expect(refreshed.status).toBe(200);
    expect((await fetch(`${url}/api/auth/refresh`, json({ refresh_token: login.refresh_token }))).status).toBe(401);
  });

  it('a non-loopback bind without ARES_JWT_SECRET refuses to start', async () => {
    const other = await homes.createWithFake(fake.url);
    const r = await other.run(['server', 'start', '--port', '0', '--host', '0.0.0.0']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('ARES_JWT_SECRET');
  });
});
