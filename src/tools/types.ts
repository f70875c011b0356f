/**
 * The ToolSet interface (ARCHITECTURE "Small interfaces with two implementations": builtin + MCP).
 * A ToolSet lists the tools it can run and runs one by its configured name. The runtime offers tools
 * to the model under `offeredName` (SPEC §7: `^[a-zA-Z0-9_-]{1,64}$`, MCP tool `echo` of server
 * `everything` -> `everything__echo`) and checks permissions again on every call.
 */
import type { Log } from '../domain/log.js';
import type { AgentRow, MemoryScope } from '../domain/memory-scope.js';
import type { ToolSpec } from '../llm/types.js';

/** One tool a ToolSet can run. */
export interface ToolDefinition {
  /** Name configs use: `calculator` for a builtin, `everything.echo` for an MCP tool (SPEC §7). */
  name: string;
  /** What the model sees: `spec.name` is the offered name (`everything__echo`), plus description and JSON Schema. */
  spec: ToolSpec;
  /** Per-call time limit in ms (from the tool's or MCP server's `timeout_secs`, SPEC §3). */
  timeoutMs: number;
}

/** Memory vocabulary the tools share with the runtime (src/domain/memory-scope.ts). */
export type { AgentRow, MemoryScope } from '../domain/memory-scope.js';

/** Who is calling and how to stop: passed to every call. */
export interface ToolContext {
  agentName: string;
  userId: string;
  /** The agent's user-tier row; absent for system agents. Memory scopes key on it (src/domain/memory-scope.ts). */
  agentRow?: AgentRow;
  conversationId?: string;
  /** Aborted on run cancellation or when the tool's timeout expires. */
  signal: AbortSignal;
  /** The agent's `memory.scope` (SPEC §3), set by the Toolbox for memory tools; `agent` when absent. */
  memoryScope?: MemoryScope;
  /** The run's logger (lines carry `request_id`, `execution_id`); refusals are logged there. Absent: the Toolbox's own. */
  log?: Log;
}

/** A tool's answer, returned to the model as the tool message content. `isError` marks failures. */
export interface ToolResult {
  content: string;
  isError?: boolean;
  /** Set by the Toolbox when the call ran past the tool's `timeoutMs` and was abandoned. */
  timedOut?: boolean;
}

/** A source of tools: builtin tools or one MCP server. */
export interface ToolSet {
  /** Tools available now (an MCP server that is down lists none). */
  list(): ToolDefinition[];
  /**
   * Run tool `name` (a `ToolDefinition.name`) with parsed JSON arguments.
   * Failures are returned as `{isError: true}`; throwing is reserved for programming errors.
   */
  call(name: string, args: unknown, ctx: ToolContext): Promise<ToolResult>;
}

/** A tool an agent asked for that cannot be offered now, and why (shown to users, never to the model). */
export interface UnavailableTool {
  /** The configured name (`web_search`, `everything.echo`, or the pattern `everything.*`). */
  name: string;
  /** Why, in words a user can act on (e.g. "no search backend is configured: set [tools.web_search] ..."). */
  reason: string;
}

/**
 * Optional extension of a ToolSet: tools it knows but cannot run now, with the reason (e.g.
 * `web_search` without a backend). Kept separate so ToolSets without it stay valid.
 */
export interface ToolSetWithUnavailable extends ToolSet {
  unavailable(): UnavailableTool[];
}
