/**
 * Tier resolution (SPEC §4): a bare name N looked up as user U is U's own row (private or public),
 * else the system tier (config files, hot-reloaded snapshots). Another user's row never changes what
 * a bare name means for anyone else: other users' public rows (the community tier) are reached only
 * by a qualified name `OWNER/NAME`, OWNER being a user handle; `U's-handle/NAME` is U's own row.
 * Another user's private row does not exist for U (NOT_FOUND, never listed). Agents, tools and MCP
 * servers resolve the same way, with one more rule for tools: a builtin or system tool's name always
 * means that tool, even for a user who owns a row of that name (the API refuses new ones). Listings
 * give own and system entries by bare name and community entries by qualified name; usage and
 * rating only order community listings. Models exist only in the system tier.
 *
 * An agent's `tools[]` refers to tools and MCP servers by bare name only (`lookup`), so what an agent
 * runs with never depends on another user's rows; to build on a community server, a user creates
 * their own from its definition.
 *
 * An agent whose model no longer exists (a user agent after its model file was removed, or dropped
 * from a snapshot because its provider is not in ares.toml) still resolves, so it can be shown, but
 * with `fault` set and `onAgentFault` told, which marks it `failed` with that reason: runs
 * are refused until an operator restarts it, and other agents are unaffected.
 */
import type { ConfigSnapshot } from '../config/snapshot.js';
import { BUILTIN_TOOL_NAMES } from '../domain/builtin-tools.js';
import type { Agent, McpServer, Model, Source, Tool, Workflow } from '../domain/entities.js';
import { DomainError, type ErrorDetail } from '../domain/errors.js';
import { parseEntityRef, qualifiedName, type EntityRef } from '../domain/names.js';
import { checkAgentReferences, type ReferenceScope } from '../domain/references.js';
import type { ResolvedEntity, UserEntity, UserEntityKind } from '../domain/users.js';
import type { UserEntityStore } from '../store/types.js';
import type { AgentRow } from '../tools/types.js';

