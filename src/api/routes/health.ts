/**
 * `GET|HEAD /health` (SPEC §6, STORY-009), `GET /api/status` (SPEC §5 `server status`) and
 * `GET /api/config/status` (hot-reload issue).
 * `/health` is cheap (no I/O beyond a pragma) so probes can hit it often.
 */
import { Hono } from 'hono';
import type { AppDeps, AppEnv } from '../deps.js';

/** Health and status routes. */
export function healthRoutes(deps: AppDeps): Hono<AppEnv> {
  const r = new Hono<AppEnv>();

  /**
   * GET|HEAD /health -> 200 `{status: "ok", version, uptime_ms, database: {ok, journal_mode, schema_version}}`,
   * or 503 with `status: "degraded"` when the database is not usable.
   */
  r.get('/health', (c) => {
    const db = deps.storeHealth();
    const body = {
      status: db.ok ? 'ok' : 'degraded',
      version: deps.version,
      uptime_ms: Date.now() - deps.startedAt,
      database: { ok: db.ok, journal_mode: db.journal_mode, schema_version: db.schema_version, ...(db.error ? { error: db.error } : {}) },
    };
    return c.json(body, db.ok ? 200 : 503);
  });

  /** GET /api/status -> StatusReport (see src/domain/status.ts). */
  r.get('/api/status', (c) => c.json(deps.status()));

  /** GET /api/config/status -> ConfigStatus: the snapshot being served plus reload history and the last rejected attempt's errors. */
  r.get('/api/config/status', (c) => c.json(deps.configStatus()));
  return r;
}
