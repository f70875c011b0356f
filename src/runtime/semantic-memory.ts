/**
 * The semantic memory service (src/domain/memory-items.ts `SemanticMemory`; STORY-007, STORY-031):
 * stores items with their vector, and searches by meaning, by words or both.
 *
 * Semantic search is exact: the query vector is compared (dot product of unit vectors = cosine) with
 * every vector of the user's items that the current embedder made, held in one Float32Array per user
 * (loaded from the store on the user's first search, then kept current by this service's writes;
 * another node's writes reach it through `Store.changes`, topic `memory_items`, which drops the
 * user's cache). Vectors of another embedder are never loaded, so spaces never mix; items waiting to
 * be re-embedded are found by keyword only until `reindex` reaches them. Hybrid search fuses the
 * semantic and keyword rankings (reciprocal rank fusion over the top 50 of each).
 */
import { DomainError } from '../domain/errors.js';
import type { Log } from '../domain/log.js';
import {
  MEMORY_ITEM_LIMITS,
  reciprocalRankFusion,
  type MemoryFilter,
  type MemoryHit,
  type MemoryItem,
  type MemoryQuery,
  type NewMemoryItem,
  type SemanticMemory,
} from '../domain/memory-items.js';
import type { Embedder } from '../llm/embedder.js';

/** The embedder interface, for layers that may not import llm (the API's `/v1/embeddings`). */
export type { Embedder } from '../llm/embedder.js';
import type { ChangeFeed, ItemVector, MemoryItemStore } from '../store/types.js';

/** Candidates each ranking contributes to a hybrid search. */
const FUSION_DEPTH = 50;
/** Items re-embedded per batch by `reindex`. */
const REINDEX_BATCH = 64;

/** What the service needs: the store, the current embedder, and optionally the cross-node change feed. */
export interface SemanticMemoryDeps {
  store: MemoryItemStore;
  /** The embedder of `[memory] embedder`. @throws DomainError when it is misconfigured. */
  embedder(): Embedder;
  changes?: Pick<ChangeFeed, 'publish' | 'subscribe'>;
  log?: Log;
  now?: () => number;
}

/** The vectors of one user's items made by one embedder: rows of `dims` floats in `data`. */
interface UserIndex {
  embedder: string;
  dims: number;
  meta: Omit<ItemVector, 'vector'>[];
  data: Float32Array;
  /** Rows in use (`data` may have room for more). */
  n: number;
}

/** An index of `vectors`, rows of another length than the first left out. */
function buildIndex(embedder: string, vectors: ItemVector[]): UserIndex {
  const dims = vectors[0]?.vector.length ?? 0;
  const rows = vectors.filter((v) => v.vector.length === dims);
  const data = new Float32Array(Math.max(16, rows.length) * dims);
  rows.forEach((r, i) => data.set(r.vector, i * dims));
  return { embedder, dims, meta: rows.map(({ vector: _v, ...m }) => m), data, n: rows.length };
}

/** Append one row, growing `data` by doubling. */
function append(index: UserIndex, meta: Omit<ItemVector, 'vector'>, vector: Float32Array): void {
  if (index.n === 0 && index.dims === 0) index.dims = vector.length;
  if (vector.length !== index.dims) return;
  if ((index.n + 1) * index.dims > index.data.length) {
    const grown = new Float32Array(Math.max(16, index.n * 2) * index.dims);
    grown.set(index.data.subarray(0, index.n * index.dims));
    index.data = grown;
  }
  index.data.set(vector, index.n * index.dims);
  index.meta[index.n] = meta;
  index.n++;
}

/** Remove the row of item `id` (the last row moves into its place). */
function remove(index: UserIndex, id: number): void {
  const i = index.meta.findIndex((m, j) => j < index.n && m.id === id);
  if (i < 0) return;
  const last = index.n - 1;
  if (i !== last) {
    index.data.copyWithin(i * index.dims, last * index.dims, (last + 1) * index.dims);
    index.meta[i] = index.meta[last]!;
  }
  index.meta.length = last;
  index.n = last;
}

