/**
 * Automatic memory of an agent (SPEC §3 `memory`; docs/memory.md): `memory.recall = N` finds the N
 * memory items most relevant to the incoming message (hybrid search: one embedding of the message plus
 * one full-text query) for `{{memory_context}}`; `memory.auto_store = true` stores each finished
 * exchange as a memory item. Both use the agent's item scope for the user the run is for
 * (src/domain/memory-items.ts `memoryItemScopeKey`), so one user's items never reach another's runs.
 */
import type { Log } from '../domain/log.js';
import { memoryItemScopeKey, type MemoryItem, type SemanticMemory } from '../domain/memory-items.js';
import type { MemorySubject } from '../domain/memory-scope.js';
import type { RunRequest } from './types.js';

/** Whose items a run reads and writes: `scopeId` is what conversation-scoped memory sees. */
const subjectOf = (req: RunRequest, scopeId: string): MemorySubject => ({
  agentName: req.agent.name,
  userId: req.userId,
  conversationId: scopeId,
  ...(req.agentRow ? { agentRow: req.agentRow } : {}),
});

/**
 * The items to recall for `req` (none when `memory.recall` is 0 or unset). A failed search (the
 * embedder is down) is logged and recalls nothing: the run goes on without memory, never fails for it.
 */
export async function recallItems(items: SemanticMemory | undefined, req: RunRequest, scopeId: string, log?: Log): Promise<MemoryItem[]> {
  const k = req.agent.memory?.recall ?? 0;
  if (!items || k === 0 || !req.message.trim()) return [];
  const scopeKey = memoryItemScopeKey(req.agent.memory?.scope, subjectOf(req, scopeId));
  try {
    return (await items.search({ user_id: req.userId, scope_keys: [scopeKey], query: req.message, k, mode: 'hybrid' })).map((h) => h.item);
  } catch (err) {
    log?.warn({ err: (err as Error).message, agent: req.agent.name }, 'memory recall failed; the run goes on without recalled items');
    return [];
  }
}

/** With `memory.auto_store`, store the exchange (the message and the reply) as one item; a failure is logged, not raised. */
export async function autoStore(items: SemanticMemory | undefined, req: RunRequest, scopeId: string, reply: string, log?: Log): Promise<void> {
  if (!items || !req.agent.memory?.auto_store || !reply.trim()) return;
  const scope = req.agent.memory.scope;
  try {
    await items.add({
      user_id: req.userId,
      scope,
      scope_key: memoryItemScopeKey(scope, subjectOf(req, scopeId)),
      agent: req.agent.name,
      conversation_id: req.conversationId ?? null,
      text: `User: ${req.message}\nAssistant: ${reply}`.slice(0, 16_000),
      metadata: { source: 'auto_store' },
    });
  } catch (err) {
    log?.warn({ err: (err as Error).message, agent: req.agent.name }, 'memory auto_store failed; the exchange was not stored as a memory item');
  }
}
