/**
 * Tier resolution (SPEC §4): looking up name N as user U goes U's private -> U's public -> community
 * -> system. This version serves the system tier (config files, hot-reloaded snapshots); user and
 * community tiers are SQLite rows added with the multi-tenant API.
 */
import type { ConfigSnapshot } from '../config/snapshot.js';
import { DomainError } from '../domain/errors.js';
import type { Agent, Model, Source } from '../domain/entities.js';

/** An agent as a caller sees it: the definition, where it comes from, and its resolved model alias. */
export interface ResolvedAgent {
  agent: Agent;
  source: Source;
  /** The model alias in effect (the agent's own or `[defaults] model`). */
  modelName: string;
  /** That model, from the same snapshot as the agent (a reload between two lookups cannot mix them). */
  model: Model;
  /** File it was loaded from (system tier only). */
  file?: string;
}

/** Lookup over all tiers. Every method reads the current snapshot, so reloads are seen at once. */
export interface Catalog {
  /** Agents visible to `userId`, one per name (the winning tier), sorted by name. */
  listAgents(userId: string): ResolvedAgent[];
  /** @throws DomainError NOT_FOUND when no tier visible to `userId` has the agent. */
  resolveAgent(name: string, userId: string): ResolvedAgent;
  /** Counts per entity kind of the system tier. */
  counts(): Record<'agents' | 'models' | 'tools' | 'workflows' | 'mcps', number>;
}

/** Build the catalog over a snapshot getter (the config watcher swaps what it returns). */
export function createCatalog(opts: { snapshot: () => ConfigSnapshot; defaultModel: string }): Catalog {
  // The loader only admits agents whose model exists, so the lookup below cannot miss.
  const toResolved = (snap: ConfigSnapshot, a: { value: Agent; file: string }): ResolvedAgent => {
    const modelName = a.value.model ?? opts.defaultModel;
    return { agent: a.value, source: 'system', modelName, model: snap.models.get(modelName)!.value, file: a.file };
  };
  return {
    listAgents() {
      const snap = opts.snapshot();
      return [...snap.agents.values()].map((a) => toResolved(snap, a)).sort((x, y) => x.agent.name.localeCompare(y.agent.name));
    },
    resolveAgent(name) {
      const snap = opts.snapshot();
      const found = snap.agents.get(name);
      if (!found) throw new DomainError('NOT_FOUND', `agent ${name} not found`, [{ field: 'name', message: `no agent named ${name}`, hint: 'run `caxton agent list`' }]);
      return toResolved(snap, found);
    },
    counts() {
      const s = opts.snapshot();
      return { agents: s.agents.size, models: s.models.size, tools: s.tools.size, workflows: s.workflows.size, mcps: s.mcps.size };
    },
  };
}
