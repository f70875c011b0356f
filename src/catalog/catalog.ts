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
  /** File it was loaded from (system tier only). */
  file?: string;
}

/** Lookup over all tiers. Every method reads the current snapshot, so reloads are seen at once. */
export interface Catalog {
  /** Agents visible to `userId`, one per name (the winning tier), sorted by name. */
  listAgents(userId: string): ResolvedAgent[];
  /** @throws DomainError NOT_FOUND when no tier visible to `userId` has the agent. */
  resolveAgent(name: string, userId: string): ResolvedAgent;
  /** @throws DomainError NOT_FOUND for an unknown model alias. */
  resolveModel(name: string, userId: string): Model;
  /** Counts per entity kind of the system tier. */
  counts(): Record<'agents' | 'models' | 'tools' | 'workflows' | 'mcps', number>;
}

/** Build the catalog over a snapshot getter (the config watcher swaps what it returns). */
export function createCatalog(opts: { snapshot: () => ConfigSnapshot; defaultModel: string }): Catalog {
  const toResolved = (a: { value: Agent; file: string }): ResolvedAgent => ({
    agent: a.value,
    source: 'system',
    modelName: a.value.model ?? opts.defaultModel,
    file: a.file,
  });
  return {
    listAgents() {
      return [...opts.snapshot().agents.values()].map(toResolved).sort((x, y) => x.agent.name.localeCompare(y.agent.name));
    },
    resolveAgent(name) {
      const found = opts.snapshot().agents.get(name);
      if (!found) throw new DomainError('NOT_FOUND', `agent ${name} not found`, [{ field: 'name', message: `no agent named ${name}`, hint: 'run `caxton agent list`' }]);
      return toResolved(found);
    },
    resolveModel(name) {
      const found = opts.snapshot().models.get(name);
      if (!found) throw new DomainError('NOT_FOUND', `model ${name} not found`);
      return found.value;
    },
    counts() {
      const s = opts.snapshot();
      return { agents: s.agents.size, models: s.models.size, tools: s.tools.size, workflows: s.workflows.size, mcps: s.mcps.size };
    },
  };
}