/** An agent as listed: the definition, where it comes from, its model alias and (user tiers) its row. */
export interface AgentListing {
  /** The name the caller reaches it by: bare for own and system agents, `OWNER/NAME` for community ones. */
  name: string;
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

/** The agent's user-tier row (id and owner) that memory is keyed on (RunRequest.agentRow); undefined for system agents. */
export function agentRow(listing: Pick<AgentListing, 'entity'>): AgentRow | undefined {
  return listing.entity ? { id: listing.entity.id, owner: listing.entity.user_id } : undefined;
}

/** True when `key` (made by `agentKey`) is a user agent's: `NAME (ROW_ID)`; a system agent's key is its bare name. */
export function isUserAgentKey(key: string): boolean {
  return key.endsWith(')') && key.includes(' (');
}

/** A tool or MCP server as a caller sees it (the domain type, named here as part of the Catalog's interface). */
export type { ResolvedEntity } from '../domain/users.js';

/** Lookup over all tiers. Every method reads the current snapshot, so reloads are seen at once. */
export interface Catalog {
  /**
   * Agents `userId` can use, sorted by `name`: one per bare name (own over system) plus every other
   * user's public agent under its qualified name (source `community`).
   */
  listAgents(userId: string): Promise<AgentListing[]>;
  /**
   * The agent `name` (bare or `OWNER/NAME`) as `userId` sees it. When its model no longer exists the
   * result has `fault` (and `onAgentFault` is told) instead of an error, so it can still be shown.
   * @throws DomainError NOT_FOUND (a rejection) when nothing visible to `userId` has that name.
   */
  resolveAgent(name: string, userId: string): Promise<ResolvedAgent>;
  /** Tools (kind `tools`) or MCP servers (kind `mcps`) `userId` can see, named as `listAgents` does, sorted. */
  list(kind: 'tools', userId: string): Promise<ResolvedEntity<Tool>[]>;
  list(kind: 'mcps', userId: string): Promise<ResolvedEntity<McpServer>[]>;
  /** By bare or qualified name. @throws DomainError NOT_FOUND (a rejection). */
  resolve(kind: 'tools', name: string, userId: string): Promise<ResolvedEntity<Tool>>;
  resolve(kind: 'mcps', name: string, userId: string): Promise<ResolvedEntity<McpServer>>;
  /**
   * The runtime's per-user resolution of an agent's tool references: bare names only (own row, else
   * system; a builtin or system tool's name is always that tool), undefined instead of NOT_FOUND and
   * for qualified names.
   */
  lookup(kind: 'tools', name: string, userId: string): Promise<ResolvedEntity<Tool> | undefined>;
  lookup(kind: 'mcps', name: string, userId: string): Promise<ResolvedEntity<McpServer> | undefined>;
  /**
   * True when `name` is a builtin tool or a system-tier tool: a name no user-tier tool may take
   * (the API refuses it with CONFLICT) and that always means the builtin/system tool.
   */
  isReservedToolName(name: string): boolean;
  /**
   * Reference checks of an agent about to be saved by `userId` (src/domain/references.ts, the same
   * checker and messages as config files): its model must exist, and each tool must be, by bare name,
   * a tool `lookup` finds, a built-in, or `server.tool` / `server.*` of such an MCP server; qualified
   * (`OWNER/…`) references are refused. One E_REFERENCE detail per problem (empty when all is well).
   */
  checkAgentReferences(agent: Agent, userId: string): Promise<ErrorDetail[]>;
  /** Model names of the system tier, sorted. */
  modelNames(): string[];
  /** Workflows (DIR-12; system tier only: config/workflows), sorted by name. */
  workflows(): Workflow[];
  /** The workflow `name` of the current snapshot. @throws DomainError NOT_FOUND (with the names that exist as hint). */
  resolveWorkflow(name: string): Workflow;
  /** Counts per entity kind of the system tier. */
  counts(): Record<'agents' | 'models' | 'tools' | 'workflows' | 'mcps', number>;
}

/** What the catalog reads. `tenants` is absent in setups without a database (system tier only). */
export interface CatalogOptions {
  snapshot: () => ConfigSnapshot;
  defaultModel: string;
  tenants?: UserEntityStore;
  /** Names of built-in tools that need no entity (the runtime's ToolSet); default BUILTIN_TOOL_NAMES. */
  builtinTools?: () => readonly string[];
  /**
   * Told whenever an agent is found unable to run (`key` as `agentKey`, `reason` in words); the daemon
   * marks it failed in the runtime (`AgentControls.fail`). Called on every such lookup: keep it cheap.
   */
  onAgentFault?: (key: string, reason: string) => void;
}

const notFound = (what: string, name: string) =>
  new DomainError('NOT_FOUND', `${what} ${name} not found`, [
    {
      field: 'name',
      message: `no ${what} named ${name}`,
      hint: `run \`caxton ${what} list\`; other users' shared ${what}s are named OWNER/NAME (in URLs OWNER%2FNAME)`,
    },
  ]);

const sourceOf = (e: UserEntity, userId: string): Source => (e.user_id === userId ? 'user' : 'community');
/** How `userId` names row `e`: bare when it is theirs, else `OWNER/NAME`. */
const nameOf = (e: UserEntity, userId: string) => (e.user_id === userId ? e.name : qualifiedName(e.owner_handle, e.name));
const systemMap = (snap: ConfigSnapshot, kind: 'tools' | 'mcps') =>
  (kind === 'tools' ? snap.tools : snap.mcps) as ReadonlyMap<string, { value: Tool | McpServer; file: string }>;

/**
 * A listing for `userId`: own rows by bare name (tools: not those a builtin or system tool's name
 * shields), other users' public rows (`rows`: what the store shows `userId`) by qualified name, then
 * system entries whose bare name is still free; sorted by name.
 */
function listed<T extends { name: string }>(
  rows: readonly UserEntity[],
  userId: string,
  ofRow: (row: UserEntity, name: string) => T,
  system: Iterable<[string, T]>,
  shielded: (name: string) => boolean,
): T[] {
  const byName = new Map<string, T>();
  for (const row of rows) {
    if (row.user_id === userId && shielded(row.name)) continue;
    const name = nameOf(row, userId);
    byName.set(name, ofRow(row, name));
  }
  for (const [name, entry] of system) if (!byName.has(name)) byName.set(name, entry);
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** The catalog's options with the builtin tool names settled (`builtinTools`, else BUILTIN_TOOL_NAMES). */
type Tiers = CatalogOptions & { builtins: () => readonly string[] };

/**
 * The user-tier row `ref` names for `userId`: bare -> their own row; `OWNER/NAME` -> their own row
 * when OWNER is their handle, else OWNER's public row.
 */
async function userRow<K extends UserEntityKind>(tiers: Tiers, kind: K, ref: EntityRef, userId: string): Promise<UserEntity<K> | undefined> {
  const { tenants } = tiers;
  if (!tenants) return undefined;
  const mine = await tenants.own(kind, userId, ref.name);
  if (ref.owner === undefined || mine?.owner_handle === ref.owner) return mine;
  return await tenants.published(kind, ref.owner, ref.name);
}

/** True when `name` is a system-tier tool's in `snap`, or a builtin's. */
const reservedTool = (tiers: Tiers, snap: ConfigSnapshot, name: string) => snap.tools.has(name) || tiers.builtins().includes(name);

/** A user-tier agent row as `userId` lists it. */
const agentOfRow = (tiers: Tiers, row: UserEntity<'agents'>, userId: string): AgentListing => ({
  name: nameOf(row, userId),
  agent: row.value,
  source: sourceOf(row, userId),
  modelName: row.value.model ?? tiers.defaultModel,
  entity: row,
});

/** A system-tier agent (from `file`) as listed. */
const systemAgent = (tiers: Tiers, name: string, a: { value: Agent; file: string }): AgentListing => ({
  name,
  agent: a.value,
  source: 'system',
  modelName: a.value.model ?? tiers.defaultModel,
  file: a.file,
});

/** The agent `name` (bare or qualified) names for `userId` in `snap`: a user-tier row, else (bare only) a system agent. */
async function agentListing(tiers: Tiers, snap: ConfigSnapshot, name: string, userId: string): Promise<AgentListing | undefined> {
  const ref = parseEntityRef(name);
  if (!ref) return undefined;
  const row = await userRow(tiers, 'agents', ref, userId);
  if (row) return agentOfRow(tiers, row, userId);
  const sys = ref.owner === undefined ? snap.agents.get(ref.name) : undefined;
  return sys && systemAgent(tiers, ref.name, sys);
}

/** The tool or MCP server `name` (bare or qualified) names for `userId`; a builtin or system tool's name is always that tool. */
async function resolveEntity(tiers: Tiers, kind: 'tools' | 'mcps', name: string, userId: string): Promise<ResolvedEntity<Tool | McpServer> | undefined> {
  const ref = parseEntityRef(name);
  if (!ref) return undefined;
  const snap = tiers.snapshot();
  const sys = ref.owner === undefined ? systemMap(snap, kind).get(ref.name) : undefined;
  // A builtin or system tool's name means that tool for everyone, its row's owner included.
  const shielded = kind === 'tools' && ref.owner === undefined && reservedTool(tiers, snap, ref.name);
  const row = shielded ? undefined : await userRow(tiers, kind, ref, userId);
  if (row) return { name: nameOf(row, userId), value: row.value, source: sourceOf(row, userId), entity: row };
  return sys && { name: ref.name, value: sys.value, source: 'system', file: sys.file };
}

/** The tools or MCP servers `userId` can see (`Catalog.list`). */
async function listEntities(tiers: Tiers, kind: 'tools' | 'mcps', userId: string): Promise<ResolvedEntity<Tool | McpServer>[]> {
  const snap = tiers.snapshot();
  const system = [...systemMap(snap, kind)].map(([name, sys]): [string, ResolvedEntity<Tool | McpServer>] => [
    name,
    { name, value: sys.value, source: 'system', file: sys.file },
  ]);
  return listed(
    (await tiers.tenants?.visible(kind, userId)) ?? [],
    userId,
    (row, name) => ({ name, value: row.value as Tool | McpServer, source: sourceOf(row, userId), entity: row }),
    system,
    (n) => kind === 'tools' && reservedTool(tiers, snap, n),
  );
}

/** Why `listing` cannot run in `snap`, telling `onAgentFault`; undefined when it can. */
function faultOf(tiers: Tiers, snap: ConfigSnapshot, listing: AgentListing): string | undefined {
  if (snap.models.has(listing.modelName)) return undefined;
  // The row's own name, so the reason stays the same whoever looks the agent up.
  const reason = `agent ${listing.agent.name} uses model ${listing.modelName}, which does not exist (any more); define it in config/models/ or change the agent's model`;
  tiers.onAgentFault?.(agentKey(listing), reason);
  return reason;
}

/** `Catalog.listAgents`: own and system agents by bare name, community ones by qualified name; faults reported. */
async function listAgents(tiers: Tiers, userId: string): Promise<AgentListing[]> {
  const snap = tiers.snapshot();
  const system = [...snap.agents].map(([name, a]): [string, AgentListing] => [name, systemAgent(tiers, name, a)]);
  const rows = (await tiers.tenants?.visible('agents', userId)) ?? [];
  const out = listed(
    rows,
    userId,
    (row) => agentOfRow(tiers, row as UserEntity<'agents'>, userId),
    system,
    () => false,
  );
  if (tiers.onAgentFault) for (const a of out) faultOf(tiers, snap, a);
  return out;
}

/** `Catalog.resolveAgent`. @throws DomainError NOT_FOUND. */
async function resolveAgent(tiers: Tiers, name: string, userId: string): Promise<ResolvedAgent> {
  const snap = tiers.snapshot();
  const found = await agentListing(tiers, snap, name, userId);
  if (!found) throw notFound('agent', name);
  const model = snap.models.get(found.modelName)?.value;
  if (model) return { ...found, model };
  return { ...found, model: { name: found.modelName, provider: '', model: '' }, fault: faultOf(tiers, snap, found)! };
}

/**
 * What `userId`'s agents may refer to (their own and the system's entities by bare name), with API
 * hints. The rows are read once up front: the reference checker asks synchronously, by bare name
 * (it refuses qualified names before asking), and a bare name resolves exactly to these listings.
 */
async function referenceScope(tiers: Tiers, snap: ConfigSnapshot, userId: string): Promise<ReferenceScope> {
  const ownAndSystemOf = async (kind: 'tools' | 'mcps') => (await listEntities(tiers, kind, userId)).filter((e) => e.source !== 'community').map((e) => e.name);
  const [ownTools, ownServers, ownAgents] = await Promise.all([
    ownAndSystemOf('tools'),
    ownAndSystemOf('mcps'),
    listAgents(tiers, userId).then((all) => all.filter((a) => a.source !== 'community').map((a) => a.name)),
  ]);
  const knownTools = () => [...new Set([...tiers.builtins(), ...ownTools])];
  const hints = {
    model: () => `use one of: ${[...snap.models.keys()].sort().join(', ')}`,
    tool: () => `create it with POST /api/tools, or use one of: ${knownTools().join(', ')}`,
    server: () => 'create it with POST /api/mcps or add it under config/mcps/',
    agent: () => 'create it with POST /api/agents, or use one of your own or the system agents (caxton agent list)',
    qualified: () =>
      "agents use your own and the system's tools and MCP servers by bare name; to build on a shared one, create your own from its definition (GET /api/mcps/OWNER%2FNAME or /api/tools/OWNER%2FNAME)",
  };
  return {
    models: snap.models,
    tools: { has: (n) => tiers.builtins().includes(n) || ownTools.includes(n), keys: knownTools },
    servers: { has: (n) => ownServers.includes(n), keys: () => ownServers },
    agents: { has: (n) => ownAgents.includes(n), keys: () => ownAgents },
    hint: (kind) => hints[kind](),
  };
}

/** `Catalog.resolveWorkflow`. @throws DomainError NOT_FOUND. */
function resolveWorkflow(snap: ConfigSnapshot, name: string): Workflow {
  const found = snap.workflows.get(name)?.value;
  if (found) return found;
  const known = [...snap.workflows.keys()].sort();
  throw new DomainError('NOT_FOUND', `workflow ${name} not found`, [
    { field: 'name', message: `no workflow named ${name}`, hint: known.length ? `use one of: ${known.join(', ')}` : 'define one in config/workflows/' },
  ]);
}

/** Build the catalog over a snapshot getter (the config watcher swaps what it returns) and the tenant rows. */
export function createCatalog(opts: CatalogOptions): Catalog {
  const tiers: Tiers = { ...opts, builtins: () => opts.builtinTools?.() ?? BUILTIN_TOOL_NAMES };
  const bareLookup = async (kind: 'tools' | 'mcps', name: string, userId: string) =>
    name.includes('/') ? undefined : resolveEntity(tiers, kind, name, userId);
  return {
    listAgents: (userId) => listAgents(tiers, userId),
    resolveAgent: (name, userId) => resolveAgent(tiers, name, userId),
    list: ((kind: 'tools' | 'mcps', userId: string) => listEntities(tiers, kind, userId)) as Catalog['list'],
    resolve: (async (kind: 'tools' | 'mcps', name: string, userId: string) => {
      const found = await resolveEntity(tiers, kind, name, userId);
      if (!found) throw notFound(kind === 'tools' ? 'tool' : 'mcp', name);
      return found;
    }) as Catalog['resolve'],
    lookup: bareLookup as Catalog['lookup'],
    isReservedToolName: (name) => reservedTool(tiers, opts.snapshot(), name),
    async checkAgentReferences(agent, userId) {
      const problems = checkAgentReferences(agent, opts.defaultModel, await referenceScope(tiers, opts.snapshot(), userId));
      return problems.map((p) => ({ code: 'E_REFERENCE', field: p.path.join('.'), message: p.message, hint: p.hint }));
    },
    modelNames: () => [...opts.snapshot().models.keys()].sort(),
    workflows: () => [...opts.snapshot().workflows.values()].map((w) => w.value).sort((a, b) => a.name.localeCompare(b.name)),
    resolveWorkflow: (name) => resolveWorkflow(opts.snapshot(), name),
    counts() {
      const s = opts.snapshot();
      return { agents: s.agents.size, models: s.models.size, tools: s.tools.size, workflows: s.workflows.size, mcps: s.mcps.size };
    },
  };
}
