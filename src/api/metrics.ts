/**
 * Prometheus metrics (`GET /metrics`, SPEC §6) with prom-client, on a registry per app (no globals, so
 * several apps in one process, as in tests, do not collide). Route labels use the matched pattern, not
 * the raw path, so label cardinality stays bounded.
 */
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { AppEnv } from './deps.js';

/** How a run ended: completed, failed (refusals included), or cancelled (client gone, shutdown). */
export type RunOutcome = 'success' | 'error' | 'cancelled';

/** The app's metrics. */
export interface ApiMetrics {
  registry: Registry;
  /** Count one finished agent run by source tier and outcome (`caxton_agent_runs_total`). */
  run(source: string, outcome: RunOutcome): void;
  /** Request counter + latency histogram middleware. */
  middleware: MiddlewareHandler<AppEnv>;
}

/** Create the registry with process metrics, HTTP request metrics and agent-run counts. */
export function createMetrics(): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'caxton_' });
  const requests = new Counter({
    name: 'caxton_http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'caxton_http_request_duration_seconds',
    help: 'HTTP request duration until the response headers (seconds)',
    labelNames: ['method', 'route'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5, 30],
    registers: [registry],
  });
  const runs = new Counter({
    name: 'caxton_agent_runs_total',
    help: 'Agent runs started over HTTP (chat, /v1, /mcp), counted when they end, by source tier and outcome (success, error, cancelled)',
    labelNames: ['source', 'outcome'],
    registers: [registry],
  });
  return {
    registry,
    run: (source, outcome) => runs.inc({ source, outcome }),
    middleware: async (c, next) => {
      const start = performance.now();
      await next();
      const route = routePath(c) || 'unmatched';
      requests.inc({ method: c.req.method, route, status: String(c.res.status) });
      latency.observe({ method: c.req.method, route }, (performance.now() - start) / 1000);
    },
  };
}
