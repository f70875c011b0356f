/**
 * PID file as the single-instance lock (SPEC §8). Created with O_EXCL so two daemons racing for the
 * same home cannot both win; a file left by a dead process is detected (`kill(pid, 0)`, and on Linux
 * `/proc/PID/cmdline`) and replaced. Only the owner removes it.
 */
import { openSync, readFileSync, unlinkSync, writeSync, closeSync } from 'node:fs';
import { DomainError } from '../domain/errors.js';

/**
 * True when a process with `pid` exists and has not exited (EPERM counts: it exists but belongs to
 * someone else). A zombie (exited, not yet reaped, as happens under a container's PID 1) is dead.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (macOS): trust kill(0)
  }
}

/** True when `pid` is alive and, where the OS tells, runs node (guards against PID reuse after a crash/reboot). */
function looksLikeDaemon(pid: number): boolean {
  if (!processAlive(pid)) return false;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return /node|caxton|ares/.test(cmdline);
  } catch {
    return true; // no /proc (macOS) or not readable: trust kill(0)
  }
}

/** The pid recorded in `pidFile` if that process is alive, else undefined (missing, garbage or stale). */
export function readLivePid(pidFile: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(pidFile, 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number.parseInt(text.trim(), 10);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return looksLikeDaemon(pid) ? pid : undefined;
}

function safeRead(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Thrown by `acquirePidFile` when another live daemon owns the home. */
export class AlreadyRunningError extends DomainError {
  constructor(readonly pid: number) {
    super('CONFLICT', `caxton is already running (pid ${pid})`);
  }
}

/**
 * Create `pidFile` holding `pid`, replacing a stale one. Returns a release function that removes the
 * file only if it still holds our pid. @throws AlreadyRunningError when a live daemon holds it.
 */
export function acquirePidFile(pidFile: string, pid: number = process.pid): () => void {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(pidFile, 'wx', 0o644);
      writeSync(fd, `${pid}\n`);
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(pidFile, 'utf8').trim() === String(pid)) unlinkSync(pidFile);
        } catch {
          /* already gone */
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = readLivePid(pidFile);
      if (owner !== undefined && owner !== pid) throw new AlreadyRunningError(owner);
      // Stale, or empty because a racer is between open and write: look again after a moment.
      const seen = safeRead(pidFile);
      if (seen === '') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
        const again = readLivePid(pidFile);
        if (again !== undefined && again !== pid) throw new AlreadyRunningError(again);
      }
      // Remove only what we judged stale; if it changed meanwhile, loop and judge again.
      if (safeRead(pidFile) === seen) {
        try {
          unlinkSync(pidFile);
        } catch {
          /* a racer removed it first */
        }
      }
    }
  }
  throw new DomainError('UNAVAILABLE', `cannot create pid file ${pidFile}`);
}
