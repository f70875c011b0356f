/**
 * `GET|HEAD /health` (SPEC §6, STORY-009), `GET /metrics` (Prometheus text), `GET /api/status`
 * (SPEC §5 `server status`) and `GET /api/config/status` (hot-reload issue).
 * `/health` is cheap (no I/O beyond a pragma) so probes can hit it often.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppDeps, AppEnv } from '../deps.js';
import type { ApiMetrics } from '../metrics.js';
import { op, type Registry } from '../openapi.js';

/** One MCP server as `GET /api/status` sums it up (src/tools/mcp/types.ts McpServerStatus has the rest). */
const McpSummary = z.object({ name: z.string(), state: z.string(), transport: z.string(), tools: z.number(), last_error: z.string().nullable() });

const Health = z.object({
  status: z.enum(['ok', 'degraded']),
  version: z.string(),
  uptime_ms: z.number(),
  database: z.object({ ok: z.boolean(), journal_mode: z.string(), schema_version: z.number(), error: z.string().optional() }),
});

/** Health, metrics and status routes. */
export function healthRoutes(deps: AppDeps, registry: Registry, metrics: ApiMetrics): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  const tags = ['health'];

  /**
   * GET|HEAD /health -> 200 `{status: "ok", version, uptime_ms, database: {ok, journal_mode, schema_version}}`,
   * or 503 with `status: "degraded"` when the database is not usable.
   */
  op(r, registry, { method: 'get', path: '/health', summary: 'Liveness and database health', tags, public: true, responses: { 200: { description: 'healthy', schema: Health }, 503: { description: 'degraded', schema: Health } } }, (c) => {
    const db = deps.storeHealth();
    const body = {
      status: db.ok ? 'ok' : 'degraded',
      version: deps.version,
      uptime_ms: Date.now() - deps.startedAt,
      database: { ok: db.ok, journal_mode: db.journal_mode, schema_version: db.schema_version, ...(db.error ? { error: db.error } : {}) },
    };
    return c.json(body, db.ok ? 200 : 503);
  });

  /** GET /metrics -> Prometheus text exposition (HTTP requests by route and status, agent runs, process). */
  op(r, registry, { method: 'get', path: '/metrics', summary: 'Prometheus metrics', tags, public: true, responses: { 200: { description: 'Prometheus text format', contentType: 'text/plain' } } }, async (c) => {
    const text = await metrics.registry.metrics();
    return c.body(text, 200, { 'content-type': metrics.registry.contentType });
  });

  /**
   * GET /api/status -> StatusReport (see src/domain/status.ts) plus `mcp_servers`: name, state,
   * transport, tools and last error of each MCP server (the fields of GET /api/mcp/servers that
   * `server status` shows), so the CLI needs one request, not two.
   */
  op(r, registry, { method: 'get', path: '/api/status', summary: 'Daemon status (what `caxton server status` prints)', tags, responses: { 200: { description: 'StatusReport', schema: z.object({ running: z.literal(true), mcp_servers: z.array(McpSummary) }).loose() } } }, (c) =>
    c.json({
      ...deps.status(),
      mcp_servers: (deps.mcpServers?.() ?? []).map((m) => ({ name: m.name, state: m.state, transport: m.transport, tools: m.tools, last_error: m.last_error })),
    }),
  );

  /** GET /api/config/status -> ConfigStatus: the snapshot being served plus reload history and the last rejected attempt's errors. */
  op(r, registry, { method: 'get', path: '/api/config/status', summary: 'Config snapshot and hot-reload history', tags, responses: { 200: { description: 'ConfigStatus', schema: z.object({ loaded_at: z.number() }).loose() } } }, (c) => c.json(deps.configStatus()));
  return r;
}
