/**
 * `caxton server start [--port N] [--host H] [--foreground]` (SPEC §5, §8). Detached by default:
 * spawns the daemon and prints pid, URL and socket once it serves. Already running -> says so, exit 0.
 * `--foreground` runs the daemon in this process (systemd); when spawned by a detached start it
 * reports readiness or failure to its parent over IPC.
 */
import { startDetached } from '../../client/daemon.js';
import { DAEMON_CHILD_ENV, type DaemonMessage } from '../../ipc/protocol.js';
import { AlreadyRunningError } from '../../ipc/pidfile.js';
import { DomainError } from '../../domain/errors.js';
import { toWireError } from '../../domain/wire-error.js';
import { homePaths, type GlobalOptions } from '../context.js';
import { fail, printJson } from '../output.js';

type StartOptions = GlobalOptions & { port?: number; host?: string; foreground?: boolean };

/** Start the daemon; returns the exit code. */
export async function run(_args: string[], opts: StartOptions): Promise<number> {
  const paths = homePaths(opts);
  const flags = { ...(opts.port !== undefined ? { port: opts.port } : {}), ...(opts.host ? { host: opts.host } : {}) };
  if (opts.foreground) return runForeground(opts, flags);

  const outcome = await startDetached(paths, flags);
  if (!outcome.started) {
    if (opts.json) printJson({ started: false, already_running: true, pid: outcome.pid, url: outcome.status?.url, socket: paths.socket });
    else process.stdout.write(`caxton is already running (pid ${outcome.pid}${outcome.status ? `, ${outcome.status.url}` : ''})\n`);
    return 0;
  }
  const { pid, url, socket } = outcome.ready;
  if (opts.json) printJson({ started: true, pid, url, socket, home: paths.home, log: paths.logFile });
  else process.stdout.write(`caxton started (pid ${pid})\n  url:    ${url}\n  socket: ${socket}\n  logs:   ${paths.logFile}\n`);
  return 0;
}

async function runForeground(opts: StartOptions, flags: { port?: number; host?: string }): Promise<number> {
  const paths = homePaths(opts);
  const child = process.env[DAEMON_CHILD_ENV] === '1' && typeof process.send === 'function';
  const report = (m: DaemonMessage) => new Promise<void>((resolve) => process.send!(m, () => resolve()));
  const { startDaemon } = await import('../../daemon/main.js');
  try {
    const daemon = await startDaemon({
      paths,
      ...flags,
      echoLogs: !child,
      onReady: (info) => {
        if (child) void report({ type: 'ready', ...info }).then(() => process.disconnect?.());
      },
    });
    if (!child && !opts.json) process.stderr.write(`caxton serving on ${daemon.url} (socket ${paths.socket}); Ctrl-C stops\n`);
    const code = await daemon.stopped;
    process.exit(code);
  } catch (err) {
    if (child) {
      // Start-up failures keep their own message: it names the file or port the operator must fix.
      const wire = err instanceof DomainError ? toWireError(err) : { code: 'INTERNAL', message: (err as Error).message, details: [] };
      await report({
        type: 'error',
        code: wire.code,
        message: wire.message,
        ...(err instanceof AlreadyRunningError ? { pid: err.pid } : {}),
        ...(wire.details.length ? { details: wire.details } : {}),
      });
      return 1;
    }
    if (err instanceof AlreadyRunningError) {
      process.stdout.write(`${err.message}\n`);
      return 0;
    }
    return fail(err, opts.json === true);
  }
}
