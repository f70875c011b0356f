/**
 * Memory builtins (SPEC §3 `memory.scope`): `memory_get`, `memory_set`, `memory_search` over the
 * SQLite key-value store. The scope decides who shares entries; the store scope of a call is
 * src/domain/memory-scope.ts `memoryScopeKey` (who owns the agent decides the key).
 * Keys are at most 200 characters, values at most 16,000.
 */
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

/** `memory_search {query, limit?}` -> matching entries as JSON lines `{"key","value"}`, newest first. */
export async function memorySearch(store: MemoryStore, args: unknown, ctx: ToolContext): Promise<ToolResult> {
  const query = str(args, 'query') ?? '';
  const raw = Number((args as Record<string, unknown> | null)?.limit ?? MEMORY_LIMITS.searchResults);
  const limit = Math.max(1, Math.min(MEMORY_LIMITS.searchResults, Number.isFinite(raw) ? Math.trunc(raw) : MEMORY_LIMITS.searchResults));
  const found = await store.search(memoryScopeKey(ctx.memoryScope, ctx), query, limit);
  if (found.length === 0) return { content: query ? `no memory entry matches "${query}"` : 'memory is empty' };
  return { content: found.map((e) => JSON.stringify({ key: e.key, value: e.value })).join('\n') };
}
