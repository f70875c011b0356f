/**
 * Memory scope keys (SPEC §3 `memory.scope`): which store scope one agent's memory reads and writes
 * for one user. The memory builtins (src/tools/builtin/memory.ts) and the runtime's
 * `{{memory_context}}` both key on this one function. Keys depend on who owns the agent.
 *
 * A system agent (config files) or the caller's OWN user-tier agent, run for user U:
 *   agent        -> this agent, U only   (system: `agent:NAME:U`; user-tier: `user-agent:ROW:U`, so
 *                                          U's own `helper` and the system `helper` keep apart notes)
 *   conversation -> one conversation      (`conversation:ID`)
 *   user         -> all agents U runs that are system agents or U's own (`user:U`)
 *   global       -> system agents: everyone (`global`, read and written by every system agent);
 *                   user-tier agents: their owner's agents only (`global:OWNER`), so no tenant can
 *                   plant notes that other users' runs read
 * An agent owned by SOMEONE ELSE (a community agent reached by another user's name) run for U is
 * confined to (U, that agent) whatever its declared scope: `user-agent:ROW:U`, or
 * `conversation:ID:user-agent:ROW` for `conversation`. It never sees or changes U's `user:U` notes,
 * nor its owner's. Widening that (U granting a community agent more) is not offered.
 */

/** The memory scopes (SPEC §3 `memory.scope`), narrowest first. */
export const MEMORY_SCOPES = ['agent', 'conversation', 'user', 'global'] as const;
/** Memory scope an agent's memory uses (SPEC §3 `memory.scope`). */
export type MemoryScope = (typeof MEMORY_SCOPES)[number];

/** The user-tier row an agent comes from: its id and `owner` (the row's user id). */
export interface AgentRow {
  id: string;
  owner: string;
}

/** Whose memory a key is for: the agent, the user running it, the conversation, the agent's row. */
export interface MemorySubject {
  agentName: string;
  userId: string;
  /** The conversation (or, for a run that stores none, the run's own id); `none` in keys when absent. */
  conversationId?: string;
  /** The agent's user-tier row; absent for system agents. */
  agentRow?: AgentRow;
}

/** The store scope string of `scope` (default `agent`) for `subject` (see the module comment). Pure. */
export function memoryScopeKey(scope: MemoryScope | undefined, subject: MemorySubject): string {
  const row = subject.agentRow;
  const conversation = `conversation:${subject.conversationId ?? 'none'}`;
  if (row && row.owner !== subject.userId) {
    return scope === 'conversation' ? `${conversation}:user-agent:${row.id}` : `user-agent:${row.id}:${subject.userId}`;
  }
  switch (scope ?? 'agent') {
    case 'conversation':
      return conversation;
    case 'user':
      return `user:${subject.userId}`;
    case 'global':
      return row ? `global:${row.owner}` : 'global';
    default:
      return row ? `user-agent:${row.id}:${subject.userId}` : `agent:${subject.agentName}:${subject.userId}`;
  }
}
