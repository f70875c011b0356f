/**
 * `GET|HEAD /health` (SPEC §6, STORY-009), the probes `/health/live` and `/health/ready` (STORY-027,
 * for Kubernetes and load balancers), `GET /metrics` (Prometheus text, STORY-022), `GET /api/status`
 * (SPEC §5 `server status`) and `GET /api/config/status` (hot-reload status).
 * The health routes are cheap (no I/O beyond a pragma or `SELECT 1`) so probes can hit them often.
 * The two status routes give full details to the admin only (the control socket, or an admin account);
 * anyone else gets a summary without paths, pid, socket, provider reasons or error text, which may
 * name files, hosts or upstream messages.
 */
import { z } from 'zod';
import type { ConfigStatus, ProviderHealth, StatusReport } from '../../domain/status.js';
import type { AppDeps } from '../deps.js';
import { Routes } from '../openapi.js';

/** One MCP server as `GET /api/status` sums it up (src/domain/mcp-status.ts McpServerStatus has the rest). */
const McpSummary = z.object({ name: z.string(), state: z.string(), transport: z.string(), tools: z.number(), last_error: z.string().nullable() });

/** PostgreSQL's connection pool (src/domain/status.ts DatabaseHealth `pool`): open, idle, and queries waiting for one. */
const Pool = z.object({ total: z.number(), idle: z.number(), waiting: z.number() }).describe('PostgreSQL only');

const Health = z.object({
  status: z.enum(['ok', 'degraded']),
  version: z.string(),
  uptime_ms: z.number(),
  database: z.object({
    ok: z.boolean(),
    backend: z.enum(['sqlite', 'postgres']),
    journal_mode: z.string().optional().describe('SQLite only'),
    schema_version: z.number(),
    pool: Pool.optional(),
    error: z.string().optional(),
  }),
});

const Live = z.object({ status: z.literal('ok'), uptime_ms: z.number() });

/** One readiness check: what it looked at, whether it passed, and in words what it found. */
const ReadyCheck = z.object({
  name: z.enum(['database', 'config', 'providers']),
  ok: z.boolean(),
  message: z.string(),
});
const Ready = z.object({ status: z.enum(['ready', 'not_ready']), checks: z.array(ReadyCheck) });

/**
 * The providers check: usable when some provider of a real type (not `offline`) is `ready`. The
 * message names providers and their states, never their reasons (which may name private hosts).
 */
function providersCheck(states: ProviderHealth[]): z.infer<typeof ReadyCheck> {
  const usable = states.filter((p) => p.type !== 'offline' && p.state === 'ready').map((p) => p.name);
  const all = states.map((p) => `${p.name}: ${p.type === 'offline' ? 'offline by configuration' : p.state}`).join(', ') || 'none configured';
  return usable.length
    ? { name: 'providers', ok: true, message: `usable: ${usable.join(', ')}` }
    : { name: 'providers', ok: false, message: `no provider can serve requests (${all}); see \`caxton server status\`` };
}

/** The readiness checks of STORY-027: database reachable, config loaded, at least one provider usable. */
async function readiness(deps: AppDeps): Promise<z.infer<typeof Ready>> {
  const db = await deps.storeHealth();
  const config = deps.configStatus();
  const checks: z.infer<typeof ReadyCheck>[] = [
    { name: 'database', ok: db.ok, message: db.ok ? `${db.backend} reachable` : `${db.backend}: ${db.error ?? 'not usable'}` },
    {
      name: 'config',
      ok: config.loaded_at > 0,
      message: config.loaded_at > 0 ? `loaded (${config.errors} errors, ${config.warnings} warnings)` : 'not loaded yet',
    },
    providersCheck(deps.providers()),
  ];
  return { status: checks.every((c) => c.ok) ? 'ready' : 'not_ready', checks };
}

/** `GET /api/config/status` for callers other than the admin: counts and times, no diagnostics text. */
const ConfigSummary = z.object({
  detail: z.literal('summary'),
  loaded_at: z.number(),
  errors: z.number(),
  warnings: z.number(),
  last_success_at: z.number(),
  last_attempt_at: z.number(),
  reloads: z.number(),
  rejected: z.number(),
  last_error_count: z.number().describe('errors of the last rejected reload'),
  last_reload_ms: z.number(),
});

