/**
 * The semantic memory service (src/domain/memory-items.ts `SemanticMemory`; STORY-007, STORY-031):
 * stores items with their vector, and searches by meaning, by words or both.
 *
 * Semantic search compares the query vector (dot product of unit vectors = cosine) with every vector
 * of the user's items that the current embedder made, held in one index per user (src/runtime/vector-index.ts:
 * an int8 scan re-scored in float; loaded from the store on the user's first search, then kept current by this service's writes;
 * another node's writes reach it through `Store.changes`, topic `memory_items`, which drops the
 * user's cache). Vectors of another embedder are never loaded, so spaces never mix; items waiting to
 * be re-embedded are found by keyword only until `reindex` reaches them. Hybrid search fuses the
 * semantic ranking with the ranking of items holding EVERY word of the query (reciprocal rank fusion
 * over the top 50 of each): an item matching the whole query by its words (a code, a name, a rare
 * token the embedder cannot place) rises to the top, while items sharing only some of the query's
 * words (the usual bait: "dog" in a question about the user's dog) add nothing, so semantic search
 * decides. Measured on the sanity triples: hybrid ranks the paraphrase first as often as semantic
 * search (fusing any-word matches instead lost 4 of 22 to keyword bait).
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
  type ReindexProgress,
  type SemanticMemory,
} from '../domain/memory-items.js';
import type { Embedder } from '../llm/embedder.js';

/** The embedder interface, for layers that may not import llm (the API's `/v1/embeddings`). */
export type { Embedder } from '../llm/embedder.js';
import type { ChangeFeed, MemoryItemStore } from '../store/types.js';
import { append, buildIndex, nearest, remove, type RowMeta, type VectorIndex } from './vector-index.js';

/** Candidates each ranking contributes to a hybrid search. */
const FUSION_DEPTH = 50;
/** Items re-embedded per batch by `reindex`. */
const REINDEX_BATCH = 64;

/** A re-embedding in progress: who hears its progress, the latest progress, and its outcome (items done). */
interface ReindexRun {
  listeners: Set<(done: number, total: number) => void>;
  progress: ReindexProgress | null;
  done: Promise<number>;
}

/** What the service needs: the store, the current embedder, and optionally the cross-node change feed. */
export interface SemanticMemoryDeps {
  store: MemoryItemStore;
  /** Items re-embedded per batch by `reindex` (default 64). */
  reindexBatch?: number;
  /** The embedder of `[memory] embedder`. @throws DomainError when it is misconfigured. */
  embedder(): Embedder;
  changes?: Pick<ChangeFeed, 'publish' | 'subscribe'>;
  log?: Log;
  now?: () => number;
}

/** A predicate over rows for the filter's optional parts; undefined when it keeps every row. */
function rowFilter(f: MemoryFilter): ((m: RowMeta) => boolean) | undefined {
  const keys = f.scope_keys ? new Set(f.scope_keys) : undefined;
  if (!keys && !f.scope && f.agent === undefined && f.conversation_id === undefined) return undefined;
  return (m) =>
    (!keys || keys.has(m.scope_key)) &&
    (!f.scope || m.scope === f.scope) &&
    (f.agent === undefined || m.agent === f.agent) &&
    (f.conversation_id === undefined || m.conversation_id === f.conversation_id);
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
  const indexes = new Map<string, { loading: Promise<VectorIndex>; index?: VectorIndex; stale?: boolean }>();
  let reindexing: ReindexRun | undefined;

  /** The user's index for `embedder`, loading it once; a write during the load drops it afterwards (loaded again next time). */
  async function indexOf(userId: string, embedder: string): Promise<VectorIndex> {
    const cached = indexes.get(userId);
    if (cached && (cached.index ?? (await cached.loading)).embedder === embedder) return cached.index ?? cached.loading;
    const entry: { loading: Promise<VectorIndex>; index?: VectorIndex; stale?: boolean } = {
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
  function written(userId: string, change: (index: VectorIndex) => void): void {
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

  /** Re-embed in batches, reporting `(done, done + still to do)` after counting and after each batch. */
  async function reindexAll(onProgress: (done: number, total: number) => void): Promise<number> {
    const embedder = deps.embedder();
    let done = 0;
    for (;;) {
      const { items, total } = await deps.store.unembedded(embedder.id, deps.reindexBatch ?? REINDEX_BATCH);
      onProgress(done, done + total);
      if (items.length === 0) return done;
      const { vectors } = await embedder.embed(items.map((i) => i.text));
      for (const [i, item] of items.entries()) await deps.store.setVector(item.id, { embedder: embedder.id, data: vectors[i]! });
      for (const userId of new Set(items.map((i) => i.user_id))) {
        indexes.delete(userId);
        void deps.changes?.publish('memory_items', userId);
      }
      done += items.length;
    }
  }

  /** Start a re-embedding run whose progress every listener hears, and which forgets itself when it ends. */
  function startReindex(): ReindexRun {
    const run: ReindexRun = {
      listeners: new Set(),
      progress: null,
      done: reindexAll((done, total) => {
        run.progress = { done, total };
        for (const listener of [...run.listeners]) listener(done, total);
      }).finally(() => (reindexing = undefined)),
    };
    return run;
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
      const [byMeaning, byWords] = await Promise.all([semantic(q, depth), deps.store.keyword({ ...q, k: depth, every: true })]);
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
      const progress = reindexing?.progress ?? null;
      return { items, ...counts, embedder: { name: embedder.name, dims, pending: pending.total, reindexing: reindexing !== undefined, progress } };
    },
    reindex(onProgress) {
      const joined = reindexing;
      const run = (reindexing ??= startReindex());
      if (onProgress) {
        if (joined?.progress) onProgress(joined.progress.done, joined.progress.total);
        run.listeners.add(onProgress);
      }
      return run.done;
    },
    close() {
      unsubscribe?.();
    },
  };
}

/** Items as the lines of `{{memory_context}}`: one item per line, newest facts as stored. */
export const memoryLines = (items: readonly MemoryItem[]): string => items.map((i) => `- ${i.text.replace(/\s*\n\s*/g, ' ')}`).join('\n');
