/**
 * Abuse limits over the in-process app: login throttled per account and per client address (429 with
 * Retry-After, failures logged without the password); register and login answer alike for known and
 * unknown emails; logout and refresh-token reuse end the session at once; ranking counts completed
 * runs only, once per user, agent and day, never the owner's, from every entry point; owners cannot
 * rate their own agents and nobody rates an agent they have not run.
 *
 * Requests carry a client address the way the node server binds it (`env.incoming`, its socket and headers).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, makeApp, type TestApp } from './fixture.js';

const PASSWORD = 'correct horse battery';
const WRONG = 'wrong horse battery';

/** POST JSON as a TCP client at `address`. */
function from(t: TestApp, address: string) {
  return async (path: string, body: unknown, token?: string) => {
    // One X-Request-Id for every request: error bodies name it, and answers are compared whole.
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-request-id': 'abuse',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    };
    const res = await t.app.request(
      path,
      { method: 'POST', headers, body: JSON.stringify(body) },
      { transport: 'tcp', incoming: { socket: { remoteAddress: address }, headers: {} } },
    );
    const text = await res.text();
    return { status: res.status, text, json: text ? JSON.parse(text) : undefined, retryAfter: res.headers.get('retry-after') };
  };
}

describe('login throttling', async () => {
  const t = await makeApp();
  afterAll(() => t.close());
  const login = (address: string, email: string, password: string) => from(t, address)('/api/auth/login', { email, password });

  beforeAll(async () => {
    for (const email of ['victim@example.com', 'reset@example.com', 'neighbour@example.com']) {
      expect((await from(t, `198.51.100.${email.length}`)('/api/auth/register', { email, password: PASSWORD })).status).toBe(201);
    }
  });

  it('per account: after 10 failures (from any addresses) the account gets 429 with Retry-After, even with the right password', async () => {
    for (let i = 0; i < 10; i++) expect((await login(`203.0.113.${i}`, 'victim@example.com', `${WRONG}-${i}`)).status).toBe(401);
    const refused = await login('203.0.113.200', 'victim@example.com', PASSWORD);
    expect(refused.status).toBe(429);
    expect(refused.json.error.code).toBe('TOO_MANY_REQUESTS');
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    // Another account, from a fresh address, is not affected.
    expect((await login('203.0.113.201', 'neighbour@example.com', PASSWORD)).status).toBe(200);
  });

  it('each failed login is logged with email, client address and counts, never the password', () => {
    const failed = t.warnings.filter((w) => w.msg === 'login failed');
    expect(failed.length).toBeGreaterThanOrEqual(10);
    expect(failed.at(-1)).toMatchObject({ email: 'victim@example.com', client: '203.0.113.9', account_failures: 10, address_failures: 1 });
    const dump = JSON.stringify(t.warnings);
    expect(dump).not.toContain(WRONG);
    expect(dump).not.toContain(PASSWORD);
  });

  it('per address: 10 failures over different emails make that address wait, not others', async () => {
    for (let i = 0; i < 10; i++) expect((await login('192.0.2.7', `nobody-${i}@example.com`, WRONG)).status).toBe(401);
    const refused = await login('192.0.2.7', 'neighbour@example.com', PASSWORD);
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    expect((await login('192.0.2.8', 'neighbour@example.com', PASSWORD)).status).toBe(200);
  });

  it("a successful login resets the account's count", async () => {
    for (let i = 0; i < 9; i++) expect((await login(`198.51.100.${i}`, 'reset@example.com', WRONG)).status).toBe(401);
    expect((await login('198.51.100.100', 'reset@example.com', PASSWORD)).status).toBe(200);
    for (let i = 0; i < 9; i++) expect((await login(`198.51.100.${110 + i}`, 'reset@example.com', WRONG)).status).toBe(401);
    expect((await login('198.51.100.120', 'reset@example.com', PASSWORD)).status).toBe(200);
  });
});

