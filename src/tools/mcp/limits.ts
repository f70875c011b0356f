/**
 * OS-enforced limits of a stdio MCP server child (issue requirement: `memory_mb` and `cpu_secs` on
 * the MCP server entity, `[mcp] default_memory_mb` in ares.toml), applied with `prlimit` from
 * util-linux, which sets the limits and then execs the server, so the child's pid is the server's.
 *
 * Memory is RLIMIT_DATA (`--data`), not RLIMIT_AS: since Linux 4.7 RLIMIT_DATA counts the private
 * writable memory a process maps (heap, anonymous mmap), which is what a leak or a runaway
 * allocation grows, while V8 (any Node-based server) reserves gigabytes of inaccessible address
 * space at start that RLIMIT_AS would count, so a useful RLIMIT_AS would stop Node before it runs.
 * cgroup v2 `memory.max` would need a delegated cgroup the daemon usually lacks. CPU is RLIMIT_CPU:
 * SIGXCPU at `cpu_secs`, SIGKILL one second later if the server ignores it.
 * Without `/usr/bin/prlimit` servers start without limits and one warning is logged.
 */
import { existsSync } from 'node:fs';
import type { McpServer } from '../../domain/entities.js';

/** Where util-linux installs prlimit on Debian and most distributions. */
export const PRLIMIT = '/usr/bin/prlimit';

/** The limits one child runs under; absent fields are unlimited. */
export interface ChildLimits {
  /** Private writable memory (RLIMIT_DATA), in MiB. */
  memoryMb?: number;
  /** CPU time, user + system, in seconds (RLIMIT_CPU). */
  cpuSecs?: number;
}

/** How a child ended, as Node reports it. */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The limits of `server`: its own `memory_mb`/`cpu_secs`, else `defaultMemoryMb` for memory. */
export function limitsOf(server: McpServer, defaultMemoryMb: number | undefined): ChildLimits {
  const memoryMb = server.memory_mb ?? defaultMemoryMb;
  return { ...(memoryMb !== undefined ? { memoryMb } : {}), ...(server.cpu_secs !== undefined ? { cpuSecs: server.cpu_secs } : {}) };
}

let warned = false;

/**
 * The command and args that start `command args` under `limits`: wrapped in prlimit when a limit is
 * set and prlimit exists; otherwise unchanged (with one `warn` per process when limits are lost).
 */
export function wrapCommand(
  command: string,
  args: readonly string[],
  limits: ChildLimits,
  warn: (msg: string) => void,
  prlimit: string = PRLIMIT,
): { command: string; args: string[]; limited: boolean } {
  const flags = [
    ...(limits.memoryMb !== undefined ? [`--data=${limits.memoryMb * 1024 * 1024}`] : []),
    ...(limits.cpuSecs !== undefined ? [`--cpu=${limits.cpuSecs}:${limits.cpuSecs + 1}`] : []),
  ];
  if (flags.length === 0) return { command, args: [...args], limited: false };
  if (!existsSync(prlimit)) {
    if (!warned) warn(`${prlimit} not found (install util-linux): MCP servers start without memory_mb/cpu_secs limits`);
    warned = true;
    return { command, args: [...args], limited: false };
  }
  return { command: prlimit, args: [...flags, '--', command, ...args], limited: true };
}

/** Output a child prints when an allocation fails (Node, Python, C/C++, Go, Rust runtimes). */
const OUT_OF_MEMORY = /out of memory|MemoryError|Cannot allocate memory|ENOMEM|bad_alloc|memory allocation of \d+ bytes failed/i;

/** Whether a chunk of a child's stderr reports a failed allocation. */
export function reportsOutOfMemory(text: string): boolean {
  return OUT_OF_MEMORY.test(text);
}

/**
 * Which limit a child broke, in words ("exceeded memory_mb=64", "exceeded cpu_secs=5"), or
 * undefined when its exit does not look like a limit. CPU: SIGXCPU. Memory: a failed exit (non-zero
 * code or a signal) after its stderr reported a failed allocation (`outOfMemory`), or a SIGKILL.
 */
export function breachOf(limits: ChildLimits, exit: ChildExit, outOfMemory: boolean): string | undefined {
  if (limits.cpuSecs !== undefined && exit.signal === 'SIGXCPU') return `exceeded cpu_secs=${limits.cpuSecs}`;
  const failed = exit.signal !== null || (exit.code !== null && exit.code !== 0);
  if (limits.memoryMb !== undefined && failed && (outOfMemory || exit.signal === 'SIGKILL')) return `exceeded memory_mb=${limits.memoryMb}`;
  return undefined;
}
