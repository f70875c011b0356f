/**
 * Faults on two real daemons sharing one real PostgreSQL database (STORY-034 external backends,
 * STORY-010 database connection errors): a node killed with SIGKILL under concurrent chat load loses no answer it
 * gave (every 200 has its execution row and assistant message), the other node keeps serving, and the
 * killed node starts again over its stale pid file and socket; the database stopped under load makes
 * requests fail fast with 503 UNAVAILABLE (never a hang or a 500), `/health` degraded, a streamed chat
 * ends with an SSE `error` event, and after the database starts again both nodes serve without a
 * restart, their change listeners are back and a revoked key is refused on the other node. The tests
 * share one cluster and two nodes and run in order: the second uses the node the first restarted.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { homeRegistry, requireBuild, waitFor, type TestHome } from '../helpers/cli.js';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';
import { freshDatabase, pgSkipReason, startPgCluster, type PgCluster } from '../helpers/pg-cluster.js';
import { collect, sseEvents } from '../helpers/sse.js';

requireBuild();
const skip = pgSkipReason();

/** What one chat request ended with: its status and body, or the transport error when there was no answer. */
interface Outcome {
  node: number;
  status?: number;
  body?: { conversation_id?: string; execution_id?: string; reply?: string; error?: { code: string; message: string } };
  failure?: string;
}

