/**
 * The user-tier MCP pool (SPEC §4 "MCP servers resolve the same way"; round-2 brief item 1): one
 * `McpConnection` per distinct `user_mcps` row, keyed by the row id, shared by every run and every
 * user that resolves to that row. A connection starts on first use (no process or socket for a row
 * nobody runs), is replaced when the row's value changes, closed when the row is deleted (`drop`),
 * and every connection ends on `close()` (stdio children included: their pids are recorded in
 * `childrenFile` so a SIGKILLed daemon's leftovers are reaped on the next start).
 */
import type { McpServer } from '../../domain/entities.js';
import { McpConnection } from './connection.js';
import { createFleet, type FleetOptions } from './fleet.js';
import type { McpServerStatus } from './types.js';

/**
 * Options of the pool (src/tools/mcp/fleet.ts), as the manager's; give it its own `childrenFile`
 * (the daemon uses `run/mcp-user-children.json`).
 */
export type McpPoolOptions = FleetOptions;

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
  const fleet = createFleet(opts, 'mcp: killed user MCP server processes left behind by a previous daemon');
  const entries = fleet.live;
  const { base, retire } = fleet;
  let closed = false;

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
      await fleet.closeAll();
    },
    killAll: () => fleet.killAll(),
  };
}