describe('no account enumeration', async () => {
  const t = await makeApp();
  afterAll(() => t.close());
  const post = from(t, '198.51.100.1');

  it('register answers the same status and body for a new and a taken email; the taken account keeps its password', async () => {
    const fresh = await post('/api/auth/register', { email: 'first@example.com', password: PASSWORD });
    const taken = await post('/api/auth/register', { email: 'first@example.com', password: 'another password' });
    const other = await post('/api/auth/register', { email: 'second@example.com', password: PASSWORD });
    expect(fresh.status).toBe(201);
    expect([taken.status, taken.text]).toEqual([fresh.status, fresh.text]);
    expect([other.status, other.text]).toEqual([fresh.status, fresh.text]);
    expect(fresh.json).toMatchObject({ status: 'accepted' });
    expect(fresh.text).not.toContain('first@example.com');
    expect((await post('/api/auth/login', { email: 'first@example.com', password: PASSWORD })).status).toBe(200);
    expect((await post('/api/auth/login', { email: 'first@example.com', password: 'another password' })).status).toBe(401);
  });

  it('login gives identical answers for an unknown email and a wrong password', async () => {
    const unknown = await post('/api/auth/login', { email: 'ghost@example.com', password: WRONG });
    const wrong = await post('/api/auth/login', { email: 'second@example.com', password: WRONG });
    expect(unknown.status).toBe(401);
    expect([wrong.status, wrong.text, wrong.retryAfter]).toEqual([unknown.status, unknown.text, unknown.retryAfter]);
  });

  it('registration is limited per client address: after 10, 429 with Retry-After; other addresses go on', async () => {
    const post2 = from(t, '198.51.100.2');
    for (let i = 0; i < 10; i++) expect((await post2('/api/auth/register', { email: `bulk-${i}@example.com`, password: PASSWORD })).status).toBe(201);
    const refused = await post2('/api/auth/register', { email: 'bulk-10@example.com', password: PASSWORD });
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    expect((await from(t, '198.51.100.3')('/api/auth/register', { email: 'bulk-10@example.com', password: PASSWORD })).status).toBe(201);
  });
});

describe('logout ends the session', async () => {
  const t = await makeApp({ authRequired: true });
  afterAll(() => t.close());
  const post = from(t, '198.51.100.1');
  const me = async (token: string) => (await t.app.request('/api/me', { headers: { authorization: `Bearer ${token}` } }, { transport: 'tcp' })).status;

  beforeAll(async () => {
    expect((await post('/api/auth/register', { email: 'sess@example.com', password: PASSWORD })).status).toBe(201);
  });
  const login = async () =>
    (await post('/api/auth/login', { email: 'sess@example.com', password: PASSWORD })).json as { access_token: string; refresh_token: string };

  it('an access token stops working right after logout; other sessions of the user go on', async () => {
    const session = await login();
    const other = await login();
    expect(await me(session.access_token)).toBe(200);
    expect((await post('/api/auth/logout', { refresh_token: session.refresh_token })).status).toBe(204);
    expect(await me(session.access_token)).toBe(401);
    expect((await post('/api/auth/refresh', { refresh_token: session.refresh_token })).status).toBe(401);
    expect(await me(other.access_token)).toBe(200);
  });

  it('tokens from refreshing stay in the session: logout with the newest refresh token ends them all', async () => {
    const first = await login();
    const next = (await post('/api/auth/refresh', { refresh_token: first.refresh_token })).json;
    expect(await me(next.access_token)).toBe(200);
    expect((await post('/api/auth/logout', { refresh_token: next.refresh_token })).status).toBe(204);
    expect(await me(first.access_token)).toBe(401);
    expect(await me(next.access_token)).toBe(401);
  });

  it('presenting a used refresh token again ends its session', async () => {
    const first = await login();
    const next = (await post('/api/auth/refresh', { refresh_token: first.refresh_token })).json;
    expect((await post('/api/auth/refresh', { refresh_token: first.refresh_token })).status).toBe(401);
    expect(await me(next.access_token)).toBe(401);
    expect((await post('/api/auth/refresh', { refresh_token: next.refresh_token })).status).toBe(401);
  });
});

