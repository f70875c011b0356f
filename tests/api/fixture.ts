/**
 * An in-process app over the daemon's own wiring (ARCHITECTURE "tests call app.request() in-process"):
 * `buildServices` (src/daemon/services.ts) over a temp home with a SQLite file (or a PostgreSQL URL), the shipped config/
 * (or `configDir`), the real codec, and the `openai` provider (the one the shipped models name) either
 * of type `offline` (the first-run demo's canned replies), pointed at a fake OpenAI server, or of type
 * `openai` without a key (every run fails with PROVIDER_UNAVAILABLE). The options below map to ares.toml keys or to `ServiceOverrides`.
 */
import { resolve } from 'node:path';
import pino from 'pino';
import { createApp, type AppDeps } from '../../src/api/app.js';
import { AresConfigSchema } from '../../src/config/ares-toml.js';
import type { ConfigSnapshot } from '../../src/config/snapshot.js';
import { buildServices, type Services } from '../../src/daemon/services.js';
import type { SecretScrubber } from '../../src/domain/secrets.js';
import { pathsFor } from '../../src/ipc/paths.js';
import type { RuntimeLimits } from '../../src/runtime/run.js';
import type { Store } from '../../src/store/types.js';
import { tempDir } from '../helpers/tmp.js';

/** The HS256 secret of test apps (tests sign their own expired/tampered tokens with it). */
export const TEST_SECRET = new TextEncoder().encode('test-secret-0123456789-abcdefghijklmnop');

export interface TestApp {
  app: ReturnType<typeof createApp>;
  store: Store;
  /** The runtime the app runs agents on (for its lifecycle table). */
  runtime: AppDeps['runtime'];
  snapshot: ConfigSnapshot;
  /** What the app logged at error level, each entry as pino writes it. */
  errors: Record<string, unknown>[];
  /** What the app logged at warn level (e.g. failed logins), each with its message as `msg`. */
  warnings: Record<string, unknown>[];
  /** Every line the app logged at info level and above, in order, as pino writes it. */
  lines: Record<string, unknown>[];
  /** Every built part (the user MCP pool, the scoped tool sets...). */
  services: Services;
  close(): Promise<void>;
}

/** Options of `makeApp`; each maps to an ares.toml key or a `ServiceOverrides` field. */
export interface TestAppOptions {
  /** `[auth] required`. */
  authRequired?: boolean;
  /** `base_url` of the `openai` provider (with a key); without it the provider is of type `offline` (canned replies). */
  fakeUrl?: string;
  /** Without `fakeUrl`: the `openai` provider is of type `openai` with no API key (runs fail with PROVIDER_UNAVAILABLE). */
  providerWithoutKey?: boolean;
  /** `max_retries` of the `openai` provider (default 0). */
  providerRetries?: number;
  /** `[limits] max_body_bytes` (default 64 KiB). */
  maxBodyBytes?: number;
  /** `[limits] requests_per_minute` (default 0: no rate limit). */
  requestsPerMinute?: number;
  /** `[limits.users."EMAIL"] requests_per_minute` by email. */
  userRequestsPerMinute?: Record<string, number>;
  /** The config/ directory (default the shipped one). */
  configDir?: string;
  /** Replaces the system MCP servers' listing. */
  mcpServers?: AppDeps['mcpServers'];
  /** Replaces the user MCP servers' listing. */
  userMcpServers?: AppDeps['userMcpServers'];
  /** `[mcp] allow_private_urls = true`: no URL check at creation (default: the daemon's check). */
  allowPrivateMcpUrls?: boolean;
  /** The daemon's secret scrubber (default: a new one). */
  secrets?: SecretScrubber;
  /** `[server] allowed_hosts` / `cors_origins` (default: loopback only, no other origin). */
  boundary?: AppDeps['boundary'];
  /** `[server] trusted_proxies` (default: none). */
  trustedProxies?: string[];
  /** Replaces the daemon status behind `/api/status`. */
  status?: AppDeps['status'];
  /** Replaces the config status behind `/api/config/status`. */
  configStatus?: AppDeps['configStatus'];
  /** Run slots and queues over `[runtime]` of ares.toml. */
  limits?: Partial<RuntimeLimits>;
  /** `[database] path`, absolute (several apps over one SQLite file act as nodes of one database). */
  databasePath?: string;
  /** `[database] url`: a PostgreSQL database (`postgres://...`) instead of the home's SQLite file. */
  databaseUrl?: string;
  /** Leave `ARES_JWT_SECRET` unset: the app generates its own token key in its home. */
  noJwtSecret?: boolean;
  /** Wraps the opened store (a database that goes away, a change feed shared by several apps). */
  wrapStore?: (store: Store) => Store;
  /** Budget keys of `[limits]` (`usd_per_day`..., and `api_key` for `[limits.api_key]`). */
  budgets?: Record<string, unknown>;
  /** The clock budgets are kept by (ms since epoch). */
  now?: () => number;
  /** A built dashboard folder to serve at `/` (default: none). */
  dashboardRoot?: string;
  /** `[runtime] trace`: record a run trace of every run (default false). */
  traceRuns?: boolean;
  /** `[memory] embedder`: `builtin` (the default) or a model alias (e.g. `fast`, served by the fake's `/v1/embeddings`). */
  memoryEmbedder?: string;
}

