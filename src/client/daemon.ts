/**
 * The CLI side of the daemon lifecycle (ARCHITECTURE, after Nx's daemon client): spawn
 * `process.execPath` detached with output to the log file, wait for its IPC "ready" or "error",
 * `unref()`; stop by SIGTERM to the pid from the pid file and wait for the process to go.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DomainError } from '../domain/errors.js';
import { fromWireError } from '../domain/wire-error.js';
import type { StatusReport } from '../domain/status.js';
import type { Paths } from '../ipc/paths.js';
import { processAlive, readLivePid } from '../ipc/pidfile.js';
import { DAEMON_CHILD_ENV, type DaemonMessage, type ReadyMessage } from '../ipc/protocol.js';
import { NotRunningError, requestJson } from './http.js';

/** Status of the running daemon. @throws NotRunningError when nothing answers on the socket. */
export function fetchStatus(paths: Paths): Promise<StatusReport> {
  return requestJson<StatusReport>(paths.socket, '/api/status', { timeoutMs: 5000 });
}

/** Outcome of `startDetached`: started now, or one was already running. */
export type StartOutcome = { started: true; ready: ReadyMessage } | { started: false; pid: number; status?: StatusReport };

/**
 * Spawn the daemon detached and wait until it serves (or fails). `timeoutMs` bounds the wait.
 * @throws DomainError with the daemon's own message (e.g. `ares.toml:3:5: ...`, port in use).
 */
export async function startDetached(paths: Paths, flags: { port?: number; host?: string }, timeoutMs = 15_000): Promise<StartOutcome> {
  const pid = readLivePid(paths.pidFile);
  if (pid !== undefined) {
    const status = await fetchStatus(paths).catch(() => undefined);
    return { started: false, pid, ...(status ? { status } : {}) };
  }
  mkdirSync(paths.logsDir, { recursive: true });
  const logFd = openSync(paths.logFile, 'a');
  const cli = fileURLToPath(new URL('../cli/main.js', import.meta.url));
  const args = [cli, 'server', 'start', '--foreground', '--home', paths.home];
  if (flags.port !== undefined) args.push('--port', String(flags.port));
  if (flags.host !== undefined) args.push('--host', flags.host);
  const child = spawn(process.execPath, args, {
    detached: true,
    stdio: ['ignore', logFd, logFd, 'ipc'],
    env: { ...process.env, [DAEMON_CHILD_ENV]: '1' },
  });
  closeSync(logFd);

  const message = await new Promise<DaemonMessage>((resolve) => {
    const timer = setTimeout(
      () => resolve({ type: 'error', code: 'TIMEOUT', message: `the daemon did not report ready within ${timeoutMs / 1000} s; see ${paths.logFile}` }),
      timeoutMs,
    );
    child.once('message', (m: DaemonMessage) => {
      clearTimeout(timer);
      resolve(m);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ type: 'error', code: 'INTERNAL', message: `the daemon exited during start (${signal ?? `code ${code}`}); see ${paths.logFile}` });
    });
  });
  child.removeAllListeners();
  if (child.connected) child.disconnect();
  child.unref();

  if (message.type === 'ready') return { started: true, ready: message };
  if (message.code === 'CONFLICT' && message.pid !== undefined) return { started: false, pid: message.pid };
  if (message.code === 'TIMEOUT' && child.pid !== undefined && processAlive(child.pid)) child.kill('SIGTERM');
  throw fromWireError({ error: message }) ?? new DomainError('INTERNAL', 'the daemon failed to start');
}

/**
 * Stop the daemon: SIGTERM, then wait up to `timeoutMs` for the process to exit (it finishes in-flight
 * requests first). Returns the pid that stopped. @throws NotRunningError, DomainError TIMEOUT.
 */
export async function stopDaemon(paths: Paths, timeoutMs = 30_000): Promise<number> {
  const pid = readLivePid(paths.pidFile);
  if (pid === undefined) throw new NotRunningError(paths.socket);
  try {
    process.kill(pid, 'SIGTERM');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EPERM') {
      throw new DomainError('UNAUTHORIZED', `not allowed to signal the daemon (pid ${pid}); run as its owner`);
    }
  }
  const deadline = Date.now() + timeoutMs;
  while (processAlive(pid)) {
    if (Date.now() > deadline) {
      throw new DomainError('TIMEOUT', `the daemon (pid ${pid}) is still finishing work after ${timeoutMs / 1000} s; wait, or force it with: kill -9 ${pid}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return pid;
}
