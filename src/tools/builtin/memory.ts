/**
 * Memory builtins (SPEC §3 `memory.scope`): `memory_get`, `memory_set` over the key-value store (exact
 * keys), `memory_store` (a memory item: text and metadata, embedded for semantic search) and
 * `memory_search` (memory items by meaning, words or both, then key-value entries containing the
 * query). The scope decides who shares entries; the store scope of a call is
 * src/domain/memory-scope.ts `memoryScopeKey` (who owns the agent decides the key; items use
 * `memoryItemScopeKey`, always filtered on the user the run is for).
 * Keys are at most 200 characters, values at most 16,000.
 */
import { isDomainError } from '../../domain/errors.js';
import { memoryItemScopeKey, SEARCH_MODES, type SearchMode, type SemanticMemory } from '../../domain/memory-items.js';
import { memoryScopeKey } from '../../domain/memory-scope.js';
import type { MemoryStore } from '../../store/types.js';
import type { ToolContext, ToolResult } from '../types.js';

/** Limits on entries (characters) and on search results (count). */
export const MEMORY_LIMITS = { keyChars: 200, valueChars: 16_000, searchResults: 20 } as const;

const str = (args: unknown, field: string): string | undefined => {
  const v = (args as Record<string, unknown> | null)?.[field];
  return typeof v === 'string' ? v : v === undefined || v === null ? undefined : JSON.stringify(v);
};
const err = (content: string): ToolResult => ({ content: `error: ${content}`, isError: true });

/** `memory_get {key}` -> the value, or a note that nothing is stored under it. */
export async function memoryGet(store: MemoryStore, args: unknown, ctx: ToolContext): Promise<ToolResult> {
  const key = str(args, 'key');
  if (!key) return err('memory_get needs {"key": "..."}');
  const e = await store.get(memoryScopeKey(ctx.memoryScope, ctx), key);
  return { content: e ? e.value : `nothing is stored under "${key}"` };
}

/** `memory_set {key, value}` -> stores (replacing) the value. */
export async function memorySet(store: MemoryStore, args: unknown, ctx: ToolContext): Promise<ToolResult> {
  const key = str(args, 'key');
  const value = str(args, 'value');
  if (!key || value === undefined) return err('memory_set needs {"key": "...", "value": "..."}');
  if (key.length > MEMORY_LIMITS.keyChars) return err(`key is longer than ${MEMORY_LIMITS.keyChars} characters`);
  if (value.length > MEMORY_LIMITS.valueChars) return err(`value is longer than ${MEMORY_LIMITS.valueChars} characters`);
  await store.set(memoryScopeKey(ctx.memoryScope, ctx), key, value, ctx.userId);
  return { content: `stored "${key}"` };
}

/** The memory item scope key of the calling agent. */
const itemScopeKey = (ctx: ToolContext) => memoryItemScopeKey(ctx.memoryScope, ctx);

/** `memory_store {text, metadata?}` -> stores a memory item in the agent's scope; says its id. */
export async function memoryStore(items: SemanticMemory, args: unknown, ctx: ToolContext): Promise<ToolResult> {
  const text = str(args, 'text');
  const metadata = (args as Record<string, unknown> | null)?.metadata;
  if (!text) return err('memory_store needs {"text": "...", "metadata"?: {...}}');
  if (metadata !== undefined && (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))) return err('metadata must be a JSON object');
  try {
    const item = await items.add({
      user_id: ctx.userId,
      scope: ctx.memoryScope ?? 'agent',
      scope_key: itemScopeKey(ctx),
      agent: ctx.agentName,
      conversation_id: ctx.conversationId ?? null,
      text,
      ...(metadata ? { metadata: metadata as Record<string, unknown> } : {}),
    });
    return { content: `stored memory item ${item.id}` };
  } catch (e) {
    if (isDomainError(e)) return err(e.message);
    throw e;
  }
}

/**
 * `memory_search {query, k?, mode?}` (`limit` is accepted for `k`) -> memory items of the agent's
 * scope ranked by `mode` (default hybrid) as JSON lines `{"id","text","score","metadata"}`, then
 * key-value entries containing the query as `{"key","value"}` (newest first); `k` bounds each list.
 * An empty query lists the key-value entries.
 */
export async function memorySearch(store: MemoryStore, items: SemanticMemory | undefined, args: unknown, ctx: ToolContext): Promise<ToolResult> {
  const a = (args as Record<string, unknown> | null) ?? {};
  const query = str(args, 'query') ?? '';
  const raw = Number(a.k ?? a.limit ?? MEMORY_LIMITS.searchResults);
  const k = Math.max(1, Math.min(MEMORY_LIMITS.searchResults, Number.isFinite(raw) ? Math.trunc(raw) : MEMORY_LIMITS.searchResults));
  const mode = (a.mode ?? 'hybrid') as SearchMode;
  if (!SEARCH_MODES.includes(mode)) return err(`mode must be one of ${SEARCH_MODES.join(', ')}`);
  const lines: string[] = [];
  if (items && query.trim()) {
    try {
      const hits = await items.search({ user_id: ctx.userId, scope_keys: [itemScopeKey(ctx)], query, k, mode });
      for (const h of hits) lines.push(JSON.stringify({ id: h.item.id, text: h.item.text, score: Number(h.score.toFixed(4)), metadata: h.item.metadata }));
    } catch (e) {
      if (isDomainError(e)) return err(e.message);
      throw e;
    }
  }
  for (const e of await store.search(memoryScopeKey(ctx.memoryScope, ctx), query, k)) lines.push(JSON.stringify({ key: e.key, value: e.value }));
  if (lines.length === 0) return { content: query ? `no memory entry matches "${query}"` : 'memory is empty' };
  return { content: lines.join('\n') };
}
