/**
 * Re-embedding progress over the API in process (src/api/routes/memory.ts, issue requirement "a
 * progress bar on long imports and reindexing"): with the embedder a model alias served by the fake
 * server's `/v1/embeddings`, `POST /api/memory/reindex` with Accept: text/event-stream streams
 * `progress` {done, total} batch by batch (64 items a batch) and ends with `done` {reindexed}; a
 * second caller joining the running re-embedding gets its latest progress first, a JSON caller joining
 * gets the final count, and `GET /api/memory/stats` shows the progress meanwhile. When the embedder
 * fails mid-way the stream ends with an `error` event and the batches done stay embedded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';
import { collect, sseEvents } from '../helpers/sse.js';
import { client, makeApp, type TestApp } from './fixture.js';

/** Items the tests put in front of each re-embedding: three batches (64, 64, 22). */
const ITEMS = 150;

describe('memory re-embedding progress over the API', { timeout: 60_000 }, () => {
  let fake: FakeOpenAI;
  let t: TestApp;
  let call: ReturnType<typeof client>;

  /** Store `ITEMS` items of the local user as a former embedder left them. */
  const staleItems = async (tag: string) => {
    for (let i = 0; i < ITEMS; i++) {
      await t.store.memoryItems.insert(
        { user_id: 'local', scope: 'user', scope_key: 'user:local', text: `${tag} note ${i}`, created_at: 1, updated_at: 1 },
        { embedder: 'builtin:use-lite-512', data: new Float32Array([1, 0]) },
      );
    }
  };
  /** Start re-embedding as the admin (the control socket), asking for its progress as SSE. */
  const reindexStream = async () => {
    const res = await t.app.request('/api/memory/reindex', { method: 'POST', headers: { accept: 'text/event-stream' } }, { transport: 'socket' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    return sseEvents(res);
  };
  const embedderStats = async () => (await call('GET', '/api/memory/stats', { socket: true })).json.embedder;
  const progress = (done: number, total = ITEMS) => ({ event: 'progress', data: { done, total } });

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    t = await makeApp({ fakeUrl: fake.url, memoryEmbedder: 'fast' });
    call = client(t.app);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('streams progress batch by batch to the caller and to callers who join, and shows it in the stats', async () => {
    await staleItems('first');
    expect(await embedderStats()).toMatchObject({ pending: ITEMS, reindexing: false, progress: null });
    let release!: () => void;
    fake.enqueueEmbeddings({}, { wait: new Promise<void>((resolve) => (release = resolve)) });
    const first = await reindexStream();
    const beforeHold = await collect(first, (ev) => ev.event === 'progress' && ev.data.done === 64);

    const joiner = await reindexStream();
    const jsonJoiner = call('POST', '/api/memory/reindex', { socket: true });
    expect(await embedderStats()).toMatchObject({ name: 'fast', reindexing: true, progress: { done: 64, total: ITEMS } });
    release();

    expect([...beforeHold, ...(await collect(first))]).toEqual([
      progress(0),
      progress(64),
      progress(128),
      progress(ITEMS),
      { event: 'done', data: { reindexed: ITEMS } },
    ]);
    expect(await collect(joiner)).toEqual([progress(64), progress(128), progress(ITEMS), { event: 'done', data: { reindexed: ITEMS } }]);
    expect(await jsonJoiner).toMatchObject({ status: 200, json: { reindexed: ITEMS } });
    expect(await embedderStats()).toMatchObject({ pending: 0, reindexing: false, progress: null });
    const items = (await call('GET', '/api/memory?limit=1000', { socket: true })).json.items as { embedder: string }[];
    expect(new Set(items.map((i) => i.embedder))).toEqual(new Set(['fast:openai/gpt-4o-mini']));
    expect(items).toHaveLength(ITEMS);
  });

  it('ends the stream with an error event when the embedder fails mid-way, keeping the batches done', async () => {
    await staleItems('second');
    // The embedder's client retries once: both attempts at the second batch fail.
    fake.enqueueEmbeddings({}, { status: 503 }, { status: 503 });
    const seen = await collect(await reindexStream());
    expect(seen.slice(0, -1)).toEqual([progress(0), progress(64)]);
    expect(seen.at(-1)).toMatchObject({ event: 'error', data: { code: 'UNAVAILABLE', message: expect.stringContaining('embedder fast') } });
    expect(await embedderStats()).toMatchObject({ pending: ITEMS - 64, reindexing: false, progress: null });
    expect((await call('POST', '/api/memory/reindex', { socket: true })).json).toEqual({ reindexed: ITEMS - 64 });
  });
});
