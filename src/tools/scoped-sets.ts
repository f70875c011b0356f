/**
 * Tool sets per user (SPEC §4 "Models, tools and MCP servers resolve the same way"). For an agent run
 * as user U, every name the agent's `tools[]` refers to is resolved by the given resolvers; the
 * daemon's are the catalog's `lookup`: U's own row, else the system tier (other users' rows never
 * resolve by a bare name, and a builtin or system tool's name is always that tool):
 *
 * - an MCP server named by `server.tool` / `server.*` that resolves to a user-tier row runs through
 *   the pool's connection of that row (one per row, shared, started on first use); one that resolves
 *   to the system tier is the manager's connection (woken if it idled because no system agent named
 *   it). A system server of the same name is hidden from U, so tiers never mix under one name.
 * - a plain tool name that resolves to a user-tier row cannot run: it never has a builtin's name, and
 *   user-tier tools of type `http` or `mcp` have no runtime here. It is listed as unavailable, with
 *   why (type, `enabled = false`, or no such builtin), so the agent's owner sees it.
 *
 * Another user's private row never resolves (the resolver is the catalog's), so it is unreachable.
 * The Toolbox still checks the agent's `tools[]` and `[tools] deny` on every call.
 */
import type { McpServer, Tool } from '../domain/entities.js';
import { parseToolRef, serversOf } from '../domain/tool-refs.js';
import type { ResolvedEntity, UserEntity } from '../domain/users.js';
import type { McpConnection } from './mcp/connection.js';
import type { ToolScope } from './toolbox.js';
import type { ToolSet, ToolSetWithUnavailable, UnavailableTool } from './types.js';

/** What the scoped sets are built from (the daemon wires the real parts). */
export interface ScopedSetsOptions {
  /** The builtin tools (system tier). */
  builtins: ToolSet;
  /** The system-tier MCP manager. */
  system: {
    sets(): readonly ToolSet[];
    connection(name: string): McpConnection | undefined;
    wake(name: string): McpConnection | undefined;
  };
  /** Connections of user-tier MCP rows, keyed by row id. */
  pool: { get(key: string, server: McpServer, row?: { owner?: string; trusted?: boolean }): McpConnection | undefined };
  /** MCP server `name` as `userId` sees it, or undefined (SPEC §4 order). */
  resolveMcp(name: string, userId: string): Promise<ResolvedEntity<McpServer> | undefined>;
  /** Tool `name` as `userId` sees it, or undefined (SPEC §4 order). */
  resolveTool(name: string, userId: string): Promise<ResolvedEntity<Tool> | undefined>;
  /**
   * Whether MCP rows of user `owner` may reach private addresses (the owner is an admin, or
   * `[mcp] allow_private_urls`); untrusted rows connect to public addresses only
   * (src/tools/net-policy.ts). Default: no row is trusted.
   */
  trusted?: (owner: string) => boolean | Promise<boolean>;
  /** `[tools] deny` of ares.toml: a server denied whole (`server.*`) is never woken. */
  deny?: readonly string[];
}

/** `sets` and `prepare` for `createToolbox`, and the cache control of the resolutions. */
export interface ScopedSets {
  /** The sets of `scope`; without a user, the system tier's (settled at once). Rejects when the store does. */
  sets(scope?: ToolScope): Promise<readonly ToolSet[]>;
  prepare(scope: ToolScope): Promise<void>;
  /**
   * Forget every cached resolution. Resolutions (user, name) -> row are cached so runs and tool
   * calls do not query the store each time; call this whenever a user tool or MCP row is inserted,
   * updated or removed (the daemon does, from its store wrapper).
   */
  invalidate(): void;
}

/** Cached resolutions kept at most (the cache is emptied when full: it refills from hot entries). */
const MAX_CACHED = 10_000;

/** Why a user-tier tool row cannot run (see the module comment). */
function rowReason({ value: t, source }: ResolvedEntity<Tool>): string {
  const whose = source === 'user' ? 'your' : 'a community';
  if (t.type !== 'builtin')
    return `${whose} tool ${t.name} has type ${t.type}; user-tier tools of type ${t.type} cannot run here: add an MCP server (POST /api/mcps) and name its tools as server.tool`;
  if (!t.enabled) return `disabled by ${whose} tool ${t.name} (enabled = false)`;
  return `${whose} tool ${t.name} says type = builtin, but no builtin tool ${t.name} is available on this server`;
}

