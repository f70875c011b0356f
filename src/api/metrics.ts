/**
 * Prometheus metrics (`GET /metrics`, SPEC §6; STORY-022) with prom-client, on a registry per daemon
 * (no globals, so several daemons in one process, as in tests, do not collide). Every metric, its
 * labels and their cardinality are documented in docs/monitoring/README.md. Label values are bounded:
 * HTTP routes are matched patterns, not raw paths; finish reasons outside the documented set become
 * `other`; tool names the agent was not offered arrive as `(unknown)` (src/runtime/run-record.ts);
 * user ids, conversation ids and user-tier MCP server names are never labels.
 *
 * Two parts: `createMetrics` (counters and histograms fed by the HTTP middleware, the runtime's
 * observer and provider retries) and `watchGauges` (gauges read at scrape time from the live parts:
 * runs in flight and queued, MCP servers and their children's memory, database size, what remains of
 * agents' budgets).
 */
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { McpServerStatus } from '../domain/mcp-status.js';
import type { DatabaseSize } from '../domain/status.js';
import type { PoolStatus } from '../runtime/agent-controls.js';
import type { BudgetState } from '../runtime/budgets.js';
import type { AgentStatus } from '../runtime/lifecycle.js';
import type { RunObserver } from '../runtime/run.js';

/** Finish reasons kept as label values (SPEC §7's closed set and the model's own); any other is `other`. */
const FINISH_REASONS = new Set([
  'stop',
  'length',
  'content_filter',
  'tool_calls',
  'max_iterations',
  'budget_exceeded',
  'rate_limited',
  'loop_detected',
  'timeout',
  'cancelled',
  'error',
  'awaiting_approval',
]);

/** prom-client default gauges whose names end in `_total`. */
const DUPLICATE_TOTALS = ['caxton_nodejs_active_handles_total', 'caxton_nodejs_active_requests_total', 'caxton_nodejs_active_resources_total'];

/** The daemon's metrics: the registry `/metrics` serializes and what feeds it. */
export interface ApiMetrics {
  registry: Registry;
  /** Request counter + latency histogram middleware (reads only the method, route pattern and status, so any env). */
  middleware: MiddlewareHandler;
  /** What the runtime reports runs, tool calls and provider requests to (`RuntimeDeps.observer`). */
  observer: RunObserver;
  /** Count one provider retry (the provider registry's `onRetry`): `model` is the model id sent to the provider. */
  providerRetry(retry: { provider: string; model: string }): void;
}

/** Create the registry with process metrics, HTTP request metrics, and the run, tool and provider series. */
export function createMetrics(): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'caxton_' });
  // Gauges named `_total` break Prometheus naming (promtool rejects them); each is the sum of its
  // per-type gauge (`caxton_nodejs_active_handles{type}`...), which stays.
  for (const name of DUPLICATE_TOTALS) registry.removeSingleMetric(name);
  const registers = [registry];
  const requests = new Counter({
    name: 'caxton_http_requests_total',
    help: 'HTTP requests by method, route pattern and status',
    labelNames: ['method', 'route', 'status'],
    registers,
  });
  const latency = new Histogram({
    name: 'caxton_http_request_duration_seconds',
    help: 'HTTP request duration until the response headers, by method and route pattern (seconds)',
    labelNames: ['method', 'route'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5, 30],
    registers,
  });
  return {
    registry,
    middleware: async (c, next) => {
      const start = performance.now();
      await next();
      const route = routePath(c) || 'unmatched';
      requests.inc({ method: c.req.method, route, status: String(c.res.status) });
      latency.observe({ method: c.req.method, route }, (performance.now() - start) / 1000);
    },
    ...runSeries(registers),
  };
}

