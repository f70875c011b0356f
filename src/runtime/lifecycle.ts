/**
 * Agent lifecycle (seed STORY-009, STORY-024): each agent is `loaded` (known, no run yet), `running`
 * (serving runs), `stopped` (an operator stopped it: runs are refused) or `failed` (a run failed in a way that is the
 * agent's own fault, e.g. its model names a provider that does not exist: runs are refused until it is
 * restarted). Transitions cannot be skipped:
 *
 *   loaded -> running            (start, or the first run)
 *   running -> stopped           (stop)          stopped -> running   (start)
 *   running -> failed            (fail)          failed  -> loaded    (restart, then -> running)
 *   loaded -> failed             (fail: found broken before its first run, e.g. its model is gone)
 *
 * Restarting one agent touches no other. States are kept in memory only, per agent key (`agentKey` of
 * src/catalog/catalog.ts: a system agent's name, or `NAME (ROW_ID)` for a user agent).
 */
import { DomainError } from '../domain/errors.js';

/** The four states. */
export type AgentState = 'loaded' | 'running' | 'stopped' | 'failed';

/** One agent's state and, when failed, why. Times in ms since epoch. */
export interface AgentStatus {
  name: string;
  state: AgentState;
  since: number;
  reason?: string;
  /** Runs in flight and waiting in the queue. */
  active: number;
  queued: number;
}

const ALLOWED: Record<AgentState, readonly AgentState[]> = {
  loaded: ['running', 'failed'],
  running: ['stopped', 'failed'],
  stopped: ['running'],
  failed: ['loaded'],
};

/** The state machine of every agent the runtime has seen. */
export interface Lifecycle {
  /** Current state (`loaded` for an agent never seen). */
  state(name: string): AgentState;
  /** Status of `name`. */
  status(name: string): Omit<AgentStatus, 'active' | 'queued'>;
  /** Every agent seen so far. */
  list(): Omit<AgentStatus, 'active' | 'queued'>[];
  /** Move `name` to `to`. @throws DomainError CONFLICT when the transition is not allowed from the current state. */
  transition(name: string, to: AgentState, reason?: string): void;
  /**
   * Make `name` ready for a run: a `loaded` agent becomes `running`.
   * @throws DomainError UNAVAILABLE when it is stopped or failed (the message says how to recover).
   */
  admit(name: string): void;
  /**
   * Mark `name` failed because its definition cannot run (`reason` says why): from loaded or running;
   * an already failed agent gets the new reason; a stopped agent stays stopped (the operator's stop
   * stands, and start/restart check again).
   */
  fail(name: string, reason: string): void;
  /** Drop the state of `name` (the agent no longer exists); it is `loaded` again if it comes back. */
  forget(name: string): void;
}

/** Create the lifecycle table. */
export function createLifecycle(): Lifecycle {
  const table = new Map<string, { state: AgentState; since: number; reason?: string }>();
  const entry = (name: string) => {
    let e = table.get(name);
    if (!e) {
      e = { state: 'loaded', since: Date.now() };
      table.set(name, e);
    }
    return e;
  };
  const transition = (name: string, to: AgentState, reason?: string) => {
    const e = entry(name);
    if (!ALLOWED[e.state].includes(to)) {
      const how =
        e.state === 'failed'
          ? 'restart it first'
          : e.state === 'stopped' && to !== 'running'
            ? 'start it first'
            : `allowed next: ${ALLOWED[e.state].join(', ')}`;
      throw new DomainError('CONFLICT', `agent ${name} is ${e.state} and cannot become ${to} (${how})`);
    }
    e.state = to;
    e.since = Date.now();
    if (reason) e.reason = reason;
    else delete e.reason;
  };
  return {
    state: (name) => table.get(name)?.state ?? 'loaded',
    status(name) {
      const e = entry(name);
      return { name, state: e.state, since: e.since, ...(e.reason ? { reason: e.reason } : {}) };
    },
    list() {
      return [...table.entries()].map(([name, e]) => ({ name, state: e.state, since: e.since, ...(e.reason ? { reason: e.reason } : {}) }));
    },
    transition,
    fail(name, reason) {
      const e = entry(name);
      if (e.state === 'stopped') return;
      if (e.state === 'failed') e.reason = reason;
      else transition(name, 'failed', reason);
    },
    forget(name) {
      table.delete(name);
    },
    admit(name) {
      const e = entry(name);
      if (e.state === 'running') return;
      if (e.state === 'loaded') return transition(name, 'running');
      if (e.state === 'stopped') throw new DomainError('UNAVAILABLE', `agent ${name} is stopped; start it again to serve requests`);
      throw new DomainError('UNAVAILABLE', `agent ${name} failed${e.reason ? `: ${e.reason}` : ''}; restart it to serve requests`);
    },
  };
}
