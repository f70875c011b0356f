/**
 * The ToolSet interface (ARCHITECTURE "Small interfaces with two implementations": builtin + MCP).
 * A ToolSet lists the tools it can run and runs one by its configured name. The runtime offers tools
 * to the model under `offeredName` (SPEC §7: `^[a-zA-Z0-9_-]{1,64}$`, MCP tool `echo` of server
 * `everything` -> `everything__echo`) and checks permissions again on every call.
 */
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

/** Who is calling and how to stop: passed to every call. */
export interface ToolContext {
  agentName: string;
  userId: string;
  conversationId?: string;
  /** Aborted on run cancellation or when the tool's timeout expires. */
  signal: AbortSignal;
}

/** A tool's answer, returned to the model as the tool message content. `isError` marks failures. */
export interface ToolResult {
  content: string;
  isError?: boolean;
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
