#!/usr/bin/env node
/**
 * Benchmark: semantic memory at BENCH_MEMORY_ITEMS (100 000) items of one user, in process, on a real
 * SQLite file (dist/store/sqlite, dist/runtime/semantic-memory.js, dist/llm/embedder.js). Reports:
 *   - insert throughput without embedding (rows with a ready 512-dimension vector, one statement each)
 *     and with embedding (the builtin model, `SemanticMemory.add`, on BENCH_MEMORY_EMBEDDED items);
 *   - the builtin model's load time and the time to embed one short query (reported apart from search);
 *   - semantic search alone (exact brute force over the cached Float32Array, `nearest`): p50 / p99;
 *     the first search's index load; and the whole `search()` path with the query's embedding;
 *   - keyword search (FTS5 BM25 top 10): p50 / p99;
 *   - an approximate method for comparison: int8-quantised scan + float re-score of the top 50, its
 *     p50 and its recall@10 against exact search;
 *   - the process RSS with the index loaded.
 * Vectors are synthetic: 1000 cluster centres plus noise, normalised (queries are perturbed items),
 * so nearest neighbours are meaningful; texts are random 12-word sentences over a 2000-word vocabulary.
 * Goals (SPEC seeds STORY-031, reported, not enforced): semantic p50 < 20 ms (seed: < 50 ms), keyword
 * p50 < 5 ms. Writes bench/results/memory.json.
 */
import { join } from 'node:path';
import {
  disposeHome,
  envInt,
  importDist,
  machineFacts,
  machineLine,
  requireBuild,
  round2,
  summarize,
  table,
  tempHome,
  verdict,
  writeResult,
  percentile,
} from './lib/common.mjs';

requireBuild();
const N = envInt('BENCH_MEMORY_ITEMS', 100_000);
const EMBEDDED = envInt('BENCH_MEMORY_EMBEDDED', 200);
const QUERIES = envInt('BENCH_MEMORY_QUERIES', 200);
const DIMS = 512;

const { openSqliteStore } = await importDist('store/sqlite/database.js');
const { createSemanticMemory, nearest } = await importDist('runtime/semantic-memory.js');
const { createBuiltinEmbedder, normalise } = await importDist('llm/embedder.js');

/** A deterministic pseudo-random generator (mulberry32). */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(42);
const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
const centres = Array.from({ length: 1000 }, () => normalise(Array.from({ length: DIMS }, gauss)));
const near = (v, noise) => normalise(Array.from(v, (x) => x + noise * gauss()));
const vocabulary = Array.from({ length: 2000 }, (_, i) => `w${i.toString(36)}x`);
const sentence = () => Array.from({ length: 12 }, () => vocabulary[Math.floor(rand() * vocabulary.length)]).join(' ');

const home = tempHome('mem');
const store = openSqliteStore(join(home, 'bench.db'));
const embedder = createBuiltinEmbedder();
const at = { user_id: 'local', scope: 'user', scope_key: 'user:local' };

// Insert without embedding: rows with their vectors, one statement each.
let t0 = performance.now();
for (let i = 0; i < N; i++) {
  const v = near(centres[i % centres.length], 0.08);
  const now = Date.now();
  await store.memoryItems.insert({ ...at, text: sentence(), created_at: now, updated_at: now }, { embedder: 'synthetic', data: v });
}
const insertSecs = (performance.now() - t0) / 1000;

// The builtin model: load, one query, and inserts with embedding (in a separate user, other embedder id).
t0 = performance.now();
await embedder.embed(['warm up']);
const loadMs = performance.now() - t0;
const embedSamples = [];
for (let i = 0; i < 30; i++) {
  const s = performance.now();
  await embedder.embed([`what did I say about ${vocabulary[i]} yesterday?`]);
  embedSamples.push(performance.now() - s);
}
const builtinMemory = createSemanticMemory({ store: store.memoryItems, embedder: () => embedder });
t0 = performance.now();
for (let i = 0; i < EMBEDDED; i++) await builtinMemory.add({ ...at, scope_key: 'embedded', text: `Note ${i}: ${sentence()}` });
const embeddedSecs = (performance.now() - t0) / 1000;

// Semantic search: the index as a user's first search loads it (read the vectors, fill one array); then `nearest` alone.
t0 = performance.now();
const loaded = await store.memoryItems.vectors('local', 'synthetic');
const index = {
  embedder: 'synthetic',
  dims: DIMS,
  meta: loaded.map(({ vector: _v, ...m }) => m),
  data: new Float32Array(loaded.length * DIMS),
  n: loaded.length,
};
loaded.forEach((r, i) => index.data.set(r.vector, i * DIMS));
const loadIndexMs = performance.now() - t0;
const queries = Array.from({ length: QUERIES }, (_, i) => near(loaded[(i * 7919) % loaded.length].vector, 0.05));
const semantic = [];
const exact = [];
for (const q of queries) {
  const s = performance.now();
  exact.push(nearest(index, q, 10));
  semantic.push(performance.now() - s);
}

