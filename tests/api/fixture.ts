/**
 * An in-process app over real parts (ARCHITECTURE "tests call app.request() in-process"): a SQLite
 * file in a temp dir, the shipped config/ snapshot, the real codec, and a provider registry that is
 * either offline (no key) or pointed at a fake OpenAI server.
 */
import { join, resolve } from 'node:path';
import { createApp, type AppDeps } from '../../src/api/app.js';
import { createCatalog } from '../../src/catalog/catalog.js';
import { parseEntity, writeEntity } from '../../src/config/codec.js';
import { loadConfigTree } from '../../src/config/load.js';
import type { ConfigSnapshot } from '../../src/config/snapshot.js';
import type { ConfigStatus, StatusReport } from '../../src/domain/status.js';
import { createProviderRegistry } from '../../src/llm/registry.js';
import { SecretScrubber } from '../../src/domain/secrets.js';
import { createRuntime, type RuntimeLimits } from '../../src/runtime/run.js';
import { createBuiltinTools } from '../../src/tools/builtin/index.js';
import { createToolbox } from '../../src/tools/toolbox.js';
import { openSqliteStore } from '../../src/store/sqlite/database.js';
import { publicUrlRefusal } from '../../src/tools/net-policy.js';
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
  errors: unknown[];
  /** What the app logged at warn level (e.g. failed logins), each with its message as `msg`. */
  warnings: Record<string, unknown>[];
  close(): void;
}

/** Build a test app. `fakeUrl` routes the `openai` provider to a fake server (else offline replies). */
export function makeApp(
  opts: {
    authRequired?: boolean;
    fakeUrl?: string;
    maxBodyBytes?: number;
    configDir?: string;
    mcpServers?: AppDeps['mcpServers'];
    userMcpServers?: AppDeps['userMcpServers'];
    /** `[mcp] allow_private_urls = true`: no URL check at creation (default: the daemon's check). */
    allowPrivateMcpUrls?: boolean;
    /** The daemon's secret scrubber (default: an empty one). */
    secrets?: SecretScrubber;
    /** Offer agents the builtin tools (memory included, over the test store), as the daemon does. */
    builtinTools?: boolean;
    /** `[server] allowed_hosts` / `cors_origins` (default: loopback only, no other origin). */
    boundary?: AppDeps['boundary'];
    /** The daemon status behind `/api/status` (default: a small daemon with no models). */
    status?: AppDeps['status'];
    /** The config status behind `/api/config/status` (default: a clean snapshot). */
    configStatus?: AppDeps['configStatus'];
    /** Run slots and queues (`[runtime]` of ares.toml; default: the runtime's). */
    limits?: Partial<RuntimeLimits>;
  } = {},
): TestApp {
  const store = openSqliteStore(join(tempDir('cx-api-'), 'ares.db'));
  const snapshot = loadConfigTree(opts.configDir ?? resolve(__dirname, '../../config'), { providers: ['openai'], defaultModel: 'balanced' });
  const providers = opts.fakeUrl
    ? createProviderRegistry({ openai: { type: 'openai', base_url: opts.fakeUrl, api_key_env: 'FAKE_KEY', timeout_ms: 5000, max_retries: 0 } }, { env: { FAKE_KEY: 'k' } })
    : createProviderRegistry({ openai: { type: 'openai', api_key_env: 'NO_SUCH_KEY_VAR', timeout_ms: 1000, max_retries: 0 } }, { env: {} });
  const secrets = opts.secrets ?? new SecretScrubber();
  const builtins = opts.builtinTools ? createBuiltinTools({ memory: store.memory }) : undefined;
  const runtime = createRuntime({
    store,
    providers,
    scrub: secrets.scrub,
    usage: store.tenants.entities,
    ...(opts.limits ? { limits: opts.limits } : {}),
    ...(builtins ? { toolbox: createToolbox({ sets: () => [builtins] }), memory: store.memory } : {}),
  });
  // As the daemon wires it: an agent whose model is gone is marked failed (round 3).
  const catalog = createCatalog({ snapshot: () => snapshot, defaultModel: 'balanced', tenants: store.tenants.entities, onAgentFault: (key, reason) => void runtime.agents.fail(key, reason) });
  const errors: unknown[] = [];
  const warnings: Record<string, unknown>[] = [];
  const deps: AppDeps = {
    catalog,
    runtime,
    tenants: store.tenants,
    conversations: store.conversations,
    auth: { required: opts.authRequired ?? false, jwtSecret: TEST_SECRET },
    codec: { writeEntity: (k, v, f) => writeEntity(k, v as never, f), parseEntity: (k, t, f, file) => parseEntity(k, t, f, file) },
    storeHealth: () => store.health(),
    status: opts.status ?? ((): StatusReport => ({
      running: true,
      pid: process.pid,
      version: '0.0.0-test',
      node: process.version,
      url: 'http://127.0.0.1:8080',
      socket: '/nonexistent/run/caxton.sock',
      home: '/nonexistent',
      started_at: 0,
      uptime_ms: 0,
      agents: snapshot.agents.size,
      counts: catalog.counts(),
      models: [],
      database: store.health(),
      config: deps.configStatus(),
    })),
    configStatus: opts.configStatus ?? ((): ConfigStatus => ({
      loaded_at: snapshot.loadedAt,
      errors: 0,
      warnings: 0,
      diagnostics: [],
      last_success_at: snapshot.loadedAt,
      last_attempt_at: snapshot.loadedAt,
      reloads: 0,
      rejected: 0,
      last_errors: [],
      last_reload_ms: 0,
      rewatches: 0,
    })),
    version: '0.0.0-test',
    startedAt: Date.now(),
    maxBodyBytes: opts.maxBodyBytes ?? 64 * 1024,
    log: { error: (obj) => errors.push(obj), warn: (obj, msg) => warnings.push({ ...obj, msg }) },
    secrets,
    ...(opts.mcpServers ? { mcpServers: opts.mcpServers } : {}),
    ...(opts.userMcpServers ? { userMcpServers: opts.userMcpServers } : {}),
    ...(opts.allowPrivateMcpUrls ? {} : { checkMcpUrl: publicUrlRefusal }),
    ...(opts.boundary ? { boundary: opts.boundary } : {}),
  };
  return { app: createApp(deps), store, runtime, snapshot, errors, warnings, close: () => store.close() };
}

/** Request helper: JSON body, optional bearer token, optional control-socket transport. */
export function client(app: TestApp['app']) {
  return async (method: string, path: string, opts: { token?: string; body?: unknown; text?: string; type?: string; socket?: boolean; as?: string } = {}) => {
    const headers: Record<string, string> = {};
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
