/**
 * `GET /api/executions` filters and pages on the server, and `GET /api/executions/stats` reports
 * per-agent runs, errors, p50 latency, tokens and cost over a window and each agent's latest run start, on every store backend, over
 * real runs (the offline provider): a user sees only their own runs, the admin (the control socket's
 * local user) everyone's stats; bad filters and cursors are refused saying which field.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendTimeout, backendTitle, storeBackends, type StoreBackend } from '../helpers/store-backends.js';
import { client, makeApp, type TestApp } from './fixture.js';

for (const backend of storeBackends()) describe.skipIf(backend.skip)(backendTitle(backend), { timeout: backendTimeout(backend) }, () => suite(backend));

function suite(backend: StoreBackend): void {
  let t: TestApp;
  let call: ReturnType<typeof client>;
  const tokens: Record<'a' | 'b', string> = { a: '', b: '' };

  beforeAll(async () => {
    const location = await backend.create();
    t = await makeApp({ authRequired: true, ...(backend.name === 'postgres' ? { databaseUrl: location } : { databasePath: location }) });
    call = client(t.app);
    for (const who of ['a', 'b'] as const) {
      const email = `${who}@example.com`;
      expect((await call('POST', '/api/auth/register', { body: { email, password: 'correct horse' } })).status).toBe(201);
      tokens[who] = (await call('POST', '/api/auth/login', { body: { email, password: 'correct horse' } })).json.access_token;
      const created = await call('POST', '/api/agents', { token: tokens[who], body: { name: `helper-${who}`, system_prompt: 'Help.', model: 'fast' } });
      expect(created.status).toBe(201);
    }
    for (const message of ['one', 'two', 'three']) {
      expect((await call('POST', '/api/agents/helper-a/chat', { token: tokens.a, body: { message } })).status).toBe(200);
    }
    expect((await call('POST', '/api/agents/helper-b/chat', { token: tokens.b, body: { message: 'hello' } })).status).toBe(200);
  }, backendTimeout(backend));
  afterAll(async () => await t?.close());

  it("stats: a user's own runs per agent; the admin's: everyone's", async () => {
    const mine = await call('GET', '/api/executions/stats?window=3600', { token: tokens.a });
    expect(mine.status).toBe(200);
    expect(mine.json.agents).toEqual([
      { agent: 'helper-a', runs: 3, errors: 0, p50_ms: expect.any(Number), tokens: expect.any(Number), cost_usd: expect.any(Number) },
    ]);
    expect(mine.json.since).toBeLessThanOrEqual(Date.now() - 3_600_000);
    const newest = (await call('GET', '/api/executions?limit=1', { token: tokens.a })).json.executions[0];
    expect(mine.json.last_run_at).toEqual({ 'helper-a': newest.created_at });
    const all = await call('GET', '/api/executions/stats', { socket: true });
    expect(all.json.agents.map((s: { agent: string; runs: number }) => [s.agent, s.runs])).toEqual([
      ['helper-a', 3],
      ['helper-b', 1],
    ]);
    expect(Object.keys(all.json.last_run_at)).toEqual(expect.arrayContaining(['helper-a', 'helper-b']));
    const refused = await call('GET', '/api/executions/stats?window=5', { token: tokens.a });
    expect(refused.status).toBe(400);
    expect(refused.json.error.details).toContainEqual(expect.objectContaining({ field: 'window' }));
  });

  it('executions: filtered on the server and paged by cursor, only the caller’s', async () => {
    const ok = await call('GET', '/api/executions?status=success&finish_reason=stop&agent=helper-a', { token: tokens.a });
    expect(ok.json.executions).toHaveLength(3);
    expect((await call('GET', '/api/executions?status=error', { token: tokens.a })).json.executions).toEqual([]);
    expect((await call('GET', '/api/executions?agent=helper-b', { token: tokens.a })).json.executions).toEqual([]);
    const newest = ok.json.executions[0];
    const since = await call('GET', `/api/executions?since=${newest.created_at}`, { token: tokens.a });
    expect(since.json.executions.map((e: { id: string }) => e.id)).toContain(newest.id);
    const until = await call('GET', `/api/executions?until=${newest.created_at}`, { token: tokens.a });
    expect(until.json.executions.map((e: { id: string }) => e.id)).not.toContain(newest.id);

    const first = await call('GET', '/api/executions?limit=2', { token: tokens.a });
    expect(first.json.executions).toHaveLength(2);
    const second = await call('GET', `/api/executions?limit=2&cursor=${first.json.next_cursor}`, { token: tokens.a });
    expect(second.json.next_cursor).toBeUndefined();
    expect([...first.json.executions, ...second.json.executions].map((e: { id: string }) => e.id)).toEqual(ok.json.executions.map((e: { id: string }) => e.id));
  });

  it('refuses an unknown finish reason and a cursor it did not issue, naming the field', async () => {
    for (const [query, field] of [
      ['finish_reason=finished', 'finish_reason'],
      ['status=done', 'status'],
      ['cursor=bm90LWEtY3Vyc29y', 'cursor'],
      ['since=yesterday', 'since'],
    ]) {
      const res = await call('GET', `/api/executions?${query}`, { token: tokens.a });
      expect(res.status, query).toBe(400);
      expect(res.json.error.details, query).toContainEqual(expect.objectContaining({ field }));
    }
  });
}
