/**
 * Capability routing (Caxton STORY-006): which agent of those offering a capability serves a
 * request. Among the candidates only `running` (or not yet started, `loaded`) agents are eligible;
 * of those, the fewest runs in flight wins, ties go round-robin. The decision is logged and recorded
 * on the execution it started (`agent_executions.routing`).
 */

/** One agent offering the capability, as routing saw it: lifecycle state, runs in flight (count), why it failed. */
export interface RoutingCandidate {
  agent: string;
  state: string;
  in_flight: number;
  reason?: string;
}

/** One routing decision: the capability, every candidate as seen at that moment, and the agent chosen. */
export interface RoutingDecision {
  capability: string;
  candidates: RoutingCandidate[];
  chosen: string;
}

/** Lifecycle states an agent can take runs in. */
const ELIGIBLE = new Set(['running', 'loaded']);

/**
 * The candidate to choose: eligible ones only, the fewest `in_flight`, ties broken by `turn` (a
 * counter the caller advances per capability: round-robin). Undefined when none is eligible.
 */
export function chooseCandidate(candidates: readonly RoutingCandidate[], turn: number): RoutingCandidate | undefined {
  let least = Infinity;
  for (const c of candidates) if (ELIGIBLE.has(c.state) && c.in_flight < least) least = c.in_flight;
  const best = candidates.filter((c) => ELIGIBLE.has(c.state) && c.in_flight === least);
  return best.length ? best[turn % best.length] : undefined;
}

/** The error text of a capability no agent can serve now: `billing: invoice (stopped), finance (failed: model gone)`. */
export function noCandidateMessage(capability: string, candidates: readonly RoutingCandidate[]): string {
  if (!candidates.length) return `${capability}: no agent you can use offers this capability`;
  return `${capability}: ${candidates.map((c) => `${c.agent} (${c.reason ? `${c.state}: ${c.reason}` : c.state})`).join(', ')}`;
}