/** The run, tool-call and provider series, and the observer and retry hook that feed them. */
function runSeries(registers: Registry[]): Pick<ApiMetrics, 'observer' | 'providerRetry'> {
  const runs = new Counter({
    name: 'caxton_agent_runs_total',
    help: 'Agent runs that ended, by agent, source tier, status (success, error, timeout, cancelled, awaiting_approval: a paused run, counted again when resumed) and finish_reason',
    labelNames: ['agent', 'source', 'status', 'finish_reason'],
    registers,
  });
  const refused = new Counter({
    name: 'caxton_agent_runs_refused_total',
    help: "Runs refused before any work because the agent's queue, the total queue or the global queue was full (503), by agent and source tier",
    labelNames: ['agent', 'source'],
    registers,
  });
  const runSeconds = new Histogram({
    name: 'caxton_agent_run_duration_seconds',
    help: 'Duration of agent runs from admission to their last write, by agent, source tier and status (seconds)',
    labelNames: ['agent', 'source', 'status'],
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers,
  });
  const tokens = new Counter({
    name: 'caxton_agent_tokens_total',
    help: 'Tokens used by agent runs as the provider counted them, by agent, model alias and direction (input, output)',
    labelNames: ['agent', 'model', 'direction'],
    registers,
  });
  const cost = new Counter({
    name: 'caxton_agent_cost_usd_total',
    help: "Cost of agent runs in USD at the model's prices (0 for unpriced models), by agent and model alias",
    labelNames: ['agent', 'model'],
    registers,
  });
  const toolCalls = new Counter({
    name: 'caxton_tool_calls_total',
    help: 'Tool calls made by agent runs, by agent, tool and status (ok, error, timeout); counted when the run ends',
    labelNames: ['agent', 'tool', 'status'],
    registers,
  });
  const toolSeconds = new Histogram({
    name: 'caxton_tool_call_duration_seconds',
    help: 'Duration of tool calls, by agent and tool (seconds)',
    labelNames: ['agent', 'tool'],
    buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const providerSeconds = new Histogram({
    name: 'caxton_provider_request_duration_seconds',
    help: 'Duration of provider requests (a whole streamed response, retries included), by provider, model id and outcome (ok, error, cancelled) (seconds)',
    labelNames: ['provider', 'model', 'outcome'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers,
  });
  const budgetRefusals = new Counter({
    name: 'caxton_budget_refusals_total',
    help: 'Model calls a budget refused before they were made (the run refused with 429, or ended as budget_exceeded), by agent, scope (user, api_key, agent) and limit (usd_per_day, usd_per_month, tokens_per_day, tokens_per_month)',
    labelNames: ['agent', 'scope', 'limit'],
    registers,
  });
  const retries = new Counter({
    name: 'caxton_provider_retries_total',
    help: 'Provider requests retried after a 429, 408, 409, 5xx or connection failure, by provider and model id',
    labelNames: ['provider', 'model'],
    registers,
  });
  return {
    observer: {
      runEnded(row, tools) {
        const agent = row.agent_name;
        const status = row.status;
        const reason = row.finish_reason && FINISH_REASONS.has(row.finish_reason) ? row.finish_reason : 'other';
        runs.inc({ agent, source: row.agent_source, status, finish_reason: reason });
        runSeconds.observe({ agent, source: row.agent_source, status }, row.duration_ms / 1000);
        const model = row.model ?? 'unknown';
        if (row.tokens_input) tokens.inc({ agent, model, direction: 'input' }, row.tokens_input);
        if (row.tokens_output) tokens.inc({ agent, model, direction: 'output' }, row.tokens_output);
        if (row.cost_usd) cost.inc({ agent, model }, row.cost_usd);
        for (const t of tools) {
          toolCalls.inc({ agent, tool: t.tool, status: t.status });
          toolSeconds.observe({ agent, tool: t.tool }, t.duration_ms / 1000);
        }
      },
      runRefused: (agent, source) => refused.inc({ agent, source }),
      budgetRefused: (agent, r) => budgetRefusals.inc({ agent, scope: r.scope, limit: r.limit_key }),
      providerRequest: (r) => providerSeconds.observe({ provider: r.provider, model: r.model, outcome: r.outcome }, r.duration_ms / 1000),
    },
    providerRetry: (r) => retries.inc({ provider: r.provider, model: r.model }),
  };
}

/** The live parts the gauges read at scrape time. */
export interface GaugeSources {
  /** Every agent the runtime has seen, by agent key (src/runtime/agent-controls.ts `list`). */
  agents: () => AgentStatus[];
  /** The global pool of runs (`[runtime] max_concurrent_runs`; src/runtime/agent-controls.ts `pool`). */
  pool: () => PoolStatus;
  /** System-tier MCP servers. */
  mcpServers: () => McpServerStatus[];
  /** User-tier MCP connections (their names and owners are never labels). */
  userMcpServers: () => McpServerStatus[];
  /** Database size; read at most once per `DATABASE_SIZE_TTL_MS`. */
  databaseSize: () => Promise<DatabaseSize>;
  /** The budgets of the system-tier agents that set `budget`, by agent name; read at most once per `DATABASE_SIZE_TTL_MS`. */
  agentBudgets?: () => Promise<{ agent: string; states: BudgetState[] }[]>;
}

/** How long a database size reading is reused (ms): PostgreSQL's `pg_database_size` walks the database's files. */
const DATABASE_SIZE_TTL_MS = 5_000;

/** The agent name of a runtime agent key: `NAME (ROW_ID)` for a user agent (src/catalog/catalog.ts `agentKey`), else the name. */
const agentOfKey = (key: string): string => (key.endsWith(')') && key.includes(' (') ? key.slice(0, key.lastIndexOf(' (')) : key);

/** Register the scrape-time gauges of `sources` on `metrics.registry`. */
export function watchGauges(metrics: Pick<ApiMetrics, 'registry'>, sources: GaugeSources): void {
  const registers = [metrics.registry];
  new Gauge({
    name: 'caxton_agent_runs_in_flight',
    help: "Runs holding one of their agent's concurrency slots now, by agent",
    labelNames: ['agent'],
    registers,
    collect() {
      this.reset();
      for (const s of sources.agents()) if (s.active) this.inc({ agent: agentOfKey(s.name) }, s.active);
    },
  });
  new Gauge({
    name: 'caxton_agent_runs_queued',
    help: "Runs waiting for one of their agent's concurrency slots now, by agent",
    labelNames: ['agent'],
    registers,
    collect() {
      this.reset();
      for (const s of sources.agents()) if (s.queued) this.inc({ agent: agentOfKey(s.name) }, s.queued);
    },
  });
  poolGauges(registers, sources.pool);
  mcpGauges(registers, sources);
  databaseGauges(registers, sources.databaseSize);
  if (sources.agentBudgets) agentBudgetGauges(registers, sources.agentBudgets);
}

/** What remains of each system-tier agent's budget (USD and tokens, by period), read at most every DATABASE_SIZE_TTL_MS. */
function agentBudgetGauges(registers: Registry[], read: NonNullable<GaugeSources['agentBudgets']>): void {
  const states = cachedRead(read);
  const gauge = (unit: 'usd' | 'tokens') =>
    new Gauge({
      name: `caxton_agent_budget_remaining_${unit}`,
      help: `What remains of a system-tier agent's ${unit === 'usd' ? 'USD' : 'token'} budget (the agent field budget) this UTC day or month, by agent and period`,
      labelNames: ['agent', 'period'],
      registers,
      async collect() {
        this.reset();
        for (const { agent, states: all } of (await states()) ?? [])
          for (const s of all) if (s.limit_key.startsWith(unit)) this.set({ agent, period: s.period }, s.remaining);
      },
    });
  gauge('usd');
  gauge('tokens');
}

/** `read`, called at most once per DATABASE_SIZE_TTL_MS (the same promise is reused meanwhile); a failed read gives undefined. */
function cachedRead<T>(read: () => Promise<T>): () => Promise<T | undefined> {
  let cached: { at: number; value: Promise<T | undefined> } | undefined;
  return () => {
    if (!cached || Date.now() - cached.at > DATABASE_SIZE_TTL_MS) cached = { at: Date.now(), value: read().catch(() => undefined) };
    return cached.value;
  };
}

/** The global pool: runs holding a pool slot, runs in the global queue, and the pool's size. */
function poolGauges(registers: Registry[], pool: () => PoolStatus): void {
  const gauges: [string, string, keyof PoolStatus][] = [
    ['caxton_runs_in_flight', 'Runs of all agents holding a slot of the global pool now', 'active'],
    ['caxton_runs_queued', 'Runs waiting in the global queue for a slot of the global pool now ([runtime] max_concurrent_runs reached)', 'queued'],
    ['caxton_runs_max_concurrent', 'Size of the global pool of runs ([runtime] max_concurrent_runs)', 'max'],
  ];
  for (const [name, help, field] of gauges) {
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(pool()[field]);
      },
    });
  }
}

