/**
 * Resource readings of a stdio MCP server child from Linux `/proc` (issue requirement: RSS and CPU
 * per server in `caxton mcp list` and metrics). Each reader returns undefined on other systems or
 * when the process is gone; none throws.
 */
import { readFileSync } from 'node:fs';

/** Clock ticks per second of `/proc/PID/stat` times (USER_HZ, 100 on every Linux port Node runs on). */
const CLOCK_TICKS_PER_SEC = 100;

/** Resident memory of process `pid` in bytes, from `/proc/PID/status` (`VmRSS`). */
export function residentBytes(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** CPU time process `pid` has used, user + system, in seconds, from `/proc/PID/stat` (utime + stime). */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at state (field 3); utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks / CLOCK_TICKS_PER_SEC : undefined;
  } catch {
    return undefined;
  }
}