/** POST a chat to `url` as `key`; settles within `timeoutMs` (a hang aborts and is reported as a failure). */
async function chat(node: number, url: string, key: string, message: string, timeoutMs = 15_000): Promise<Outcome> {
  try {
    const res = await fetch(`${url}/api/agents/router/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ message }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { node, status: res.status, body: (await res.json()) as Outcome['body'] };
  } catch (err) {
    return { node, failure: (err as Error).name === 'TimeoutError' ? 'no answer in time' : String(err) };
  }
}

/** Run `clients` loops of `perClient` chats each, client `c` alternating between the nodes' URLs as `urls()` gives them. */
async function load(clients: number, perClient: number, urls: () => string[], key: string, tag: string, each?: (o: Outcome) => void): Promise<Outcome[]> {
  const all: Outcome[] = [];
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; i < perClient; i++) {
        const node = (c + i) % 2;
        const o = await chat(node, urls()[node]!, key, `${tag} ${c}-${i}`);
        all.push(o);
        each?.(o);
      }
    }),
  );
  return all;
}

describe.skipIf(skip)(`two daemons on one PostgreSQL database under faults${skip ? ` (${skip})` : ''}`, { timeout: 120_000 }, () => {
  const homes = homeRegistry();
  let cluster: PgCluster;
  let dbUrl = '';
  let fake: FakeOpenAI;
  const nodes: TestHome[] = [];
  const urls: string[] = [];
  let key = '';
  let keyId = '';
  let db: pg.Pool;

  const api = async (node: number, method: string, path: string, body?: unknown, credential = key) => {
    const res = await fetch(`${urls[node]}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(credential ? { authorization: `Bearer ${credential}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    return { status: res.status, json: (text ? JSON.parse(text) : {}) as Record<string, any> };
  };

  beforeAll(async () => {
    cluster = startPgCluster();
    dbUrl = await freshDatabase(cluster);
    db = new pg.Pool({ connectionString: dbUrl, max: 2 });
    db.on('error', () => undefined);
    fake = await startFakeOpenAI({
      default: (req) => {
        const last = JSON.stringify(req.body?.messages?.at(-1)?.content ?? '');
        // A slow stream keeps a run busy while the database goes away; others answer after a short delay.
        return last.includes('slow stream') ? { content: 'one two three four five six', chunk_delay_ms: 500 } : { content: 'pong', delay_ms: 20 };
      },
    });
    for (let n = 0; n < 2; n++) {
      const home = await homes.createWithFake(fake.url);
      home.env = { ...home.env, CAXTON_DATABASE_URL: dbUrl, ARES_JWT_SECRET: 'a-shared-secret-of-enough-length-for-both-nodes' };
      await home.start();
      nodes.push(home);
      urls.push((await home.status()).url);
    }
    expect((await api(0, 'POST', '/api/auth/register', { email: 'ann@example.com', password: 'long enough' }, '')).status).toBe(201);
    const login = await api(1, 'POST', '/api/auth/login', { email: 'ann@example.com', password: 'long enough' }, '');
    const created = await api(0, 'POST', '/api/keys', { name: 'load' }, login.json.access_token as string);
    expect(created.status).toBe(201);
    ({ key, id: keyId } = created.json as { key: string; id: string });
  }, 60_000);

  afterAll(async () => {
    await homes.cleanupAll();
    await fake?.close();
    await db?.end().catch(() => undefined);
    cluster?.destroy();
  });

  it('a node killed under load loses no answer it gave; the other keeps serving; the killed node starts again', async () => {
    const victim = nodes[0]!;
    const pid = victim.pidFromFile()!;
    let ok = 0;
    let killed = false;
    let servedAfterKill = 0;
    const outcomes = await load(
      8,
      10,
      () => urls,
      key,
      'kill',
      (o) => {
        if (killed && o.node === 1 && o.status === 200) servedAfterKill++;
        if (o.status === 200 && ++ok === 12) {
          process.kill(pid, 'SIGKILL');
          killed = true;
        }
      },
    );
    expect(killed).toBe(true);

    // The survivor answered every request it was sent, before, during and after the kill.
    const survivor = outcomes.filter((o) => o.node === 1);
    expect(survivor.filter((o) => o.status !== 200)).toEqual([]);
    expect(servedAfterKill).toBeGreaterThan(0);
    // Every 200 (from either node) is in the database: a successful execution and its assistant message.
    const answered = outcomes.filter((o) => o.status === 200).map((o) => o.body!);
    expect(answered.length).toBeGreaterThan(survivor.length);
    const executions = await db.query<{ id: string; status: string }>('SELECT id, status FROM agent_executions WHERE id = ANY($1)', [
      answered.map((b) => b.execution_id),
    ]);
    expect(executions.rows.length).toBe(answered.length);
    expect(executions.rows.every((r) => r.status === 'success')).toBe(true);
    const replies = await db.query<{ conversation_id: string }>(
      "SELECT conversation_id FROM messages WHERE role = 'assistant' AND content = 'pong' AND conversation_id = ANY($1)",
      [answered.map((b) => b.conversation_id)],
    );
    expect(new Set(replies.rows.map((r) => r.conversation_id)).size).toBe(answered.length);
    // ...and readable through the node that stayed up.
    const one = answered[0]!;
    expect((await api(1, 'GET', `/api/conversations/${one.conversation_id}`)).json.messages.at(-1)).toMatchObject({ role: 'assistant', content: 'pong' });

    // The killed node left its pid file and socket behind; `server start` replaces them and it serves again.
    expect(victim.exists(victim.pidFile) && victim.exists(victim.socket)).toBe(true);
    urls[0] = (await victim.start()).url;
    const back = await chat(0, urls[0], key, 'after the restart');
    expect(back).toMatchObject({ status: 200, body: { reply: 'pong' } });
  });

  it('the database stopped under load: fast 503s, degraded health, an SSE error; all serve again once it is back', async () => {
    // A streamed chat on node 1 is still producing tokens when the database goes away.
    const stream = await fetch(`${urls[1]}/api/agents/router/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${key}` },
      body: JSON.stringify({ message: 'slow stream please' }),
      signal: AbortSignal.timeout(30_000),
    });
    expect(stream.status).toBe(200);
    const events = sseEvents(stream);
    const sse = await collect(events, (e) => e.event === 'text_delta');
    expect(sse.at(-1)?.event, 'the first piece of text').toBe('text_delta');

    cluster.pause();
    sse.push(...(await collect(events)));
    expect(sse).toContainEqual({ event: 'error', data: expect.objectContaining({ code: 'UNAVAILABLE' }) });
    expect(sse.map((e) => e.event)).not.toContain('done');

    // Every request needing the database settles with 503 UNAVAILABLE while it is down.
    const down = await load(4, 3, () => urls, key, 'down');
    for (const o of down) {
      expect(o.failure, `node ${o.node}`).toBeUndefined();
      expect(o.status, JSON.stringify(o.body)).toBe(503);
      expect(o.body?.error).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('database unavailable') });
    }
    for (const node of [0, 1]) {
      const health = await api(node, 'GET', '/health', undefined, '');
      expect(health.status).toBe(503);
      expect(health.json).toMatchObject({ status: 'degraded', database: { ok: false, backend: 'postgres' } });
    }

    cluster.start();
    // Both nodes serve again without a restart: once healthy, every chat of a burst on both succeeds.
    await waitFor(
      'healthy nodes',
      async () => (await api(0, 'GET', '/health', undefined, '')).status === 200 && (await api(1, 'GET', '/health', undefined, '')).status === 200,
      20_000,
    );
    const after = await load(8, 4, () => urls, key, 'after');
    expect(after.filter((o) => o.status !== 200)).toEqual([]);

    // Each node's change listener is connected again, so a key revoked on node 0 is refused on node 1.
    await waitFor(
      'both change listeners back',
      async () =>
        (await db.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN caxton_changes'")).rows[0].n ===
        2,
      15_000,
    );
    expect((await api(0, 'DELETE', `/api/keys/${keyId}`)).status).toBe(204);
    await waitFor('the revoked key refused on node 1', async () => (await api(1, 'GET', '/api/me')).status === 401, 5_000);
  });
});