// int8 quantised scan + float re-score of the top 50 (approximate), for recall@10 against exact.
const q8 = new Int8Array(index.data.length);
for (let i = 0; i < q8.length; i++) q8[i] = Math.max(-127, Math.min(127, Math.round(index.data[i] * 127 * 4)));
const approx = [];
let recallHits = 0;
queries.forEach((q, qi) => {
  const s = performance.now();
  const qq = Int8Array.from(q, (x) => Math.max(-127, Math.min(127, Math.round(x * 127 * 4))));
  const top = [];
  let floor = -Infinity;
  for (let r = 0; r < index.n; r++) {
    let dot = 0;
    const base = r * DIMS;
    for (let j = 0; j < DIMS; j++) dot += q8[base + j] * qq[j];
    if (top.length === 50 && dot <= floor) continue;
    let at2 = top.length;
    while (at2 > 0 && top[at2 - 1].score < dot) at2--;
    top.splice(at2, 0, { r, score: dot });
    if (top.length > 50) top.pop();
    if (top.length === 50) floor = top[49].score;
  }
  const rescored = top
    .map(({ r }) => {
      let dot = 0;
      for (let j = 0; j < DIMS; j++) dot += index.data[r * DIMS + j] * q[j];
      return { id: index.meta[r].id, score: dot };
    })
    .sort((a, b) => b.score - a.score)
    .slice(0, 10);
  approx.push(performance.now() - s);
  const truth = new Set(exact[qi].map((h) => h.id));
  recallHits += rescored.filter((h) => truth.has(h.id)).length;
});

// The whole search path with embedding (builtin model's space, the EMBEDDED items).
const fullPath = [];
for (let i = 0; i < 30; i++) {
  const s = performance.now();
  await builtinMemory.search({ ...at, query: `note about ${vocabulary[i]}`, k: 10, mode: 'semantic' });
  fullPath.push(performance.now() - s);
}

// Keyword search over the N items.
const keyword = [];
for (let i = 0; i < QUERIES; i++) {
  const words = `${vocabulary[(i * 31) % 2000]} ${vocabulary[(i * 17) % 2000]}`;
  const s = performance.now();
  await store.memoryItems.keyword({ ...at, query: words, k: 10 });
  keyword.push(performance.now() - s);
}
const rssMb = Math.round(process.memoryUsage().rss / 2 ** 20);
await store.close();
disposeHome(home);

const sorted = (a) => [...a].sort((x, y) => x - y);
const p = (a, q) => round2(percentile(sorted(a), q));
const m = machineFacts();
const result = {
  machine: m,
  items: N,
  dims: DIMS,
  insert_per_sec_without_embedding: Math.round(N / insertSecs),
  insert_per_sec_with_builtin_embedding: round2(EMBEDDED / embeddedSecs),
  builtin_load_ms: round2(loadMs),
  builtin_embed_query_ms: summarize(embedSamples),
  index_load_ms: round2(loadIndexMs),
  semantic_search_ms: { p50: p(semantic, 50), p99: p(semantic, 99) },
  semantic_search_with_embedding_ms: { p50: p(fullPath, 50), p99: p(fullPath, 99), items: EMBEDDED },
  keyword_search_ms: { p50: p(keyword, 50), p99: p(keyword, 99) },
  int8_rescore_ms: { p50: p(approx, 50), p99: p(approx, 99) },
  int8_rescore_recall_at_10: round2(recallHits / (QUERIES * 10)),
  rss_mb: rssMb,
};
console.log(machineLine(m));
console.log(
  table(
    ['measure', 'value', 'goal', 'verdict'],
    [
      ['items', N, '', ''],
      ['insert/s without embedding', result.insert_per_sec_without_embedding, '', ''],
      ['insert/s with builtin embedding', result.insert_per_sec_with_builtin_embedding, '', ''],
      ['builtin model load (ms)', result.builtin_load_ms, '', ''],
      ['builtin embed one query p50 (ms)', result.builtin_embed_query_ms.median, '', ''],
      ['index load, first search (ms)', result.index_load_ms, '', ''],
      ['semantic search p50 (ms, search alone)', result.semantic_search_ms.p50, '< 20', verdict(result.semantic_search_ms.p50, 20)],
      ['semantic search p99 (ms, search alone)', result.semantic_search_ms.p99, '< 50', verdict(result.semantic_search_ms.p99, 50)],
      [`search() with embedding p50 (ms, ${EMBEDDED} items)`, result.semantic_search_with_embedding_ms.p50, '', ''],
      ['keyword search p50 (ms)', result.keyword_search_ms.p50, '< 5', verdict(result.keyword_search_ms.p50, 5)],
      ['keyword search p99 (ms)', result.keyword_search_ms.p99, '', ''],
      ['int8 + re-score p50 (ms)', result.int8_rescore_ms.p50, '', ''],
      ['int8 + re-score recall@10', result.int8_rescore_recall_at_10, '', ''],
      ['RSS (MiB)', rssMb, '', ''],
    ],
  ),
);
console.log(`wrote ${writeResult('memory', result)}`);
