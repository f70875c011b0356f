/**
 * The daemon's parts, built in one explicit order (SPEC §8; ARCHITECTURE "Build, listen, serve are
 * separate"): store, MCP connections, config watcher, providers, tool resolution, runtime, catalog,
 * then the app's dependencies. Each part is constructed after everything it calls, so no callback is
 * filled in later; the one cycle of the wiring (the catalog marks faulty agents failed in the runtime,
 * whose tools resolve through the catalog's lookup) is cut by giving the tools a catalog of their own
 * that reports no faults. Later config swaps reach their subscribers in the order above (MCP
 * reconcile, then the runtime dropping gone agents). This module constructs the concrete parts behind
 * the app; the daemon (src/daemon/main.ts) and the in-process API tests (tests/api/fixture.ts) both
 * build through it.
 */
import { chmodSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { AppDeps } from '../api/deps.js';
import { createLiveEvents, observeRuns, type LiveEvents } from '../api/live-events.js';
import { createMetrics, watchGauges, type ApiMetrics } from '../api/metrics.js';
import { createCatalog, isUserAgentKey, type Catalog } from '../catalog/catalog.js';
import { createCapabilityIndex, type CapabilityIndex } from '../catalog/capabilities.js';
import type { AresConfig } from '../config/ares-toml.js';
import { parseEntity, writeEntity } from '../config/codec.js';
import { isWarning } from '../config/diagnostics.js';
import { loadConfigTree } from '../config/load.js';
import { watchConfig, type ConfigWatcher } from '../config/watch.js';
import { BUILTIN_TOOL_NAMES } from '../domain/builtin-tools.js';
import type { SecretScrubber } from '../domain/secrets.js';
import type { ReloadStatus } from '../domain/status.js';
import type { Paths } from '../ipc/paths.js';
import { versionInfo } from '../ipc/version.js';
import { createProviderRegistry, type ProviderRegistry } from '../llm/registry.js';
import { agentBudgetKey, createBudgets, type Budgets, type BudgetState } from '../runtime/budgets.js';
import { createApprovals, startApprovalSweeper, type Approvals } from '../api/approvals.js';
import { createRunStarter } from '../api/run.js';
import { createRuntime, type ManagedRuntime, type RuntimeLimits } from '../runtime/run.js';
import { isPostgresUrl, openStore, redactDatabaseUrl } from '../store/open.js';
import type { ChangeFeed, ChangeTopic, Store, TenantStore } from '../store/types.js';
import { createBuiltinTools } from '../tools/builtin/index.js';
import { createMcpManager, serversUsedBy, type McpManager } from '../tools/mcp/manager.js';
import { createMcpPool, type McpPool } from '../tools/mcp/pool.js';
import { publicUrlRefusal } from '../tools/net-policy.js';
import { createScopedSets, type ScopedSets } from '../tools/scoped-sets.js';
import { invalidatingRows } from '../tools/tool-rows.js';
import { createToolbox, type Toolbox } from '../tools/toolbox.js';
import { createCleanup, type Cleanup } from './cleanup.js';
import { buildMemory, startMemory, type DaemonMemory } from './memory.js';
import { configuredSecrets, databaseSecrets, jwtSecret, learnSystemMcp, learningRows } from './secrets.js';
import { configStatusOf, statusOf } from './status.js';
import { subAgentDirectory } from './sub-agents.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Parts a caller may supply or adjust instead of the defaults (the daemon passes few; tests more). */
export interface ServiceOverrides {
  /** Where provider keys, the JWT secret and MCP `${VAR}` values are read (default `process.env`). */
  env?: Env;
  /** The scrubber the logger already uses (default: a new one knowing the provider keys). */
  secrets?: SecretScrubber;
  /** Start time, ms since the epoch (default now). */
  startedAt?: number;
  /** Version reported by `/health` and status (default the package's). */
  version?: string;
  /** Where the daemon serves HTTP, for status (default: nowhere, ''). */
  url?: () => string;
  /** Run slots and queues over `[runtime]` of ares.toml (e.g. `maxToolResultChars`, which has no key). */
  limits?: Partial<RuntimeLimits>;
  /** The live-event hub the daemon's parts publish to (default: a new one); the daemon shares it with its logger. */
  live?: LiveEvents;
  /** Replace app dependencies after they are built (tests: a fixed status, listed MCP servers). */
  app?: Partial<AppDeps>;
  /** Wrap the opened store before anything uses it (tests: a database that goes away, a shared change feed). */
  wrapStore?: (store: Store) => Store;
  /** The clock budgets and approval timeouts are kept by, ms since epoch (default `Date.now`; tests cross a UTC day or month). */
  now?: () => number;
  /** Probe OpenAI-compatible providers in the background at once (default true; `caxton test` replaying cassettes: false). */
  probeProviders?: boolean;
}

/** How often timed-out approvals are looked for (ms): one indexed query when none is due. */
const APPROVAL_SWEEP_MS = 30_000;

/** Every part of a built daemon, in construction order, and how to stop them. */
export interface Services {
  secrets: SecretScrubber;
  store: Store;
  /** System-tier MCP servers (config/mcps). */
  mcp: McpManager;
  /** User-tier MCP servers (`user_mcps` rows), one connection per row. */
  userMcp: McpPool;
  watcher: ConfigWatcher;
  providers: ProviderRegistry;
  /** Tool resolution per user; invalidated on every write to tool rows. */
  scoped: ScopedSets;
  /** The permission-checked tools the runtime calls. */
  toolbox: Toolbox;
  /** The runtime's limits (`[runtime]` of ares.toml and the overrides), for runtimes built beside it. */
  limits: Partial<RuntimeLimits>;
  /** The store's tenants, with user tool rows watched (src/tools/tool-rows.ts) and their secrets learned. */
  tenants: TenantStore;
  runtime: ManagedRuntime;
  catalog: Catalog;
  /** Capability -> agents per user, and routing (src/catalog/capabilities.ts). */
  capabilities: CapabilityIndex;
  /** The metrics `/metrics` serves, fed by the runtime, the provider registry and the app. */
  metrics: ApiMetrics;
  /** Budgets of `[limits]`, admin overrides and agents' `budget`, reserved before every model call. */
  budgets: Budgets;
  /** Embedders and memory items (semantic memory). */
  memory: DaemonMemory;
  /** Paused runs: decisions, listing and the timeout sweeper (src/api/approvals.ts). */
  approvals: Approvals;
  /** What `createApp` takes. */
  deps: AppDeps;
  /**
   * Resolves once the config watcher sees every directory (file changes before that may be missed):
   * await it before serving. Never rejects.
   */
  ready: Promise<void>;
  /** Close MCP connections and end their children gracefully. */
  stopMcp(): Promise<void>;
  /**
   * Release everything built (change subscriptions, watcher, MCP children, store: a PostgreSQL pool is
   * ended), last built first. Never rejects.
   */
  close(): Promise<void>;
}

/**
 * Build every part from ares.toml (`config`, already validated and overridden by flags) and `paths`.
 * On failure, whatever was built is released before the error propagates.
 * @throws DomainError UNAVAILABLE (database), and whatever the first config load throws (I/O errors).
 */
export async function buildServices(config: AresConfig, paths: Paths, log: Logger, overrides: ServiceOverrides = {}): Promise<Services> {
  const undo = createCleanup();
  try {
    return await build(config, paths, log, overrides, undo);
  } catch (err) {
    await undo.run();
    throw err;
  }
}

/** A child logger naming a daemon part (`component`). */
type PartLog = (component: string) => Logger;

/**
 * `buildServices` itself, step by step in the module header's order; each step's release is pushed on
 * `undo` as soon as the part exists. The tools and the runtime reach the catalog and the capability
 * index (built after them) only through closures called once the build is done.
 */
async function build(config: AresConfig, paths: Paths, log: Logger, o: ServiceOverrides, undo: Cleanup): Promise<Services> {
  const env = o.env ?? process.env;
  // Each part logs through a child naming its component; the API and the runtime name theirs per line
  // (src/api/middleware/request-log.ts), as their lines also carry the request's id.
  const part: PartLog = (component) => log.child({ component });
  const { secrets, store, changes } = await storeStep(config, paths, o, env, part, undo);
  const live = o.live ?? createLiveEvents();
  const { mcp, userMcp, watcher } = configStep(config, paths, { secrets, env, live, part, undo });
  const metrics = createMetrics();
  const providers = providerStep(config, paths, env, metrics, part('llm'));
  if (o.probeProviders !== false) providers.probe();
  const memory = buildMemory(config, { store, watcher, changes, env, log: part('memory'), undo });
  const tools = toolStep(config, { secrets, env, store, changes, memory, mcp, userMcp, watcher, part, capabilities: () => capabilities });
  const { scoped, tenants, toolbox } = tools;
  const { budgets, limits, runtime } = runtimeStep(config, o, {
    store,
    providers,
    toolbox,
    memory,
    tenants,
    log,
    secrets,
    metrics,
    live,
    watcher,
    catalog: () => catalog,
    capabilities: () => capabilities,
  });
  const { catalog, capabilities } = catalogStep(tools.catalogWith, { runtime, watcher, changes, part });
  changes.subscribe(applyChanges({ scoped, userMcp, runtime, budgets, rows: store.tenants.entities, log: part('store') }));
  const parts = {
    secrets,
    store,
    mcp,
    userMcp,
    watcher,
    providers,
    scoped,
    toolbox,
    limits,
    tenants,
    runtime,
    catalog,
    capabilities,
    metrics,
    budgets,
    memory,
  };
  startMemory(memory, watcher, part('memory'));
  const { approvals, deps } = appStep(config, paths, log, { ...o, env }, parts, { live, changes, part, undo });
  return {
    ...parts,
    approvals,
    deps,
    ready: watcher.ready,
    stopMcp: async () => void (await Promise.all([mcp.close(), userMcp.close()])),
    close: undo.run,
  };
}

/**
 * The store step: the secret scrubber (knowing the database URL's password), the opened store (wrapped
 * as `o.wrapStore` says, its health redacted) and its change feed relayed to local listeners.
 * @throws DomainError UNAVAILABLE (database).
 */
async function storeStep(
  config: AresConfig,
  paths: Paths,
  o: ServiceOverrides,
  env: Env,
  part: PartLog,
  undo: Cleanup,
): Promise<{ secrets: SecretScrubber; store: Store; changes: ChangeFeed }> {
  const secrets = o.secrets ?? configuredSecrets(config, env);
  secrets.set('database', databaseSecrets(config.database.url));
  const opened = await openDaemonStore(config, paths, part('store'));
  undo.push(() => opened.close());
  const store = redactedHealth(o.wrapStore ? o.wrapStore(opened) : opened);
  return { secrets, store, changes: relayChanges(store.changes, part('store'), undo) };
}

/**
 * The config step: the MCP fleets and the config watcher, with the system MCP servers reconciled (and
 * their secrets learned) from the first snapshot and from every snapshot swapped in after it.
 */
function configStep(
  config: AresConfig,
  paths: Paths,
  p: { secrets: SecretScrubber; env: Env; live: LiveEvents; part: PartLog; undo: Cleanup },
): { mcp: McpManager; userMcp: McpPool; watcher: ConfigWatcher } {
  const { mcp, userMcp } = mcpFleets(paths, p.part('mcp'), p.undo, config.mcp.default_memory_mb);
  const watcher = startWatcher(config, paths, p.part('config'), p.undo, p.live);
  const reconcileMcp = () => {
    const snapshot = watcher.current();
    learnSystemMcp(p.secrets, snapshot, p.env);
    mcp.reconcile(
      [...snapshot.mcps.values()].map((m) => m.value),
      serversUsedBy(
        [...snapshot.agents.values()].map((a) => a.value),
        config.tools.deny,
      ),
    );
  };
  watcher.onSwap(reconcileMcp);
  reconcileMcp();
  return { mcp, userMcp, watcher };
}

/** The provider step: the registry of `[providers]`, its retries counted in `metrics` and logged as warnings. */
function providerStep(config: AresConfig, paths: Paths, env: Env, metrics: ApiMetrics, llmLog: Logger): ProviderRegistry {
  return createProviderRegistry(config.providers, {
    baseDir: paths.home,
    env,
    onRetry: (info) => {
      metrics.providerRetry(info);
      llmLog.warn(info, `provider ${info.provider}: retrying in ${info.delayMs} ms`);
    },
  });
}

/** A catalog over the served snapshot and the user rows; `onAgentFault` hears of agents found unable to run. */
type CatalogWith = (onAgentFault?: (key: string, reason: string) => void) => Catalog;

/**
 * The tool step: the user rows (their secrets learned), the tool sets per user (resolving names through
 * a catalog of their own that reports no faults), the tenants whose row writes invalidate those sets,
 * drop user MCP connections, invalidate the owner's capabilities and notify other nodes, and the toolbox.
 */
function toolStep(
  config: AresConfig,
  p: {
    secrets: SecretScrubber;
    env: Env;
    store: Store;
    changes: ChangeFeed;
    memory: DaemonMemory;
    mcp: McpManager;
    userMcp: McpPool;
    watcher: ConfigWatcher;
    part: PartLog;
    capabilities: () => CapabilityIndex;
  },
): { catalogWith: CatalogWith; scoped: ScopedSets; tenants: TenantStore; toolbox: Toolbox } {
  const rows = learningRows(p.store.tenants.entities, p.secrets, p.env);
  const catalogWith: CatalogWith = (onAgentFault) =>
    createCatalog({
      snapshot: () => p.watcher.current(),
      defaultModel: config.defaults.model,
      tenants: rows,
      builtinTools: () => BUILTIN_TOOL_NAMES,
      ...(onAgentFault ? { onAgentFault } : {}),
    });
  const scoped = scopedSets(config, { store: p.store, items: p.memory.items, mcp: p.mcp, userMcp: p.userMcp, watcher: p.watcher, lookup: catalogWith() });
  const tenants = {
    ...p.store.tenants,
    entities: invalidatingRows(rows, {
      dropConnection: (id) => p.userMcp.drop(id),
      invalidate: () => scoped.invalidate(),
      written: (kind, owner) => {
        if (kind === 'agents') p.capabilities().invalidate(owner);
        void p.changes.publish(ROW_TOPICS[kind], owner);
      },
    }),
  };
  const toolbox = createToolbox({ sets: scoped.sets, prepare: scoped.prepare, deny: config.tools.deny, log: p.part('tools') });
  return { catalogWith, scoped, tenants, toolbox };
}

/**
 * The runtime step: the budgets of `[limits]`, the runtime limits (`[runtime]` and the overrides) and
 * the runtime, which forgets the state of system agents gone from a swapped-in snapshot.
 */
function runtimeStep(
  config: AresConfig,
  o: ServiceOverrides,
  p: {
    store: Store;
    providers: ProviderRegistry;
    toolbox: Toolbox;
    memory: DaemonMemory;
    tenants: TenantStore;
    log: Logger;
    secrets: SecretScrubber;
    metrics: ApiMetrics;
    live: LiveEvents;
    watcher: ConfigWatcher;
    catalog: () => Catalog;
    capabilities: () => CapabilityIndex;
  },
): { budgets: Budgets; limits: Partial<RuntimeLimits>; runtime: ManagedRuntime } {
  const { max_body_bytes: _body, requests_per_minute: _rpm, users: _users, api_key: apiKeyDefaults, ...userDefaults } = config.limits;
  const budgets = createBudgets({ store: p.store.budgets, userDefaults, apiKeyDefaults, ...(o.now ? { now: o.now } : {}) });
  const limits = { ...runtimeLimits(config), ...o.limits };
  const runtime = createRuntime({
    budgets,
    store: p.store,
    providers: p.providers,
    toolbox: p.toolbox,
    memory: p.store.memory,
    items: p.memory.items,
    usage: p.tenants.entities,
    log: p.log,
    scrub: p.secrets.scrub,
    limits,
    observer: observeRuns(p.metrics.observer, p.live),
    trace: config.runtime.trace,
    subAgents: subAgentDirectory(p.catalog, p.capabilities),
  });
  p.watcher.onSwap((snapshot) => runtime.agents.retain((key) => isUserAgentKey(key) || snapshot.agents.has(key)));
  return { budgets, limits, runtime };
}

/**
 * The catalog step: the catalog that marks faulty agents failed in the runtime, and the capability
 * index over it, invalidated by config swaps and by agent row changes (this node's or another's).
 */
function catalogStep(
  catalogWith: CatalogWith,
  p: { runtime: ManagedRuntime; watcher: ConfigWatcher; changes: ChangeFeed; part: PartLog },
): { catalog: Catalog; capabilities: CapabilityIndex } {
  const catalog = catalogWith(markFailed(p.runtime, p.part('runtime')));
  const capabilities = createCapabilityIndex(catalog, (key) => p.runtime.agents.status(key), p.part('routing'));
  p.watcher.onSwap(() => capabilities.invalidate());
  p.changes.subscribe((topic, owner) => {
    if (topic === 'user_agents' || topic === 'all') capabilities.invalidate(topic === 'all' ? undefined : owner);
  });
  return { catalog, capabilities };
}

/**
 * The app step: the approval gate (and its timeout sweeper), the app's dependencies (`o.app` applied
 * last) and the gauges `/metrics` reads from the parts.
 */
function appStep(
  config: AresConfig,
  paths: Paths,
  log: Logger,
  o: ServiceOverrides & { env: Env },
  parts: Parts,
  p: { live: LiveEvents; changes: ChangeFeed; part: PartLog; undo: Cleanup },
): { approvals: Approvals; deps: AppDeps } {
  const { store, tenants, catalog, runtime, metrics, watcher, budgets } = parts;
  const approvals = createApprovals({
    store: store.approvals,
    users: tenants.users,
    startRun: createRunStarter(catalog, runtime, p.live),
    log: p.part('approvals'),
    ...(o.now ? { now: o.now } : {}),
  });
  p.undo.push(startApprovalSweeper(approvals, APPROVAL_SWEEP_MS, p.part('approvals')));
  const deps: AppDeps = { ...appDeps(config, paths, log, o, parts), approvals, changes: p.changes, live: p.live, ...o.app };
  watchGauges(metrics, {
    agents: () => runtime.agents.list(),
    pool: () => runtime.agents.pool(),
    mcpServers: () => deps.mcpServers?.() ?? [],
    userMcpServers: () => deps.userMcpServers?.() ?? [],
    databaseSize: () => store.size(),
    agentBudgets: () => systemAgentBudgets(watcher, budgets),
  });
  return { approvals, deps };
}

/**
 * Open the store `[database]` names (src/store/open.ts): PostgreSQL when `url` is set, else the
 * SQLite file, whose data directory inside the home is made owner-only (0700), also when found looser.
 * @throws DomainError UNAVAILABLE (database cannot be opened or reached), or the fs error of the chmod.
 */
async function openDaemonStore(config: AresConfig, paths: Paths, log: Logger): Promise<Store> {
  const { url, pool_size: poolSize } = config.database;
  const dbPath = resolve(paths.home, config.database.path);
  const store = await openStore({ path: dbPath, poolSize, ...(url ? { url } : {}), log: (msg, err) => log.warn({ err }, msg) });
  if (isPostgresUrl(url)) return store;
  const dataDir = relative(paths.home, dirname(dbPath));
  try {
    if (dataDir && !dataDir.startsWith('..') && !isAbsolute(dataDir)) chmodSync(resolve(paths.home, dataDir), 0o700);
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

/**
 * `store` whose health names a PostgreSQL database by its URL without the password (as status and
 * `/health` show it), whatever the store implementation reports: the PostgreSQL store already redacts
 * it, and this keeps any other store (a wrapper, a test double) from showing one.
 */
function redactedHealth(store: Store): Store {
  return {
    ...store,
    health: async () => {
      const h = await store.health();
      return h.backend === 'postgres' ? { ...h, path: redactDatabaseUrl(h.path) } : h;
    },
  };
}

/** The change topic of each user-tier row kind. */
const ROW_TOPICS = { agents: 'user_agents', tools: 'user_tools', mcps: 'user_mcps' } as const;

/**
 * `feed` with one subscription to the store's feed shared by every local listener (the daemon's and
 * the app's), removed on close so no notice reaches a closed daemon. A listener that throws is
 * logged; the others still run.
 */
function relayChanges(feed: ChangeFeed, log: Logger, undo: Cleanup): ChangeFeed {
  const listeners = new Set<(topic: ChangeTopic, detail: string) => void>();
  const off = feed.subscribe((topic, detail) => {
    for (const fn of listeners) {
      try {
        fn(topic, detail);
      } catch (err) {
        log.error({ err, topic }, `change notice ${topic} could not be applied`);
      }
    }
  });
  undo.push(() => {
    off();
    listeners.clear();
  });
  return {
    publish: (topic, detail) => feed.publish(topic, detail),
    subscribe(fn) {
      listeners.add(fn);
      return () => void listeners.delete(fn);
    },
  };
}

/**
 * What another node's change notice means here (the API-key cache is the app's, src/api/auth.ts):
 * `user_tools` / `user_mcps` forget every cached tool resolution, and `user_mcps` closes the owner's
 * user MCP connections (the next use connects with the row as stored now); `user_agents` drops the
 * runtime state of the owner's agents renamed elsewhere (agent rows themselves are read per run).
 * `all` (notices may have been missed) forgets every tool resolution and closes every user MCP
 * connection; runtime state under the old names of agents renamed meanwhile stays until a restart.
 */
function applyChanges(p: {
  scoped: ScopedSets;
  userMcp: McpPool;
  runtime: ManagedRuntime;
  budgets: Budgets;
  rows: Pick<TenantStore['entities'], 'visible'>;
  log: Logger;
}): (topic: ChangeTopic, owner: string) => void {
  return (topic, owner) => {
    if (topic === 'user_limits' || topic === 'all') p.budgets.forgetOverrides(topic === 'all' ? undefined : owner);
    if (topic === 'user_tools' || topic === 'user_mcps' || topic === 'all') p.scoped.invalidate();
    if (topic === 'user_mcps' || topic === 'all') p.userMcp.dropOwned(topic === 'all' ? undefined : owner);
    if (topic === 'user_agents') {
      void forgetRenamedAgents(p.runtime, p.rows, owner).catch((err: unknown) => p.log.warn({ err, owner }, 'user agent change could not be applied'));
    }
  };
}

/**
 * Drop the runtime state (lifecycle) kept under an old key `OLD (ROW_ID)` of `owner`'s agent rows
 * that now have another name, as the node that renamed them did.
 * @throws what the store throws (DomainError UNAVAILABLE when the database is down).
 */
async function forgetRenamedAgents(runtime: ManagedRuntime, rows: Pick<TenantStore['entities'], 'visible'>, owner: string): Promise<void> {
  const own = (await rows.visible('agents', owner)).filter((r) => r.user_id === owner);
  const current = new Set(own.map((r) => `${r.name} (${r.id})`));
  const ids = own.map((r) => ` (${r.id})`);
  runtime.agents.retain((key) => current.has(key) || !ids.some((id) => key.endsWith(id)));
}

/**
 * The MCP manager (config/mcps, connected in the background from each served snapshot) and the pool
 * of user-tier servers (one connection per `user_mcps` row, started on first use). A sync SIGKILL of
 * every stdio child is the last resort if start-up fails or the process exits without shutdown.
 */
function mcpFleets(paths: Paths, log: Logger, undo: Cleanup, defaultMemoryMb: number | undefined): { mcp: McpManager; userMcp: McpPool } {
  const clientInfo = { name: 'caxton', version: versionInfo().version };
  const limits = defaultMemoryMb !== undefined ? { defaultMemoryMb } : {};
  const mcp = createMcpManager({ log, cwd: paths.home, childrenFile: resolve(paths.runDir, 'mcp-children.json'), clientInfo, ...limits });
  const userMcp = createMcpPool({ log, cwd: paths.home, childrenFile: resolve(paths.runDir, 'mcp-user-children.json'), clientInfo, ...limits });
  const killMcpChildren = () => {
    mcp.killAll();
    userMcp.killAll();
  };
  process.once('exit', killMcpChildren);
  undo.push(() => {
    process.off('exit', killMcpChildren);
    killMcpChildren();
  });
  return { mcp, userMcp };
}

/**
 * Watch config/ (hot reload: the first load serves even with errors, bad entities left out; later
 * reloads with errors are rejected whole, src/config/watch.ts) and log the first load's diagnostics.
 * Each later reload, swapped in or rejected, is published to `live` as `config_reload`.
 */
function startWatcher(config: AresConfig, paths: Paths, log: Logger, undo: Cleanup, live: LiveEvents): ConfigWatcher {
  const providers = Object.keys(config.providers);
  const reloaded = (ok: boolean, status: ReloadStatus) => live.publish({ type: 'config_reload', ok, reloads: status.reloads, rejected: status.rejected });
  const watcher = watchConfig({
    onReject: (_errors, status) => reloaded(false, status),
    configDir: paths.configDir,
    load: () => loadConfigTree(paths.configDir, { providers, defaultModel: config.defaults.model, builtinTools: BUILTIN_TOOL_NAMES, displayRoot: paths.home }),
    log,
  });
  undo.push(() => watcher.close());
  watcher.onSwap((_snapshot, status) => reloaded(true, status));
  for (const d of watcher.current().diagnostics) {
    log[isWarning(d) ? 'warn' : 'error']({ diagnostic: d }, `config: ${d.file}:${d.line}:${d.col}: ${d.code} ${d.message}`);
  }
  return watcher;
}

/**
 * Tool sets per user (SPEC §4): the user's own tools and MCP servers first, then builtins and system
 * servers (resolved by bare name through `lookup`, never another user's rows). SSRF guard: a row may
 * reach private addresses only when its owner is an admin or `[mcp] allow_private_urls = true`.
 */
function scopedSets(
  config: AresConfig,
  p: { store: Store; items: DaemonMemory['items']; mcp: McpManager; userMcp: McpPool; watcher: ConfigWatcher; lookup: Pick<Catalog, 'lookup'> },
): ScopedSets {
  return createScopedSets({
    builtins: createBuiltinTools({ memory: p.store.memory, items: p.items, entities: () => p.watcher.current().tools }),
    system: p.mcp,
    pool: p.userMcp,
    resolveMcp: (name, userId) => p.lookup.lookup('mcps', name, userId),
    resolveTool: (name, userId) => p.lookup.lookup('tools', name, userId),
    trusted: async (owner) => config.mcp.allow_private_urls || (await p.store.tenants.users.byId(owner))?.is_admin === true,
    deny: config.tools.deny,
  });
}

/** The budget of each system-tier agent that sets one, as it stands now (the `caxton_agent_budget_remaining_*` gauges). */
async function systemAgentBudgets(watcher: ConfigWatcher, budgets: Budgets): Promise<{ agent: string; states: BudgetState[] }[]> {
  const limited = [...watcher.current().agents.values()].flatMap(({ value }) => (value.budget ? [{ name: value.name, budget: value.budget }] : []));
  return Promise.all(limited.map(async (a) => ({ agent: a.name, states: await budgets.agentStates(agentBudgetKey(a.name), a.budget) })));
}

/** `[runtime]` of ares.toml as runtime limits. */
function runtimeLimits(config: AresConfig): Partial<RuntimeLimits> {
  return {
    maxConcurrentPerAgent: config.runtime.max_concurrent_runs_per_agent,
    maxQueuedPerAgent: config.runtime.max_queued_runs_per_agent,
    maxQueuedTotal: config.runtime.max_queued_runs,
    maxConcurrentRuns: config.runtime.max_concurrent_runs,
    repeatToolCallLimit: config.runtime.repeat_tool_call_limit,
    maxDelegationDepth: config.runtime.max_delegation_depth,
    maxRunsPerRequest: config.runtime.max_runs_per_request,
    ...(config.runtime.max_run_seconds !== undefined ? { maxRunSeconds: config.runtime.max_run_seconds } : {}),
    ...(config.runtime.max_tokens_per_run !== undefined ? { maxTokensPerRun: config.runtime.max_tokens_per_run } : {}),
    ...(config.runtime.max_tool_calls_per_run !== undefined ? { maxToolCallsPerRun: config.runtime.max_tool_calls_per_run } : {}),
  };
}

/** The catalog's fault report: an agent found unable to run (its model is gone) is marked failed, logged once. */
function markFailed(runtime: ManagedRuntime, log: Logger): (key: string, reason: string) => void {
  return (key, reason) => {
    const before = runtime.agents.status(key);
    if (before.state === 'failed' && before.reason === reason) return;
    const after = runtime.agents.fail(key, reason);
    if (after.state === 'failed') log.warn({ agent: key, reason }, `agent ${key} failed: ${reason}`);
  };
}

type Parts = Omit<Services, 'approvals' | 'deps' | 'ready' | 'stopMcp' | 'close'>;

/**
 * The app's dependencies: auth from `[auth]` (the token key registered as a secret; a warning when a
 * PostgreSQL node generates its own key, see docs/deploy.md), status, limits, browser boundary, trusted proxies.
 */
function appDeps(config: AresConfig, paths: Paths, log: Logger, o: ServiceOverrides & { env: Env }, p: Parts): Omit<AppDeps, 'approvals'> {
  const startedAt = o.startedAt ?? Date.now();
  const version = o.version ?? versionInfo().version;
  const tokenKey = jwtSecret(o.env[config.auth.jwt_secret_env], dirname(resolve(paths.home, config.database.path)), p.secrets);
  // A generated key is this node's own: other nodes sharing the database refuse its login tokens.
  if (config.database.url && !o.env[config.auth.jwt_secret_env]) {
    const name = config.auth.jwt_secret_env;
    log.warn(
      { component: 'api', env: name },
      `${name} is not set: other nodes sharing this database refuse this node's login tokens; set it to the same value on every node`,
    );
  }
  const sources = { paths, startedAt, version, url: o.url ?? (() => ''), ...p };
  return {
    catalog: p.catalog,
    capabilities: p.capabilities,
    runtime: p.runtime,
    tenants: p.tenants,
    conversations: p.store.conversations,
    budgets: { service: p.budgets, store: p.store.budgets },
    auth: {
      required: config.auth.required,
      jwtSecret: tokenKey,
      accessTtlSecs: config.auth.access_token_ttl_secs,
      refreshTtlSecs: config.auth.refresh_token_ttl_secs,
    },
    codec: {
      writeEntity: (kind, value, format) => writeEntity(kind, value as never, format),
      parseEntity: (kind, text, format, file) => parseEntity(kind, text, format, file),
    },
    memory: p.memory,
    storeHealth: () => p.store.health(),
    metrics: p.metrics,
    providers: () => p.providers.states(),
    status: () => statusOf(sources),
    configStatus: () => configStatusOf(sources),
    version,
    startedAt,
    maxBodyBytes: config.limits.max_body_bytes,
    rateLimits: {
      requestsPerMinute: config.limits.requests_per_minute,
      users: Object.fromEntries(Object.entries(config.limits.users).map(([email, u]) => [email, u.requests_per_minute])),
    },
    log,
    secrets: p.secrets,
    boundary: { allowedHosts: [...config.server.allowed_hosts, config.server.host], corsOrigins: config.server.cors_origins },
    trustedProxies: config.server.trusted_proxies,
    mcpServers: () => p.mcp.status(),
    userMcpServers: () => p.userMcp.status(),
    ...(config.mcp.allow_private_urls ? {} : { checkMcpUrl: publicUrlRefusal }),
  };
}