/** `GET /api/status` for callers other than the admin: what runs and how much, nothing that locates or explains. */
const StatusSummary = z.object({
  detail: z.literal('summary'),
  running: z.literal(true),
  version: z.string(),
  started_at: z.number(),
  uptime_ms: z.number(),
  agents: z.number(),
  counts: z.record(z.string(), z.number()),
  models: z.array(z.object({ name: z.string(), provider: z.string(), provider_type: z.string(), model: z.string(), state: z.string() })),
  database: z.object({
    ok: z.boolean(),
    backend: z.enum(['sqlite', 'postgres']),
    journal_mode: z.string().optional(),
    schema_version: z.number(),
    pool: Pool.optional(),
  }),
  config: z.object({ errors: z.number(), warnings: z.number(), reloads: z.number(), rejected: z.number() }),
  runs: z.object({ in_flight: z.number(), queued: z.number(), max_concurrent: z.number() }).describe('the global pool ([runtime] max_concurrent_runs)'),
  mcp_servers: z.array(z.object({ name: z.string(), state: z.string(), transport: z.string(), tools: z.number() })),
});

/** The summary of a config status (see ConfigSummary). */
function configSummary(s: ConfigStatus): z.infer<typeof ConfigSummary> {
  const { loaded_at, errors, warnings, last_success_at, last_attempt_at, reloads, rejected, last_reload_ms } = s;
  return {
    detail: 'summary',
    loaded_at,
    errors,
    warnings,
    last_success_at,
    last_attempt_at,
    reloads,
    rejected,
    last_error_count: s.last_errors.length,
    last_reload_ms,
  };
}

/** The summary of a status report (see StatusSummary); `mcp` is the full `mcp_servers` list. */
function statusSummary(s: StatusReport, mcp: { name: string; state: string; transport: string; tools: number }[]): z.infer<typeof StatusSummary> {
  return {
    detail: 'summary',
    running: true,
    version: s.version,
    started_at: s.started_at,
    uptime_ms: s.uptime_ms,
    agents: s.agents,
    counts: s.counts,
    models: s.models.map(({ name, provider, provider_type, model, state }) => ({ name, provider, provider_type, model, state })),
    database: {
      ok: s.database.ok,
      backend: s.database.backend,
      journal_mode: s.database.journal_mode,
      schema_version: s.database.schema_version,
      ...(s.database.pool ? { pool: s.database.pool } : {}),
    },
    config: { errors: s.config.errors, warnings: s.config.warnings, reloads: s.config.reloads, rejected: s.config.rejected },
    runs: s.runs,
    mcp_servers: mcp.map(({ name, state, transport, tools }) => ({ name, state, transport, tools })),
  };
}

/** Health, metrics and status routes. */
export function healthRoutes(deps: AppDeps): Routes {
  const r = new Routes('/');
  probeRoutes(r, deps);
  reportRoutes(r, deps);
  return r;
}

