/**
 * The daemon process (SPEC §8, STORY-002): prepares the home, builds every part
 * (src/daemon/services.ts), serves the app on TCP and on the control socket (src/daemon/listen.ts)
 * and shuts down on SIGINT/SIGTERM with a grace period (src/daemon/shutdown.ts).
 */
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { createApp } from '../api/app.js';
import { createLiveEvents } from '../api/live-events.js';
import { isLoopbackHost, loadAresConfig, type AresConfig } from '../config/ares-toml.js';
import { initHome, isEmptyHome } from '../config/init.js';
import { DomainError } from '../domain/errors.js';
import { checkSocketPath, type Paths } from '../ipc/paths.js';
import { acquirePidFile } from '../ipc/pidfile.js';
import { createCleanup } from './cleanup.js';
import { createListeners } from './listen.js';
import { createLogger, type LogOptions } from './logger.js';
import { configuredSecrets } from './secrets.js';
import { buildServices } from './services.js';
import { startTracing } from './telemetry.js';
import { stopOnSignal } from './shutdown.js';

/** How the daemon was asked to start (CLI flags override ares.toml and env). */
export interface DaemonOptions {
  paths: Paths;
  port?: number;
  host?: string;
  /** Echo log lines to stdout besides the log file (true in `--foreground` when not spawned by `server start`). */
  echoLogs: boolean;
  /** Called once the daemon serves on both listeners. */
  onReady?: (info: { pid: number; url: string; socket: string }) => void;
}

/** A running daemon: `stopped` resolves with the exit code after a signal-driven shutdown. */
export interface RunningDaemon {
  url: string;
  stopped: Promise<number>;
}

/**
 * ares.toml with the CLI's `--port`/`--host` applied. A non-loopback host requires authentication.
 * @throws DomainError CONFIG_INVALID (ares.toml:LINE:COL, or a non-loopback host without the JWT secret in the env).
 */
function daemonConfig(opts: DaemonOptions): AresConfig {
  const config = loadAresConfig(opts.paths.aresToml);
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
  return config;
}

/** The built dashboard next to the built daemon (`dist/web`, written by `npm run build`), when there is one. */
function dashboardDeps(): { dashboardRoot?: string } {
  const root = fileURLToPath(new URL('../web', import.meta.url));
  return existsSync(join(root, 'index.html')) ? { dashboardRoot: root } : {};
}

/** `[logging]` of ares.toml as logger options. */
function logOptions(config: AresConfig): Omit<LogOptions, 'file' | 'echo' | 'scrub' | 'tap'> {
  const { level, destination, max_file_bytes: maxFileBytes, max_files: maxFiles, syslog_address: address, syslog_facility: facility } = config.logging;
  return { level, destination, maxFileBytes, maxFiles, syslog: { address, facility } };
}

/** Check the socket path, create the home (0700; filled with the samples when empty). */
function prepareHome(paths: Paths): void {
  checkSocketPath(paths);
  mkdirSync(paths.home, { recursive: true, mode: 0o700 });
  if (isEmptyHome(paths.home)) initHome(paths.home);
}

/** Create the run directory (0700) and take the pid file. @returns the pid file's release. */
function takePidFile(paths: Paths): () => void {
  mkdirSync(paths.runDir, { recursive: true, mode: 0o700 });
  chmodSync(paths.runDir, 0o700);
  return acquirePidFile(paths.pidFile);
}

/**
 * Start the daemon. Resolves once it serves; rejects (after releasing everything it created, last
 * created first) with a DomainError whose message is ready for the user: CONFIG_INVALID
 * (ares.toml:LINE:COL), CONFLICT (already running / port in use), BAD_REQUEST (socket path too long),
 * UNAVAILABLE (database).
 */
export async function startDaemon(opts: DaemonOptions): Promise<RunningDaemon> {
  const { paths } = opts;
  const startedAt = Date.now();
  const cleanups = createCleanup();
  let log: Logger | undefined;
  try {
    prepareHome(paths);
    const config = daemonConfig(opts);
    cleanups.push(takePidFile(paths));
    // Configured secret values, scrubbed from every log line, response, event and stored run.
    const secrets = configuredSecrets(config, process.env);
    const live = createLiveEvents();
    const tap = (line: string) => void (live.size() > 0 && live.publish({ type: 'log', line: line.trimEnd() }));
    const root = createLogger({ ...logOptions(config), file: paths.logFile, echo: opts.echoLogs, scrub: secrets.scrub, tap });
    const logger = (log = root.child({ component: 'daemon' }));
    // Started first and so shut down last: spans of the runs cancelled at shutdown are still flushed.
    const traceLog = root.child({ component: 'telemetry' });
    const tracing = await startTracing(config.telemetry, process.env, (msg) => traceLog.warn(`tracing: ${msg}`));
    if (tracing) cleanups.push(tracing.shutdown);
    const listeners = createListeners(config.server, paths.socket);
    const services = await buildServices(config, paths, root, { secrets, startedAt, url: listeners.url, live, app: dashboardDeps() });
    cleanups.push(services.close);
    await services.ready;
    const app = createApp(services.deps);
    cleanups.push(listeners.close);
    await listeners.serve((req, env) => app.fetch(req, env));
    const url = listeners.url();
    logger.info(
      {
        url,
        socket: paths.socket,
        home: paths.home,
        version: services.deps.version,
        agents: services.watcher.current().agents.size,
        startup_ms: Date.now() - startedAt,
        ...(tracing ? { traces: tracing.url } : {}),
      },
      'caxton daemon started',
    );
    const { runtime, stopMcp } = services;
    const servers = [listeners.tcp, listeners.unix];
    const stopped = stopOnSignal({ servers, runtime, graceMs: config.server.shutdown_grace_ms, log: logger, startedAt, stopMcp, release: cleanups.run });
    opts.onReady?.({ pid: process.pid, url, socket: paths.socket });
    // Libraries the API and tools import on first use (to keep start-up short) are loaded now, in the
    // background, so the first authenticated request or http_fetch does not pay for them. A failure
    // here resurfaces, with its message, at that first use.
    setImmediate(() => void Promise.all([import('jose'), import('undici')]).catch(() => undefined));
    return { url, stopped };
  } catch (err) {
    log?.error({ err }, 'caxton daemon failed to start');
    await cleanups.run();
    throw err;
  }
}
