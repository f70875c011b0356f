/**
 * Memory items on every backend, through the semantic memory service with a deterministic embedder
 * (tests/helpers/fake-openai.ts `fakeEmbedding`): items round-trip with metadata, list filters,
 * keyword search (FTS5 BM25 / ts_rank) with stemming, semantic and hybrid ranking, per-user isolation
 * (no search, list or delete of user B reaches user A's items), the search cache kept current by
 * writes, an embedder change that never mixes vector spaces until reindexing, re-embedding in
 * batches with progress (joiners and the stats included), reads by id, and deleted items leaving the
 * full-text index.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { normalise, type Embedder } from '../../src/llm/embedder.js';
import { createSemanticMemory } from '../../src/runtime/semantic-memory.js';
import type { Store } from '../../src/store/types.js';
import { fakeEmbedding } from '../helpers/fake-openai.js';
import { backendTimeout, backendTitle, storeBackends } from '../helpers/store-backends.js';

/** A deterministic embedder named `name` (its id too); `shift` rotates the vector to make a different space. */
const testEmbedder = (name: string, shift = 0): Embedder & { calls: number } => {
  const e = {
    name,
    id: name,
    calls: 0,
    async embed(texts: readonly string[]) {
      e.calls++;
      return { vectors: texts.map((t) => normalise(fakeEmbedding(t).map((_, i, a) => a[(i + shift) % a.length]!))), tokens: 0 };
    },
    warm() {},
  };
  return e;
};

