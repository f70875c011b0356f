/**
 * Tier resolution (SPEC §4; DIR-12 Part 2 "Resolution Order"): looking up name N as user U goes
 * U's private -> U's public -> community (other users' public rows, best by usage then rating) ->
 * system (config files, hot-reloaded snapshots). Another user's private row does not exist for U.
 * Agents, tools and MCP servers resolve the same way; models exist only in the system tier.
 *
 * An agent whose model no longer exists (a user agent after its model file was removed, or dropped
 * from a snapshot because its provider is not in ares.toml) still resolves, so it can be shown, but
 * with `fault` set and `onAgentFault` told, which marks it `failed` with that reason (round 3): runs
 * are refused until an operator restarts it, and other agents are unaffected.
 */
import type { ConfigSnapshot } from '../config/snapshot.js';
import type { Agent, McpServer, Model, Source, Tool } from '../domain/entities.js';
import { DomainError, type ErrorDetail } from '../domain/errors.js';
import type { UserEntity, UserEntityKind } from '../domain/users.js';
import type { UserEntityStore } from '../store/types.js';

/** An agent as listed: the definition, where it comes from, its model alias and (user tiers) its row. */
export interface AgentListing {
  agent: Agent;
  source: Source;
  /** The model alias in effect (the agent's own or `[defaults] model`). */
  modelName: string;
  /** File it was loaded from (system tier only). */
  file?: string;
  /** The SQLite row (user and community tiers): id, owner, is_public, usage and rating. */
  entity?: UserEntity<'agents'>;
}

/** An agent ready to run: a listing plus its model, taken from the same snapshot. */
export interface ResolvedAgent extends AgentListing {
  /**
   * That model, from the same snapshot as the agent (a reload between two lookups cannot mix them).
   * When `fault` is set, a stand-in named after the missing alias with no provider (never runnable).
   */
  model: Model;
  /** Why the agent cannot run (its model does not exist); absent when it can. */
  fault?: string;
}

/**
 * The runtime key of an agent's lifecycle state and run slots: a system agent's name, or a user
 * agent's name with its row id (`helper (agent_…)`: unique, and readable in the runtime's messages).
 */
export function agentKey(listing: Pick<AgentListing, 'agent' | 'entity'>): string {
  return listing.entity ? `${listing.agent.name} (${listing.entity.id})` : listing.agent.name;
}

/** True when `key` (made by `agentKey`) is a user agent's: `NAME (ROW_ID)`; a system agent's key is its bare name. */
export function isUserAgentKey(key: string): boolean {
  return key.endsWith(')') && key.includes(' (');
}

/** A tool or MCP server as a caller sees it. */
export interface ResolvedEntity<T> {
  value: T;
  source: Source;
  entity?: UserEntity;
  file?: string;
}

/** Lookup over all tiers. Every method reads the current snapshot, so reloads are seen at once. */
export interface Catalog {
  /** Agents visible to `userId`, one per name (the winning tier), sorted by name. */
  listAgents(userId: string): AgentListing[];
  /**
   * The agent `name` as `userId` sees it. When its model no longer exists the result has `fault`
   * (and `onAgentFault` is told) instead of an error, so the agent can still be shown.
   * @throws DomainError NOT_FOUND when no tier visible to `userId` has it.
   */
  resolveAgent(name: string, userId: string): ResolvedAgent;
  /** Tools (kind `tools`) or MCP servers (kind `mcps`) visible to `userId`, one per name, sorted. */
  list(kind: 'tools', userId: string): ResolvedEntity<Tool>[];
  list(kind: 'mcps', userId: string): ResolvedEntity<McpServer>[];
  /** @throws DomainError NOT_FOUND. */
  resolve(kind: 'tools', name: string, userId: string): ResolvedEntity<Tool>;
  resolve(kind: 'mcps', name: string, userId: string): ResolvedEntity<McpServer>;
  /** Like `resolve`, but undefined instead of NOT_FOUND (the runtime's per-user tool resolution). */
  lookup(kind: 'tools', name: string, userId: string): ResolvedEntity<Tool> | undefined;
  lookup(kind: 'mcps', name: string, userId: string): ResolvedEntity<McpServer> | undefined;
  /**
   * Reference checks of an agent about to be saved by `userId` (DIR-12 `create_agent`): its model
   * must exist, and each tool must be a visible tool, a built-in, or `server.tool` / `server.*` of a
   * visible MCP server. Returns one E_REFERENCE detail per problem (empty when all is well).
   */
  checkAgentReferences(agent: Agent, userId: string): ErrorDetail[];
  /** Model names of the system tier, sorted. */
  modelNames(): string[];
  /** Counts per entity kind of the system tier. */
  counts(): Record<'agents' | 'models' | 'tools' | 'workflows' | 'mcps', number>;
}

