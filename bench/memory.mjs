#!/usr/bin/env node
/**
 * Benchmark: semantic memory at BENCH_MEMORY_ITEMS (100 000) items of one user, in process, on a real
 * SQLite file (dist/store/sqlite, dist/runtime/semantic-memory.js, dist/llm/embedder.js). Reports:
 *   - insert throughput without embedding (rows with a ready 512-dimension vector, one statement each)
 *     and with embedding (the builtin model, `SemanticMemory.add`, on BENCH_MEMORY_EMBEDDED items);
 *   - the builtin model's load time and the time to embed one short query (reported apart from search);
 *   - semantic search alone (src/runtime/vector-index.ts `nearest`: native int8 scan + float re-score):
 *     p50 / p99 and recall@10 against the exact float32 scan, unfiltered and filtered to 50 % and 5 %
 *     of the rows; the first search's index load; and the whole `search()` path with the query's embedding;
 *   - for comparison: the exact float32 scan in JavaScript and in native code (usearch `exactSearch`),
 *     and an HNSW graph (usearch `Index`) on BENCH_MEMORY_HNSW_ITEMS rows: build time per item,
 *     search p50 and recall@10;
 *   - keyword search (FTS5 BM25 top 10): p50 / p99;
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
const HNSW_ITEMS = envInt('BENCH_MEMORY_HNSW_ITEMS', 10_000);
const DIMS = 512;

const { openSqliteStore } = await importDist('store/sqlite/database.js');
const { createSemanticMemory } = await importDist('runtime/semantic-memory.js');
const { buildIndex, nearest } = await importDist('runtime/vector-index.js');
const usearch = (await import('usearch')).default;
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
  await store.memoryItems.insert(
    { ...at, scope_key: `part:${i % 20}`, text: sentence(), created_at: now, updated_at: now },
    { embedder: 'synthetic', data: v },
  );
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

// Semantic search: the index as a user's first search loads it (read the vectors, build the index); then `nearest` alone.
t0 = performance.now();
const index = buildIndex('synthetic', await store.memoryItems.vectors('local', 'synthetic'));
const loadIndexMs = performance.now() - t0;
const row = (r) => index.data.subarray(r * DIMS, (r + 1) * DIMS);
const queries = Array.from({ length: QUERIES }, (_, i) => near(row((i * 7919) % index.n), 0.05));
/** Milliseconds per query of `search(q, i)` over the queries, and its results. */
function timed(search) {
  const ms = [];
  const out = queries.map((q, i) => {
    const s = performance.now();
    const r = search(q, i);
    ms.push(performance.now() - s);
    return r;
  });
  return { ms, out };
}
/** recall@10 of results (item ids) against `truth`. */
const recall = (out, truth) => round2(out.reduce((n, ids, i) => n + ids.filter((id) => truth[i].has(id)).length, 0) / (out.length * 10));

// Ground truth: the exact float32 scan in JavaScript (unrolled dot products), the previous method.
function jsExact(q, keep) {
  const top = [];
  for (let r = 0; r < index.n; r++) {
    if (keep && !keep(index.meta[r])) continue;
    let d0 = 0,
      d1 = 0,
      d2 = 0,
      d3 = 0;
    for (let j = 0, b = r * DIMS; j < DIMS; j += 4) {
      d0 += index.data[b + j] * q[j];
      d1 += index.data[b + j + 1] * q[j + 1];
      d2 += index.data[b + j + 2] * q[j + 2];
      d3 += index.data[b + j + 3] * q[j + 3];
    }
    const dot = d0 + d1 + d2 + d3;
    if (top.length === 10 && dot <= top[9].score) continue;
    top.push({ id: index.meta[r].id, score: dot });
    top.sort((a, b) => b.score - a.score);
    if (top.length > 10) top.pop();
  }
  return top.map((h) => h.id);
}
const exactJs = timed((q) => jsExact(q));
const truth = exactJs.out.map((ids) => new Set(ids));
const f32 = index.data.subarray(0, index.n * DIMS);
const exactNative = timed((q) => Array.from(usearch.exactSearch(f32, q, DIMS, 10, 'ip', 1).keys, (r) => index.meta[Number(r)].id));
const chosen = timed((q) => nearest(index, q, 10).map((h) => h.id));
// Filtered: an agent's view of half the items (10 of 20 scope keys) and of 5 % (1 key).
const half = new Set(Array.from({ length: 10 }, (_, i) => `part:${i}`));
const halfKeep = (m) => half.has(m.scope_key);
const oneKeep = (m) => m.scope_key === 'part:3';
const filteredHalf = timed((q) => nearest(index, q, 10, halfKeep).map((h) => h.id));
const filteredOne = timed((q) => nearest(index, q, 10, oneKeep).map((h) => h.id));
const truthHalf = queries.map((q) => new Set(jsExact(q, halfKeep)));
const truthOne = queries.map((q) => new Set(jsExact(q, oneKeep)));

