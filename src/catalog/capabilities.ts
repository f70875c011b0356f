/**
 * Capability index (Caxton STORY-006): per user, capability -> the agents offering it (their
 * `capabilities[]`), over the agents that user reaches by bare name (their own and the system's;
 * other users' public agents are reached by qualified name only, never by capability). The map of a
 * user is built on first use and kept until invalidated: `invalidate()` on a config reload,
 * `invalidate(userId)` when that user's agents are written. Lifecycle state and runs in flight are
 * read live from the runtime at each decision (`AgentStates`), so stop, start and failure count at
 * once. Routing follows src/domain/routing.ts: running agents only, fewest runs in flight, then
 * round-robin; each decision is logged (capability, candidates, chosen).
 */
import { DomainError } from '../domain/errors.js';
import type { Log } from '../domain/log.js';
import { chooseCandidate, noCandidateMessage, type RoutingCandidate, type RoutingDecision } from '../domain/routing.js';
import { agentKey, type AgentListing, type Catalog, type ResolvedAgent } from './catalog.js';

/** An agent's lifecycle state as the runtime holds it (by `agentKey`): state, failure reason, runs in flight. */
export type AgentStates = (key: string) => { state: string; reason?: string; active: number };

/** One capability as `GET /api/capabilities` lists it: the agents offering it with their state. */
export interface CapabilityListing {
  capability: string;
  agents: RoutingCandidate[];
}

/** The index (see the module comment). */
export interface CapabilityIndex {
  /** Every capability `userId`'s agents offer, sorted, each with its agents (sorted) and their state now. */
  list(userId: string): Promise<CapabilityListing[]>;
  /** Names of the agents offering `capability` to `userId`, sorted. */
  offering(capability: string, userId: string): Promise<string[]>;
  /**
   * Choose the agent for `capability` as `userId` sees it, resolved for a run, with the decision.
   * @throws DomainError NOT_FOUND when no agent `userId` can use offers it; UNAVAILABLE when none of
   *   them can run now (the message names each with its state: `billing: invoice (stopped), finance (failed: …)`).
   */
  route(capability: string, userId: string): Promise<{ agent: ResolvedAgent; decision: RoutingDecision }>;
  /** Forget `userId`'s map (their agents were written), or every user's (config reload). */
  invalidate(userId?: string): void;
}

/** Build the index over the catalog and the runtime's agent states; decisions are logged to `log`. */
export function createCapabilityIndex(catalog: Catalog, states: AgentStates, log?: Log): CapabilityIndex {
  const maps = new Map<string, Promise<Map<string, AgentListing[]>>>();
  const turns = new Map<string, number>();

  const mapOf = (userId: string) => {
    let map = maps.get(userId);
    if (!map) {
      map = build(catalog, userId);
      maps.set(userId, map);
      map.catch(() => maps.delete(userId));
    }
    return map;
  };
  const candidate = (a: AgentListing): RoutingCandidate => {
    const s = states(agentKey(a));
    return { agent: a.name, state: s.state, in_flight: s.active, ...(s.reason ? { reason: s.reason } : {}) };
  };

  return {
    async list(userId) {
      const map = await mapOf(userId);
      return [...map].map(([capability, agents]) => ({ capability, agents: agents.map(candidate) })).sort((a, b) => a.capability.localeCompare(b.capability));
    },
    offering: async (capability, userId) => ((await mapOf(userId)).get(capability) ?? []).map((a) => a.name),
    async route(capability, userId) {
      const listings = (await mapOf(userId)).get(capability) ?? [];
      if (!listings.length) {
        throw new DomainError('NOT_FOUND', `capability ${capability} not found: no agent you can use offers it`, [
          { field: 'capability', message: `no agent lists ${capability} in capabilities[]`, hint: 'run `caxton capability list`' },
        ]);
      }
      const candidates = listings.map(candidate);
      const key = `${userId}\u0000${capability}`;
      const turn = turns.get(key) ?? 0;
      const chosen = chooseCandidate(candidates, turn);
      if (!chosen) throw new DomainError('UNAVAILABLE', noCandidateMessage(capability, candidates));
      turns.set(key, turn + 1);
      const decision: RoutingDecision = { capability, candidates, chosen: chosen.agent };
      log?.info({ component: 'routing', user: userId, capability, candidates, chosen: chosen.agent }, 'capability routed');
      return { agent: await catalog.resolveAgent(chosen.agent, userId), decision };
    },
    invalidate(userId) {
      if (userId === undefined) maps.clear();
      else maps.delete(userId);
    },
  };
}

/** `userId`'s capability map: own and system agents (by bare name), each under every capability it lists, agents sorted by name. */
async function build(catalog: Catalog, userId: string): Promise<Map<string, AgentListing[]>> {
  const map = new Map<string, AgentListing[]>();
  for (const a of await catalog.listAgents(userId)) {
    if (a.source === 'community') continue;
    for (const cap of new Set(a.agent.capabilities)) map.set(cap, [...(map.get(cap) ?? []), a]);
  }
  return map;
}