/** What the catalog reads. `tenants` is absent in setups without a database (system tier only). */
export interface CatalogOptions {
  snapshot: () => ConfigSnapshot;
  defaultModel: string;
  tenants?: UserEntityStore;
  /** Names of built-in tools that need no entity (the runtime's ToolSet). */
  builtinTools?: () => readonly string[];
  /**
   * Told whenever an agent is found unable to run (`key` as `agentKey`, `reason` in words); the daemon
   * marks it failed in the runtime (`AgentControls.fail`). Called on every such lookup: keep it cheap.
   */
  onAgentFault?: (key: string, reason: string) => void;
}

const notFound = (what: string, name: string) =>
  new DomainError('NOT_FOUND', `${what} ${name} not found`, [{ field: 'name', message: `no ${what} named ${name}`, hint: `run \`caxton ${what} list\`` }]);

/** Build the catalog over a snapshot getter (the config watcher swaps what it returns) and the tenant rows. */
export function createCatalog(opts: CatalogOptions): Catalog {
  const tenants = opts.tenants;

  /** The winning user-tier row for `name`: own first, then the best community row. */
  const userTier = <K extends UserEntityKind>(kind: K, name: string, userId: string): UserEntity<K> | undefined =>
    tenants ? (tenants.own(kind, userId, name) ?? tenants.community(kind, userId, name)[0]) : undefined;

  const sourceOf = (e: UserEntity, userId: string): Source => (e.user_id === userId ? 'user' : 'community');

  const agentListing = (snap: ConfigSnapshot, name: string, userId: string): AgentListing | undefined => {
    const row = userTier('agents', name, userId);
    if (row) return { agent: row.value, source: sourceOf(row, userId), modelName: row.value.model ?? opts.defaultModel, entity: row };
    const sys = snap.agents.get(name);
    return sys && { agent: sys.value, source: 'system', modelName: sys.value.model ?? opts.defaultModel, file: sys.file };
  };

  const systemMap = (snap: ConfigSnapshot, kind: 'tools' | 'mcps') => (kind === 'tools' ? snap.tools : snap.mcps) as ReadonlyMap<string, { value: Tool | McpServer; file: string }>;

  function resolveEntity(kind: 'tools' | 'mcps', name: string, userId: string): ResolvedEntity<Tool | McpServer> | undefined {
    const row = userTier(kind, name, userId);
    if (row) return { value: row.value, source: sourceOf(row, userId), entity: row };
    const sys = systemMap(opts.snapshot(), kind).get(name);
    return sys && { value: sys.value, source: 'system', file: sys.file };
  }

  function listEntities(kind: 'tools' | 'mcps', userId: string): ResolvedEntity<Tool | McpServer>[] {
    const byName = new Map<string, ResolvedEntity<Tool | McpServer>>();
    // Rows come best first; own rows beat community ones whatever their order.
    for (const row of tenants?.visible(kind, userId) ?? []) {
      const have = byName.get(row.name);
      if (!have || (have.source === 'community' && row.user_id === userId)) byName.set(row.name, { value: row.value, source: sourceOf(row, userId), entity: row });
    }
    for (const [name, sys] of systemMap(opts.snapshot(), kind)) if (!byName.has(name)) byName.set(name, { value: sys.value, source: 'system', file: sys.file });
    return [...byName.values()].sort((a, b) => a.value.name.localeCompare(b.value.name));
  }

  /** Why `listing` cannot run in `snap`, telling `onAgentFault`; undefined when it can. */
  const faultOf = (snap: ConfigSnapshot, listing: AgentListing): string | undefined => {
    if (snap.models.has(listing.modelName)) return undefined;
    const reason = `agent ${listing.agent.name} uses model ${listing.modelName}, which does not exist (any more); define it in config/models/ or change the agent's model`;
    opts.onAgentFault?.(agentKey(listing), reason);
    return reason;
  };

  return {
    listAgents(userId) {
      const snap = opts.snapshot();
      const byName = new Map<string, AgentListing>();
      for (const row of tenants?.visible('agents', userId) ?? []) {
        const have = byName.get(row.name);
        if (!have || (have.source === 'community' && row.user_id === userId)) {
          byName.set(row.name, { agent: row.value, source: sourceOf(row, userId), modelName: row.value.model ?? opts.defaultModel, entity: row });
        }
      }
      for (const [name, a] of snap.agents) {
        if (!byName.has(name)) byName.set(name, { agent: a.value, source: 'system', modelName: a.value.model ?? opts.defaultModel, file: a.file });
      }
      const out = [...byName.values()].sort((x, y) => x.agent.name.localeCompare(y.agent.name));
      if (opts.onAgentFault) for (const a of out) faultOf(snap, a);
      return out;
    },
    resolveAgent(name, userId) {
      const snap = opts.snapshot();
      const found = agentListing(snap, name, userId);
      if (!found) throw notFound('agent', name);
      const model = snap.models.get(found.modelName)?.value;
      if (model) return { ...found, model };
      return { ...found, model: { name: found.modelName, provider: '', model: '' }, fault: faultOf(snap, found)! };
    },
    list: ((kind: 'tools' | 'mcps', userId: string) => listEntities(kind, userId)) as Catalog['list'],
    resolve: ((kind: 'tools' | 'mcps', name: string, userId: string) => {
      const found = resolveEntity(kind, name, userId);
      if (!found) throw notFound(kind === 'tools' ? 'tool' : 'mcp', name);
      return found;
    }) as Catalog['resolve'],
    lookup: ((kind: 'tools' | 'mcps', name: string, userId: string) => resolveEntity(kind, name, userId)) as Catalog['lookup'],
    checkAgentReferences(agent, userId) {
      const snap = opts.snapshot();
      const details: ErrorDetail[] = [];
      const modelName = agent.model ?? opts.defaultModel;
      if (!snap.models.has(modelName)) {
        details.push({ code: 'E_REFERENCE', field: 'model', message: `unknown model ${modelName}`, hint: `use one of: ${[...snap.models.keys()].sort().join(', ')}` });
      }
      const builtins = new Set(opts.builtinTools?.() ?? []);
      agent.tools.forEach((ref, i) => {
        const dot = ref.indexOf('.');
        if (dot > 0) {
          const server = ref.slice(0, dot);
          if (!resolveEntity('mcps', server, userId)) {
            details.push({ code: 'E_REFERENCE', field: `tools.${i}`, message: `unknown MCP server ${server} in tool reference ${ref}`, hint: 'create it with POST /api/mcps or add it under config/mcps/' });
          }
          return;
        }
        if (builtins.has(ref) || resolveEntity('tools', ref, userId)) return;
        const known = [...builtins, ...listEntities('tools', userId).map((t) => t.value.name)];
        details.push({ code: 'E_REFERENCE', field: `tools.${i}`, message: `unknown tool ${ref}`, hint: known.length ? `known tools: ${known.join(', ')}` : 'no tools are defined' });
      });
      return details;
    },
    modelNames: () => [...opts.snapshot().models.keys()].sort(),
    counts() {
      const s = opts.snapshot();
      return { agents: s.agents.size, models: s.models.size, tools: s.tools.size, workflows: s.workflows.size, mcps: s.mcps.size };
    },
  };
}