describe('ranking and ratings', async () => {
  const t = await makeApp();
  const call = client(t.app);
  afterAll(() => t.close());
  /** The owner's public agent under test, as the owner names it and as other users do (SPEC §4). */
  const OWN = 'ranked';
  const AGENT = 'owner/ranked';
  const PATH = encodeURIComponent(AGENT);
  const tokens: Record<string, string> = {};
  const usage = async () => (await call('GET', `/api/agents/${OWN}`, { token: tokens.owner })).json.usage_count as number;

  beforeAll(async () => {
    for (const who of ['owner', 'fan', 'v1', 'caxton', 'lurker']) {
      expect((await call('POST', '/api/auth/register', { body: { email: `${who}@example.com`, password: PASSWORD } })).status).toBe(201);
      tokens[who] = (await call('POST', '/api/auth/login', { body: { email: `${who}@example.com`, password: PASSWORD } })).json.access_token;
    }
    expect(
      (await call('POST', '/api/agents', { token: tokens.owner, body: { name: OWN, model: 'fast', system_prompt: 'Help.', is_public: true } })).status,
    ).toBe(201);
  });

  it('200 requests with a conversation that does not exist add no usage', async () => {
    for (let i = 0; i < 200; i++) {
      const res = await call('POST', `/api/agents/${PATH}/chat`, { token: tokens.fan, body: { message: 'hi', conversation_id: `conv_bogus${i}` } });
      expect(res.status).toBe(404);
    }
    expect(
      (
        await call('POST', '/v1/chat/completions', {
          token: tokens.fan,
          body: { model: AGENT, messages: [{ role: 'user', content: 'hi' }], conversation_id: 'conv_bogus' },
        })
      ).status,
    ).toBe(404);
    expect(await usage()).toBe(0);
  });

  it("two completed runs by one user on one day count once; the owner's runs never count", async () => {
    for (let i = 0; i < 2; i++) expect((await call('POST', `/api/agents/${PATH}/chat`, { token: tokens.fan, body: { message: 'hi' } })).status).toBe(200);
    expect(await usage()).toBe(1);
    expect((await call('POST', `/api/agents/${OWN}/chat`, { token: tokens.owner, body: { message: 'hi' } })).status).toBe(200);
    expect(await usage()).toBe(1);
  });

  it('every entry point that reaches a community agent counts a completed run the same way: chat, /v1 and the Caxton path', async () => {
    expect((await call('POST', '/v1/chat/completions', { token: tokens.v1, body: { model: AGENT, messages: [{ role: 'user', content: 'hi' }] } })).status).toBe(
      200,
    );
    expect(await usage()).toBe(2);
    expect((await call('POST', `/agents/${PATH}/message`, { token: tokens.caxton, body: { text: 'hi' } })).status).toBe(200);
    expect(await usage()).toBe(3);
  });

  it('owners cannot rate their own agents (403); nobody rates an agent they have not run (409); a user with a completed run can', async () => {
    const own = await call('POST', `/api/agents/${PATH}/rate`, { token: tokens.owner, body: { stars: 5 } });
    expect(own.status).toBe(403);
    expect(own.json.error.message).toBe(`you cannot rate your own agent ${OWN}`);
    const unrun = await call('POST', `/api/agents/${PATH}/rate`, { token: tokens.lurker, body: { stars: 1 } });
    expect(unrun.status).toBe(409);
    expect(unrun.json.error.message).toBe(`rate agent ${AGENT} after a completed run of it`);
    const fan = await call('POST', `/api/agents/${PATH}/rate`, { token: tokens.fan, body: { stars: 4 } });
    expect([fan.status, fan.json]).toEqual([200, { name: AGENT, rating: 4, rating_count: 1 }]);
  });
});