/** A predicate over rows for the filter's optional parts; undefined when it keeps every row. */
function rowFilter(f: MemoryFilter): ((m: Omit<ItemVector, 'vector'>) => boolean) | undefined {
  const keys = f.scope_keys ? new Set(f.scope_keys) : undefined;
  if (!keys && !f.scope && f.agent === undefined && f.conversation_id === undefined) return undefined;
  return (m) =>
    (!keys || keys.has(m.scope_key)) &&
    (!f.scope || m.scope === f.scope) &&
    (f.agent === undefined || m.agent === f.agent) &&
    (f.conversation_id === undefined || m.conversation_id === f.conversation_id);
}

/** Dot product of `query` with the row of `data` starting at `base`; unrolled by four (measured about 1.5x faster in V8). */
function dotAt(data: Float32Array, base: number, query: Float32Array): number {
  const dims = query.length;
  const end = dims - (dims % 4);
  let d0 = 0;
  let d1 = 0;
  let d2 = 0;
  let d3 = 0;
  let j = 0;
  for (; j < end; j += 4) {
    d0 += data[base + j]! * query[j]!;
    d1 += data[base + j + 1]! * query[j + 1]!;
    d2 += data[base + j + 2]! * query[j + 2]!;
    d3 += data[base + j + 3]! * query[j + 3]!;
  }
  for (; j < dims; j++) d0 += data[base + j]! * query[j]!;
  return d0 + d1 + d2 + d3;
}

/**
 * The `k` rows of `index` most similar to `query` (exact: every row is scored), best first.
 * `keep` filters rows. Cosine similarity, as all vectors have unit length.
 */
export function nearest(index: UserIndex, query: Float32Array, k: number, keep?: (m: Omit<ItemVector, 'vector'>) => boolean): { id: number; score: number }[] {
  const { data, dims, n, meta } = index;
  if (query.length !== dims) return [];
  const top: { id: number; score: number }[] = [];
  let floor = -Infinity;
  for (let r = 0; r < n; r++) {
    if (keep && !keep(meta[r]!)) continue;
    const dot = dotAt(data, r * dims, query);
    if (top.length === k && dot <= floor) continue;
    let at = top.length;
    while (at > 0 && top[at - 1]!.score < dot) at--;
    top.splice(at, 0, { id: meta[r]!.id, score: dot });
    if (top.length > k) top.pop();
    if (top.length === k) floor = top[k - 1]!.score;
  }
  return top;
}

/** Validate an item's text and metadata. @throws DomainError BAD_REQUEST naming the field. */
function checkItem(item: NewMemoryItem): void {
  const bad = (field: string, message: string) => new DomainError('BAD_REQUEST', `memory item: ${field} ${message}`, [{ field, message }]);
  if (!item.text.trim()) throw bad('text', 'must not be empty');
  if (item.text.length > MEMORY_ITEM_LIMITS.textChars) throw bad('text', `is longer than ${MEMORY_ITEM_LIMITS.textChars} characters`);
  if (JSON.stringify(item.metadata ?? {}).length > MEMORY_ITEM_LIMITS.metadataChars) {
    throw bad('metadata', `is larger than ${MEMORY_ITEM_LIMITS.metadataChars} characters of JSON`);
  }
}

