/**
 * Human approval of tool calls (the approval gate, docs/patterns.md): an agent's `approval[]` lists
 * tool names or globs; a call of a matching tool pauses its run (finish reason `awaiting_approval`)
 * until the run's user (or the admin) approves or rejects it, or `approval_timeout_secs` pass.
 *
 * Patterns are globs over the tool name as the model calls it: `*` stands for any characters, `?`
 * for one; every other character is itself.
 * They are written the way agents name tools: `http_fetch`, `filesystem.write_*` (an MCP server's
 * tool, offered to the model as `filesystem__write_file`), `agent:*` (a sub-agent offered as
 * `agent__NAME`), `capability:billing` (`capability__billing`).
 */
/** What `approval_timeout_secs` is when an agent does not set it (seconds). */
export const DEFAULT_APPROVAL_TIMEOUT_SECS = 3600;

/** What an approval pattern may hold: the characters of tool names, `:` (`agent:NAME`) and the wildcards `*` and `?`. */
export const APPROVAL_PATTERN = /^[A-Za-z0-9_.:*?-]+$/;

/** Where a pending approval stands: waiting, or decided (the decision is final; the run resumes once). */
export type ApprovalState = 'pending' | 'approved' | 'rejected';

/** One tool call waiting for a decision: its id, tool name and the JSON text of its arguments, as the model wrote them. */
export interface PendingCall {
  id: string;
  name: string;
  arguments: string;
}

/**
 * What a paused run had done (its execution row's figures), so the resumed run's row carries on from
 * it: input, reply so far, tokens (counts), provider calls, tool calls, start (ms since epoch) and
 * time spent running (ms; the wait is not counted).
 */
export interface RunProgress {
  input: string;
  output: string;
  tokens_input: number;
  tokens_output: number;
  iterations: number;
  tool_calls: unknown[];
  created_at: number;
  duration_ms: number;
}

/**
 * What the paused run's request set that its resumed run keeps: the API key it is charged to (its
 * budget applies) and the per-run overrides (src/runtime/overrides.ts `RunOverrides` as JSON:
 * sampling, response_format, user, tool_choice, parallel_tool_calls, parallel_subagents; the reply
 * check is rebuilt from response_format when the run resumes).
 */
export interface PausedRequest {
  api_key_id?: string;
  overrides?: Record<string, unknown>;
}

/**
 * A paused run (one `tool_approvals` row, migration 11). Times in ms since epoch. What a resumed run
 * needs besides the stored conversation: who ran which agent (`agent_ref` as the catalog resolves it
 * for `user_id`), the calls waiting, and, for a stateless run (no stored conversation), its `history`;
 * what its request set (`request`) is kept in the row's `progress` JSON (src/store/rows.ts).
 */
export interface PendingApproval {
  execution_id: string;
  user_id: string;
  /** The agent as its user addresses it: bare name, or `OWNER/NAME` for another user's public agent. */
  agent_ref: string;
  conversation_id?: string;
  /** Every message of a stateless run so far (it has no stored conversation to continue). */
  history?: unknown[];
  calls: PendingCall[];
  progress: RunProgress;
  /** What the request set that the resumed run keeps; absent when it set nothing. */
  request?: PausedRequest;
  state: ApprovalState;
  created_at: number;
  /** When the sweeper rejects it (ms since epoch): `created_at` + the agent's `approval_timeout_secs`. */
  expires_at: number;
  /** The deciding user's handle, or `system` for a timeout. */
  decided_by?: string;
  decided_at?: number;
  /** The reason given with a rejection. */
  reason?: string;
}

/** A decision on a pending approval. `at` in ms since epoch. */
export interface ApprovalDecision {
  state: Exclude<ApprovalState, 'pending'>;
  decided_by: string;
  at: number;
  reason?: string;
}

/** The result the model sees for a rejected call: `rejected by USER: reason` (no reason given: `no reason given`). */
export function rejectionResult(decidedBy: string, reason: string | undefined): string {
  return `rejected by ${decidedBy}: ${reason?.trim() || 'no reason given'}`;
}

/** A pattern as the model's tool names read: `server.tool` -> `server__tool`, `agent:NAME` -> `agent__NAME`. */
const offeredForm = (pattern: string): string => pattern.replace(/[.:]/, '__');

/** The regular expression of one glob (module comment): anchored, `*` -> `.*`, `?` -> `.`, the rest literal. */
const globSource = (glob: string): string =>
  glob
    .split('')
    .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.-]/, '\\$&')))
    .join('');

const matchers = new WeakMap<readonly string[], (tool: string) => boolean>();

/**
 * A predicate telling whether a tool called by `name` needs approval under `patterns` (an agent's
 * `approval[]`), built once per patterns array. No patterns: nothing needs approval.
 */
export function approvalMatcher(patterns: readonly string[] | undefined): (tool: string) => boolean {
  if (!patterns?.length) return () => false;
  let m = matchers.get(patterns);
  if (!m) {
    const re = new RegExp(`^(?:${[...new Set(patterns.flatMap((p) => [p, offeredForm(p)]))].map(globSource).join('|')})$`);
    matchers.set(patterns, (m = (tool) => re.test(tool)));
  }
  return m;
}
