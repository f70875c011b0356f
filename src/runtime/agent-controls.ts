/**
 * Agent controls (SPEC §7): one facade over the lifecycle table (src/runtime/lifecycle.ts) and the
 * per-agent concurrency slots (src/runtime/limiter.ts). Operators use `controls`; a run uses the
 * admission steps (`busy`, `admit`, `acquire`) and reports its agent's own faults with `fault`.
 */
import type { ErrorCode } from '../domain/errors.js';
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
}

/** The controls plus the steps a run takes through them; `key` is a run's agent key. */
export interface AgentGate {
  controls: AgentControls;
  /** Why a new run of `key` would be refused as busy now (its queue or the total queue is full), or undefined. */
  busy(key: string): string | undefined;
  /** Make `key` ready for a run (`loaded` becomes `running`). @throws DomainError UNAVAILABLE when stopped or failed. */
  admit(key: string): void;
  /** Take one of `key`'s slots, waiting in its queue. @throws DomainError UNAVAILABLE when full; the signal's reason when aborted. */
  acquire(key: string, signal: AbortSignal): Promise<Release>;
  /** A run of a running `key` failed with `code`: when that is the agent's own fault (CONFIG_INVALID) it becomes failed. */
  fault(key: string, code: ErrorCode, reason: string): void;
}

/** Slot and queue sizes (counts). */
export interface GateLimits {
  maxConcurrentPerAgent: number;
  maxQueuedPerAgent: number;
  maxQueuedTotal: number;
}

/** Error codes that are the agent's own fault (its configuration), which mark it failed. */
const AGENT_FAULTS: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['CONFIG_INVALID']);

/** Build the lifecycle table and the slots behind one gate. */
export function createAgentGate(limits: GateLimits): AgentGate {
  const lifecycle = createLifecycle();
  const limiter = createLimiter({ maxConcurrent: limits.maxConcurrentPerAgent, maxQueued: limits.maxQueuedPerAgent, maxQueuedTotal: limits.maxQueuedTotal });
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
  };
  return {
    controls,
    busy: (key) => limiter.busy(key),
    admit: (key) => lifecycle.admit(key),
    acquire: (key, signal) => limiter.acquire(key, signal),
    fault(key, code, reason) {
      if (AGENT_FAULTS.has(code) && lifecycle.state(key) === 'running') lifecycle.transition(key, 'failed', reason);
    },
  };
}