/** Build the service. Nothing is loaded until the first write or search. */
export function createSemanticMemory(deps: SemanticMemoryDeps): SemanticMemory & { close(): void } {
  const now = deps.now ?? Date.now;
  const indexes = new Map<string, { loading: Promise<UserIndex>; index?: UserIndex; stale?: boolean }>();
  let reindexing: Promise<number> | undefined;

  /** The user's index for `embedder`, loading it once; a write during the load drops it afterwards (loaded again next time). */
  async function indexOf(userId: string, embedder: string): Promise<UserIndex> {
    const cached = indexes.get(userId);
    if (cached && (cached.index ?? (await cached.loading)).embedder === embedder) return cached.index ?? cached.loading;
    const entry: { loading: Promise<UserIndex>; index?: UserIndex; stale?: boolean } = {
      loading: deps.store.vectors(userId, embedder).then((v) => buildIndex(embedder, v)),
    };
    indexes.set(userId, entry);
    try {
      const index = await entry.loading;
      if (entry.stale) indexes.delete(userId);
      else entry.index = index;
      return index;
    } catch (err) {
      if (indexes.get(userId) === entry) indexes.delete(userId);
      throw err;
    }
  }

  /** Apply a write to the user's cached index (or mark a loading one stale), and tell other nodes. */
  function written(userId: string, change: (index: UserIndex) => void): void {
    const entry = indexes.get(userId);
    if (entry?.index) change(entry.index);
    else if (entry) entry.stale = true;
    void deps.changes?.publish('memory_items', userId);
  }

  const unsubscribe = deps.changes?.subscribe((topic, detail) => {
    if (topic === 'all') indexes.clear();
    else if (topic === 'memory_items') indexes.delete(detail);
  });

  async function semantic(q: MemoryQuery, k: number): Promise<{ id: number; score: number }[]> {
    const embedder = deps.embedder();
    const [{ vectors }, index] = await Promise.all([embedder.embed([q.query]), indexOf(q.user_id, embedder.id)]);
    return nearest(index, vectors[0]!, k, rowFilter(q));
  }

  /** Hits for ranked ids, in that order (items deleted meanwhile left out). */
  async function hits(userId: string, ranked: { id: number; score: number }[]): Promise<MemoryHit[]> {
    const items = new Map(
      (
        await deps.store.byIds(
          ranked.map((r) => r.id),
          userId,
        )
      ).map((i) => [i.id, i]),
    );
    return ranked.flatMap((r) => {
      const item = items.get(r.id);
      return item ? [{ item, score: r.score }] : [];
    });
  }

  async function reindexAll(onProgress?: (done: number, total: number) => void): Promise<number> {
    const embedder = deps.embedder();
    let done = 0;
    for (;;) {
      const { items, total } = await deps.store.unembedded(embedder.id, REINDEX_BATCH);
      if (items.length === 0) return done;
      const { vectors } = await embedder.embed(items.map((i) => i.text));
      for (const [i, item] of items.entries()) await deps.store.setVector(item.id, { embedder: embedder.id, data: vectors[i]! });
      for (const userId of new Set(items.map((i) => i.user_id))) {
        indexes.delete(userId);
        void deps.changes?.publish('memory_items', userId);
      }
      done += items.length;
      onProgress?.(done, done + total - items.length);
    }
  }

  return {
    async add(input) {
      checkItem(input);
      const embedder = deps.embedder();
      const { vectors } = await embedder.embed([input.text]);
      const t = now();
      const item = await deps.store.insert(
        { ...input, created_at: input.created_at ?? t, updated_at: input.updated_at ?? input.created_at ?? t },
        { embedder: embedder.id, data: vectors[0]! },
      );
      written(item.user_id, (index) => {
        if (index.embedder === embedder.id) append(index, item, vectors[0]!);
      });
      return item;
    },
    async search(q) {
      const k = Math.max(1, Math.min(MEMORY_ITEM_LIMITS.maxResults, Math.trunc(q.k)));
      if (!q.query.trim()) return [];
      if (q.mode === 'keyword') return deps.store.keyword({ ...q, k });
      if (q.mode === 'semantic') return hits(q.user_id, await semantic(q, k));
      const depth = Math.max(k, FUSION_DEPTH);
      const [byMeaning, byWords] = await Promise.all([semantic(q, depth), deps.store.keyword({ ...q, k: depth })]);
      const fused = reciprocalRankFusion([byMeaning.map((r) => r.id), byWords.map((h) => h.item.id)]).slice(0, k);
      return hits(q.user_id, fused);
    },
    list: (filter) => deps.store.list(filter),
    async delete(id, userId) {
      const deleted = await deps.store.delete(id, userId);
      if (deleted) written(userId, (index) => remove(index, id));
      return deleted;
    },
    async stats(userId) {
      const embedder = deps.embedder();
      const [counts, pending] = await Promise.all([deps.store.counts(userId), deps.store.unembedded(embedder.id, 0)]);
      const items = Object.values(counts.by_scope).reduce((a, b) => a + b, 0);
      const dims = userId ? (await indexOf(userId, embedder.id)).dims || null : null;
      return { items, ...counts, embedder: { name: embedder.name, dims, pending: pending.total, reindexing: reindexing !== undefined } };
    },
    reindex(onProgress) {
      reindexing ??= reindexAll(onProgress).finally(() => (reindexing = undefined));
      return reindexing;
    },
    close() {
      unsubscribe?.();
    },
  };
}

/** Items as the lines of `{{memory_context}}`: one item per line, newest facts as stored. */
export const memoryLines = (items: readonly MemoryItem[]): string => items.map((i) => `- ${i.text.replace(/\s*\n\s*/g, ' ')}`).join('\n');
