/**
 * Live events for the dashboard (issue requirement "Live: one SSE stream of events so pages update
 * without polling"): a small in-process hub the daemon's parts publish to and `GET /api/events`
 * (src/api/routes/events.ts) streams to each subscriber, filtered for what that caller may see.
 *
 * Sources: agent state changes (the lifecycle routes), runs started (src/api/run.ts) and finished (the
 * runtime observer, wrapped by `observeRuns`), config reloads (the config watcher, wired by the
 * daemon) and daemon log lines (a tap on the logger, wired by the daemon). Publishing is synchronous
 * and never throws; a subscriber that throws is dropped.
 */
import type { ObservedToolCall, RunObserver } from '../runtime/observer.js';
import type { ExecutionRecord } from '../store/types.js';

/** An agent's lifecycle state changed (`owner`: the user id of a user agent's row; absent for a system agent). */
export interface AgentStateEvent {
  type: 'agent_state';
  agent: string;
  state: string;
  owner?: string;
}

/** A run was admitted and started. `user_id` is who runs it. */
export interface RunStartedEvent {
  type: 'run_started';
  execution_id: string;
  agent: string;
  user_id: string;
  conversation_id: string;
}

/** A run ended with its final row's fields (start time in ms since epoch, tokens, cost in USD, duration in ms). */
export interface RunFinishedEvent {
  type: 'run_finished';
  execution_id: string;
  agent: string;
  user_id: string;
  created_at: number;
  status: ExecutionRecord['status'];
  finish_reason: string | null;
  tokens: number;
  cost_usd: number;
  duration_ms: number;
}

/** A config reload was attempted: `ok` false when it was rejected (the details are in `GET /api/config/status`). */
export interface ConfigReloadEvent {
  type: 'config_reload';
  ok: boolean;
  reloads: number;
  rejected: number;
}

/** One daemon log line (the JSON line as written, secrets already scrubbed); the admin's only. */
export interface LogLineEvent {
  type: 'log';
  line: string;
}

/** Every event of the stream. */
export type LiveEvent = AgentStateEvent | RunStartedEvent | RunFinishedEvent | ConfigReloadEvent | LogLineEvent;

/** The hub: `publish` fans an event out to every current subscriber. */
export interface LiveEvents {
  publish(event: LiveEvent): void;
  /** Receive every event published from now on. @returns a function that unsubscribes. */
  subscribe(listener: (event: LiveEvent) => void): () => void;
  /** Subscribers right now (the log tap skips its work when there are none). */
  size(): number;
}

/** A new, empty hub. */
export function createLiveEvents(): LiveEvents {
  const listeners = new Set<(event: LiveEvent) => void>();
  return {
    publish(event) {
      for (const l of listeners) {
        try {
          l(event);
        } catch {
          listeners.delete(l);
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    size: () => listeners.size,
  };
}

/** True when `event` may be sent to `userId` (`isAdmin`: everything; others: their own runs and agents, system agents, reload outcomes; never log lines). */
export function visibleTo(event: LiveEvent, userId: string, isAdmin: boolean): boolean {
  if (isAdmin) return true;
  switch (event.type) {
    case 'log':
      return false;
    case 'agent_state':
      return event.owner === undefined || event.owner === userId;
    case 'run_started':
    case 'run_finished':
      return event.user_id === userId;
    case 'config_reload':
      return true;
  }
}

/** `inner` that also publishes each ended run as `run_finished`. */
export function observeRuns(inner: RunObserver, live: LiveEvents): RunObserver {
  return {
    runRefused: (agent, source) => inner.runRefused(agent, source),
    providerRequest: (request) => inner.providerRequest(request),
    budgetRefused: (agent, refusal) => inner.budgetRefused(agent, refusal),
    runEnded(row: ExecutionRecord, tools: readonly ObservedToolCall[]) {
      inner.runEnded(row, tools);
      live.publish({
        type: 'run_finished',
        execution_id: row.id,
        agent: row.agent_name,
        user_id: row.user_id,
        created_at: row.created_at,
        status: row.status,
        finish_reason: row.finish_reason ?? null,
        tokens: (row.tokens_input ?? 0) + (row.tokens_output ?? 0),
        cost_usd: row.cost_usd ?? 0,
        duration_ms: row.duration_ms,
      });
    },
  };
}
