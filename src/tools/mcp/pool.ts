/**
 * The user-tier MCP pool (SPEC §4 "MCP servers resolve the same way"): one
 * `McpConnection` per distinct `user_mcps` row, keyed by the row id, shared by every run and every
 * user that resolves to that row. A connection starts on first use (no process or socket for a row
 * nobody runs), is replaced when the row's value changes, closed when the row is deleted (`drop`),
 * and every connection ends on `close()` (stdio children included: their pids are recorded in
 * `childrenFile` so a SIGKILLed daemon's leftovers are reaped on the next start).
 *
 * SSRF guard: a row that is not `trusted` (its owner is not an admin and ares.toml has no
 * `[mcp] allow_private_urls = true`) connects over Streamable HTTP only to public addresses, checked
 * at every connect on the addresses DNS gives then (src/tools/net-policy.ts); a refusal leaves the
 * connection `failed` with the reason in `last_error`.
 */
import type { McpServer } from '../../domain/entities.js';
import { McpConnection } from './connection.js';
import type { TransportFactory } from './connection.js';
import { createFleet, fleetTransports, type FleetOptions } from './fleet.js';
import type { PooledServerStatus } from '../../domain/mcp-status.js';

/**
 * Options of the pool (src/tools/mcp/fleet.ts), as the manager's; give it its own `childrenFile`
 * (the daemon uses `run/mcp-user-children.json`).
 */
export interface McpPoolOptions extends FleetOptions {
  /**
   * Transports of rows that are not trusted. Default: `createTransport` when given (tests), else the
   * real transports with Streamable HTTP limited to public addresses.
   */
  publicTransport?: TransportFactory;
}

/** Who a row belongs to and whether its URL may reach private addresses. */
export interface PoolRowInfo {
  /** The row's owner (user id), shown to the admin in `GET /api/mcp/servers`. */
  owner?: string;
  /** True: connect anywhere (admin-owned row, or `[mcp] allow_private_urls`); default false. */
  trusted?: boolean;
}

/** Connections to user-tier MCP servers, keyed by row id. */
export interface McpPool {
  /**
   * The connection of row `key` with value `server`: the existing one when the value is unchanged,
   * else a new one (the old is closed). A new connection starts connecting at once; await
   * `settled()` on it before listing tools. Returns undefined after `close()`.
   */
  get(key: string, server: McpServer, row?: PoolRowInfo): McpConnection | undefined;
  /** Close and forget the connection of row `key` (row deleted or changed). No-op when absent. */
  drop(key: string): void;
  /**
   * Close and forget every connection of rows owned by `owner` (every connection when undefined), e.g.
   * when another node changed that user's rows: the next use connects with the row as stored then.
   */
  dropOwned(owner: string | undefined): void;
  /** Status of every live connection, sorted by name then key. */
  status(): PooledServerStatus[];
  /** Close every connection; stdio children end. Idempotent. */
  close(): Promise<void>;
  /** Synchronous last resort on process exit: SIGKILL every stdio child still known. */
  killAll(): void;
}

/** What must be equal for a row's connection to be kept. */
function fingerprint(s: McpServer, trusted: boolean): string {
  return JSON.stringify([
    s.name,
    s.enabled,
    s.command ?? null,
    s.args,
    Object.entries(s.env).sort(),
    s.url ?? null,
    s.timeout_secs,
    s.tools ?? null,
    s.memory_mb ?? null,
    s.cpu_secs ?? null,
    trusted,
  ]);
}

/**
 * A row's server with its memory limit as enforced: an untrusted row (a non-admin user's) may lower
 * `[mcp] default_memory_mb` with its `memory_mb` but never raise it; trusted rows set their own.
 */
function capped(server: McpServer, trusted: boolean, defaultMemoryMb: number | undefined): McpServer {
  if (trusted || defaultMemoryMb === undefined) return server;
  return { ...server, memory_mb: Math.min(server.memory_mb ?? defaultMemoryMb, defaultMemoryMb) };
}

/** Build an empty pool. */
export function createMcpPool(opts: McpPoolOptions): McpPool {
  const fleet = createFleet(opts, 'mcp: killed user MCP server processes left behind by a previous daemon');
  const entries = fleet.live;
  const { base, retire } = fleet;
  const publicTransport = opts.publicTransport ?? opts.createTransport ?? fleetTransports(opts, true);
  const owners = new Map<string, string>();
  let closed = false;
  const drop = (key: string) => {
    const have = entries.get(key);
    if (!have) return;
    entries.delete(key);
    owners.delete(key);
    retire(have.conn);
    opts.log.info({ server: have.conn.server.name, key, change: 'removed' }, 'user mcp server closed');
  };

  return {
    get(key, server, row = {}) {
      if (closed) return undefined;
      if (row.owner) owners.set(key, row.owner);
      const trusted = row.trusted === true;
      server = capped(server, trusted, opts.defaultMemoryMb);
      const print = fingerprint(server, trusted);
      const have = entries.get(key);
      if (have && have.print === print) return have.conn;
      if (have) {
        entries.delete(key);
        retire(have.conn);
        opts.log.info({ server: server.name, key, change: 'changed' }, 'user mcp server configuration changed');
      }
      const conn = new McpConnection({ ...base, server, ...(trusted ? {} : { createTransport: publicTransport }) });
      entries.set(key, { conn, print });
      conn.start();
      return conn;
    },
    dropOwned(owner) {
      for (const key of [...entries.keys()]) if (owner === undefined || owners.get(key) === owner) drop(key);
    },
    drop,
    status: () =>
      [...entries.entries()]
        .map(([key, e]) => {
          const owner = owners.get(key);
          return { ...e.conn.status(), key, ...(owner ? { owner } : {}) };
        })
        .sort((a, b) => a.name.localeCompare(b.name) || a.key.localeCompare(b.key)),
    async close() {
      closed = true;
      await fleet.closeAll();
    },
    killAll: () => fleet.killAll(),
  };
}
