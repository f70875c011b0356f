/**
 * What the MCP manager (system servers by name) and the user MCP pool (user rows by id) share: a
 * keyed set of live `McpConnection`s plus the ones being closed, the connection defaults, the record
 * of live stdio children in `run/` (and reaping a killed daemon's leftovers at start), retiring a
 * connection (close in the background, still killable), closing and killing them all.
 */
import { McpConnection, type Backoff, type ConnectionOptions, type McpLog, type TransportFactory } from './connection.js';
import { reapOrphans, recordChildren } from './orphans.js';
import { realTransports } from './transports.js';

/** Options shared by the manager and the pool. Defaults: real transports, `process.env`, backoff 500 ms doubling to 30 s. */
export interface FleetOptions {
  log: McpLog;
  /** Client name/version announced to servers in `initialize`. */
  clientInfo?: { name: string; version: string };
  createTransport?: TransportFactory;
  /** Working directory of stdio children (the daemon passes its home); default: the daemon's own. */
  cwd?: string;
  /**
   * File (in `run/`) where live stdio children are recorded. When set, children a previous process
   * left behind (it was SIGKILLed) are killed when the fleet is created (src/tools/mcp/orphans.ts).
   */
  childrenFile?: string;
  env?: Readonly<Record<string, string | undefined>>;
  backoff?: Backoff;
  /** `[mcp] default_memory_mb`: memory limit (MiB) of stdio servers that set no `memory_mb`; default none. */
  defaultMemoryMb?: number;
}

/** The real transports with the fleet's memory default; a missing prlimit is logged as a warning. */
export function fleetTransports(opts: FleetOptions, publicOnly = false): TransportFactory {
  return realTransports(opts.cwd, {
    publicOnly,
    ...(opts.defaultMemoryMb !== undefined ? { defaultMemoryMb: opts.defaultMemoryMb } : {}),
    warn: (msg) => opts.log.warn({}, `mcp: ${msg}`),
  });
}

/** A live connection and the fingerprint of the config it was made for. */
export interface FleetEntry {
  conn: McpConnection;
  print: string;
}

/** Keyed live connections and the ones closing. */
export interface Fleet {
  /** Live connections by key (server name or row id). Mutate freely; retire what you remove. */
  readonly live: Map<string, FleetEntry>;
  /** Connection options every new connection starts from (add `server`, `idle`). */
  readonly base: Omit<ConnectionOptions, 'server' | 'idle'>;
  /** Close `conn` in the background; it stays killable by `killAll` until closed. */
  retire(conn: McpConnection): void;
  /** Retire every live connection and wait until all are closed (children ended). */
  closeAll(): Promise<void>;
  /** SIGKILL every stdio child still known (live or closing). Synchronous. */
  killAll(): void;
}

/** Build a fleet; reaps leftovers recorded in `childrenFile` first (`leftovers` is the log message). */
export function createFleet(opts: FleetOptions, leftovers: string): Fleet {
  const live = new Map<string, FleetEntry>();
  const closing = new Map<McpConnection, Promise<void>>();
  if (opts.childrenFile) {
    const reaped = reapOrphans(opts.childrenFile);
    if (reaped.length) opts.log.warn({ pids: reaped }, leftovers);
  }
  const record = () => {
    if (!opts.childrenFile) return;
    const pids = [...live.values()].map((e) => e.conn.childPid()).concat([...closing.keys()].map((c) => c.childPid()));
    recordChildren(
      opts.childrenFile,
      pids.filter((p): p is number => p !== undefined),
    );
  };
  const retire = (conn: McpConnection) => {
    closing.set(
      conn,
      conn.close().finally(() => {
        closing.delete(conn);
        record();
      }),
    );
  };
  return {
    live,
    base: {
      onChildChange: () => record(),
      log: opts.log,
      createTransport: opts.createTransport ?? fleetTransports(opts),
      env: opts.env ?? process.env,
      backoff: opts.backoff ?? { initialMs: 500, maxMs: 30_000 },
      clientInfo: opts.clientInfo ?? { name: 'caxton', version: '0' },
    },
    retire,
    async closeAll() {
      for (const e of live.values()) retire(e.conn);
      live.clear();
      await Promise.all([...closing.values()]);
    },
    killAll() {
      for (const e of live.values()) e.conn.killNow();
      for (const conn of closing.keys()) conn.killNow();
    },
  };
}
