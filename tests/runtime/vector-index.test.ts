/**
 * The vector index of semantic memory (src/runtime/vector-index.ts): its int8 scan re-scored in float
 * returns what an exact float search returns, with exact cosine scores, under no filter, a filter
 * keeping most rows and a selective one, and stays right through appends and removals.
 */
import { describe, expect, it } from 'vitest';
import { normalise } from '../../src/llm/embedder.js';
import { append, buildIndex, nearest, remove, type VectorIndex } from '../../src/runtime/vector-index.js';

const DIMS = 64;
let seed = 7;
const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
const vector = () => normalise(Array.from({ length: DIMS }, rand));
const rows = Array.from({ length: 600 }, (_, i) => ({
  id: i + 1,
  scope: 'user' as const,
  scope_key: `part:${i % 10}`,
  agent: null,
  conversation_id: null,
  vector: vector(),
}));

/** The exact top `k` ids by float dot product among the index's rows passing `keep`. */
function exact(index: VectorIndex, q: Float32Array, k: number, keep: (key: string) => boolean = () => true): number[] {
  const scored: { id: number; score: number }[] = [];
  for (let r = 0; r < index.n; r++) {
    if (!keep(index.meta[r]!.scope_key)) continue;
    const row = index.data.subarray(r * DIMS, (r + 1) * DIMS);
    scored.push({ id: index.meta[r]!.id, score: row.reduce((s, x, j) => s + x * q[j]!, 0) });
  }
  return scored
    .sort((a, b) => b.score - a.score)
    .slice(0, k)
    .map((s) => s.id);
}

describe('vector index', () => {
  const index = buildIndex('test', rows);
  const queries = Array.from({ length: 20 }, vector);

  it('ranks as an exact float search does, with cosine scores', () => {
    for (const q of queries) {
      const hits = nearest(index, q, 10);
      expect(hits.map((h) => h.id)).toEqual(exact(index, q, 10));
      const best = rows.find((r) => r.id === hits[0]!.id)!.vector;
      expect(hits[0]!.score).toBeCloseTo(
        best.reduce((s, x, j) => s + x * q[j]!, 0),
        5,
      );
    }
  });

  it('keeps to the filter, whether it keeps most rows or few', () => {
    const most = (key: string) => key !== 'part:0';
    const few = (key: string) => key === 'part:3';
    for (const q of queries) {
      expect(nearest(index, q, 10, (m) => most(m.scope_key)).map((h) => h.id)).toEqual(exact(index, q, 10, most));
      expect(nearest(index, q, 10, (m) => few(m.scope_key)).map((h) => h.id)).toEqual(exact(index, q, 10, few));
    }
    expect(nearest(index, queries[0]!, 10, () => false)).toEqual([]);
  });

  it('finds appended rows and forgets removed ones', () => {
    const grown = buildIndex('test', rows.slice(0, 3));
    for (const r of rows.slice(3)) append(grown, r, r.vector);
    const target = rows[123]!;
    expect(nearest(grown, target.vector, 1)[0]).toMatchObject({ id: target.id });
    remove(grown, target.id);
    expect(nearest(grown, target.vector, 5).map((h) => h.id)).not.toContain(target.id);
    expect(nearest(grown, target.vector, 5).map((h) => h.id)).toEqual(exact(grown, target.vector, 5));
    expect(nearest(grown, vector().subarray(0, 8), 5)).toEqual([]);
  });
});
