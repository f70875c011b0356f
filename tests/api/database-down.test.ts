/**
 * The database going away and coming back (SPEC §6 error model; a PostgreSQL server that stops
 * answering): requests that need it fail at once with 503 UNAVAILABLE and a message saying the
 * database is unavailable (never a hang, never a 500), `/health` says `degraded`, a run whose step
 * commit fails ends with that error (503, or an SSE `error` event), and everything works again once
 * the database is back, without a restart. The outage is injected on SQLite by a store wrapper that
 * rejects as the PostgreSQL store does (tests/helpers/store-doubles.ts). Health and status name a
 * PostgreSQL database by its URL without the password, with its pool.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';
import { databaseOutage } from '../helpers/store-doubles.js';
import { client, makeApp, type TestApp } from './fixture.js';
import { parseSse } from '../helpers/sse.js';

const outage = databaseOutage();
let fake: FakeOpenAI;
let t: TestApp;
let call: ReturnType<typeof client>;

beforeAll(async () => {
  fake = await startFakeOpenAI({ default: { content: 'fine' } });
  t = await makeApp({ fakeUrl: fake.url, wrapStore: outage.wrap });
  call = client(t.app);
});
afterAll(async () => {
  outage.down = false;
  await t?.close();
  await fake?.close();
});

/** The SSE event names and the `error` event's data of a streamed chat. */
async function streamed(message: string, conversationId?: string) {
  const res = await t.app.request(
    '/api/agents/router/chat',
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ message, ...(conversationId ? { conversation_id: conversationId } : {}) }),
    },
    { transport: 'tcp' },
  );
  const events = parseSse(await res.text());
  const error = events.find((e) => e.event === 'error')?.data as { code: string; message: string } | undefined;
  return { status: res.status, events: events.map((e) => e.event), error };
}

describe('the database goes away and comes back', () => {
  it('answers 503 UNAVAILABLE at once while it is down, reports degraded health, and serves again when it is back', async () => {
    const before = await call('POST', '/api/agents/router/chat', { body: { message: 'first' } });
    expect(before.status).toBe(200);
    const conversation = before.json.conversation_id as string;

    outage.down = true;
    const health = await call('GET', '/health');
    expect(health.status).toBe(503);
    expect(health.json).toMatchObject({
      status: 'degraded',
      database: { ok: false, backend: 'sqlite', error: expect.stringContaining('database unavailable') },
    });

    const history = await call('GET', `/api/conversations/${conversation}`);
    expect(history.status).toBe(503);
    expect(history.json.error).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('database unavailable') });
    const chat = await call('POST', '/api/agents/router/chat', { body: { message: 'while down', conversation_id: conversation } });
    expect(chat.status).toBe(503);
    expect(chat.json.error).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('database unavailable') });
    expect(t.errors).toEqual([]);

    outage.down = false;
    expect((await call('GET', '/health')).status).toBe(200);
    const after = await call('POST', '/api/agents/router/chat', { body: { message: 'back', conversation_id: conversation } });
    expect(after.status).toBe(200);
    expect((await call('GET', `/api/conversations/${conversation}`)).json.messages.map((m: { content: string }) => m.content)).toEqual([
      'first',
      'fine',
      'back',
      'fine',
    ]);
  });

  it('ends a run whose step commit fails with 503, or an SSE error event, and runs again once the database is back', async () => {
    const requestsBefore = fake.requests.length;
    fake.enqueue({ content: 'late reply', delay_ms: 300 });
    const pending = call('POST', '/api/agents/router/chat', { body: { message: 'commit fails' } });
    await expect.poll(() => fake.requests.length, { timeout: 5_000 }).toBe(requestsBefore + 1);
    outage.down = true;
    const failed = await pending;
    expect(failed.status).toBe(503);
    expect(failed.json.error).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('database unavailable') });

    outage.down = false;
    fake.enqueue({ content: 'late reply', delay_ms: 300 });
    const stream = streamed('stream commit fails');
    await expect.poll(() => fake.requests.length, { timeout: 5_000 }).toBe(requestsBefore + 2);
    outage.down = true;
    const sse = await stream;
    expect(sse.status).toBe(200);
    expect(sse.events.at(-1)).toBe('error');
    expect(sse.error).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('database unavailable') });

    outage.down = false;
    const again = await streamed('back again');
    expect(again.events.at(-1)).toBe('done');
    expect(t.runtime.agents.status('router')).toMatchObject({ active: 0, queued: 0 });
    expect(t.errors).toEqual([]);
  });
});

describe('signed-in callers while the database is down', () => {
  it('get 503, not 401, with an access token or an API key, and are served again when it is back', async () => {
    const auth = databaseOutage();
    const a = await makeApp({ authRequired: true, wrapStore: auth.wrap });
    try {
      const acall = client(a.app);
      expect((await acall('POST', '/api/auth/register', { body: { email: 'down@example.com', password: 'correct horse' } })).status).toBe(201);
      const token = (await acall('POST', '/api/auth/login', { body: { email: 'down@example.com', password: 'correct horse' } })).json.access_token as string;
      const key = (await acall('POST', '/api/keys', { token, body: { name: 'k' } })).json.key as string;
      auth.down = true;
      for (const credential of [token, key]) {
        const me = await acall('GET', '/api/me', { token: credential });
        expect(me.status).toBe(503);
        expect(me.json.error).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('database unavailable') });
      }
      auth.down = false;
      for (const credential of [token, key]) expect((await acall('GET', '/api/me', { token: credential })).status).toBe(200);
    } finally {
      await a.close();
    }
  });
});

describe('a PostgreSQL database in /health and status', () => {
  it('shows the backend and pool, and the URL without its password (admin status only)', async () => {
    const pg = await makeApp({
      authRequired: true,
      wrapStore: (store) => ({
        ...store,
        health: async () => ({
          ok: true,
          backend: 'postgres',
          path: 'postgres://caxton:pw-in-url-123@db.internal:5432/caxton',
          schema_version: 7,
          pool: { total: 3, idle: 2, waiting: 0 },
        }),
      }),
    });
    try {
      const pcall = client(pg.app);
      const health = await pcall('GET', '/health');
      expect(health.status).toBe(200);
      expect(health.json.database).toEqual({ ok: true, backend: 'postgres', schema_version: 7, pool: { total: 3, idle: 2, waiting: 0 } });
      const status = await pcall('GET', '/api/status', { socket: true });
      expect(status.json.database).toMatchObject({ backend: 'postgres', path: 'postgres://caxton@db.internal:5432/caxton', pool: { total: 3 } });
      expect((await pcall('GET', '/api/status')).status).toBe(401);
      for (const res of [health, status]) expect(res.text).not.toContain('pw-in-url');
    } finally {
      await pg.close();
    }
  });
});