for (const backend of storeBackends()) {
  describe.skipIf(backend.skip)(`memory items on the ${backendTitle(backend)}`, () => {
    const open: Store[] = [];
    afterAll(async () => {
      for (const s of open) await s.close();
    });
    const setup = async () => {
      const store = await backend.open(await backend.create());
      open.push(store);
      const bob = await store.tenants.users.create({ email: 'bob@example.com' });
      let embedder = testEmbedder('e1');
      const memory = createSemanticMemory({ store: store.memoryItems, embedder: () => embedder });
      const use = (e: ReturnType<typeof testEmbedder>) => (embedder = e);
      return { store, memory, bob: bob.id, use };
    };
    const at = (user: string, scope_key = `user:${user}`) => ({ user_id: user, scope: 'user' as const, scope_key });

    it(
      'stores items with metadata and lists them newest first with filters',
      async () => {
        const { memory } = await setup();
        const a = await memory.add({ ...at('local'), text: 'The cat sleeps on the sofa', metadata: { tag: 'pets' }, created_at: 1000 });
        await memory.add({ ...at('local'), text: 'Invoices are due on Fridays', agent: 'billing', created_at: 2000 });
        await memory.add({
          user_id: 'local',
          scope: 'conversation',
          scope_key: 'conversation:c1',
          conversation_id: 'c1',
          text: 'Say hi to Ann',
          created_at: 3000,
        });
        expect(a).toMatchObject({ id: expect.any(Number), metadata: { tag: 'pets' }, embedder: 'e1', created_at: 1000, updated_at: 1000 });
        const all = await memory.list({ user_id: 'local', limit: 10 });
        expect(all.map((i) => i.text)).toEqual(['Say hi to Ann', 'Invoices are due on Fridays', 'The cat sleeps on the sofa']);
        expect(all[2]!.metadata).toEqual({ tag: 'pets' });
        expect((await memory.list({ user_id: 'local', limit: 10, agent: 'billing' })).map((i) => i.text)).toEqual(['Invoices are due on Fridays']);
        expect((await memory.list({ user_id: 'local', limit: 10, conversation_id: 'c1' })).map((i) => i.scope)).toEqual(['conversation']);
        expect((await memory.list({ user_id: 'local', limit: 10, text: 'SOFA' })).map((i) => i.id)).toEqual([a.id]);
        expect((await memory.list({ user_id: 'local', limit: 1, offset: 1 })).map((i) => i.text)).toEqual(['Invoices are due on Fridays']);
        await expect(memory.add({ ...at('local'), text: '   ' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
      },
      backendTimeout(backend),
    );

    it(
      'ranks by keyword (stemmed), by meaning and by both, within the scope keys asked for',
      async () => {
        const { memory } = await setup();
        const tea = await memory.add({ ...at('local'), text: 'Green tea is brewed at eighty degrees' });
        const trains = await memory.add({ ...at('local'), text: 'Trains to Leeds leave every hour' });
        await memory.add({ ...at('local', 'agent:other:local'), text: 'Green tea with trains' });
        const q = { user_id: 'local', scope_keys: ['user:local'], k: 5 };
        const keyword = await memory.search({ ...q, query: 'train', mode: 'keyword' });
        expect(keyword.map((h) => h.item.id)).toEqual([trains.id]);
        expect(keyword[0]!.score).toBeGreaterThan(0);
        const semantic = await memory.search({ ...q, query: 'green tea brewed', mode: 'semantic' });
        expect(semantic.map((h) => h.item.id)).toEqual([tea.id, trains.id]);
        expect(semantic[0]!.score).toBeGreaterThan(semantic[1]!.score);
        expect((await memory.search({ ...q, query: 'green tea', mode: 'hybrid' }))[0]!.item.id).toBe(tea.id);
        expect(await memory.search({ ...q, query: 'zebra', mode: 'keyword' })).toEqual([]);
        // Without scope keys, every item of the user is searched.
        expect(await memory.search({ user_id: 'local', query: 'trains', k: 5, mode: 'keyword' })).toHaveLength(2);
      },
      backendTimeout(backend),
    );

    it(
      "never shows, finds or deletes another user's items",
      async () => {
        const { memory, bob } = await setup();
        const mine = await memory.add({ ...at('local', 'global'), text: 'The vault code is 4711' });
        await memory.add({ ...at(bob, 'global'), text: 'Bob likes vaults' });
        for (const mode of ['keyword', 'semantic', 'hybrid'] as const) {
          const hits = await memory.search({ user_id: bob, scope_keys: ['global'], query: 'vault code 4711', k: 10, mode });
          expect(hits.map((h) => h.item.text)).toEqual(['Bob likes vaults'].slice(0, hits.length));
          expect(hits.every((h) => h.item.user_id === bob)).toBe(true);
        }
        expect((await memory.list({ user_id: bob, limit: 10 })).map((i) => i.user_id)).toEqual([bob]);
        expect(await memory.delete(mine.id, bob)).toBe(false);
        expect(await memory.list({ user_id: 'local', limit: 10 })).toHaveLength(1);
      },
      backendTimeout(backend),
    );

    it(
      'keeps the search cache current on add and delete',
      async () => {
        const { memory } = await setup();
        const q = { user_id: 'local', query: 'apples and pears', k: 5, mode: 'semantic' as const };
        expect(await memory.search(q)).toEqual([]);
        const first = await memory.add({ ...at('local'), text: 'apples and pears' });
        expect((await memory.search(q)).map((h) => h.item.id)).toEqual([first.id]);
        const second = await memory.add({ ...at('local'), text: 'pears' });
        expect((await memory.search(q)).map((h) => h.item.id)).toEqual([first.id, second.id]);
        expect(await memory.delete(first.id, 'local')).toBe(true);
        expect((await memory.search(q)).map((h) => h.item.id)).toEqual([second.id]);
      },
      backendTimeout(backend),
    );

    it(
      'never mixes vector spaces: after an embedder change, items are found by meaning once re-embedded',
      async () => {
        const { memory, use } = await setup();
        const item = await memory.add({ ...at('local'), text: 'the meeting moved to Tuesday' });
        const q = { user_id: 'local', query: 'meeting Tuesday', k: 5, mode: 'semantic' as const };
        expect((await memory.search(q)).map((h) => h.item.id)).toEqual([item.id]);
        use(testEmbedder('e2', 7));
        expect(await memory.search(q)).toEqual([]);
        expect((await memory.search({ ...q, mode: 'keyword' })).map((h) => h.item.id)).toEqual([item.id]);
        expect((await memory.stats('local')).embedder).toMatchObject({ name: 'e2', pending: 1 });
        const progress: number[][] = [];
        expect(await memory.reindex((done, total) => progress.push([done, total]))).toBe(1);
        expect(progress).toEqual([
          [0, 1],
          [1, 1],
        ]);
        expect((await memory.search(q)).map((h) => h.item.id)).toEqual([item.id]);
        expect(await memory.stats('local')).toMatchObject({ items: 1, by_embedder: { e2: 1 }, embedder: { pending: 0, dims: 64 } });
      },
      backendTimeout(backend),
    );

    it(
      're-embeds in batches, reporting progress to the caller, to a caller who joins, and in the stats',
      async () => {
        const { store, bob } = await setup();
        let embedder = testEmbedder('e1');
        const memory = createSemanticMemory({ store: store.memoryItems, embedder: () => embedder, reindexBatch: 2 });
        for (let i = 0; i < 5; i++) await memory.add({ ...at(i % 2 ? bob : 'local'), text: `note number ${i}` });
        // The second batch waits until the joiner and the stats have looked.
        const e2 = testEmbedder('e2', 3);
        let release!: () => void;
        const held = new Promise<void>((resolve) => (release = resolve));
        embedder = { ...e2, embed: async (texts) => (e2.calls === 1 ? held.then(() => e2.embed(texts)) : e2.embed(texts)) };
        const first: number[][] = [];
        const joiner: number[][] = [];
        let firstBatch!: () => void;
        const firstBatchDone = new Promise<void>((resolve) => (firstBatch = resolve));
        const running = memory.reindex((done, total) => {
          first.push([done, total]);
          if (done === 2) firstBatch();
        });
        await firstBatchDone;
        const joined = memory.reindex((done, total) => joiner.push([done, total]));
        expect((await memory.stats(bob)).embedder).toMatchObject({ name: 'e2', reindexing: true, progress: { done: 2, total: 5 } });
        release();
        expect(await running).toBe(5);
        expect(await joined).toBe(5);
        const batches = [
          [0, 5],
          [2, 5],
          [4, 5],
          [5, 5],
        ];
        expect(first).toEqual(batches);
        expect(joiner).toEqual(batches.slice(1));
        expect((await memory.stats('local')).embedder).toMatchObject({ pending: 0, reindexing: false, progress: null });
        memory.close();
      },
      backendTimeout(backend),
    );

    it(
      "reads items by id with one statement for any number of ids, the owner's only",
      async () => {
        const { store, bob } = await setup();
        const add = (user: string, text: string) => store.memoryItems.insert({ ...at(user), text, created_at: 1, updated_at: 1 });
        const mine = [await add('local', 'first'), await add('local', 'second')];
        const bobs = await add(bob, 'not yours');
        const ids = (items: { id: number }[]) => items.map((i) => i.id).sort((a, b) => a - b);
        expect(ids(await store.memoryItems.byIds([mine[1]!.id, bobs.id, 999_999, mine[0]!.id], 'local'))).toEqual(ids(mine));
        expect(await store.memoryItems.byIds([], 'local')).toEqual([]);
        const many = Array.from({ length: 40_000 }, (_, i) => i + 1_000_000);
        expect(ids(await store.memoryItems.byIds([...many, mine[0]!.id], 'local'))).toEqual([mine[0]!.id]);
      },
      backendTimeout(backend),
    );

    it(
      'removes a deleted item from the full-text index',
      async () => {
        const { memory } = await setup();
        const bees = await memory.add({ ...at('local'), text: 'local keeps bees' });
        const goats = await memory.add({ ...at('local'), text: 'local keeps goats' });
        expect(await memory.delete(bees.id, 'local')).toBe(true);
        const hits = await memory.search({ user_id: 'local', query: 'bees goats', k: 5, mode: 'keyword' });
        expect(hits.map((h) => h.item.id)).toEqual([goats.id]);
        expect(await memory.stats('local')).toMatchObject({ items: 1, by_scope: { user: 1 } });
      },
      backendTimeout(backend),
    );

    it(
      'matches every word when asked, and finds the ranked matches a selective scope filter keeps',
      async () => {
        const { store } = await setup();
        const add = (text: string, scope_key: string) => store.memoryItems.insert({ ...at('local', scope_key), text, created_at: 1, updated_at: 1 });
        const both = await add('green tea in the morning', 'user:local');
        await add('green paint for the door', 'user:local');
        const texts = async (q: { query: string; every?: boolean; scope_keys?: string[]; k?: number }) =>
          (await store.memoryItems.keyword({ user_id: 'local', k: 5, ...q })).map((h) => h.item.text);
        expect(await texts({ query: 'green tea', every: true })).toEqual([both.text]);
        expect(await texts({ query: 'green tea' })).toHaveLength(2);
        // Many better-ranked matches in another scope: the one item of the asked scope is still found.
        for (let i = 0; i < 30; i++) await add(`tea tea tea ${i}`, 'agent:other:local');
        const rare = await add('a cup of tea, once', 'conversation:c1');
        expect(await texts({ query: 'tea', scope_keys: ['conversation:c1'], k: 1 })).toEqual([rare.text]);
      },
      backendTimeout(backend),
    );
  });
}
