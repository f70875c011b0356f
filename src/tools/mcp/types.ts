/**
 * Shapes the MCP manager shares with the API and the CLI (`GET /api/mcp/servers`, `caxton mcp list`).
 * Type-only: the API gets status through AppDeps and never imports the manager itself.
 */

/**
 * Lifecycle of one MCP server connection. `idle`: enabled, but no agent may use it (none names its
 * tools, or `[tools] deny` lists `server.*`), so it is not started; it starts as soon as a reloaded
 * agent names it. `disabled`: `enabled = false`.
 */
export type McpServerState = 'connecting' | 'ready' | 'failed' | 'idle' | 'disabled';

/** How the daemon reaches an MCP server (SPEC §3): a child process, or Streamable HTTP at `url`. */
export type McpTransportKind = 'stdio' | 'http';

/** One MCP server as `caxton mcp list` shows it. Times: ms since epoch. */
export interface McpServerStatus {
  name: string;
  state: McpServerState;
  transport: McpTransportKind;
  /** Tools offered to agents (after the server's `tools` allowlist); 0 unless `ready`. */
  tools: number;
  /** `server.tool` names of those tools, sorted. */
  tool_names: string[];
  /** Why the last connect or call failed (secrets never included), or null. */
  last_error: string | null;
  /** Pid of the stdio child while it runs. */
  pid?: number;
  /** When the current connection became ready. */
  connected_at?: number;
  /** Reconnects after a crash or failed connect since the server was (re)configured. */
  restarts: number;
  /** When the next reconnect attempt is due, while `failed`. */
  next_retry_at?: number;
}
