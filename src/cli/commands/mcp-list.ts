/**
 * `caxton mcp list [--json]` (SPEC §3 MCP server): the MCP servers the daemon uses, as a table
 * NAME STATE TRANSPORT TOOLS RSS CPU LAST_ERROR, from `GET /api/mcp/servers` over the control socket
 * (RSS: resident memory of a running stdio child in MiB; CPU: its CPU seconds; `-` otherwise).
 * States: connecting, ready, failed (retrying with backoff), idle (not started), disabled.
 * With user-tier servers (SPEC §4) a SOURCE column (system, user, community) follows NAME, and an
 * OWNER column the admin's view (every user's live connections; `--as EMAIL` shows that user's view).
 */
import type { McpServerRow } from '../../domain/api-types.js';
import Table from 'cli-table3';
import { requestJson } from '../../client/http.js';
import { homePaths, type GlobalOptions } from '../context.js';
import { printJson } from '../output.js';

/** Print the table (or the JSON array with --json). Exit 3 when the daemon is not running. */
export async function run(_args: string[], opts: GlobalOptions): Promise<number> {
  const { servers } = await requestJson<{ servers: McpServerRow[] }>(homePaths(opts).socket, '/api/mcp/servers');
  if (opts.json) {
    printJson(servers);
    return 0;
  }
  if (servers.length === 0) {
    process.stdout.write('no MCP servers configured (add one as config/mcps/NAME.toon)\n');
    return 0;
  }
  // Wrap long errors at 60 columns so the table stays readable in a terminal.
  const wrap = servers.some((s) => (s.last_error ?? '').length > 60);
  const sources = servers.some((s) => s.source !== undefined && s.source !== 'system');
  const owners = servers.some((s) => s.owner !== undefined);
  const head = ['NAME', ...(sources ? ['SOURCE'] : []), ...(owners ? ['OWNER'] : []), 'STATE', 'TRANSPORT', 'TOOLS', 'RSS', 'CPU', 'LAST_ERROR'];
  const table = new Table({
    head,
    style: { head: [], border: [] },
    ...(wrap ? { colWidths: [...head.slice(1).map(() => null), 62], wordWrap: true } : {}),
  });
  for (const s of servers) {
    table.push([
      s.name,
      ...(sources ? [s.source ?? 'system'] : []),
      ...(owners ? [s.owner ?? '-'] : []),
      s.state,
      s.transport,
      String(s.tools),
      s.rss_bytes !== undefined ? `${(s.rss_bytes / 1048576).toFixed(1)} MiB` : '-',
      s.cpu_seconds !== undefined ? `${s.cpu_seconds.toFixed(2)} s` : '-',
      s.last_error ?? '-',
    ]);
  }
  process.stdout.write(`${table.toString()}\n`);
  return 0;
}
