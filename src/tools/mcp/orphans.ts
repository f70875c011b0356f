/**
 * MCP children left behind by a daemon that could not clean up (SIGKILL, OOM kill, power loss in a
 * container): a graceful stop and a crash that reaches `process.on('exit')` end every child, but
 * nothing runs after SIGKILL and most stdio servers do not exit when their stdin closes. The manager
 * records its live children (pid + command line) in a file in `run/`, and the next daemon start
 * kills those that still run with the same command line (so a reused pid is never hit).
 * Linux only (reads /proc); elsewhere nothing is killed.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';

/** One recorded child. */
interface ChildRecord {
  pid: number;
  /** `/proc/PID/cmdline` when it was recorded (NUL-separated). */
  cmdline: string;
}

function cmdlineOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Kill (SIGKILL) the children recorded in `file` that still run the same command line, then remove
 * the file. Returns the pids killed. Never throws.
 */
export function reapOrphans(file: string): number[] {
  let records: ChildRecord[];
  try {
    records = JSON.parse(readFileSync(file, 'utf8')) as ChildRecord[];
  } catch {
    return [];
  }
  const killed: number[] = [];
  for (const r of Array.isArray(records) ? records : []) {
    if (!Number.isInteger(r?.pid) || r.pid <= 1 || r.pid === process.pid || !r.cmdline) continue;
    if (cmdlineOf(r.pid) !== r.cmdline) continue;
    try {
      process.kill(r.pid, 'SIGKILL');
      killed.push(r.pid);
    } catch {
      /* gone meanwhile */
    }
  }
  rmSync(file, { force: true });
  return killed;
}

/** Record `pids` (live children) in `file`, replacing what it held; an empty list removes it. Never throws. */
export function recordChildren(file: string, pids: readonly number[]): void {
  try {
    const records: ChildRecord[] = [];
    for (const pid of pids) {
      const cmdline = cmdlineOf(pid);
      if (cmdline) records.push({ pid, cmdline });
    }
    if (records.length === 0) {
      rmSync(file, { force: true });
      return;
    }
    writeFileSync(`${file}.tmp`, JSON.stringify(records));
    renameSync(`${file}.tmp`, file);
  } catch {
    /* best effort: the run dir may be gone during shutdown */
  }
}
