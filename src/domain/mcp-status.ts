/**
 * MCP server status (SPEC §5 `mcp list`): what the MCP manager and the user-tier pool
 * (src/tools/mcp/) report, what `GET /api/mcp/servers` returns and `caxton mcp list` prints. Plain
 * types, so the API reads status through AppDeps without importing the tools layer.
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
  /** Resident memory of the running stdio child (VmRSS, Linux), bytes. */
  rss_bytes?: number;
  /** CPU time the running stdio child has used, user + system (Linux), seconds. */
  cpu_seconds?: number;
  /** When the current connection became ready. */
  connected_at?: number;
  /** Reconnects after a crash or failed connect since the server was (re)configured. */
  restarts: number;
  /** When the next reconnect attempt is due, while `failed`. */
  next_retry_at?: number;
}

/** A user-tier pool entry as listed for operators: the row key and owner next to the connection's status. */
export interface PooledServerStatus extends McpServerStatus {
  /** The `user_mcps` row id the connection serves. */
  key: string;
  /** The row's owner (user id), when the caller of the pool's `get` said. */
  owner?: string;
}