/** The user-tier tool rows of one scope as a ToolSet that offers nothing and says why. */
function unavailableRows(rows: readonly ResolvedEntity<Tool>[]): ToolSetWithUnavailable {
  const down: UnavailableTool[] = rows.map((r) => ({ name: r.value.name, reason: rowReason(r) }));
  return {
    list: () => [],
    unavailable: () => down,
    call: (name) => Promise.resolve({ content: `error: tool ${name} is not available`, isError: true }),
  };
}

/** Build per-user tool sets over the system parts, the pool and the catalog's resolvers. */
export function createScopedSets(opts: ScopedSetsOptions): ScopedSets {
  const deny = opts.deny ?? [];
  const cache = new Map<string, ResolvedEntity<unknown> | null>();
  /** Bumped by `invalidate`: a resolution that was in flight across it is returned but not cached. */
  let generation = 0;
  async function cached<T extends McpServer | Tool>(
    kind: string,
    name: string,
    userId: string,
    resolve: (n: string, u: string) => Promise<ResolvedEntity<T> | undefined>,
  ): Promise<ResolvedEntity<T> | undefined> {
    const key = `${kind}\0${userId}\0${name}`;
    const hit = cache.get(key) as ResolvedEntity<T> | null | undefined;
    if (hit !== undefined) return hit ?? undefined;
    const seen = generation;
    const found = (await resolve(name, userId)) ?? null;
    if (seen === generation) {
      if (cache.size >= MAX_CACHED) cache.clear();
      cache.set(key, found);
    }
    return found ?? undefined;
  }
  const resolveMcp = (name: string, userId: string) => cached('mcps', name, userId, opts.resolveMcp);
  const resolveTool = (name: string, userId: string) => cached('tools', name, userId, opts.resolveTool);
  /** The pool's connection of the user-tier MCP row `row` (of server `value`), or undefined when it cannot start. */
  const rowConnection = async (row: UserEntity, value: McpServer) =>
    opts.pool.get(row.id, value, { owner: row.user_id, trusted: (await opts.trusted?.(row.user_id)) === true });
  // The system-only view (no user): rebuilt only when the manager's array changes.
  let mcpSets = opts.system.sets();
  let systemOnly: readonly ToolSet[] = [opts.builtins, ...mcpSets];
  const systemSets = (): readonly ToolSet[] => {
    const current = opts.system.sets();
    if (current !== mcpSets) {
      mcpSets = current;
      systemOnly = [opts.builtins, ...current];
    }
    return systemOnly;
  };

  /** The user-tier MCP connections the agent refers to, and the system server names they hide. */
  async function userServers(scope: ToolScope & { userId: string }) {
    const conns: McpConnection[] = [];
    const hidden = new Set<string>();
    for (const name of serversOf(scope.agent.tools)) {
      const r = await resolveMcp(name, scope.userId);
      if (!r?.entity) continue;
      hidden.add(name);
      const conn = await rowConnection(r.entity, r.value);
      if (conn) conns.push(conn);
    }
    return { conns, hidden };
  }

  async function sets(scope?: ToolScope): Promise<readonly ToolSet[]> {
    if (!scope?.userId) return systemSets();
    const userId = scope.userId;
    const rows: ResolvedEntity<Tool>[] = [];
    for (const ref of scope.agent.tools) {
      if (parseToolRef(ref).server !== undefined) continue;
      const r = await resolveTool(ref, userId);
      if (r?.entity) rows.push(r);
    }
    const { conns, hidden } = await userServers({ agent: scope.agent, userId });
    if (rows.length === 0 && conns.length === 0 && hidden.size === 0) return systemSets();
    const out: ToolSet[] = rows.length ? [unavailableRows(rows), opts.builtins, ...conns] : [opts.builtins, ...conns];
    for (const set of opts.system.sets()) {
      const name = (set as Partial<McpConnection>).server?.name;
      if (name === undefined || !hidden.has(name)) out.push(set);
    }
    return out;
  }

  async function prepare(scope: ToolScope): Promise<void> {
    if (!scope.userId) return;
    const waits: Promise<void>[] = [];
    for (const name of serversOf(scope.agent.tools)) {
      const r = await resolveMcp(name, scope.userId);
      if (!r) continue;
      if (r.entity) {
        const conn = await rowConnection(r.entity, r.value);
        if (conn) waits.push(conn.settled());
      } else if (!deny.includes(`${name}.*`)) {
        const conn = opts.system.wake(name);
        if (conn) waits.push(conn.settled());
      }
    }
    await Promise.all(waits);
  }

  const invalidate = () => {
    generation++;
    cache.clear();
  };
  return { sets, prepare, invalidate };
}
