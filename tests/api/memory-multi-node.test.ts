/**
 * Semantic memory on two nodes over one PostgreSQL database: each node caches a user's vector index
 * (src/runtime/semantic-memory.ts), and an item written through node 1 reaches node 2's semantic
 * search once node 2 hears the `memory_items` change (LISTEN/NOTIFY) and drops its cached index; a
 * deletion through node 1 likewise leaves node 2's results. Without the notice node 2 would keep
 * searching the index it loaded before the write. Skipped where PostgreSQL is not installed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';
import { backendTitle, storeBackends } from '../helpers/store-backends.js';
import { client, makeApp, type TestApp } from './fixture.js';

const pg = storeBackends().find((b) => b.name === 'postgres')!;

describe.skipIf(pg.skip)(`semantic memory on two nodes, ${backendTitle(pg)}`, () => {
  let fake: FakeOpenAI;
  let n1: TestApp;
  let n2: TestApp;
  let c1: ReturnType<typeof client>;
  let c2: ReturnType<typeof client>;

  beforeAll(async () => {
    fake = await startFakeOpenAI({ default: { content: 'ok' } });
    const databaseUrl = await pg.create();
    n1 = await makeApp({ fakeUrl: fake.url, databaseUrl });
    n2 = await makeApp({ fakeUrl: fake.url, databaseUrl });
    c1 = client(n1.app);
    c2 = client(n2.app);
  }, 60_000);
  afterAll(async () => {
    await n1?.close();
    await n2?.close();
    await fake?.close();
  });

  /** Texts node 2's semantic search returns for `query`, as the admin over the socket. */
  const searchOnNode2 = async (query: string) => {
    const res = await c2('POST', '/api/memory/search', { socket: true, body: { query, k: 5, mode: 'semantic' } });
    expect(res.status, res.text).toBe(200);
    return (res.json.results as { item: { text: string } }[]).map((h) => h.item.text);
  };

  it('finds through node 2 an item written through node 1, and forgets it once deleted there', async () => {
    const first = await c1('POST', '/api/memory', { socket: true, body: { text: 'The spare house key is under the blue flower pot.', scope: 'user' } });
    expect(first.status, first.text).toBe(201);
    // Node 2 loads (and caches) the user's index with that one item.
    expect(await searchOnNode2('where is the spare key?')).toEqual(['The spare house key is under the blue flower pot.']);

    const written = await c1('POST', '/api/memory', { socket: true, body: { text: 'My passport expires in June 2031.', scope: 'user' } });
    expect(written.status, written.text).toBe(201);
    await expect.poll(() => searchOnNode2('when does my travel document run out?'), { timeout: 20_000 }).toContain('My passport expires in June 2031.');
    expect((await searchOnNode2('when does my travel document run out?'))[0]).toBe('My passport expires in June 2031.');

    expect((await c1('DELETE', `/api/memory/${written.json.id}`, { socket: true })).status).toBe(204);
    await expect.poll(() => searchOnNode2('when does my travel document run out?'), { timeout: 20_000 }).not.toContain('My passport expires in June 2031.');
  }, 90_000);
});
