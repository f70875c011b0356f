/**
 * The approval gate of the run loop (src/domain/approvals.ts; docs/patterns.md "Approval gate"):
 *
 * - Pausing: of the agent's own calls in one model step, those matching its `approval[]` are held;
 *   the others run at once. The run then ends with finish reason `awaiting_approval` and row status
 *   `awaiting_approval`; its last step commits the held calls as a pending approval in the same
 *   transaction (src/store/types.ts `RunStep.approval`), with the run's figures so far and, for a
 *   stateless run, its messages so far. Calls of the client's own tools in that step are answered
 *   with an error result (they are not run: the model may call them again after the decision).
 * - Resuming (`RunRequest.resume`, a decided approval): the resumed run keeps the execution id,
 *   carries on from the stored figures and is started with what the paused request set (its API
 *   key and overrides, `PendingApproval.request`); before its first model call it runs the approved calls
 *   (through the Toolbox, as any call) or answers each rejected one with `rejected by USER: reason`,
 *   and those results continue the run like a client's tool results (src/runtime/client-tools.ts).
 */
import { approvalMatcher, DEFAULT_APPROVAL_TIMEOUT_SECS, rejectionResult, type PausedRequest, type PendingApproval } from '../domain/approvals.js';
import type { Agent } from '../domain/entities.js';
import type { ChatMessage, ToolCallRequest } from '../llm/types.js';
import type { StoredMessage } from '../store/types.js';
import type { RunEvent, ToolResultEvent } from './events.js';
import type { RunRecord } from './run-record.js';
import { pausedOverrides } from './overrides.js';
import { dispatchTools, type ToolCaller, type ToolDispatchDeps } from './tool-dispatch.js';
import type { RunRequest } from './types.js';

/** The result a client tool's call gets when its step pauses for approval. */
export const CLIENT_CALL_HELD = 'error: not run: this step is waiting for approval of another tool call; call it again after the decision';

/** `own` calls split into those that run now and those held for approval (`agent.approval`). */
export function holdForApproval(agent: Agent, own: readonly ToolCallRequest[]): { now: ToolCallRequest[]; held: ToolCallRequest[] } {
  const needs = approvalMatcher(agent.approval);
  const now: ToolCallRequest[] = [];
  const held: ToolCallRequest[] = [];
  for (const c of own) (needs(c.function.name) ? held : now).push(c);
  return { now, held };
}

/** A chat message of the request as stored (for the history of a stateless run). */
const stored = (m: ChatMessage): StoredMessage => ({
  role: m.role,
  content: typeof m.content === 'string' ? m.content : '',
  ...('tool_calls' in m && m.tool_calls?.length ? { tool_calls: m.tool_calls } : {}),
  ...('tool_call_id' in m && m.tool_call_id ? { tool_call_id: m.tool_call_id } : {}),
});

/**
 * The pending approval of a run pausing on `held`; `messages` is the run's chat request so far (the
 * history of a stateless run, without the agent's system prompt). It keeps what the request set
 * (`pausedRequest`). Expires after the agent's `approval_timeout_secs` (default 3600 s).
 */
export function pendingApproval(req: RunRequest, rec: RunRecord, held: readonly ToolCallRequest[], messages: readonly ChatMessage[]): PendingApproval {
  const row = rec.row('awaiting_approval');
  const request = pausedRequest(req);
  const now = Date.now();
  return {
    execution_id: rec.id,
    user_id: req.userId,
    agent_ref: req.agentRef ?? req.agent.name,
    ...(rec.conversationId ? { conversation_id: rec.conversationId } : { history: messages.slice(1).map(stored) }),
    calls: held.map((c) => ({ id: c.id, name: c.function.name, arguments: c.function.arguments })),
    progress: {
      input: row.input,
      output: rec.reply,
      tokens_input: rec.usage.input_tokens,
      tokens_output: rec.usage.output_tokens,
      iterations: rec.iterations,
      tool_calls: rec.toolCalls,
      created_at: row.created_at,
      duration_ms: row.duration_ms,
    },
    ...(request ? { request } : {}),
    state: 'pending',
    created_at: now,
    expires_at: now + (req.agent.approval_timeout_secs ?? DEFAULT_APPROVAL_TIMEOUT_SECS) * 1000,
  };
}

/** What `req` set that its resumed run keeps (its API key and overrides), or undefined when it set neither. */
function pausedRequest(req: RunRequest): PausedRequest | undefined {
  const overrides = pausedOverrides(req.overrides);
  if (!req.apiKeyId && !overrides) return undefined;
  return { ...(req.apiKeyId ? { api_key_id: req.apiKeyId } : {}), ...(overrides ? { overrides } : {}) };
}

/** The results of a resumed run's decided calls as tool messages, and their `tool_result` events (to send after `start`). */
export interface DecidedResults {
  messages: StoredMessage[];
  events: RunEvent[];
}

/**
 * Run the approved calls of `approval` (or answer each with its rejection), recording each on `rec`
 * like any tool call of tool round `rec.iterations`.
 */
export async function decidedResults(tools: ToolDispatchDeps, caller: ToolCaller, approval: PendingApproval, rec: RunRecord): Promise<DecidedResults> {
  const calls = approval.calls.map((c): ToolCallRequest => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } }));
  let results: ToolResultEvent[];
  if (approval.state === 'approved') {
    const run = dispatchTools(tools, caller, calls, Math.max(1, rec.iterations), rec.toolCalls);
    for (let next = await run.next(); ; next = await run.next()) {
      if (next.done) {
        results = next.value;
        break;
      }
    }
  } else {
    const text = rejectionResult(approval.decided_by ?? 'system', approval.reason);
    results = approval.calls.map((c) => ({ type: 'tool_result', id: c.id, name: c.name, result: text, is_error: true }));
  }
  return { messages: results.map((r) => ({ role: 'tool', content: r.result, tool_call_id: r.id })), events: results };
}
