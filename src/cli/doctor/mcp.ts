/**
 * `caxton doctor`, the MCP half (issue requirement "caxton doctor": each MCP server connects and lists
 * its tools). Each enabled server of config/mcps/ is connected once with the daemon's own connection
 * code (src/tools/mcp), bounded by its `timeout_secs`, then closed (a stdio child is ended).
 */
import type { Loaded } from '../../config/snapshot.js';
import type { McpServer } from '../../domain/entities.js';
import { McpConnection, type McpLog } from '../../tools/mcp/connection.js';
import { realTransports } from '../../tools/mcp/transports.js';
import { versionInfo } from '../../ipc/version.js';
import { result, type CheckResult } from './check.js';

/** Doctor prints results, not the connection's progress logs. */
const QUIET: McpLog = { info() {}, warn() {}, error() {} };

/** Retries would only start after the check is over; this keeps them far away. */
const NO_RETRY = { initialMs: 3_600_000, maxMs: 3_600_000 };

/** Resolve after `ms` (unref'd: never keeps the CLI alive). */
function after(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/**
 * Connect to one MCP server (children start in `home` under the same OS limits as the daemon gives
 * them: its `memory_mb`/`cpu_secs`, else `limits.defaultMemoryMb`), list its tools and close. Disabled
 * servers are skipped. At most `timeout_secs` for the connect plus as much for the listing.
 */
export async function checkMcpServer(
  loaded: Loaded<McpServer>,
  home: string,
  limits: { defaultMemoryMb?: number } = {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<CheckResult> {
  const server = loaded.value;
  const check = `mcp ${server.name}`;
  if (!server.enabled) return result(check, 'skip', `disabled (enabled = false in ${loaded.file})`);
  const conn = new McpConnection({
    server,
    log: QUIET,
    createTransport: realTransports(home, limits),
    env,
    backoff: NO_RETRY,
    clientInfo: { name: 'caxton-doctor', version: versionInfo().version },
  });
  try {
    conn.start();
    await Promise.race([conn.settled(), after(server.timeout_secs * 2000)]);
    const st = conn.status();
    if (st.state === 'ready') return result(check, 'ok', `${st.transport}, ${st.tools} tools: ${st.tool_names.join(', ') || '(none)'}`);
    const how = server.url
      ? `check that ${server.url} answers MCP (Streamable HTTP)`
      : `run it by hand to see why: ${[server.command, ...server.args].join(' ')}`;
    return result(check, 'fail', st.last_error ?? `not connected after ${server.timeout_secs * 2} s`, `${how}; then fix ${loaded.file}`);
  } finally {
    await conn.close();
  }
}
