/**
 * Semantic memory with the builtin embedder on a real SQLite store: each sanity triple
 * (tests/helpers/memory-triples.ts) stores its paraphrase and distractor under a scope key of its own,
 * and the query searched in that scope must rank the paraphrase first in at least 90 % of triples
 * (semantic); searched among all 44 items at once, in at least 75 %. Keyword search finds exact
 * words. Hybrid keeps the strength of each: on the paraphrases (whose distractors are keyword bait) it
 * ranks first at least as often as semantic and keyword search, and it finds exact tokens that
 * semantic search misses.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBuiltinEmbedder } from '../../src/llm/embedder.js';
import { createSemanticMemory } from '../../src/runtime/semantic-memory.js';
import { openSqliteStore } from '../../src/store/sqlite/database.js';
import type { SearchMode } from '../../src/domain/memory-items.js';
import { TRIPLES } from '../helpers/memory-triples.js';
import { tempDir } from '../helpers/tmp.js';

const store = openSqliteStore(join(tempDir('cx-mem-'), 'ares.db'));
const embedder = createBuiltinEmbedder();
const memory = createSemanticMemory({ store: store.memoryItems, embedder: () => embedder });
const paraphraseIds: number[] = [];

afterAll(() => store.close());

beforeAll(async () => {
  for (const t of TRIPLES) {
    const at = { user_id: 'local', scope: 'user' as const, scope_key: `triple:${paraphraseIds.length}` };
    paraphraseIds.push((await memory.add({ ...at, text: t.paraphrase })).id);
    await memory.add({ ...at, text: t.distractor });
  }
}, 120_000);

/** Queries of exact tokens (names, codes, numbers) and the triple whose paraphrase holds them. */
const EXACT_TOKENS: [string, number][] = [
  ['sunflower42', 9],
  ['Biscuit', 0],
  ['Amelia Hart', 10],
  ['Miso', 21],
  ['Volvo estate', 4],
  ['Riverside practice', 10],
];

/** Triples whose paraphrase `mode` ranks first, searched within the triple (`within`) or among all items. */
async function firsts(mode: SearchMode, within = true): Promise<number> {
  let n = 0;
  for (const [i, t] of TRIPLES.entries()) {
    const [top] = await memory.search({ user_id: 'local', query: t.query, k: 5, mode, ...(within ? { scope_keys: [`triple:${i}`] } : {}) });
    if (top?.item.id === paraphraseIds[i]) n++;
  }
  return n;
}

describe('semantic memory with the builtin embedder', () => {
  it('ranks the paraphrase first for at least 90 % of the sanity triples', async () => {
    expect(TRIPLES.length).toBeGreaterThanOrEqual(20);
    const semantic = await firsts('semantic');
    expect(semantic / TRIPLES.length).toBeGreaterThanOrEqual(0.9);
    const hybrid = await firsts('hybrid');
    expect(hybrid).toBeGreaterThanOrEqual(Math.max(semantic, await firsts('keyword')));
    expect(await firsts('hybrid', false)).toBeGreaterThanOrEqual(Math.max(await firsts('semantic', false), await firsts('keyword', false)));
    expect((await firsts('semantic', false)) / TRIPLES.length).toBeGreaterThanOrEqual(0.75);
  }, 60_000);

  it('finds exact words and phrases by keyword, ranked by BM25', async () => {
    const hits = await memory.search({ user_id: 'local', query: 'sunflower42', k: 5, mode: 'keyword' });
    expect(hits.map((h) => h.item.text)).toEqual([TRIPLES[9]!.paraphrase]);
    const cello = await memory.search({ user_id: 'local', query: 'cello teenager', k: 5, mode: 'keyword' });
    expect(cello[0]?.item.text).toBe(TRIPLES[12]!.paraphrase);
    // Stemming: "trams" is found by "tram".
    expect((await memory.search({ user_id: 'local', query: 'tram', k: 5, mode: 'keyword' }))[0]?.item.text).toBe(TRIPLES[1]!.distractor);
  });

  it('finds by hybrid search the exact tokens semantic search misses', async () => {
    const top = async (query: string, mode: SearchMode) => (await memory.search({ user_id: 'local', query, k: 1, mode }))[0]?.item.text;
    expect(await top('sunflower42', 'semantic')).not.toBe(TRIPLES[9]!.paraphrase);
    expect(await top('sunflower42', 'hybrid')).toBe(TRIPLES[9]!.paraphrase);
    for (const [query, triple] of EXACT_TOKENS) expect(await top(query, 'hybrid'), query).toBe(TRIPLES[triple]!.paraphrase);
  });
});
