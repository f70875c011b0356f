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
 * - a plain tool name that resolves to a user-tier `type = "builtin"` row (a resolver that allows
 *   it; the catalog's never does) is that builtin with the row's `enabled`, `description` and
 *   `timeout_secs`; its `config` (e.g. http_fetch's host rules,
 *   web_search's backend) stays the system tier's, so a user can never widen what the daemon's host
 *   lets tools reach. User-tier tools of type `http` or `mcp` are listed as unavailable, with why.
 *
 * Another user's private row never resolves (the resolver is the catalog's), so it is unreachable.
 * The Toolbox still checks the agent's `tools[]` and `[tools] deny` on every call.
 */
import type { McpServer, Source, Tool } from '../domain/entities.js';
import type { McpConnection } from './mcp/connection.js';
import type { ToolScope } from './toolbox.js';
import type { ToolContext, ToolDefinition, ToolResult, ToolSet, ToolSetWithUnavailable, UnavailableTool } from './types.js';

/** An entity as the catalog resolved it for one user; `key` is the row id (user and community tiers). */
export interface TierEntity<T> {
  value: T;
  source: Source;
  key?: string;
  /** Owner (user id) of the row (user and community tiers). */
  owner?: string;
  /**
   * MCP rows: may reach private addresses (owner is an admin, or `[mcp] allow_private_urls`); when
   * false the pool connects only to public addresses (src/tools/net-policy.ts).
   */
  trusted?: boolean;
}

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
  resolveMcp(name: string, userId: string): TierEntity<McpServer> | undefined;
  /** Tool `name` as `userId` sees it, or undefined (SPEC §4 order). */
  resolveTool(name: string, userId: string): TierEntity<Tool> | undefined;
  /** `[tools] deny` of ares.toml: a server denied whole (`server.*`) is never woken. */
  deny?: readonly string[];
}

/** `sets` and `prepare` for `createToolbox`, and the cache control of the resolutions. */
export interface ScopedSets {
  sets(scope?: ToolScope): readonly ToolSet[];
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

/** MCP server names an agent's `tools[]` refers to (`server.tool`, `server.*`). */
function serversOf(tools: readonly string[]): string[] {
  const out = new Set<string>();
  for (const t of tools) {
    const dot = t.indexOf('.');
    if (dot > 0) out.add(t.slice(0, dot));
  }
  return [...out];
}

/** What the pool is told about a row: its owner and whether it is trusted. */
const rowInfo = (r: TierEntity<McpServer>) => ({ ...(r.owner ? { owner: r.owner } : {}), trusted: r.trusted === true });

/** A ToolSet that hides the tools named in `hidden` (they are served by a user-tier set instead). */
function without(set: ToolSet, hidden: ReadonlySet<string>): ToolSetWithUnavailable {
  const u = (set as Partial<ToolSetWithUnavailable>).unavailable;
  return {
    list: () => set.list().filter((d) => !hidden.has(d.name)),
    unavailable: () => (typeof u === 'function' ? u.call(set).filter((x) => !hidden.has(x.name)) : []),
    call: (name, args, ctx) => set.call(name, args, ctx),
  };
}

/** The user-tier tool rows of one scope as a ToolSet over the builtins. */
function userToolSet(rows: readonly TierEntity<Tool>[], builtins: ToolSet): ToolSetWithUnavailable {
  const defs: ToolDefinition[] = [];
  const down: UnavailableTool[] = [];
  const system = new Map(builtins.list().map((d) => [d.name, d]));
  for (const { value: t, source } of rows) {
    const whose = source === 'user' ? 'your' : 'a community';
    if (t.type !== 'builtin') {
      down.push({ name: t.name, reason: `${whose} tool ${t.name} has type ${t.type}; user-tier tools of type ${t.type} cannot run here: add an MCP server (POST /api/mcps) and name its tools as server.tool` });
    } else if (!t.enabled) {
      down.push({ name: t.name, reason: `disabled by ${whose} tool ${t.name} (enabled = false)` });
    } else {
      const base = system.get(t.name);
      if (!base) down.push({ name: t.name, reason: `${whose} tool ${t.name} says type = builtin, but no builtin tool ${t.name} is available on this server` });
      else defs.push({ name: t.name, spec: { ...base.spec, ...(t.description ? { description: t.description } : {}) }, timeoutMs: Math.round(t.timeout_secs * 1000) });
    }
  }
  const offered = new Set(defs.map((d) => d.name));
  return {
    list: () => defs,
    unavailable: () => down,
    call: (name: string, args: unknown, ctx: ToolContext): Promise<ToolResult> =>
      offered.has(name) ? builtins.call(name, args, ctx) : Promise.resolve({ content: `error: tool ${name} is not available`, isError: true }),
  };
}

/** Build per-user tool sets over the system parts, the pool and the catalog's resolvers. */
export function createScopedSets(opts: ScopedSetsOptions): ScopedSets {
  const deny = opts.deny ?? [];
  const cache = new Map<string, TierEntity<unknown> | null>();
  function cached<T extends McpServer | Tool>(kind: string, name: string, userId: string, resolve: (n: string, u: string) => TierEntity<T> | undefined): TierEntity<T> | undefined {
    const key = `${kind}\0${userId}\0${name}`;
    let hit = cache.get(key) as TierEntity<T> | null | undefined;
    if (hit === undefined) {
      hit = resolve(name, userId) ?? null;
      if (cache.size >= MAX_CACHED) cache.clear();
      cache.set(key, hit);
    }
    return hit ?? undefined;
  }
  const resolveMcp = (name: string, userId: string) => cached('mcps', name, userId, opts.resolveMcp);
  const resolveTool = (name: string, userId: string) => cached('tools', name, userId, opts.resolveTool);
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
  function userServers(scope: ToolScope & { userId: string }) {
    const conns: McpConnection[] = [];
    const hidden = new Set<string>();
    for (const name of serversOf(scope.agent.tools)) {
      const r = resolveMcp(name, scope.userId);
      if (!r || r.source === 'system' || !r.key) continue;
      hidden.add(name);
      const conn = opts.pool.get(r.key, r.value, rowInfo(r));
      if (conn) conns.push(conn);
    }
    return { conns, hidden };
  }

  function sets(scope?: ToolScope): readonly ToolSet[] {
    if (!scope?.userId) return systemSets();
    const userId = scope.userId;
    const rows: TierEntity<Tool>[] = [];
    for (const t of scope.agent.tools) {
      if (t.includes('.') || t.includes('*')) continue;
      const r = resolveTool(t, userId);
      if (r && r.source !== 'system') rows.push(r);
    }
    const { conns, hidden } = userServers({ agent: scope.agent, userId });
    if (rows.length === 0 && conns.length === 0 && hidden.size === 0) return systemSets();
    const out: ToolSet[] = [];
    if (rows.length) {
      out.push(userToolSet(rows, opts.builtins));
      out.push(without(opts.builtins, new Set(rows.map((r) => r.value.name))));
    } else out.push(opts.builtins);
    out.push(...conns);
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
      const r = resolveMcp(name, scope.userId);
      if (!r) continue;
      if (r.source !== 'system' && r.key) {
        const conn = opts.pool.get(r.key, r.value, rowInfo(r));
        if (conn) waits.push(conn.settled());
      } else if (!deny.includes(`${name}.*`)) {
        const conn = opts.system.wake(name);
        if (conn) waits.push(conn.settled());
      }
    }
    await Promise.all(waits);
  }

  return { sets, prepare, invalidate: () => cache.clear() };
}