/** The probes a load balancer or orchestrator polls: `/health`, `/health/live`, `/health/ready`. */
function probeRoutes(r: Routes, deps: AppDeps): void {
  const tags = ['health'];

  /**
   * GET|HEAD /health -> 200 `{status: "ok", version, uptime_ms, database: {ok, backend, journal_mode (SQLite),
   * schema_version, pool (PostgreSQL)}}`, or 503 with `status: "degraded"` and `database.error` when the
   * database is not usable (e.g. the PostgreSQL server is unreachable).
   */
  r.op(
    {
      method: 'get',
      path: '/health',
      head: true,
      summary: 'Liveness and database health',
      tags,
      public: true,
      responses: { 200: { description: 'healthy', schema: Health }, 503: { description: 'degraded', schema: Health } },
    },
    async (c) => {
      const db = await deps.storeHealth();
      const body = {
        status: db.ok ? 'ok' : 'degraded',
        version: deps.version,
        uptime_ms: Date.now() - deps.startedAt,
        database: {
          ok: db.ok,
          backend: db.backend,
          ...(db.journal_mode ? { journal_mode: db.journal_mode } : {}),
          schema_version: db.schema_version,
          ...(db.pool ? { pool: db.pool } : {}),
          ...(db.error ? { error: db.error } : {}),
        },
      };
      return c.json(body, db.ok ? 200 : 503);
    },
  );

  /** GET|HEAD /health/live -> 200 `{status: "ok", uptime_ms}` while the process serves requests (no I/O). */
  r.op(
    {
      method: 'get',
      path: '/health/live',
      head: true,
      summary: 'Liveness probe: the process is up and serving (no I/O); restart it when this fails',
      tags,
      public: true,
      responses: { 200: { description: 'alive', schema: Live } },
    },
    (c) => c.json({ status: 'ok' as const, uptime_ms: Date.now() - deps.startedAt }),
  );

  /**
   * GET|HEAD /health/ready -> 200 `{status: "ready", checks}` when the database is reachable, the
   * config is loaded and at least one provider is usable; else 503 `{status: "not_ready", checks}`
   * with every check's `ok` and `message`, so a load balancer stops sending requests meanwhile.
   */
  r.op(
    {
      method: 'get',
      path: '/health/ready',
      head: true,
      summary: 'Readiness probe: database reachable, config loaded, at least one provider usable; 503 names the failing checks',
      tags,
      public: true,
      responses: { 200: { description: 'ready', schema: Ready }, 503: { description: 'not ready: see the checks whose ok is false', schema: Ready } },
    },
    async (c) => {
      const body = await readiness(deps);
      return c.json(body, body.status === 'ready' ? 200 : 503);
    },
  );
}

/** What operators read: `/metrics`, `/api/status` and `/api/config/status`. */
function reportRoutes(r: Routes, deps: AppDeps): void {
  const { metrics } = deps;
  const tags = ['health'];

  /**
   * GET /metrics -> Prometheus text exposition: HTTP requests, agent runs, tokens, cost, tool calls,
   * provider requests, queues, MCP servers, database size and process metrics (docs/monitoring/README.md).
   */
  r.op(
    {
      method: 'get',
      path: '/metrics',
      summary: 'Prometheus metrics',
      tags,
      public: true,
      responses: { 200: { description: 'Prometheus text format', contentType: 'text/plain' } },
    },
    async (c) => {
      const text = await metrics.registry.metrics();
      return c.body(text, 200, { 'content-type': metrics.registry.contentType });
    },
  );

  /**
   * GET /api/status -> for the admin, StatusReport (see src/domain/status.ts) plus `mcp_servers`: name,
   * state, transport, tools and last error of each MCP server (the fields of GET /api/mcp/servers that
   * `server status` shows), so the CLI needs one request, not two. For anyone else, StatusSummary.
   */
  r.op(
    {
      method: 'get',
      path: '/api/status',
      summary: 'Daemon status (what `caxton server status` prints); full details for the admin only',
      tags,
      responses: {
        200: {
          description: 'StatusReport for the admin, else a summary',
          schema: z.union([z.object({ running: z.literal(true), pid: z.number(), mcp_servers: z.array(McpSummary) }).loose(), StatusSummary]),
        },
      },
    },
    async (c) => {
      const mcp = (deps.mcpServers?.() ?? []).map((m) => ({ name: m.name, state: m.state, transport: m.transport, tools: m.tools, last_error: m.last_error }));
      const report = await deps.status();
      return c.json(c.get('isAdmin') ? { ...report, mcp_servers: mcp } : statusSummary(report, mcp));
    },
  );

  /** GET /api/config/status -> for the admin, ConfigStatus: the snapshot being served plus reload history and the last rejected attempt's errors; else ConfigSummary. */
  r.op(
    {
      method: 'get',
      path: '/api/config/status',
      summary: 'Config snapshot and hot-reload history; diagnostics for the admin only',
      tags,
      responses: {
        200: {
          description: 'ConfigStatus for the admin, else a summary',
          schema: z.union([z.object({ loaded_at: z.number(), diagnostics: z.array(z.object({}).loose()) }).loose(), ConfigSummary]),
        },
      },
    },
    (c) => c.json(c.get('isAdmin') ? deps.configStatus() : configSummary(deps.configStatus())),
  );
}