/** MCP server states (system servers by name, user-tier ones counted) and their stdio children's resident memory. */
function mcpGauges(registers: Registry[], sources: GaugeSources): void {
  new Gauge({
    name: 'caxton_mcp_server_state',
    help: 'System MCP servers: 1 for the state each is in now (connecting, ready, failed, idle, disabled), by server and state',
    labelNames: ['server', 'state'],
    registers,
    collect() {
      this.reset();
      for (const s of sources.mcpServers()) this.set({ server: s.name, state: s.state }, 1);
    },
  });
  new Gauge({
    name: 'caxton_mcp_server_resident_memory_bytes',
    help: 'Resident memory of each running stdio system MCP server child (VmRSS, Linux), by server (bytes)',
    labelNames: ['server'],
    registers,
    collect() {
      this.reset();
      for (const s of sources.mcpServers()) {
        if (s.rss_bytes !== undefined) this.set({ server: s.name }, s.rss_bytes);
      }
    },
  });
  new Counter({
    name: 'caxton_mcp_server_cpu_seconds_total',
    help: 'CPU time (user + system, Linux) used by each running stdio system MCP server child since it started, by server (seconds; restarts from 0 with the child)',
    labelNames: ['server'],
    registers,
    collect() {
      this.reset();
      for (const s of sources.mcpServers()) if (s.cpu_seconds !== undefined) this.inc({ server: s.name }, s.cpu_seconds);
    },
  });
  new Gauge({
    name: 'caxton_mcp_user_servers',
    help: 'User-tier MCP connections by state (connecting, ready, failed)',
    labelNames: ['state'],
    registers,
    collect() {
      this.reset();
      for (const s of sources.userMcpServers()) this.inc({ state: s.state });
    },
  });
  new Gauge({
    name: 'caxton_mcp_user_servers_resident_memory_bytes',
    help: 'Resident memory of all running stdio user-tier MCP server children together (VmRSS, Linux; bytes)',
    registers,
    collect() {
      let total = 0;
      for (const s of sources.userMcpServers()) total += s.rss_bytes ?? 0;
      this.set(total);
    },
  });
}

/** Database and WAL size, read at most every DATABASE_SIZE_TTL_MS so `/metrics` stays fast; a failed read leaves them out. */
function databaseGauges(registers: Registry[], read: () => Promise<DatabaseSize>): void {
  const size = cachedRead(read);
  new Gauge({
    name: 'caxton_database_size_bytes',
    help: 'Size of the database: the SQLite file, or pg_database_size of the PostgreSQL database (bytes), by backend',
    labelNames: ['backend'],
    registers,
    async collect() {
      this.reset();
      const s = await size();
      if (s) this.set({ backend: s.backend }, s.database_bytes);
    },
  });
  new Gauge({
    name: 'caxton_database_wal_size_bytes',
    help: "Size of the SQLite write-ahead log (the -wal file; bytes); absent for PostgreSQL, whose WAL is the server's",
    registers,
    async collect() {
      this.reset();
      const s = await size();
      if (s?.wal_bytes !== undefined) this.set(s.wal_bytes);
    },
  });
}
