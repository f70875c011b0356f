/** The API's dependency and environment types (kept apart from app.ts so routes can import them). */
import type { IncomingMessage } from 'node:http';
import type { CapabilityIndex } from '../catalog/capabilities.js';
import type { Catalog } from '../catalog/catalog.js';
import type { EntityFormat, EntityKind } from '../domain/entities.js';
import type { ErrorDetail } from '../domain/errors.js';
import type { Log } from '../domain/log.js';
import type { Scrubber } from '../domain/secrets.js';
import type { ConfigStatus, ProviderHealth, StatusReport } from '../domain/status.js';
import type { Approvals } from './approvals.js';
import type { ManagedRuntime } from '../runtime/run.js';
import type { Embedder } from '../runtime/semantic-memory.js';
import type { SemanticMemory } from '../domain/memory-items.js';
import type { BudgetStore, ChangeFeed, ConversationStore, StoreHealth, TenantStore } from '../store/types.js';
import type { Budgets } from '../runtime/budgets.js';
import type { McpServerStatus, PooledServerStatus } from '../domain/mcp-status.js';
import type { LiveEvents } from './live-events.js';
import type { ApiMetrics } from './metrics.js';

/** How a request reached the daemon: the control socket acts as the local admin (SPEC §5). */
export type Transport = 'socket' | 'tcp';

/**
 * Hono environment: bindings from the listener (`transport`, and the Node request `incoming` that
 * @hono/node-server passes, whose socket and headers give the client address), variables set by middleware:
 * who the request acts as (middleware/auth.ts), its id and its logger (middleware/request-log.ts).
 */
export interface AppEnv {
  Bindings: { transport?: Transport; incoming?: IncomingMessage };
  /** `apiKeyId`: the API key the request authenticated with (absent for tokens, the socket and anonymous requests). */
  Variables: { userId: string; isAdmin: boolean; requestId: string; log: Log; apiKeyId?: string };
}

/** Text formats an entity can be written in and read from over the API (SPEC §3, §6). */
export type { EntityFormat };

/**
 * Entity text codec (implemented by src/config/codec.ts; the API may not import config, so the daemon
 * passes it in). `writeEntity` produces canonical text that `parseEntity` reads back to the same value.
 */
export interface EntityCodec {
  writeEntity(kind: EntityKind, value: unknown, format: EntityFormat): string;
  /** Parse (+ normalize + validate) `text`; `value` is absent when any diagnostic is an error. */
  parseEntity(kind: EntityKind, text: string, format: EntityFormat, file?: string): { value?: unknown; diagnostics: ErrorDetail[] };
}

/** Authentication settings (SPEC §6, `[auth]` of ares.toml). Durations in seconds. */
export interface AuthSettings {
  /** When true, TCP requests without valid credentials get 401 (forced when bound off loopback). */
  required: boolean;
  /** HS256 key for access tokens (from ARES_JWT_SECRET or the generated `data/jwt-secret`). */
  jwtSecret: Uint8Array;
  /** Access token lifetime (default 900 s). */
  accessTtlSecs?: number;
  /** Refresh token lifetime (default 30 days). */
  refreshTtlSecs?: number;
}

/** Who may reach the daemon over TCP besides loopback callers (SPEC §6; enforced by src/api/boundary.ts). */
export interface BoundarySettings {
  /**
   * Extra `Host` values served (`[server] allowed_hosts` plus the bind address): a host name or
   * address, optionally with `:PORT` (without a port, any port matches). Loopback is always served.
   */
  allowedHosts: string[];
  /** Origins (`scheme://host[:port]`) that may send state-changing requests and get CORS headers (`[server] cors_origins`). */
  corsOrigins: string[];
}

/** Request rate limits (`[limits]` of ares.toml; src/api/middleware/rate-limit.ts). Quotas are requests per minute; 0 means no limit. */
export interface RateLimitSettings {
  /** Requests per minute per user, per API key and per client address (0: none). */
  requestsPerMinute: number;
  /** Requests per minute of the user with that email (lower case), instead of `requestsPerMinute`. */
  users?: Readonly<Record<string, number>>;
  /** Buckets remembered at most (default 100 000); beyond it full ones are dropped, else the oldest (it starts full again). */
  maxKeys?: number;
  /** Clock, ms since the epoch (default `Date.now`; injectable for tests). */
  now?: () => number;
}

