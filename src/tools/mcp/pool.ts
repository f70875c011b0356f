/**
 * The user-tier MCP pool (SPEC §4 "MCP servers resolve the same way"; round-2 brief item 1): one
 * `McpConnection` per distinct `user_mcps` row, keyed by the row id, shared by every run and every
 * user that resolves to that row. A connection starts on first use (no process or socket for a row
 * nobody runs), is replaced when the row's value changes, closed when the row is deleted (`drop`),
 * and every connection ends on `close()` (stdio children included: their pids are recorded in
 * `childrenFile` so a SIGKILLed daemon's leftovers are reaped on the next start).
 */
import type { McpServer } from '../../domain/entities.js';
import { McpConnection, type Backoff, type McpLog, type TransportFactory } from './connection.js';
import { reapOrphans, recordChildren } from './orphans.js';
import { realTransports } from './transports.js';
import type { McpServerStatus } from './types.js';

/** Options of the pool. Defaults as the manager's: real transports, `process.env`, backoff 500 ms to 30 s. */
export interface McpPoolOptions {
  log: McpLog;
  clientInfo?: { name: string; version: string };
  createTransport?: TransportFactory;
  /** Working directory of stdio children (the home). */
  cwd?: string;
  /** File (in `run/`) where this pool's live stdio children are recorded (distinct from the manager's). */
  childrenFile?: string;
  env?: Readonly<Record<string, string | undefined>>;
  backoff?: Backoff;
}

/** A pool entry as listed for operators: the row key and owner next to the connection's status. */
export interface PooledServerStatus extends McpServerStatus {
  /** The `user_mcps` row id the connection serves. */
  key: string;
}

/** Connections to user-tier MCP servers, keyed by row id. */
export interface McpPool {
  /**
   * The connection of row `key` with value `server`: the existing one when the value is unchanged,
   * else a new one (the old is closed). A new connection starts connecting at once; await
   * `settled()` on it before listing tools. Returns undefined after `close()`.
   */
  get(key: string, server: McpServer): McpConnection | undefined;
  /** Close and forget the connection of row `key` (row deleted or changed). No-op when absent. */
  drop(key: string): void;
  /** Status of every live connection, sorted by name then key. */
  status(): PooledServerStatus[];
  /** Close every connection; stdio children end. Idempotent. */
  close(): Promise<void>;
  /** Synchronous last resort on process exit: SIGKILL every stdio child still known. */
  killAll(): void;
}

/** What must be equal for a row's connection to be kept. */
function fingerprint(s: McpServer): string {
  return JSON.stringify([s.name, s.enabled, s.command ?? null, s.args, Object.entries(s.env).sort(), s.url ?? null, s.timeout_secs, s.tools ?? null]);
}

/** Build an empty pool. */
export function createMcpPool(opts: McpPoolOptions): McpPool {
  const entries = new Map<string, { conn: McpConnection; print: string }>();
  const closing = new Map<McpConnection, Promise<void>>();
  let closed = false;
  if (opts.childrenFile) {
    const reaped = reapOrphans(opts.childrenFile);
    if (reaped.length) opts.log.warn({ pids: reaped }, 'mcp: killed user MCP server processes left behind by a previous daemon');
  }
  const record = () => {
    if (!opts.childrenFile) return;
    const pids = [...entries.values()].map((e) => e.conn.childPid()).concat([...closing.keys()].map((c) => c.childPid()));
    recordChildren(opts.childrenFile, pids.filter((p): p is number => p !== undefined));
  };
  const base = {
    onChildChange: () => record(),
    log: opts.log,
    createTransport: opts.createTransport ?? realTransports(opts.cwd),
    env: opts.env ?? process.env,
    backoff: opts.backoff ?? { initialMs: 500, maxMs: 30_000 },
    clientInfo: opts.clientInfo ?? { name: 'caxton', version: '0' },
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
    get(key, server) {
      if (closed) return undefined;
      const print = fingerprint(server);
      const have = entries.get(key);
      if (have && have.print === print) return have.conn;
      if (have) {
        entries.delete(key);
        retire(have.conn);
        opts.log.info({ server: server.name, key, change: 'changed' }, 'user mcp server configuration changed');
      }
      const conn = new McpConnection({ ...base, server });
      entries.set(key, { conn, print });
      conn.start();
      return conn;
    },
    drop(key) {
      const have = entries.get(key);
      if (!have) return;
      entries.delete(key);
      retire(have.conn);
      opts.log.info({ server: have.conn.server.name, key, change: 'removed' }, 'user mcp server closed');
    },
    status: () =>
      [...entries.entries()]
        .map(([key, e]) => ({ ...e.conn.status(), key }))
        .sort((a, b) => a.name.localeCompare(b.name) || a.key.localeCompare(b.key)),
    async close() {
      closed = true;
      for (const e of entries.values()) retire(e.conn);
      entries.clear();
      await Promise.all([...closing.values()]);
    },
    killAll() {
      for (const e of entries.values()) e.conn.killNow();
      for (const conn of closing.keys()) conn.killNow();
    },
  };
}
