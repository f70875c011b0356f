/**
 * Agent controls (SPEC §7): one facade over the lifecycle table (src/runtime/lifecycle.ts), the
 * per-agent concurrency slots and the global pool of run slots (`[runtime] max_concurrent_runs`,
 * STORY-023), both src/runtime/limiter.ts. A run takes its agent's slot first, then a pool slot
 * (waiting in the global queue when all are taken), so an agent never holds more pool slots than
 * its own limit and a run waiting for the pool never blocks another agent's slot. Operators use `controls`; a run uses the
 * admission steps (`busy`, `admit`, `acquire`) and reports its agent's own faults with `fault`.
 */
import { DomainError, type ErrorCode } from '../domain/errors.js';
import { createLifecycle, type AgentStatus } from './lifecycle.js';
import { createLimiter, type Release } from './limiter.js';

/** Operator controls over agents' lifecycle. Each acts on one agent and touches no other. */
export interface AgentControls {
  /** State, in-flight and queued runs of one agent. */
  status(name: string): AgentStatus;
  /** Every agent the runtime has seen. */
  list(): AgentStatus[];
  /** loaded|stopped -> running. @throws DomainError CONFLICT from any other state. */
  start(name: string): AgentStatus;
  /** running -> stopped: new runs are refused (runs in flight finish). @throws DomainError CONFLICT otherwise. */
  stop(name: string): AgentStatus;
  /** failed -> loaded -> running. @throws DomainError CONFLICT when the agent has not failed. */
  restart(name: string): AgentStatus;
  /**
   * Mark an agent failed with `reason` because its definition cannot run (the catalog found its model
   * missing): runs are refused (503) until `restart`. A stopped agent stays stopped. Never throws.
   */
  fail(name: string, reason: string): AgentStatus;
  /**
   * Drop the state of every agent for which `keep(key)` is false (agents that no longer exist: a
   * deleted user agent, a system agent gone from config on reload), so the table stays as large as
   * the agents that exist. Runs in flight are not affected.
   */
  retain(keep: (key: string) => boolean): void;
  /** The global pool now: runs holding a pool slot, runs waiting for one, and the pool's size (counts). */
  pool(): PoolStatus;
}

/** The global pool of run slots (`[runtime] max_concurrent_runs`). Counts. */
export interface PoolStatus {
  active: number;
  queued: number;
  max: number;
}

/** The one key of the global pool's limiter. */
const POOL = 'all agents';

/** The controls plus the steps a run takes through them; `key` is a run's agent key. */
export interface AgentGate {
  controls: AgentControls;
  /** Why a new run of `key` would be refused as busy now (its queue, the total queue or the global queue is full), or undefined. */
  busy(key: string): string | undefined;
  /** Make `key` ready for a run (`loaded` becomes `running`). @throws DomainError UNAVAILABLE when stopped or failed. */
  admit(key: string): void;
  /**
   * Take one of `key`'s slots, then one of the pool's, waiting in each queue; the release frees both.
   * @throws DomainError UNAVAILABLE when a queue is full; the signal's reason when aborted.
   */
  acquire(key: string, signal: AbortSignal): Promise<Release>;
  /** A run of a running `key` failed with `code`: when that is the agent's own fault (CONFIG_INVALID) it becomes failed. */
  fault(key: string, code: ErrorCode, reason: string): void;
}

/** Slot and queue sizes (counts). */
export interface GateLimits {
  maxConcurrentPerAgent: number;
  maxQueuedPerAgent: number;
  maxQueuedTotal: number;
  /** Runs of all agents at the same time (the global pool); more wait in the global queue of `maxQueuedTotal`. */
  maxConcurrentRuns: number;
}

/** Error codes that are the agent's own fault (its configuration), which mark it failed. */
const AGENT_FAULTS: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['CONFIG_INVALID']);

/** Build the lifecycle table and the slots behind one gate. */
export function createAgentGate(limits: GateLimits): AgentGate {
  const lifecycle = createLifecycle();
  const limiter = createLimiter({ maxConcurrent: limits.maxConcurrentPerAgent, maxQueued: limits.maxQueuedPerAgent, maxQueuedTotal: limits.maxQueuedTotal });
  const pool = createLimiter({ maxConcurrent: limits.maxConcurrentRuns, maxQueued: limits.maxQueuedTotal });
  const poolStatus = (): PoolStatus => ({ ...pool.load(POOL), max: limits.maxConcurrentRuns });
  const poolBusy = (): string | undefined => {
    if (!pool.busy(POOL)) return undefined;
    const { active, queued } = poolStatus();
    return `the daemon is busy: ${active} runs in flight ([runtime] max_concurrent_runs = ${limits.maxConcurrentRuns}) and ${queued} queued; try again shortly`;
  };
  const statusOf = (name: string): AgentStatus => ({ ...lifecycle.status(name), ...limiter.load(name) });
  const moved = (name: string, ...to: ('loaded' | 'running' | 'stopped')[]): AgentStatus => {
    for (const state of to) lifecycle.transition(name, state);
    return statusOf(name);
  };
  const controls: AgentControls = {
    status: statusOf,
    list: () => lifecycle.list().map((s) => ({ ...s, ...limiter.load(s.name) })),
    start: (name) => moved(name, 'running'),
    stop: (name) => moved(name, 'stopped'),
    restart: (name) => moved(name, 'loaded', 'running'),
    fail(name, reason) {
      lifecycle.fail(name, reason);
      return statusOf(name);
    },
    retain(keep) {
      for (const { name } of lifecycle.list()) if (!keep(name)) lifecycle.forget(name);
    },
    pool: poolStatus,
  };
  return {
    controls,
    busy: (key) => limiter.busy(key) ?? poolBusy(),
    admit: (key) => lifecycle.admit(key),
    async acquire(key, signal) {
      const releaseAgent = await limiter.acquire(key, signal);
      try {
        const refusal = poolBusy();
        if (refusal) throw new DomainError('UNAVAILABLE', refusal);
        const releasePool = await pool.acquire(POOL, signal);
        return () => {
          releasePool();
          releaseAgent();
        };
      } catch (err) {
        releaseAgent();
        throw err;
      }
    },
    fault(key, code, reason) {
      if (AGENT_FAULTS.has(code) && lifecycle.state(key) === 'running') lifecycle.transition(key, 'failed', reason);
    },
  };
}
