/**
 * Tenant isolation matrix (SPEC §4, §6): users A and B, A's private and public agents, anonymous
 * callers when auth is required; every route x role gets the right 2xx/401/404, lists never leak a
 * private agent, and expired, tampered and revoked credentials are refused. The matrix runs on every
 * store backend (SQLite, and PostgreSQL unless `pgSkipReason()` says why not); the loopback defaults
 * run on SQLite.
 */
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendTimeout, backendTitle, storeBackends, type StoreBackend } from '../helpers/store-backends.js';
import { client, makeApp, TEST_SECRET, type TestApp } from './fixture.js';

type Role = 'A' | 'Akey' | 'B' | 'anon' | 'expired' | 'tampered' | 'revoked' | 'foreign';
type Ids = { privateId: string; publicId: string; aConv: string; aKeyId: string };
const agent = (name: string, extra: object = {}) => ({ name, system_prompt: `I am ${name}.`, model: 'fast', ...extra });

/** Users A and B with their credentials (and the refused kinds), A's agents, conversation and key on `t`. */
async function seed(t: TestApp): Promise<{ tokens: Record<Role, string | undefined>; ids: Ids }> {
  const call = client(t.app);
  const tokens = {} as Record<Role, string | undefined>;
  const ids = {} as Ids;
  for (const [who, email] of [
    ['A', 'a@example.com'],
    ['B', 'b@example.com'],
  ] as const) {
    expect((await call('POST', '/api/auth/register', { body: { email, password: 'correct horse', name: who } })).status).toBe(201);
    const login = await call('POST', '/api/auth/login', { body: { email, password: 'correct horse' } });
    expect(login.status).toBe(200);
    tokens[who] = login.json.access_token;
  }
  const key = await call('POST', '/api/keys', { token: tokens.A, body: { name: 'ci' } });
  expect(key.status).toBe(201);
  tokens.Akey = key.json.key;
  ids.aKeyId = key.json.id;
  const doomed = await call('POST', '/api/keys', { token: tokens.A });
  tokens.revoked = doomed.json.key;
  expect((await call('DELETE', `/api/keys/${doomed.json.id}`, { token: tokens.A })).status).toBe(204);

  const priv = await call('POST', '/api/agents', { token: tokens.A, body: agent('a-private') });
  expect(priv.status).toBe(201);
  ids.privateId = priv.json.id;
  const pub = await call('POST', '/api/agents', { token: tokens.A, body: agent('a-public', { is_public: true }) });
  expect(pub.status).toBe(201);
  ids.publicId = pub.json.id;
  const chat = await call('POST', '/api/agents/a-private/chat', { token: tokens.A, body: { message: 'secret plans' } });
  expect(chat.status).toBe(200);
  ids.aConv = chat.json.conversation_id;

  const aId = (await call('GET', '/api/me', { token: tokens.A })).json.id as string;
  const now = Math.floor(Date.now() / 1000);
  tokens.expired = await new SignJWT({ typ: 'access' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(aId)
    .setIssuer('caxton')
    .setIssuedAt(now - 3600)
    .setExpirationTime(now - 60)
    .sign(TEST_SECRET);
  // Same payload claims as a valid token for A, but the signature no longer matches.
  const [h, p, s] = tokens.A!.split('.');
  tokens.tampered = `${h}.${p}.${s!.slice(0, -4)}${s!.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
  tokens.foreign = await new SignJWT({ typ: 'access' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(aId)
    .setIssuer('caxton')
    .setExpirationTime(now + 600)
    .sign(new TextEncoder().encode('some-other-secret-0123456789-abcdef'));
  return { tokens, ids };
}

/**
 * Route x role matrix: expected status per role. Roles not listed get 401 when they are credential
 * failures. A `{privateId}`-style placeholder in a path or body stands for that entry of the seeded `Ids`.
 */
interface Row {
  method: string;
  path: string;
  body?: unknown;
  expect: Partial<Record<Role, number>>;
}
const refused: Role[] = ['anon', 'expired', 'tampered', 'revoked', 'foreign'];
const matrix: Row[] = [
  { method: 'GET', path: '/api/agents', expect: { A: 200, Akey: 200, B: 200 } },
  { method: 'GET', path: '/api/agents/a-private', expect: { A: 200, Akey: 200, B: 404 } },
  { method: 'GET', path: '/api/agents/a-private?format=toon', expect: { A: 200, B: 404 } },
  { method: 'GET', path: '/api/agents/a-private/export', expect: { A: 200, B: 404 } },
  // SPEC §4: a bare name is the caller's own agent, else the system's; A's public agent is `a/a-public` for B.
  { method: 'GET', path: '/api/agents/a-public', expect: { A: 200, B: 404 } },
  { method: 'GET', path: '/api/agents/a%2Fa-public', expect: { A: 200, Akey: 200, B: 200 } },
  { method: 'GET', path: '/api/agents/a%2Fa-private', expect: { A: 200, B: 404 } },
  { method: 'GET', path: '/api/agents/a%2Fa-public/export', expect: { B: 200 } },
  { method: 'PUT', path: '/api/agents/a-private', body: agent('a-private', { description: 'B was here' }), expect: { B: 404 } },
  { method: 'PUT', path: '/api/agents/a-public', body: agent('a-public', { description: 'B was here' }), expect: { B: 404 } },
  { method: 'PUT', path: '/api/agents/a%2Fa-public', body: agent('a-public', { description: 'B was here' }), expect: { B: 404 } },
  { method: 'PUT', path: '/api/agents/a-private', body: agent('a-private', { description: 'edited by A' }), expect: { A: 200 } },
  { method: 'DELETE', path: '/api/agents/a-private', expect: { B: 404 } },
  { method: 'DELETE', path: '/api/agents/a-public', expect: { B: 404 } },
  { method: 'DELETE', path: '/api/agents/a%2Fa-public', expect: { B: 404 } },
  { method: 'POST', path: '/api/agents/a-private/chat', body: { message: 'hi' }, expect: { A: 200, B: 404 } },
  { method: 'POST', path: '/api/agents/a-public/chat', body: { message: 'hi' }, expect: { B: 404 } },
  { method: 'POST', path: '/api/agents/a%2Fa-public/chat', body: { message: 'hi' }, expect: { B: 200 } },
  { method: 'POST', path: '/api/agents/a%2Fa-private/chat', body: { message: 'hi' }, expect: { B: 404 } },
  { method: 'POST', path: '/api/agents/a-private/rate', body: { stars: 1 }, expect: { B: 404 } },
  { method: 'POST', path: '/api/agents/a%2Fa-public/rate', body: { stars: 4 }, expect: { B: 200 } },
  { method: 'POST', path: '/api/agents', body: agent('b-own'), expect: { B: 201 } },
  { method: 'POST', path: '/api/agents/import', body: agent('b-json'), expect: { B: 201 } },
  { method: 'GET', path: '/agents', expect: { A: 200, B: 200 } },
  { method: 'GET', path: '/agents/{privateId}', expect: { A: 200, B: 404 } },
  { method: 'GET', path: '/agents/a-private', expect: { A: 200, B: 404 } },
  { method: 'DELETE', path: '/agents/{privateId}', expect: { B: 404 } },
  { method: 'DELETE', path: '/agents/{publicId}', expect: { B: 404 } },
  { method: 'POST', path: '/agents/a-private/message', body: { text: 'hi' }, expect: { A: 200, B: 404 } },
  { method: 'POST', path: '/agents/a%2Fa-private/message', body: { text: 'hi' }, expect: { B: 404 } },
  { method: 'GET', path: '/v1/models', expect: { A: 200, B: 200 } },
  { method: 'POST', path: '/v1/chat/completions', body: { model: 'a-private', messages: [{ role: 'user', content: 'hi' }] }, expect: { A: 200, B: 404 } },
  { method: 'POST', path: '/v1/chat/completions', body: { model: 'a/a-private', messages: [{ role: 'user', content: 'hi' }] }, expect: { B: 404 } },
  { method: 'POST', path: '/v1/chat/completions', body: { model: 'a-public', messages: [{ role: 'user', content: 'hi' }] }, expect: { B: 404 } },
  { method: 'GET', path: '/api/executions', expect: { A: 200, B: 200 } },
  { method: 'GET', path: '/api/conversations', expect: { A: 200, B: 200 } },
  { method: 'GET', path: '/api/conversations/{aConv}', expect: { A: 200, B: 404 } },
  { method: 'DELETE', path: '/api/conversations/{aConv}', expect: { B: 404 } },
  { method: 'POST', path: '/api/agents/a-private/chat', body: { message: 'continue', conversation_id: '{aConv}' }, expect: { B: 404 } },
  { method: 'GET', path: '/api/keys', expect: { A: 200, B: 200 } },
  { method: 'DELETE', path: '/api/keys/{aKeyId}', expect: { B: 404 } },
  { method: 'GET', path: '/api/tools', expect: { A: 200, B: 200 } },
  { method: 'GET', path: '/api/mcps', expect: { A: 200, B: 200 } },
  { method: 'POST', path: '/api/mcps', body: { name: 'shell', command: 'sh', args: ['-c', 'id'] }, expect: { A: 403, B: 403 } },
  { method: 'GET', path: '/api/status', expect: { A: 200 } },
  { method: 'POST', path: '/api/users', body: { email: 'c@example.com' }, expect: { A: 403, B: 403 } },
];

/** The matrix and its checks on one store backend, over one app seeded by `seed`. */
function matrixOn(backend: StoreBackend): void {
  describe.skipIf(backend.skip)(`tenant isolation matrix (auth required), ${backendTitle(backend)}`, () => {
    let t: TestApp;
    let call: ReturnType<typeof client>;
    let tokens: Record<Role, string | undefined>;
    let ids: Ids;
    beforeAll(async () => {
      t = await makeApp({ authRequired: true, ...(backend.name === 'postgres' ? { databaseUrl: await backend.create() } : {}) });
      call = client(t.app);
      ({ tokens, ids } = await seed(t));
    }, backendTimeout(backend));
    afterAll(() => t?.close());
    const cases = matrix.flatMap((row) => {
      const roles = { ...row.expect } as Partial<Record<Role, number>>;
      for (const r of refused) roles[r] = 401;
      return Object.entries(roles).map(([role, status]) => ({ row, label: `${row.method} ${row.path}`, role: role as Role, status: status! }));
    });

    it.each(cases)('$label as $role -> $status', async ({ row, role, status }) => {
      const fill = (text: string) => text.replace(/\{(\w+)\}/g, (_, k: keyof Ids) => ids[k]);
      const res = await call(row.method, fill(row.path), {
        ...(tokens[role] ? { token: tokens[role] } : {}),
        ...(row.body !== undefined ? { body: fill(JSON.stringify(row.body)) } : {}),
      });
      expect(res.status, res.text).toBe(status);
      if (status >= 400) expect(res.json.error).toMatchObject({ code: expect.any(String), message: expect.any(String) });
      // A 401 or 404 never names what the caller may not see beyond what it asked for.
      if (status === 401) expect(res.text).not.toContain('a-private');
    });

    it("lists never leak A's private agent to B", async () => {
      const names = (list: { name: string }[]) => list.map((a) => a.name);
      const bAgents = (await call('GET', '/api/agents', { token: tokens.B })).json.agents;
      expect(names(bAgents)).toContain('a/a-public');
      expect(names(bAgents).filter((n) => n.includes('a-private') || n === 'a-public')).toEqual([]);
      expect(bAgents.find((a: { name: string }) => a.name === 'a/a-public').source).toBe('community');
      expect(names((await call('GET', '/agents', { token: tokens.B })).json.agents)).not.toContain('a/a-private');
      expect(names((await call('GET', '/api/agents?source=community', { token: tokens.B })).json.agents)).toEqual(['a/a-public']);
      const models = (await call('GET', '/v1/models', { token: tokens.B })).json.data.map((m: { id: string }) => m.id);
      expect(models).toContain('a/a-public');
      expect(models.filter((m: string) => m.includes('a-private'))).toEqual([]);
      const bExec = (await call('GET', '/api/executions', { token: tokens.B })).json.executions;
      expect(bExec.map((e: { agent_name: string }) => e.agent_name)).not.toContain('a-private');
      expect((await call('GET', '/api/conversations', { token: tokens.B })).json.conversations.map((c: { id: string }) => c.id)).not.toContain(ids.aConv);
      expect((await call('GET', '/api/keys', { token: tokens.B })).json.keys).toEqual([]);

      const aAgents = (await call('GET', '/api/agents', { token: tokens.A })).json.agents;
      expect(
        aAgents
          .filter((a: { source: string }) => a.source === 'user')
          .map((a: { name: string }) => a.name)
          .sort(),
      ).toEqual(['a-private', 'a-public']);
      expect(aAgents.find((a: { name: string }) => a.name === 'a-private').description).toBe('edited by A');
    });

    it('keys are listed by prefix only, never the key; usage is counted per run', async () => {
      const keys = (await call('GET', '/api/keys', { token: tokens.A })).json.keys;
      expect(keys).toHaveLength(2);
      for (const k of keys) {
        expect(k.prefix).toMatch(/^cxk_.{8}$/);
        expect(JSON.stringify(k)).not.toContain(tokens.Akey!.slice(12));
      }
      expect(keys.filter((k: { revoked_at: number | null }) => k.revoked_at !== null)).toHaveLength(1);
      const pub = (await call('GET', '/api/agents/a-public', { token: tokens.A })).json;
      expect(pub.usage_count).toBe(1);
    });

    it('refresh tokens are single use; logout invalidates them; bad passwords are 401; registering a taken email changes nothing', async () => {
      const login = (await call('POST', '/api/auth/login', { body: { email: 'b@example.com', password: 'correct horse' } })).json;
      const next = await call('POST', '/api/auth/refresh', { body: { refresh_token: login.refresh_token } });
      expect(next.status).toBe(200);
      expect((await call('GET', '/api/agents', { token: next.json.access_token })).status).toBe(200);
      expect((await call('POST', '/api/auth/refresh', { body: { refresh_token: login.refresh_token } })).status).toBe(401);
      expect((await call('POST', '/api/auth/logout', { body: { refresh_token: next.json.refresh_token } })).status).toBe(204);
      expect((await call('POST', '/api/auth/refresh', { body: { refresh_token: next.json.refresh_token } })).status).toBe(401);
      expect((await call('POST', '/api/auth/refresh', { body: {} })).status).toBe(400);
      expect((await call('POST', '/api/auth/login', { body: { email: 'b@example.com', password: 'wrong horse' } })).status).toBe(401);
      expect((await call('POST', '/api/auth/login', { body: { email: 'nobody@example.com', password: 'wrong horse' } })).status).toBe(401);
      expect((await call('POST', '/api/auth/register', { body: { email: 'c@example.com', password: 'short' } })).status).toBe(400);
      // A taken email gets the same answer as a new one (no account probing); the account keeps its password.
      const taken = await call('POST', '/api/auth/register', { body: { email: 'a@example.com', password: 'long enough' } });
      expect([taken.status, taken.json.status]).toEqual([201, 'accepted']);
      expect((await call('POST', '/api/auth/login', { body: { email: 'a@example.com', password: 'long enough' } })).status).toBe(401);
    });

    it('anyone may reach /health, /metrics and /openapi.json; secrets are not stored in the clear', async () => {
      expect((await call('GET', '/health')).status).toBe(200);
      expect((await call('GET', '/metrics')).text).toContain('caxton_http_requests_total');
      expect((await call('GET', '/openapi.json')).status).toBe(200);
      const dump = JSON.stringify(await t.store.tenants.users.listApiKeys((await call('GET', '/api/me', { token: tokens.A })).json.id));
      expect(dump).not.toContain(tokens.Akey!);
      expect(await t.store.tenants.users.passwordHash((await call('GET', '/api/me', { token: tokens.A })).json.id)).toMatch(/^scrypt\$/);
    });
  });
}

for (const backend of storeBackends()) matrixOn(backend);

describe('loopback defaults (auth not required) and the control socket', async () => {
  const l = await makeApp();
  const lcall = client(l.app);
  afterAll(() => l.close());

  it('anonymous TCP acts as local without admin rights; the socket is the admin', async () => {
    const anon = await lcall('GET', '/api/me');
    expect(anon.json).toMatchObject({ id: 'local', acting_admin: false });
    expect((await lcall('GET', '/api/me', { socket: true })).json).toMatchObject({ id: 'local', acting_admin: true });
    expect((await lcall('POST', '/api/mcps', { body: { name: 'shell', command: 'sh' } })).status).toBe(403);
    expect((await lcall('POST', '/api/mcps', { body: { name: 'remote', url: 'http://1.1.1.1:9/mcp' } })).status).toBe(201);
    expect((await lcall('POST', '/api/mcps', { socket: true, body: { name: 'fs', command: 'npx', args: ['x'], env: { TOKEN: 'hush' } } })).status).toBe(201);
    // The local user owns it, so it sees its env; another user only sees it if public, and then redacted.
    expect((await lcall('GET', '/api/mcps/fs')).json.env).toEqual({ TOKEN: 'hush' });
    expect((await lcall('GET', '/api/agents', { token: 'cxk_not-a-real-key' })).status).toBe(401);
    // Another user sees a shared tool's secret-looking config redacted, the rest as is.
    await lcall('POST', '/api/users', { socket: true, body: { email: 'viewer@example.com' } });
    const tool = { name: 'weather', type: 'http', config: { url: 'https://api.example.com', api_key: 'sk-hush' }, is_public: true };
    expect((await lcall('POST', '/api/tools', { body: tool })).status).toBe(201);
    expect((await lcall('GET', '/api/tools/weather')).json.config.api_key).toBe('sk-hush');
    // The viewer reaches it by the local user's handle only; the bare name is not theirs.
    expect((await lcall('GET', '/api/tools/weather', { socket: true, as: 'viewer@example.com' })).status).toBe(404);
    const seen = (await lcall('GET', '/api/tools/local%2Fweather', { socket: true, as: 'viewer@example.com' })).json;
    expect([seen.name, seen.source, seen.config]).toEqual(['local/weather', 'community', { url: 'https://api.example.com', api_key: '***' }]);
  });

  it('--as EMAIL over the socket acts as that user', async () => {
    expect((await lcall('POST', '/api/users', { socket: true, body: { email: 'dee@example.com' } })).status).toBe(201);
    expect((await lcall('POST', '/api/users', { body: { email: 'eve@example.com' } })).status).toBe(403);
    const created = await lcall('POST', '/api/agents', { socket: true, as: 'dee@example.com', body: agent('dee-agent') });
    expect(created.status).toBe(201);
    expect((await lcall('GET', '/api/agents/dee-agent', { socket: true })).status).toBe(404);
    expect((await lcall('GET', '/api/agents/dee-agent', { socket: true, as: 'dee@example.com' })).json.source).toBe('user');
    expect((await lcall('GET', '/api/me', { socket: true, as: 'nobody@example.com' })).status).toBe(404);
  });
});
