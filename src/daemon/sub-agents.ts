/**
 * The runtime's sub-agent directory (src/runtime/sub-agents.ts) over the catalog and its capability
 * index: agents by bare name as the run's user sees them (their own, else the system's; another
 * user's agent never), and capability routing. An agent whose model is gone still resolves, so its
 * run fails with the reason as the parent's error result instead of "not found".
 */
import { agentKey, agentRow, type Catalog, type ResolvedAgent } from '../catalog/catalog.js';
import type { CapabilityIndex } from '../catalog/capabilities.js';
import { isDomainError } from '../domain/errors.js';
import type { SubAgentDirectory, SubAgentTarget } from '../runtime/run.js';

/** A resolved agent as a delegation target. */
function target(r: ResolvedAgent): SubAgentTarget {
  const row = agentRow(r);
  return { agent: r.agent, model: r.model, source: r.source, agentKey: agentKey(r), ...(row ? { agentRow: row } : {}) };
}

/** The directory; `catalog()` and `capabilities()` are read at each call (they are built after the runtime). */
export function subAgentDirectory(catalog: () => Catalog, capabilities: () => CapabilityIndex): SubAgentDirectory {
  return {
    async agent(name, userId) {
      if (name.includes('/')) return undefined;
      try {
        return target(await catalog().resolveAgent(name, userId));
      } catch (err) {
        if (isDomainError(err) && err.code === 'NOT_FOUND') return undefined;
        throw err;
      }
    },
    offering: (capability, userId) => capabilities().offering(capability, userId),
    async route(capability, userId) {
      const { agent, decision } = await capabilities().route(capability, userId);
      return { target: target(agent), decision };
    },
  };
}