/** Everything the API needs; the daemon constructs and passes these in. */
export interface AppDeps {
  catalog: Catalog;
  /** Capability routing (src/catalog/capabilities.ts): `/api/capabilities`. */
  capabilities: CapabilityIndex;
  /**
   * Semantic memory (docs/memory.md): memory items behind `/api/memory`, and embedders by name behind
   * `/v1/embeddings` (`get` throws NOT_FOUND / BAD_REQUEST for a name that is no embedder).
   */
  memory?: { items: SemanticMemory; embedders: { get(name: string): Embedder } };
  /** Runs agents; its `agents` controls back the lifecycle routes (src/api/routes/agent-lifecycle.ts). */
  runtime: ManagedRuntime;
  /** Paused runs awaiting approval of tool calls: decide, list (src/api/approvals.ts). */
  approvals: Approvals;
  /** Users, keys, user-tier entities and per-user history (SQLite). */
  tenants: TenantStore;
  /** Conversations for `/api/conversations` (ownership checked by `get`), shared ones included (STORY-032). */
  conversations: ConversationStore;
  /**
   * Budgets (src/runtime/budgets.ts) for `GET /api/usage` and the admin's `/api/users/:id/limits`:
   * the service (limits and what remains) and the store (overrides, usage reports). Absent: those routes answer 404.
   */
  budgets?: { service: Budgets; store: BudgetStore };
  auth: AuthSettings;
  codec: EntityCodec;
  /** Database health, for `/health` and `/health/ready`. */
  storeHealth: () => Promise<StoreHealth>;
  /**
   * The daemon's metrics (src/api/metrics.ts): the app adds its HTTP series and serves the registry
   * at `/metrics`; the runtime and the provider registry feed the rest.
   */
  metrics: ApiMetrics;
  /** State of every configured provider, for `/health/ready` (at least one must be usable). */
  providers: () => ProviderHealth[];
  /**
   * Changes shared with the other nodes of one database: revoked API keys are published here and
   * other nodes' revocations leave the API-key cache (src/api/auth.ts). Absent: a single node.
   */
  changes?: ChangeFeed;
  /** Full daemon status, for `/api/status` and `caxton server status`. */
  status: () => Promise<StatusReport>;
  /** Config snapshot being served and hot-reload history, for `/api/config/status`. */
  configStatus: () => ConfigStatus;
  version: string;
  startedAt: number;
  /** Request body limit in bytes (`[limits] max_body_bytes`); larger bodies get 413. */
  maxBodyBytes: number;
  /**
   * The daemon's logger. Each request logs through a child carrying its `request_id`
   * (middleware/request-log.ts); unexpected errors and security events (failed logins) are reported there.
   */
  log: Log;
  /**
   * Removes the values of configured secrets (src/domain/secrets.ts) from what the API sends: every
   * error response, the report routes (src/api/scrub.ts) and error events of streams. The daemon
   * passes its one SecretScrubber, which learns new values as they are configured.
   */
  secrets: Scrubber;
  /**
   * The browser boundary (SPEC §6, src/api/boundary.ts): extra `Host` values served and the origins
   * allowed to change things and get CORS headers. Absent: loopback hosts only, no other origin.
   */
  boundary?: BoundarySettings;
  /**
   * `[server] trusted_proxies`: peers whose `X-Forwarded-For` names the client for per-address limits
   * and logs (src/api/client-address.ts). Absent or empty: the TCP peer is the client.
   */
  trustedProxies?: string[];
  /**
   * Request rate limits per client address, user and API key (`[limits] requests_per_minute`,
   * src/api/middleware/rate-limit.ts), counted per node. Absent: no rate limit.
   */
  rateLimits?: RateLimitSettings;
  /**
   * The live-event hub (src/api/live-events.ts) behind `GET /api/events`: the app publishes agent
   * state changes and started runs to it, the daemon the rest. Absent: the stream sends only pings.
   */
  live?: LiveEvents;
  /**
   * Absolute path of the built dashboard (`dist/web`: index.html and hashed assets), served at `/` over
   * TCP (src/api/dashboard.ts). Absent: no dashboard.
   */
  dashboardRoot?: string;
  /** State of every MCP server the daemon uses, for `GET /api/mcp/servers`; none when absent. */
  mcpServers?: () => McpServerStatus[];
  /**
   * State of every live user-tier MCP connection (the per-row pool), with row id and owner, for
   * `GET /api/mcp/servers`; the route filters it per caller. None when absent.
   */
  userMcpServers?: () => PooledServerStatus[];
  /**
   * SSRF guard for non-admin users' HTTP MCP servers (`[mcp] allow_private_urls = false`): why `url`
   * may not be used (a private, loopback or link-local address, now or by DNS), or undefined when it
   * may. Absent: any URL is accepted at creation (the daemon passes it unless private URLs are allowed).
   */
  checkMcpUrl?: (url: string) => Promise<string | undefined>;
}
