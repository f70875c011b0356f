/**
 * The MCP manager (SPEC §3 MCP server, §7; STORY-020, STORY-040): one `McpConnection` per
 * configured server, each a ToolSet whose tools are named `server.tool` and offered as `server__tool`.
 * `reconcile(servers)` applies a config snapshot (hot reload): new servers connect, removed ones are
 * closed (their child ends), changed ones are replaced, unchanged ones keep their connection.
 * `close()` ends every connection and leaves no child process.
 */
import type { McpServer } from '../../domain/entities.js';
import { parseToolRef, serversOf } from '../../domain/tool-refs.js';
import type { ToolSet } from '../types.js';
import { McpConnection } from './connection.js';
import { createFleet, type FleetOptions } from './fleet.js';
import type { McpServerStatus } from '../../domain/mcp-status.js';

/** Options of the manager (src/tools/mcp/fleet.ts). Defaults: real transports, `process.env`, backoff 500 ms doubling to 30 s. */
export type McpManagerOptions = FleetOptions;

/** The manager the daemon owns. */
export interface McpManager {
  /**
   * Apply the servers of a config snapshot (all tiers to serve). Returns at once; connecting runs in
   * the background. With `used` (see `serversUsedBy`), enabled servers not in it are `idle`: listed,
   * not started, so a server no agent names costs no process.
   */
  reconcile(servers: readonly McpServer[], used?: ReadonlySet<string>): void;
  /**
   * One ToolSet per configured server, sorted by nothing in particular. A server that is down or
   * disabled lists no tools and explains itself through `unavailable()`. Same array until the next reconcile.
   */
  sets(): readonly ToolSet[];
  /** Per-server state, sorted by name. */
  status(): McpServerStatus[];
  /** Resolves when no connect attempt is in flight (tests, benches, `mcp list` right after start). */
  settled(): Promise<void>;
  /** Close every connection; stdio children end (SIGKILL at the latest ~4 s in). Idempotent. */
  close(): Promise<void>;
  /** Synchronous last resort for process exit: SIGKILL every stdio child still known. */
  killAll(): void;
  /** The connection (a ToolSet) of configured server `name`, whatever its state; undefined when not configured. */
  connection(name: string): McpConnection | undefined;
  /**
   * Start server `name` when it is `idle` only because no system agent names it (a user-tier agent
   * does, SPEC §4): it stays started across reloads until removed or the daemon stops. Returns the
   * connection (await its `settled()`), or undefined when not configured.
   */
  wake(name: string): McpConnection | undefined;
}

/** What must be equal for a reconfigured server to keep its connection. */
function fingerprint(s: McpServer, idle: boolean): string {
  return JSON.stringify([
    s.enabled,
    idle,
    s.command ?? null,
    s.args,
    Object.entries(s.env).sort(),
    s.url ?? null,
    s.timeout_secs,
    s.tools ?? null,
    s.memory_mb ?? null,
    s.cpu_secs ?? null,
  ]);
}

/**
 * Names of the MCP servers that `agents` name in their `tools` (`server.tool`, `server.*`), less
 * those a `deny` list (`[tools] deny` of ares.toml) takes away whole with `server.*`.
 */
export function serversUsedBy(agents: Iterable<{ tools: readonly string[] }>, deny: readonly string[] = []): Set<string> {
  const used = new Set<string>();
  for (const a of agents) for (const server of serversOf(a.tools)) used.add(server);
  for (const d of deny) {
    const { server, tool } = parseToolRef(d);
    if (server !== undefined && tool === '*') used.delete(server);
  }
  return used;
}

/** Build the manager; it starts with no servers until `reconcile` is called. */
export function createMcpManager(opts: McpManagerOptions): McpManager {
  const fleet = createFleet(opts, 'mcp: killed MCP server processes left behind by a previous daemon');
  const connections = fleet.live;
  const { base, retire } = fleet;
  let sets: readonly ToolSet[] = [];
  let closed = false;
  /** Servers started on demand by `wake` (user agents name them), with the last reconcile's input. */
  const woken = new Set<string>();
  let lastServers: readonly McpServer[] = [];
  let lastUsed: ReadonlySet<string> | undefined;
  const rebuild = () => {
    sets = [...connections.values()].map((e) => e.conn);
  };

  const api: McpManager = {
    reconcile(servers, used) {
      if (closed) return;
      lastServers = servers;
      lastUsed = used;
      const isIdle = (s: McpServer) => used !== undefined && !used.has(s.name) && !woken.has(s.name);
      const wanted = new Map(servers.map((s) => [s.name, s]));
      for (const [name, entry] of connections) {
        const next = wanted.get(name);
        if (next && fingerprint(next, isIdle(next)) === entry.print) continue;
        connections.delete(name);
        retire(entry.conn);
        opts.log.info({ server: name, change: next ? 'changed' : 'removed' }, 'mcp server configuration changed');
      }
      for (const server of servers) {
        if (connections.has(server.name)) continue;
        const idle = isIdle(server);
        const conn = new McpConnection({ ...base, server, idle });
        connections.set(server.name, { conn, print: fingerprint(server, idle) });
        conn.start();
      }
      rebuild();
    },
    sets: () => sets,
    status: () => [...connections.values()].map((e) => e.conn.status()).sort((a, b) => a.name.localeCompare(b.name)),
    async settled() {
      await Promise.all([...connections.values()].map((e) => e.conn.settled()));
    },
    async close() {
      closed = true;
      sets = [];
      await fleet.closeAll();
    },
    killAll: () => fleet.killAll(),
    connection: (name) => connections.get(name)?.conn,
    wake(name) {
      const have = connections.get(name)?.conn;
      if (!have || closed || have.status().state !== 'idle') return have;
      woken.add(name);
      api.reconcile(lastServers, lastUsed);
      return connections.get(name)?.conn;
    },
  };
  return api;
}