// An approximate graph index (usearch HNSW, connectivity 16) on the first HNSW_ITEMS rows: build cost, search, recall.
const hnswRows = Math.min(HNSW_ITEMS, index.n);
const hnsw = new usearch.Index({ dimensions: DIMS, metric: 'cos', connectivity: 16 });
t0 = performance.now();
hnsw.add(
  BigUint64Array.from({ length: hnswRows }, (_, i) => BigInt(i)),
  index.data.slice(0, hnswRows * DIMS),
  1,
);
const hnswBuildMs = performance.now() - t0;
const hnswTruth = queries.map((q) => new Set(Array.from(usearch.exactSearch(index.data.slice(0, hnswRows * DIMS), q, DIMS, 10, 'ip', 1).keys, Number)));
const hnswSearch = timed((q) => Array.from(hnsw.search(q, 10, 1).keys, Number));

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
  semantic_search_ms: { p50: p(chosen.ms, 50), p99: p(chosen.ms, 99) },
  semantic_search_recall_at_10: recall(chosen.out, truth),
  semantic_search_filtered_half_ms: { p50: p(filteredHalf.ms, 50), p99: p(filteredHalf.ms, 99), recall_at_10: recall(filteredHalf.out, truthHalf) },
  semantic_search_filtered_5pct_ms: { p50: p(filteredOne.ms, 50), p99: p(filteredOne.ms, 99), recall_at_10: recall(filteredOne.out, truthOne) },
  exact_js_float_ms: { p50: p(exactJs.ms, 50), p99: p(exactJs.ms, 99) },
  exact_native_float_ms: { p50: p(exactNative.ms, 50), p99: p(exactNative.ms, 99), recall_at_10: recall(exactNative.out, truth) },
  hnsw: {
    items: hnswRows,
    build_ms_per_item: round2(hnswBuildMs / hnswRows),
    search_ms: { p50: p(hnswSearch.ms, 50), p99: p(hnswSearch.ms, 99) },
    recall_at_10: recall(hnswSearch.out, hnswTruth),
  },
  semantic_search_with_embedding_ms: { p50: p(fullPath, 50), p99: p(fullPath, 99), items: EMBEDDED },
  keyword_search_ms: { p50: p(keyword, 50), p99: p(keyword, 99) },
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
      ['semantic search recall@10 vs exact', result.semantic_search_recall_at_10, '>= 0.95', result.semantic_search_recall_at_10 >= 0.95 ? 'ok' : 'MISSED'],
      [
        '  filtered to 50 % p50 (ms), recall@10',
        `${result.semantic_search_filtered_half_ms.p50}, ${result.semantic_search_filtered_half_ms.recall_at_10}`,
        '',
        '',
      ],
      [
        '  filtered to 5 % p50 (ms), recall@10',
        `${result.semantic_search_filtered_5pct_ms.p50}, ${result.semantic_search_filtered_5pct_ms.recall_at_10}`,
        '',
        '',
      ],
      ['exact float32 scan in JS p50 / p99 (ms)', `${result.exact_js_float_ms.p50} / ${result.exact_js_float_ms.p99}`, '', ''],
      ['exact float32 native scan p50 (ms)', result.exact_native_float_ms.p50, '', ''],
      [`HNSW (${hnswRows} items) build per item (ms)`, result.hnsw.build_ms_per_item, '', ''],
      [`HNSW (${hnswRows} items) search p50 (ms), recall@10`, `${result.hnsw.search_ms.p50}, ${result.hnsw.recall_at_10}`, '', ''],
      [`search() with embedding p50 (ms, ${EMBEDDED} items)`, result.semantic_search_with_embedding_ms.p50, '', ''],
      ['keyword search p50 (ms)', result.keyword_search_ms.p50, '< 5', verdict(result.keyword_search_ms.p50, 5)],
      ['keyword search p99 (ms)', result.keyword_search_ms.p99, '', ''],
      ['RSS (MiB)', rssMb, '', ''],
    ],
  ),
);
console.log(`wrote ${writeResult('memory', result)}`);
