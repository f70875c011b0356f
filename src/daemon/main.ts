/**
 * The daemon process (SPEC §8, STORY-002): the ONLY place that constructs concrete parts (SQLite
 * store, providers, config loader) and wires them into the runtime, catalog and HTTP app. Listens on
 * TCP and on the control socket with the same app; handles SIGINT/SIGTERM with a grace period.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { connect } from 'node:net';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { createAdaptorServer } from '@hono/node-server';
import type { Logger } from 'pino';
import { createApp } from '../api/app.js';
import { createCatalog, isUserAgentKey } from '../catalog/catalog.js';
import { isLoopbackHost, loadAresConfig } from '../config/ares-toml.js';
import { parseEntity, writeEntity } from '../config/codec.js';
import { isWarning } from '../config/diagnostics.js';
import { initHome, isEmptyHome } from '../config/init.js';
import { loadConfigTree } from '../config/load.js';
import type { ConfigSnapshot } from '../config/snapshot.js';
import { watchConfig } from '../config/watch.js';
import { DomainError } from '../domain/errors.js';
import type { ConfigStatus, StatusReport } from '../domain/status.js';
import { createProviderRegistry } from '../llm/registry.js';
import { checkSocketPath, type Paths } from '../ipc/paths.js';
import { acquirePidFile } from '../ipc/pidfile.js';
import { versionInfo } from '../ipc/version.js';
import { createRuntime } from '../runtime/run.js';
import { openSqliteStore } from '../store/sqlite/database.js';
import { BUILTIN_TOOL_NAMES } from '../domain/builtin-tools.js';
import { createBuiltinTools } from '../tools/builtin/index.js';
import { createMcpManager, serversUsedBy } from '../tools/mcp/manager.js';
import { createMcpPool } from '../tools/mcp/pool.js';
import { publicUrlRefusal } from '../tools/net-policy.js';
import { createScopedSets } from '../tools/scoped-sets.js';
import { createToolbox } from '../tools/toolbox.js';
import type { UserEntityStore } from '../store/types.js';
import { SecretScrubber } from '../domain/secrets.js';
import { drainServers } from './drain.js';
import { createLogger } from './logger.js';
import { learningRows, learnSystemMcp, providerKeys } from './secrets.js';

/** How the daemon was asked to start (CLI flags override ares.toml and env). */
export interface DaemonOptions {
  paths: Paths;
  port?: number;
  host?: string;
  /** Echo log lines to stdout (true in `--foreground` when not spawned by `server start`). */
  echoLogs: boolean;
  /** Called once the daemon serves on both listeners. */
  onReady?: (info: { pid: number; url: string; socket: string }) => void;
}

/** A running daemon: `stopped` resolves with the exit code after a signal-driven shutdown. */
export interface RunningDaemon {
  url: string;
  stopped: Promise<number>;
}

function listen(server: Server, target: { port: number; host: string } | { path: string }): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolvePromise();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    if ('path' in target) server.listen(target.path);
    else server.listen(target.port, target.host);
  });
}

/**
 * The HS256 key for access tokens (SPEC §6): the env secret when set; otherwise (loopback only, the
 * start refuses other bindings without it) a random 32-byte key generated once and kept in
 * `DATA_DIR/jwt-secret` with mode 0600, so tokens survive restarts.
 */
function jwtSecret(fromEnv: string | undefined, dataDir: string): Uint8Array {
  if (fromEnv) return new TextEncoder().encode(fromEnv);
  const file = resolve(dataDir, 'jwt-secret');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  try {
    writeFileSync(file, randomBytes(32).toString('base64url'), { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  chmodSync(file, 0o600);
  return new TextEncoder().encode(readFileSync(file, 'utf8').trim());
}

/** True when something accepts connections on the Unix socket at `path`. */
function socketAnswers(path: string): Promise<boolean> {
  return new Promise((res) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      res(true);
    });
    s.once('error', () => res(false));
  });
}

/**
 * Start the daemon. Resolves once it serves; rejects (after cleaning up everything it created) with a
 * DomainError whose message is ready for the user: CONFIG_INVALID (ares.toml:LINE:COL), CONFLICT
 * (already running / port in use), BAD_REQUEST (socket path too long), UNAVAILABLE (database).
 */
