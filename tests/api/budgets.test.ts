/**
 * Budgets checked before spending, on every store backend, with the fake OpenAI server over real
 * HTTP: a spent budget refuses a run with 429 before the fake sees a request; a budget that runs
 * out mid-run ends the run as `budget_exceeded`; a budget resets at the UTC period boundary
 * (injected clock); API key and agent budgets; 32 concurrent runs never overspend by more than one
 * reservation; `GET /api/usage` and the admin's `/api/users/:id/limits`.
 */
import { cpSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';
import { series, value } from '../helpers/prometheus.js';
import { backendTimeout, backendTitle, storeBackends, type StoreBackend } from '../helpers/store-backends.js';
import { tempDir } from '../helpers/tmp.js';
import { client, makeApp, type TestApp } from './fixture.js';
import { parseSse } from '../helpers/sse.js';

/** The shipped `fast` model answers at most this many tokens: the output part of every reservation. */
const MAX_TOKENS = 256;

let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(() => fake.close());

/** An app on `backend` with the fake provider, the budget keys of `[limits]`, a settable clock and optionally its own config/ tree. */
async function budgetApp(backend: StoreBackend, budgets: Record<string, unknown>, clock = { now: Date.parse('2026-11-30T12:00:00Z') }, configDir?: string) {
  const location = await backend.create();
  const t = await makeApp({
    ...(configDir ? { configDir } : {}),
    fakeUrl: fake.url,
    budgets,
    now: () => clock.now,
    limits: { maxConcurrentPerAgent: 32 },
    ...(backend.name === 'postgres' ? { databaseUrl: location } : { databasePath: location }),
  });
  return { t, call: client(t.app), clock };
}

const agent = (name: string, extra: object = {}) => ({ name, system_prompt: `You are ${name}.`, model: 'fast', ...extra });

for (const backend of storeBackends()) {
  describe.skipIf(backend.skip)(`budgets on the ${backendTitle(backend)}`, () => {
    let t: TestApp | undefined;
    afterAll(() => t?.close());

    it(
      'refuses a run with 429 and Retry-After before any request reaches the provider once the budget is spent',
      async () => {
        const app = await budgetApp(backend, { tokens_per_day: 1000 });
        t = app.t;
        const { call } = app;
        expect((await call('POST', '/api/agents', { body: agent('spender') })).status).toBe(201);
        fake.enqueue({ content: 'first', usage: { prompt_tokens: 900, completion_tokens: 100 } });
        const first = await call('POST', '/api/agents/spender/chat', { body: { message: 'hi' } });
        expect(first.status).toBe(200);
        const seen = fake.requests.length;

        const refused = await call('POST', '/api/agents/spender/chat', { body: { message: 'again' } });
        expect(refused.status).toBe(429);
        expect(refused.headers.get('retry-after')).toBe(String(12 * 3600));
        expect(refused.json.error.details).toContainEqual(expect.objectContaining({ field: 'user.tokens_per_day', code: 'budget_exceeded' }));
        expect(refused.json.error.message).toMatch(/limit 1000 tokens, used 1000 tokens/);
        expect(fake.requests.length).toBe(seen);

        const usage = await call('GET', '/api/usage?by=agent');
        expect(usage.status).toBe(200);
        expect(usage.json.rows).toContainEqual(expect.objectContaining({ key: 'spender', runs: 1, tokens_input: 900, tokens_output: 100 }));
        expect(usage.json.budgets).toContainEqual(
          expect.objectContaining({ scope: 'user', limit_key: 'tokens_per_day', limit: 1000, used: 1000, remaining: 0, resets_at: '2026-12-01T00:00:00.000Z' }),
        );
        await app.t.close();
        t = undefined;
      },
      backendTimeout(backend),
    );

    it(
      'ends a run whose next model call does not fit as budget_exceeded, with a last message naming the budget and its reset',
      async () => {
        const app = await budgetApp(backend, { tokens_per_day: 1000 });
        t = app.t;
        const { call } = app;
        expect((await call('POST', '/api/agents', { body: agent('tooler', { tools: ['calculator'] }) })).status).toBe(201);
        const before = fake.requests.length;
        fake.enqueue({ tool_calls: [{ name: 'calculator', arguments: '{"expression":"1+1"}' }], usage: { prompt_tokens: 700, completion_tokens: 0 } });
        const res = await call('POST', '/api/agents/tooler/chat', { body: { message: 'add' } });
        expect(res.status).toBe(200);
        expect(res.json.finish_reason).toBe('budget_exceeded');
        expect(res.json.reply).toMatch(/user budget tokens_per_day .* resets at 2026-12-01T00:00:00.000Z/);
        expect(fake.requests.length).toBe(before + 1);
        const rows = await app.t.store.tenants.history.executions('local', { limit: 5, agent: 'tooler' });
        expect(rows[0]).toMatchObject({ finish_reason: 'budget_exceeded', tokens_input: 700 });
        await app.t.close();
        t = undefined;
      },
      backendTimeout(backend),
    );

    it(
      "counts refusals in /metrics by agent, scope and limit, and shows what remains of a system agent's budget",
      async () => {
        const configDir = tempDir('cx-budget-config-');
        cpSync(resolve(__dirname, '../../config'), configDir, { recursive: true });
        writeFileSync(
          join(configDir, 'agents', 'metered.toml'),
          'name = "metered"\nmodel = "fast"\nsystem_prompt = "You are metered."\n[budget]\ntokens_per_day = 5000\nusd_per_month = 2\n',
        );
        const app = await budgetApp(backend, { tokens_per_day: 1000 }, undefined, configDir);
        t = app.t;
        const { call } = app;
        fake.enqueue({ usage: { prompt_tokens: 900, completion_tokens: 100 } });
        expect((await call('POST', '/api/agents/metered/chat', { body: { message: 'hi' } })).status).toBe(200);
        expect((await call('POST', '/api/agents/metered/chat', { body: { message: 'again' } })).status).toBe(429);
        const text = await (await app.t.app.request('/metrics')).text();
        expect(value(text, 'caxton_budget_refusals_total', { agent: 'metered', scope: 'user', limit: 'tokens_per_day' })).toBe(1);
        expect(value(text, 'caxton_agent_budget_remaining_tokens', { agent: 'metered', period: 'day' })).toBe(4000);
        expect(value(text, 'caxton_agent_budget_remaining_usd', { agent: 'metered', period: 'month' })).toBeLessThanOrEqual(2);
        expect(series(text, 'caxton_agent_budget_remaining_tokens').map((x) => x.labels.agent)).toEqual(['metered']);
        await app.t.close();
        t = undefined;
      },
      backendTimeout(backend),
    );

    it(
      'resets at the UTC day boundary: refused at 23:59, served after midnight',
      async () => {
        const clock = { now: Date.parse('2026-11-30T23:59:00Z') };
        const app = await budgetApp(backend, { tokens_per_day: 1000 }, clock);
        t = app.t;
        const { call } = app;
        expect((await call('POST', '/api/agents', { body: agent('nightly') })).status).toBe(201);
        fake.enqueue({ usage: { prompt_tokens: 1000, completion_tokens: 0 } });
        expect((await call('POST', '/api/agents/nightly/chat', { body: { message: 'hi' } })).status).toBe(200);
        const refused = await call('POST', '/api/agents/nightly/chat', { body: { message: 'hi' } });
        expect(refused.status).toBe(429);
        expect(refused.headers.get('retry-after')).toBe('60');
        clock.now = Date.parse('2026-12-01T00:00:01Z');
        const next = await call('POST', '/api/agents/nightly/chat', { body: { message: 'hi' } });
        expect(next.status).toBe(200);
        expect(next.json.finish_reason).toBe('stop');
        await app.t.close();
        t = undefined;
      },
      backendTimeout(backend),
    );

    it(
      "keeps an API key's budget and an agent's budget apart from the user's",
      async () => {
        const app = await budgetApp(backend, { api_key: { tokens_per_month: 1000 } });
        t = app.t;
        const { call } = app;
        const reg = await call('POST', '/api/auth/register', { body: { email: 'k@example.com', password: 'correct horse', name: 'K' } });
        expect(reg.status).toBe(201);
        const token = (await call('POST', '/api/auth/login', { body: { email: 'k@example.com', password: 'correct horse' } })).json.access_token;
        const key = (await call('POST', '/api/keys', { token, body: { name: 'ci' } })).json.key;
        expect((await call('POST', '/api/agents', { token, body: agent('keyed') })).status).toBe(201);
        expect((await call('POST', '/api/agents', { token, body: agent('capped', { budget: { tokens_per_day: 500 } }) })).status).toBe(201);

        fake.enqueue({ usage: { prompt_tokens: 1000, completion_tokens: 0 } });
        expect((await call('POST', '/api/agents/keyed/chat', { token: key, body: { message: 'hi' } })).status).toBe(200);
        const own = await call('GET', '/api/usage?user=K@example.com&by=agent', { token: key });
        expect(own.status).toBe(200);
        expect(own.json.budgets).toContainEqual(expect.objectContaining({ scope: 'api_key', limit_key: 'tokens_per_month', used: 1000, remaining: 0 }));
        expect((await call('GET', '/api/usage?user=nobody@example.com', { token: key })).status).toBe(403);
        const byKey = await call('POST', '/api/agents/keyed/chat', { token: key, body: { message: 'hi' } });
        expect(byKey.status).toBe(429);
        expect(byKey.json.error.details).toContainEqual(expect.objectContaining({ field: 'api_key.tokens_per_month' }));
        expect(byKey.headers.get('retry-after')).toBe(String(12 * 3600));
        // The same user with a login token is not held by the key's budget.
        expect((await call('POST', '/api/agents/keyed/chat', { token, body: { message: 'hi' } })).status).toBe(200);

        fake.enqueue({ usage: { prompt_tokens: 500, completion_tokens: 0 } });
        // A first call of ~300 tokens fits the agent's 500, then the agent's budget is spent.
        expect((await call('POST', '/api/agents/capped/chat', { token, body: { message: 'hi' } })).status).toBe(200);
        const byAgent = await call('POST', '/api/agents/capped/chat', { token, body: { message: 'hi' } });
        expect(byAgent.status).toBe(429);
        expect(byAgent.json.error.details).toContainEqual(expect.objectContaining({ field: 'agent.tokens_per_day' }));
        expect((await call('POST', '/api/agents/keyed/chat', { token, body: { message: 'hi' } })).status).toBe(200);
        await app.t.close();
        t = undefined;
      },
      backendTimeout(backend),
    );

    it(
      '32 concurrent runs against a budget for about 10 calls never overspend by more than one reservation',
      async () => {
        const app = await budgetApp(backend, {});
        t = app.t;
        const { call } = app;
        const limit = 3000;
        // The admin's override of the user's budget: 10 calls of 300 real tokens each.
        const put = await call('PUT', '/api/users/local/limits', { socket: true, body: { tokens_per_day: limit } });
        expect(put.status).toBe(200);
        expect(put.json.overrides).toEqual({ tokens_per_day: limit });
        expect((await call('POST', '/api/agents', { body: agent('crowd') })).status).toBe(201);
        const before = fake.requests.length;
        fake.setDefault({ content: 'ok', delay_ms: 20, usage: { prompt_tokens: 200, completion_tokens: 100 } });
        try {
          const results = await Promise.all(Array.from({ length: 32 }, () => call('POST', '/api/agents/crowd/chat', { body: { message: 'hi' } })));
          const served = results.filter((r) => r.status === 200 && r.json.finish_reason === 'stop').length;
          const refused = results.filter((r) => r.status === 429 || (r.status === 200 && r.json.finish_reason === 'budget_exceeded')).length;
          expect(results.filter((r) => r.status !== 200 && r.status !== 429).map((r) => r.text)).toEqual([]);
          expect(served + refused).toBe(32);
          expect(fake.requests.length - before).toBe(served);
          // Each reservation is ~30 prompt tokens (estimated) + 256 output; the real use is 300 per call.
          expect(served).toBeGreaterThanOrEqual(9);
          expect(served * 300).toBeLessThanOrEqual(limit + 300 + MAX_TOKENS);
          const usage = await call('GET', '/api/usage');
          const day = usage.json.budgets.find((b: { limit_key: string }) => b.limit_key === 'tokens_per_day');
          expect(day.used).toBe(served * 300);
        } finally {
          fake.setDefault({ content: 'ok' });
        }
        await app.t.close();
        t = undefined;
      },
      backendTimeout(backend),
    );

    it(
      'releases the whole reservation of a call the provider refused, and streams budget_exceeded in the done event',
      async () => {
        const app = await budgetApp(backend, { tokens_per_day: 1000 });
        t = app.t;
        const { call } = app;
        expect((await call('POST', '/api/agents', { body: agent('flaky', { tools: ['calculator'] }) })).status).toBe(201);
        fake.enqueue({ status: 500 });
        expect((await call('POST', '/api/agents/flaky/chat', { body: { message: 'hi' } })).status).toBe(502);
        const usage = await call('GET', '/api/usage');
        expect(usage.json.budgets).toContainEqual(expect.objectContaining({ limit_key: 'tokens_per_day', used: 0 }));

        fake.enqueue({ tool_calls: [{ name: 'calculator', arguments: '{"expression":"2*3"}' }], usage: { prompt_tokens: 700, completion_tokens: 0 } });
        const res = await app.t.app.request('/api/agents/flaky/chat', {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
          body: JSON.stringify({ message: 'multiply' }),
        });
        const done = parseSse(await res.text()).find((e) => e.event === 'done');
        expect(done?.data).toMatchObject({ finish_reason: 'budget_exceeded' });
        await app.t.close();
        t = undefined;
      },
      backendTimeout(backend),
    );

    it(
      'lets only the admin read and set limits, and refuses bad values naming the field',
      async () => {
        const app = await budgetApp(backend, { usd_per_month: 10 });
        t = app.t;
        const { call } = app;
        expect((await call('GET', '/api/users/local/limits')).status).toBe(403);
        expect((await call('PUT', '/api/users/local/limits', { body: { usd_per_day: 1 } })).status).toBe(403);
        const bad = await call('PUT', '/api/users/local/limits', { socket: true, body: { usd_per_day: -1, tokens: 5 } });
        expect(bad.status).toBe(400);
        expect(JSON.stringify(bad.json.error.details)).toMatch(/usd_per_day/);
        expect((await call('GET', '/api/users/nobody@example.com/limits', { socket: true })).status).toBe(404);
        const got = await call('GET', '/api/users/local/limits', { socket: true });
        expect(got.status).toBe(200);
        expect(got.json.budgets).toEqual([expect.objectContaining({ scope: 'user', limit_key: 'usd_per_month', limit: 10, used: 0, remaining: 10 })]);
        expect((await call('GET', '/api/usage?user=someone-else')).status).toBe(403);
        await app.t.close();
        t = undefined;
      },
      backendTimeout(backend),
    );
  });
}
