/**
 * Client-side tools (the OpenAI function-calling contract of `/v1/chat/completions` and
 * `/v1/responses`): function tools a client sends are offered to the model next to the agent's own
 * tools, and the client runs them itself.
 *
 * - A client tool may not take a name the agent already offers (BAD_REQUEST naming the tool's field):
 *   the agent's tools win every clash, so a client can never stand in for one of them.
 * - When the model calls one or more client tools in a step, the agent's own tools called in that
 *   same step run first, server-side; then the run ends with `finish_reason: "tool_calls"` and the
 *   client calls on its `done` event. The step's messages (the model's full tool-call message and the
 *   agent tools' results) are committed like any step: a stored conversation keeps them all, while a
 *   stateless client only ever sees the client calls (the agent's calls of that step and their results
 *   are not in the history it sends back, and nothing re-runs them).
 * - The client continues with its results (`RunOptions.toolResults`): they must answer exactly the
 *   calls still pending at the end of the history (the last assistant message's tool calls without a
 *   result after them); a history with pending calls and no results is refused too, since providers
 *   refuse a tool call left unanswered.
 */
import { DomainError, type ErrorDetail } from '../domain/errors.js';
import type { ToolCallRequest, ToolSpec } from '../llm/types.js';
import type { StoredMessage } from '../store/types.js';
import type { RunOptions } from './types.js';

const bad = (message: string, field: string, hint: string): DomainError =>
  new DomainError('BAD_REQUEST', message, [{ field, message, hint } satisfies ErrorDetail]);

/**
 * The tools offered to the model: the agent's `own` followed by the client's.
 * @throws DomainError BAD_REQUEST when a client tool takes a name the agent offers (its field named).
 */
export function offeredWithClientTools(own: readonly ToolSpec[] | undefined, opts: RunOptions): ToolSpec[] | undefined {
  const client = opts.clientTools ?? [];
  if (client.length === 0) return own ? [...own] : undefined;
  const taken = new Set(own?.map((t) => t.name));
  for (const t of client) {
    if (taken.has(t.spec.name)) {
      throw bad(`tool ${t.spec.name} is one of the agent's own tools`, t.field, 'rename the client tool: the agent already offers a tool of that name');
    }
  }
  return [...(own ?? []), ...client.map((t) => t.spec)];
}

/** The `calls` of one model step split into the agent's own and the client's (by the client tools' names). */
export function splitCalls(calls: readonly ToolCallRequest[], opts: RunOptions): { own: ToolCallRequest[]; client: ToolCallRequest[] } {
  const names = new Set(opts.clientTools?.map((t) => t.spec.name));
  const own: ToolCallRequest[] = [];
  const client: ToolCallRequest[] = [];
  for (const c of calls) (names.has(c.function.name) ? client : own).push(c);
  return { own, client };
}

/** Ids of the tool calls still waiting for a result at the end of `history` (those of its last assistant message). */
export function pendingCallIds(history: readonly StoredMessage[]): string[] {
  const answered = new Set<string>();
  for (let i = history.length - 1; i >= 0; i--) {
    const m = history[i]!;
    if (m.role === 'tool') {
      if (m.tool_call_id) answered.add(m.tool_call_id);
    } else if (m.role === 'assistant') {
      return ((m.tool_calls ?? []) as ToolCallRequest[]).map((c) => c.id).filter((id) => !answered.has(id));
    } else return [];
  }
  return [];
}

/**
 * Check that `results` answer exactly the calls pending at the end of `history` (module comment).
 * @throws DomainError BAD_REQUEST naming the unanswered or unknown call ids.
 */
export function checkToolResults(history: readonly StoredMessage[], results: readonly StoredMessage[] | undefined): void {
  const pending = pendingCallIds(history);
  const given = (results ?? []).map((r) => r.tool_call_id ?? '');
  const unknown = given.filter((id) => !pending.includes(id));
  if (unknown.length) {
    throw bad(
      `tool result for ${unknown.join(', ')}, which no pending tool call has`,
      'tool_call_id',
      pending.length ? `the pending tool calls are ${pending.join(', ')}` : 'no tool call is waiting for a result',
    );
  }
  const missing = pending.filter((id) => !given.includes(id));
  if (missing.length) {
    throw bad(
      `the tool calls ${missing.join(', ')} are waiting for their results`,
      'tool_call_id',
      'send a tool result for every tool call of the last assistant message before a new user message',
    );
  }
}
