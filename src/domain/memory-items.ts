/**
 * Memory items (SPEC §3 `memory.scope`; semantic memory of STORY-007 and STORY-031): texts an agent or
 * a user stored, found again by meaning (vectors), by words (full-text search) or by both (hybrid,
 * reciprocal rank fusion). The vocabulary every layer shares; the service is src/runtime/semantic-memory.ts.
 *
 * Ownership: every item belongs to ONE user (`user_id`), and every read filters on it, so no agent run
 * for user B, no API call of B and no tool call in B's runs ever sees user A's items, whatever the
 * scope. Within one user, `scope_key` (src/domain/memory-scope.ts `memoryScopeKey`) decides which
 * agents share an item:
 *   agent        -> that agent only
 *   conversation -> that conversation only
 *   user         -> every agent the user runs (system agents and the user's own)
 *   global       -> like `user` for items, under its own key: "global" is global to one user's agents.
 *                   The admin's system agents thus have their own global items, never shown to others.
 * An agent owned by someone else stays confined to (user, that agent), as for the key-value memory.
 */
import { memoryScopeKey, type MemoryScope, type MemorySubject } from './memory-scope.js';

/** How a search ranks: by meaning (vectors), by words (full text, BM25 / ts_rank) or both fused. */
export const SEARCH_MODES = ['semantic', 'keyword', 'hybrid'] as const;
/** One search mode. */
export type SearchMode = (typeof SEARCH_MODES)[number];

/** One stored item as every reader sees it. Times in ms since epoch. */
export interface MemoryItem {
  /** Positive integer, unique per database. */
  id: number;
  user_id: string;
  scope: MemoryScope;
  /** Which agents of the user share it (see the module comment). */
  scope_key: string;
  /** Agent that stored it (name), when one did. */
  agent: string | null;
  conversation_id: string | null;
  text: string;
  metadata: Record<string, unknown>;
  /** Embedder whose vector the item has (`builtin` or a model alias), null before it is embedded. */
  embedder: string | null;
  created_at: number;
  updated_at: number;
}

/** One item as the API answers it (`GET /api/memory`, search results, `caxton memory`): the stored item without its owner. */
export type MemoryItemView = Omit<MemoryItem, 'user_id'>;

/** One search result: the item and its relevance (higher is better; the unit depends on the mode). */
export interface MemoryHit {
  item: MemoryItem;
  /** semantic: cosine similarity in [-1, 1]; keyword: BM25 / ts_rank (>= 0); hybrid: RRF sum. */
  score: number;
}

/** Limits: item text (characters), metadata JSON (characters) and results per search. */
export const MEMORY_ITEM_LIMITS = { textChars: 16_000, metadataChars: 8_000, maxResults: 100 } as const;

/** What is needed to store an item; the service adds the id, times and the vector. */
export interface NewMemoryItem {
  user_id: string;
  scope: MemoryScope;
  scope_key: string;
  agent?: string | null;
  conversation_id?: string | null;
  text: string;
  metadata?: Record<string, unknown>;
  /** Keep these times (ms; import); default now. */
  created_at?: number;
  updated_at?: number;
}

/** Which items a list or a search covers; `user_id` is always required (ownership). */
export interface MemoryFilter {
  user_id: string;
  /** Only these scope keys (an agent's view); absent: all of the user's items. */
  scope_keys?: readonly string[];
  scope?: MemoryScope;
  agent?: string;
  conversation_id?: string;
}

/** A search request: `k` results at most (1..MEMORY_ITEM_LIMITS.maxResults). */
export interface MemoryQuery extends MemoryFilter {
  query: string;
  k: number;
  mode: SearchMode;
}

/** Counts for `caxton memory stats`: items, items per scope and per embedder (`none`: not embedded). */
export interface MemoryStats {
  items: number;
  by_scope: Record<string, number>;
  by_embedder: Record<string, number>;
  /**
   * The configured embedder, its dimensions when known, items still to (re)embed (all users'), and
   * while re-embedding runs its progress (items done of the total it found, all users'; null otherwise).
   */
  embedder: { name: string; dims: number | null; pending: number; reindexing: boolean; progress: ReindexProgress | null };
}

/** Progress of a re-embedding run: `done` items of `total` (the items it found to re-embed, every user's). */
export interface ReindexProgress {
  done: number;
  total: number;
}

/** The semantic memory service used by the memory tools, automatic recall and the API. */
export interface SemanticMemory {
  /**
   * Embed and store one item (vector and row written together).
   * @throws DomainError BAD_REQUEST (empty or too long text, metadata too large), UNAVAILABLE (the embedder failed; nothing stored)
   */
  add(item: NewMemoryItem): Promise<MemoryItem>;
  /** Ranked hits, best first. @throws DomainError UNAVAILABLE when a semantic or hybrid search cannot embed the query. */
  search(query: MemoryQuery): Promise<MemoryHit[]>;
  /** Items newest first, `text` matching literally (case-insensitive) when given. */
  list(filter: MemoryFilter & { text?: string; limit: number; offset?: number }): Promise<MemoryItem[]>;
  /** Delete the user's item; false when the user has no such item. */
  delete(id: number, userId: string): Promise<boolean>;
  stats(userId?: string): Promise<MemoryStats>;
  /**
   * Start (or join) re-embedding every item without a vector of the current embedder (issue
   * requirement "changing the embedder re-embeds in the background"); resolves with the count done.
   * `onProgress` (it must not throw) hears `(0, total)` once the items are counted, then each batch's
   * `(done, total)`, ending with `(total, total)`; a caller joining a running re-embedding hears the
   * latest progress at once, then the batches to come.
   * @throws DomainError UNAVAILABLE (the embedder failed; the batches done so far stay embedded).
   */
  reindex(onProgress?: (done: number, total: number) => void): Promise<number>;
}

/** The scope key items of `scope` use for `subject`: global items are keyed `global` (one user's, by `user_id`). Pure. */
export function memoryItemScopeKey(scope: MemoryScope | undefined, subject: MemorySubject): string {
  const key = memoryScopeKey(scope, subject);
  return key === `global:${subject.userId}` ? 'global' : key;
}

/**
 * Reciprocal rank fusion (Cormack et al. 2009): each list adds 1 / (k + rank) per item, rank from 1,
 * k = 60. @returns ids with fused scores, best first (ties: lower id first).
 */
export function reciprocalRankFusion(lists: readonly (readonly number[])[], k = 60): { id: number; score: number }[] {
  const scores = new Map<number, number>();
  for (const list of lists) list.forEach((id, i) => scores.set(id, (scores.get(id) ?? 0) + 1 / (k + i + 1)));
  return [...scores].map(([id, score]) => ({ id, score })).sort((a, b) => b.score - a.score || a.id - b.id);
}

/** The words of a keyword query (letters and digits, lowercased, unique, at most 32), for full-text queries. Pure. */
export function queryWords(query: string): string[] {
  return [...new Set(query.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [])].slice(0, 32);
}
