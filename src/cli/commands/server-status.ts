/**
 * `caxton server status [--json]` (SPEC §5, STORY-001: under 100 ms). Running: pid, URL, socket,
 * uptime, version, database (backend, health, where), agent counts, each provider's health (offline and why, or ready but its last
 * request failed: the registry's passive health), models with their provider state, MCP servers
 * (one line, from the `mcp_servers` of `GET /api/status`), config problems and hot-reload
 * history (reloads, the last rejected reload's errors). Not running: says so and exits 3.
 */
import { fetchStatus } from '../../client/daemon.js';
import { NotRunningError } from '../../client/http.js';
import type { StatusReport } from '../../domain/status.js';
import { homePaths, type GlobalOptions } from '../context.js';
import { EXIT, printJson } from '../output.js';

function uptime(ms: number): string {
  const s = Math.floor(ms / 1000);
  const parts = [
    [Math.floor(s / 86400), 'd'],
    [Math.floor((s % 86400) / 3600), 'h'],
    [Math.floor((s % 3600) / 60), 'm'],
    [s % 60, 's'],
  ] as const;
  const shown = parts.filter(([n], i) => n > 0 || i === parts.length - 1);
  return shown.map(([n, u]) => `${n}${u}`).join(' ');
}

/** One MCP server as `GET /api/status` sums it up in `mcp_servers` (src/api/routes/health.ts). */
interface McpSummary {
  name: string;
  state: string;
  tools: number;
  last_error: string | null;
}

/** `providers:` lines: each provider the models use, once, with its state and reason. */
function providerLines(st: StatusReport): string[] {
  const seen = new Map<string, StatusReport['models'][number]>();
  for (const m of st.models) if (!seen.has(m.provider)) seen.set(m.provider, m);
  const width = Math.max(10, ...[...seen.keys()].map((n) => n.length));
  return [...seen.values()].map((m) => `    ${m.provider.padEnd(width)} (${m.provider_type}) ${m.state}${m.reason ? `: ${m.reason}` : ''}`);
}

/** The `mcp:` line: counts by state, then each server that is not ready with its last error. */
function mcpLine(servers: McpSummary[]): string {
  const ready = servers.filter((s) => s.state === 'ready');
  const tools = ready.reduce((n, s) => n + s.tools, 0);
  const others = servers.filter((s) => s.state !== 'ready').map((s) => `${s.name} ${s.state}${s.last_error ? ` (${s.last_error})` : ''}`);
  return `  mcp:      ${ready.length}/${servers.length} servers ready, ${tools} tools${others.length ? `; ${others.join('; ')}` : ''}`;
}

/**
 * The `database:` line: health, backend (SQLite's journal mode, PostgreSQL's pool), schema and where
 * it is (the SQLite file, or the PostgreSQL URL without its password, as the daemon reports it).
 */
function databaseLine(db: StatusReport['database']): string {
  const pool = db.pool ? `, pool ${db.pool.total} open ${db.pool.idle} idle ${db.pool.waiting} waiting` : '';
  const health = db.ok ? 'ok' : `ERROR ${db.error ?? ''}`;
  return `  database: ${health} (${db.backend}${db.journal_mode ? ` ${db.journal_mode}` : ''}, schema ${db.schema_version}${pool}) ${db.path}`;
}

function render(st: StatusReport, mcp: McpSummary[] | undefined): string {
  const c = st.counts;
  const lines = [
    `caxton is running`,
    `  pid:      ${st.pid}`,
    `  url:      ${st.url}`,
    `  socket:   ${st.socket}`,
    `  home:     ${st.home}`,
    `  uptime:   ${uptime(st.uptime_ms)}`,
    `  version:  ${st.version} (node ${st.node})`,
    databaseLine(st.database),
    `  config:   ${c.agents} agents, ${c.models} models, ${c.tools} tools, ${c.workflows} workflows, ${c.mcps} MCP servers` +
      (st.config.errors || st.config.warnings ? ` (${st.config.errors} errors, ${st.config.warnings} warnings)` : ''),
    `  runs:     ${st.runs.in_flight} in flight of ${st.runs.max_concurrent} ([runtime] max_concurrent_runs), ${st.runs.queued} queued`,
  ];
  if (mcp?.length) lines.push(mcpLine(mcp));
  if (st.models.length) lines.push(`  providers:`, ...providerLines(st));
  lines.push(`  models:`);
  for (const m of st.models) lines.push(`    ${m.name.padEnd(10)} ${m.provider} (${m.provider_type}) ${m.model}  [${m.state}]`);
  for (const d of st.config.diagnostics.slice(0, 10)) {
    lines.push(`  ! ${d.file}:${d.line}:${d.col}: ${d.code} ${d.message}`);
  }
  const cfg = st.config;
  if (cfg.reloads || cfg.rejected) {
    const when = new Date(cfg.last_success_at).toISOString();
    lines.push(`  reload:   reloaded ${cfg.reloads} times, rejected ${cfg.rejected} (last success ${when}, took ${cfg.last_reload_ms} ms)`);
  }
  if (cfg.watch_error) lines.push(`  ! hot reload: ${cfg.watch_error}`);
  if (cfg.last_errors.length) {
    lines.push(`  last reload rejected (${new Date(cfg.last_attempt_at).toISOString()}), still serving the previous config:`);
    for (const d of cfg.last_errors.slice(0, 10)) lines.push(`  ! ${d.file}:${d.line}:${d.col}: ${d.code} ${d.message}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Print status; exit 3 when the daemon is not running. */
export async function run(_args: string[], opts: GlobalOptions): Promise<number> {
  const paths = homePaths(opts);
  try {
    const st = (await fetchStatus(paths)) as StatusReport & { mcp_servers?: McpSummary[] };
    if (opts.json) printJson(st);
    else process.stdout.write(render(st, st.mcp_servers));
    return EXIT.OK;
  } catch (err) {
    if (!(err instanceof NotRunningError)) throw err;
    if (opts.json) printJson({ running: false, home: paths.home, socket: paths.socket });
    else process.stdout.write(`caxton is not running (home ${paths.home})\n`);
    return EXIT.NOT_RUNNING;
  }
}