export async function startDaemon(opts: DaemonOptions): Promise<RunningDaemon> {
  const { paths } = opts;
  const startedAt = Date.now();
  const cleanups: (() => void)[] = [];
  const cleanup = () => {
    while (cleanups.length) {
      try {
        cleanups.pop()!();
      } catch {
        /* best effort */
      }
    }
  };

  let log: Logger | undefined;
  try {
    checkSocketPath(paths);
    mkdirSync(paths.home, { recursive: true, mode: 0o700 });
    if (isEmptyHome(paths.home)) initHome(paths.home);
    const config = loadAresConfig(paths.aresToml);
    if (opts.port !== undefined) config.server.port = opts.port;
    if (opts.host !== undefined) config.server.host = opts.host;
    if (!isLoopbackHost(config.server.host)) {
      config.auth.required = true;
      if (!process.env[config.auth.jwt_secret_env]) {
        throw new DomainError(
          'CONFIG_INVALID',
          `refusing to listen on ${config.server.host} without authentication: set ${config.auth.jwt_secret_env} (a long random secret) or bind to 127.0.0.1`,
        );
      }
    }
    mkdirSync(paths.runDir, { recursive: true, mode: 0o700 });
    chmodSync(paths.runDir, 0o700);
    cleanups.push(acquirePidFile(paths.pidFile));

    // Configured secret values, scrubbed from every log line, response, event and stored run.
    const secrets = new SecretScrubber();
    secrets.set('providers', providerKeys(config.providers, process.env));
    log = createLogger({ file: paths.logFile, level: config.logging.level, echo: opts.echoLogs, scrub: secrets.scrub });
    const logger = log;
    cleanups.push(() => logger.flush());

    const store = openSqliteStore(resolve(paths.home, config.database.path));
    cleanups.push(() => store.close());
    // A data directory inside the home is owner-only (0700), also when an older version left it looser.
    const dataDir = relative(paths.home, dirname(resolve(paths.home, config.database.path)));
    if (dataDir && !dataDir.startsWith('..') && !isAbsolute(dataDir)) chmodSync(resolve(paths.home, dataDir), 0o700);

    // MCP servers (issue 6): connected in the background from each served snapshot; a sync SIGKILL of
    // every stdio child is the last resort if startup fails or the process exits without shutdown().
    const mcp = createMcpManager({
      log: logger,
      cwd: paths.home,
      childrenFile: resolve(paths.runDir, 'mcp-children.json'),
      clientInfo: { name: 'caxton', version: versionInfo().version },
    });
    // Servers no agent may use stay idle (no process): e.g. a sample `npx -y ...` server in config/mcps
    // that no agent names, or one `[tools] deny` takes away whole with `server.*`.
    // Their secret env values are learned first, so nothing they print can leave unscrubbed.
    const reconcileMcp = (snapshot: ConfigSnapshot) => {
      learnSystemMcp(secrets, snapshot, process.env);
      mcp.reconcile(
        [...snapshot.mcps.values()].map((m) => m.value),
        serversUsedBy([...snapshot.agents.values()].map((a) => a.value), config.tools.deny),
      );
    };
    // User-tier MCP servers (SPEC §4): one connection per `user_mcps` row, started on first use.
    const userMcp = createMcpPool({
      log: logger,
      cwd: paths.home,
      childrenFile: resolve(paths.runDir, 'mcp-user-children.json'),
      clientInfo: { name: 'caxton', version: versionInfo().version },
    });
    const killMcpChildren = () => {
      mcp.killAll();
      userMcp.killAll();
    };
    process.once('exit', killMcpChildren);
    cleanups.push(() => {
      process.off('exit', killMcpChildren);
      killMcpChildren();
    });

    const providerNames = Object.keys(config.providers);
    // System agents gone from config on reload lose their lifecycle state (set once the runtime exists).
    let forgetGoneAgents: (snapshot: ConfigSnapshot) => void = () => {};
    // Hot reload: the first load serves even with errors (bad entities left out); later reloads
    // with errors are rejected whole and the last good snapshot keeps serving (src/config/watch.ts).
    const watcher = watchConfig({
      configDir: paths.configDir,
      load: () =>
        loadConfigTree(paths.configDir, {
          providers: providerNames,
          defaultModel: config.defaults.model,
          builtinTools: BUILTIN_TOOL_NAMES,
          displayRoot: paths.home,
        }),
      log: logger,
      onSwap: (snapshot) => {
        reconcileMcp(snapshot);
        forgetGoneAgents(snapshot);
      },
    });
    cleanups.push(() => void watcher.close());
    await watcher.ready;
    reconcileMcp(watcher.current());
    for (const d of watcher.current().diagnostics) {
      logger[isWarning(d) ? 'warn' : 'error']({ diagnostic: d }, `config: ${d.file}:${d.line}:${d.col}: ${d.code} ${d.message}`);
    }
    const providers = createProviderRegistry(config.providers, {
      baseDir: paths.home,
      onRetry: (info) => logger.warn(info, `provider ${info.provider}: retrying in ${info.delayMs} ms`),
    });
    providers.probe();
    // A changed or deleted user MCP row closes its connection at once (the next run reconnects to the
    // new value); any write to user tools or MCP servers empties the per-user tool resolution cache.
    const rows = learningRows(store.tenants.entities, secrets, process.env);
    let toolRowsChanged = () => {};
    const entities: UserEntityStore = {
      ...rows,
      insert(kind, userId, value, isPublic) {
        const row = rows.insert(kind, userId, value, isPublic);
        if (kind !== 'agents') toolRowsChanged();
        return row;
      },
      update(kind, userId, name, value, isPublic) {
        const before = kind === 'mcps' ? rows.own(kind, userId, name) : undefined;
        const row = rows.update(kind, userId, name, value, isPublic);
        if (before) userMcp.drop(before.id);
        if (kind !== 'agents') toolRowsChanged();
        return row;
      },
      remove(kind, userId, name) {
        const before = kind === 'mcps' ? rows.own(kind, userId, name) : undefined;
        const removed = rows.remove(kind, userId, name);
        if (before && removed) userMcp.drop(before.id);
        if (kind !== 'agents') toolRowsChanged();
        return removed;
      },
    };
    const tenants = { ...store.tenants, entities };
    // An agent found unable to run (its model is gone) is marked failed in the runtime, once logged.
    let agentFault: (key: string, reason: string) => void = () => {};
    const catalog = createCatalog({
      snapshot: () => watcher.current(),
      defaultModel: config.defaults.model,
      tenants: entities,
      builtinTools: () => BUILTIN_TOOL_NAMES,
      onAgentFault: (key, reason) => agentFault(key, reason),
    });
    // Tool sets per user (SPEC §4): the user's own tools and MCP servers first, then builtins and
    // system servers (resolved by bare name through catalog.lookup, never another user's rows);
    // without a user (or when the agent names nothing user-tier) the system array, rebuilt only
    // when the MCP manager's array changes.
    const scoped = createScopedSets({
      builtins: createBuiltinTools({ memory: store.memory, entities: () => watcher.current().tools }),
      system: mcp,
      pool: userMcp,
      resolveMcp: (name, userId) => catalog.lookup('mcps', name, userId),
      resolveTool: (name, userId) => catalog.lookup('tools', name, userId),
      // SSRF guard: a row may reach private addresses only when its owner is an admin or ares.toml
      // says `[mcp] allow_private_urls = true`; other rows connect to public addresses only.
      trusted: (owner) => config.mcp.allow_private_urls || store.tenants.users.byId(owner)?.is_admin === true,
      deny: config.tools.deny,
    });
    toolRowsChanged = () => scoped.invalidate();
    const toolbox = createToolbox({ sets: scoped.sets, prepare: scoped.prepare, deny: config.tools.deny, log: logger });
    const runtime = createRuntime({
      store,
      providers,
      toolbox,
      memory: store.memory,
      usage: tenants.entities,
      log: logger,
      scrub: secrets.scrub,
      limits: {
        maxConcurrentPerAgent: config.runtime.max_concurrent_runs_per_agent,
        maxQueuedPerAgent: config.runtime.max_queued_runs_per_agent,
        maxQueuedTotal: config.runtime.max_queued_runs,
      },
    });
    forgetGoneAgents = (snapshot) => runtime.agents.retain((key) => isUserAgentKey(key) || snapshot.agents.has(key));
    agentFault = (key, reason) => {
      const before = runtime.agents.status(key);
      if (before.state === 'failed' && before.reason === reason) return;
      const after = runtime.agents.fail(key, reason);
      if (after.state === 'failed') logger.warn({ agent: key, reason }, `agent ${key} failed: ${reason}`);
    };
    const version = versionInfo();

    const configStatus = (): ConfigStatus => {
      const snapshot = watcher.current();
      return {
        loaded_at: snapshot.loadedAt,
        errors: snapshot.diagnostics.filter((d) => !isWarning(d)).length,
        warnings: snapshot.diagnostics.filter(isWarning).length,
        diagnostics: snapshot.diagnostics.map((d) => ({ ...d })),
        ...watcher.status(),
      };
    };

    let url = '';
    const status = (): StatusReport => {
      const snapshot = watcher.current();
      const states = new Map(providers.states().map((s) => [s.name, s]));
      return {
        running: true,
        pid: process.pid,
        version: version.version,
        node: process.version,
        url,
        socket: paths.socket,
        home: paths.home,
        started_at: startedAt,
        uptime_ms: Date.now() - startedAt,
        agents: snapshot.agents.size,
        counts: catalog.counts(),
        models: [...snapshot.models.values()].map(({ value: m }) => {
          const s = states.get(m.provider);
          return {
            name: m.name,
            provider: m.provider,
            provider_type: s?.type ?? 'unknown',
            model: m.model,
            state: s?.state ?? 'offline',
            ...(s?.reason ? { reason: s.reason } : {}),
          };
        }),
        database: store.health(),
        config: configStatus(),
      };
    };

    const dbPath = resolve(paths.home, config.database.path);
    const tokenKey = jwtSecret(process.env[config.auth.jwt_secret_env], dirname(dbPath));
    secrets.set('jwt', [new TextDecoder().decode(tokenKey)]);
    const app = createApp({
      catalog,
      runtime,
      tenants,
      conversations: store.conversations,
      auth: {
        required: config.auth.required,
        jwtSecret: tokenKey,
        accessTtlSecs: config.auth.access_token_ttl_secs,
        refreshTtlSecs: config.auth.refresh_token_ttl_secs,
      },
      codec: { writeEntity: (kind, value, format) => writeEntity(kind, value as never, format), parseEntity: (kind, text, format, file) => parseEntity(kind, text, format, file) },
      storeHealth: () => store.health(),
      status,
      configStatus,
      version: version.version,
      startedAt,
      maxBodyBytes: config.limits.max_body_bytes,
      log: logger,
      secrets,
      boundary: { allowedHosts: [...config.server.allowed_hosts, config.server.host], corsOrigins: config.server.cors_origins },
      mcpServers: () => mcp.status(),
      userMcpServers: () => userMcp.status(),
      ...(config.mcp.allow_private_urls ? {} : { checkMcpUrl: publicUrlRefusal }),
    });

    // Same app on both listeners; the socket listener tags requests as coming from the local admin.
    // TCP clients must send a whole request within the timeouts (checked every second; responses and
    // streams are not limited), and at most max_connections are open at once.
    const { request_timeout_ms: requestTimeout, headers_timeout_ms: headersTimeout } = config.server;
    const tcp = createAdaptorServer({
      fetch: (req, env) => app.fetch(req, { ...env, transport: 'tcp' }),
      serverOptions: { requestTimeout, headersTimeout, connectionsCheckingInterval: 1000 },
    }) as Server;
    tcp.maxConnections = config.server.max_connections;
    const unix = createAdaptorServer({ fetch: (req, env) => app.fetch(req, { ...env, transport: 'socket' }) }) as Server;

    if (await socketAnswers(paths.socket)) {
      throw new DomainError('CONFLICT', `another daemon answers on ${paths.socket}`);
    }
    try {
      unlinkSync(paths.socket); // stale socket from a crash
    } catch {
      /* none */
    }
    await listen(unix, { path: paths.socket });
    chmodSync(paths.socket, 0o600);
    cleanups.push(() => {
      try {
        unlinkSync(paths.socket);
      } catch {
        /* gone */
      }
    });
    cleanups.push(() => unix.close());

    try {
      await listen(tcp, { port: config.server.port, host: config.server.host });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'EADDRINUSE') {
        throw new DomainError(
          'CONFLICT',
          `port ${config.server.port} on ${config.server.host} is already in use; pick another with --port N or [server] port in ares.toml`,
        );
      }
      if (e.code === 'EACCES') {
        throw new DomainError('CONFLICT', `not allowed to listen on ${config.server.host}:${config.server.port} (ports below 1024 need privileges)`);
      }
      if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND') {
        throw new DomainError('CONFIG_INVALID', `cannot listen on host ${config.server.host}: no such local address`);
      }
      throw err;
    }
    cleanups.push(() => tcp.close());
    const addr = tcp.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.server.port;
    const host = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host;
    url = `http://${host}:${port}`;

    logger.info(
      { url, socket: paths.socket, home: paths.home, version: version.version, agents: watcher.current().agents.size, startup_ms: Date.now() - startedAt },
      'caxton daemon started',
    );

    const stopped = new Promise<number>((resolveStopped) => {
      let stopping = false;
      const shutdown = (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal, grace_ms: config.server.shutdown_grace_ms }, 'shutting down: new requests get 503, waiting for in-flight requests');
        // Runs past the grace period are cancelled and recorded; clients get a stated end (src/daemon/drain.ts).
        void drainServers({ servers: [tcp, unix], runtime, graceMs: config.server.shutdown_grace_ms, log: logger })
          // MCP children end before the pid file goes, so "stopped" means no child process is left.
          .then(() => Promise.all([mcp.close(), userMcp.close()]))
          .then(() => {
            logger.info({ uptime_ms: Date.now() - startedAt }, 'caxton daemon stopped');
            // Removing the socket and pid file happens in cleanup(), after in-flight work is over.
            cleanup();
            resolveStopped(0);
          });
      };
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      process.once('SIGINT', () => shutdown('SIGINT'));
    });

    opts.onReady?.({ pid: process.pid, url, socket: paths.socket });
    // Libraries the API and tools import on first use (to keep start-up short) are loaded now, in the
    // background, so the first authenticated request or http_fetch does not pay for them. A failure
    // here resurfaces, with its message, at that first use.
    setImmediate(() => void Promise.all([import('jose'), import('undici')]).catch(() => undefined));
    return { url, stopped };
  } catch (err) {
    log?.error({ err }, 'caxton daemon failed to start');
    cleanup();
    throw err;
  }
}