/** ares.toml of a test app: only the `openai` provider, and the keys the options name. */
function testConfig(opts: TestAppOptions) {
  const openai = opts.fakeUrl
    ? { type: 'openai', base_url: opts.fakeUrl, api_key_env: 'FAKE_KEY', timeout_ms: 5000, max_retries: opts.providerRetries ?? 0 }
    : opts.providerWithoutKey
      ? { type: 'openai', api_key_env: 'NO_SUCH_KEY_VAR', timeout_ms: 1000, max_retries: 0 }
      : { type: 'offline' };
  return AresConfigSchema.parse({
    providers: { openai },
    auth: { required: opts.authRequired ?? false },
    limits: {
      max_body_bytes: opts.maxBodyBytes ?? 64 * 1024,
      ...opts.budgets,
      requests_per_minute: opts.requestsPerMinute ?? 0,
      users: Object.fromEntries(Object.entries(opts.userRequestsPerMinute ?? {}).map(([email, n]) => [email, { requests_per_minute: n }])),
    },
    mcp: { allow_private_urls: opts.allowPrivateMcpUrls ?? false },
    runtime: { trace: opts.traceRuns ?? false },
    memory: { embedder: opts.memoryEmbedder ?? 'builtin' },
    server: { allowed_hosts: opts.boundary?.allowedHosts ?? [], cors_origins: opts.boundary?.corsOrigins ?? [], trusted_proxies: opts.trustedProxies ?? [] },
    database: { ...(opts.databasePath ? { path: opts.databasePath } : {}), ...(opts.databaseUrl ? { url: opts.databaseUrl, pool_size: 4 } : {}) },
  });
}

/** Build a test app. `fakeUrl` routes the `openai` provider to a fake server (else offline replies, or none with `providerWithoutKey`). */
export async function makeApp(opts: TestAppOptions = {}): Promise<TestApp> {
  const paths = { ...pathsFor(tempDir('cx-api-')), configDir: opts.configDir ?? resolve(__dirname, '../../config') };
  const errors: Record<string, unknown>[] = [];
  const warnings: Record<string, unknown>[] = [];
  const lines: Record<string, unknown>[] = [];
  const log = pino(
    { level: 'info' },
    {
      write(line: string) {
        const entry = JSON.parse(line) as Record<string, unknown>;
        lines.push(entry);
        if (Number(entry.level) >= 50) errors.push(entry);
        else if (Number(entry.level) === 40) warnings.push(entry);
      },
    },
  );
  const services = await buildServices(testConfig(opts), paths, log, {
    env: { FAKE_KEY: 'k', ...(opts.noJwtSecret ? {} : { ARES_JWT_SECRET: new TextDecoder().decode(TEST_SECRET) }) },
    version: '0.0.0-test',
    ...(opts.secrets ? { secrets: opts.secrets } : {}),
    ...(opts.limits ? { limits: opts.limits } : {}),
    ...(opts.wrapStore ? { wrapStore: opts.wrapStore } : {}),
    ...(opts.now ? { now: opts.now } : {}),
    app: {
      ...(opts.status ? { status: opts.status } : {}),
      ...(opts.configStatus ? { configStatus: opts.configStatus } : {}),
      ...(opts.mcpServers ? { mcpServers: opts.mcpServers } : {}),
      ...(opts.userMcpServers ? { userMcpServers: opts.userMcpServers } : {}),
      ...(opts.dashboardRoot ? { dashboardRoot: opts.dashboardRoot } : {}),
    },
  });
  const { store, runtime, watcher } = services;
  return { app: createApp(services.deps), store, runtime, snapshot: watcher.current(), errors, warnings, lines, services, close: services.close };
}

/** Request helper: JSON body, optional bearer token, extra headers, optional control-socket transport. */
export function client(app: TestApp['app']) {
  return async (
    method: string,
    path: string,
    opts: { token?: string; body?: unknown; text?: string; type?: string; socket?: boolean; as?: string; headers?: Record<string, string> } = {},
  ) => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.as) headers['x-caxton-as'] = opts.as;
    let body: string | undefined;
    if (opts.text !== undefined) {
      body = opts.text;
      headers['content-type'] = opts.type ?? 'text/x-toon';
    } else if (opts.body !== undefined) {
      body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
      headers['content-type'] = 'application/json';
    }
    const res = await app.request(path, { method, headers, ...(body !== undefined ? { body } : {}) }, { transport: opts.socket ? 'socket' : 'tcp' });
    const text = await res.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text, headers: res.headers };
  };
}
