/**
 * `startAgentRun`: the one way an HTTP entry point starts an agent run (chat, the Caxton `message`
 * path, `/v1/chat/completions`, `/mcp` tool calls). It resolves the agent for the caller (SPEC §4),
 * passes the runtime its lifecycle key and user-tier row (so memory, slots and the ranking count of
 * SPEC §4 — kept in the runtime — apply the same way everywhere), links the client's abort signal to
 * the run, waits until the run is admitted (a run refused before it starts is an HTTP error, not a
 * 200 holding one error event). The runtime measures every run for `/metrics` (src/runtime/observer.ts).
 */
import type { Catalog, ResolvedAgent } from '../catalog/catalog.js';
import { agentKey, agentRow } from '../catalog/catalog.js';
import { DomainError } from '../domain/errors.js';
import type { Log } from '../domain/log.js';
import type { RoutingDecision } from '../domain/routing.js';
import type { DoneEvent, ErrorEvent, RunEvent } from '../runtime/events.js';
import type { RunOverrides } from '../runtime/overrides.js';
import type { Runtime, RunOptions } from '../runtime/run.js';
import type { PendingApproval } from '../domain/approvals.js';
import type { StoredMessage } from '../store/types.js';
import type { LiveEvents } from './live-events.js';

/** What an entry point asks for. */
export interface AgentRunRequest {
  /** Agent name as the caller writes it: bare, or `OWNER/NAME` for another user's public agent (SPEC §4). */
  name: string;
  userId: string;
  message: string;
  /** Continue this stored conversation (must be the caller's). */
  conversationId?: string;
  /** Earlier turns held by a stateless client (`/v1`), instead of a stored conversation. */
  history?: readonly StoredMessage[];
  /** The API key the request authenticated with (its budget applies), if any. */
  apiKeyId?: string;
  /** What the request sets over the model file and the agent for this run only (src/runtime/overrides.ts). */
  overrides?: RunOverrides;
  /** The client's signal (request closed, MCP cancellation): aborting it cancels the run. */
  signal?: AbortSignal;
  /** The request's logger (its lines carry `request_id`); the run logs through a child of it. */
  log?: Log;
  /** What an OpenAI-compatible client adds: client tools, tool results, instructions, sampling (src/runtime/types.ts `RunOptions`). */
  options?: RunOptions;
  /** Resume the run paused on this decided approval (src/api/approvals.ts). */
  resume?: PendingApproval;
  /** How capability routing chose `name` (recorded on the execution). */
  routing?: RoutingDecision;
}

/**
 * The response header naming the provider serving a run (`StartedRun.provider`): `offline` for the
 * offline demo provider, whose reply is canned text, not a model's (README "Connect a model").
 */
export const PROVIDER_HEADER = 'X-Caxton-Provider';

/** An admitted run: its agent, its events (the first one included) and the controller that cancels it. */
export interface StartedRun {
  resolved: ResolvedAgent;
  /** The provider serving the run, as its `start` event names it (`offline` for the offline provider). */
  provider: string;
  events: AsyncIterable<RunEvent>;
  abort: AbortController;
}

/** Starts runs as described in the module header. */
export type StartAgentRun = (req: AgentRunRequest) => Promise<StartedRun>;

/** The DomainError an `error` run event stands for. */
export function runError(ev: ErrorEvent): DomainError {
  const details = [...(ev.conversation_id ? [{ field: 'conversation_id', message: ev.conversation_id }] : []), ...(ev.details ?? [])];
  return new DomainError(ev.code, ev.message, details, ev.retry_after_secs === undefined ? {} : { retryAfterSecs: ev.retry_after_secs });
}

/** Drain `events` into the final `done` event. @throws DomainError for an `error` event. */
export async function collectRun(events: AsyncIterable<RunEvent>): Promise<DoneEvent> {
  for await (const ev of events) {
    if (ev.type === 'done') return ev;
    if (ev.type === 'error') throw runError(ev);
  }
  throw new DomainError('INTERNAL', 'run ended without a result');
}

/**
 * The rest of a run after its `first` event. When the consumer stops early (client gone) the
 * runtime's iterator is closed, and the runtime records the cancellation.
 */
async function* rest(first: RunEvent, it: AsyncIterator<RunEvent>): AsyncGenerator<RunEvent> {
  try {
    for (let next: IteratorResult<RunEvent> = { value: first }; !next.done; next = await it.next()) yield next.value;
  } finally {
    await it.return?.();
  }
}

/**
 * Build `startAgentRun` over the catalog and the runtime; each admitted run is published to `live`
 * as `run_started` (src/api/live-events.ts) when given.
 * @throws DomainError NOT_FOUND (agent or conversation unknown to the caller), UNAVAILABLE (agent
 *   stopped, failed or busy; with `retryAfterSecs` when busy) and any other refusal of the run's first event.
 */
export function createRunStarter(catalog: Catalog, runtime: Runtime, live?: LiveEvents): StartAgentRun {
  return async (req) => {
    const resolved = await catalog.resolveAgent(req.name, req.userId);
    const abort = new AbortController();
    req.signal?.addEventListener('abort', () => abort.abort(), { once: true });
    const events = runtime.run({
      agent: resolved.agent,
      source: resolved.source,
      model: resolved.model,
      message: req.message,
      userId: req.userId,
      ...(req.apiKeyId ? { apiKeyId: req.apiKeyId } : {}),
      ...(req.overrides ? { overrides: req.overrides } : {}),
      agentKey: agentKey(resolved),
      agentRef: resolved.name,
      ...(req.resume ? { resume: req.resume } : {}),
      agentRow: agentRow(resolved),
      ...(req.conversationId ? { conversationId: req.conversationId } : req.history ? { history: req.history } : {}),
      signal: abort.signal,
      ...(req.log ? { log: req.log } : {}),
      ...(req.routing ? { routing: req.routing } : {}),
      ...req.options,
    });
    const it = events[Symbol.asyncIterator]();
    const first = await it.next();
    if (first.done) throw new DomainError('INTERNAL', 'run ended without a result');
    if (first.value.type === 'error') {
      await it.return?.();
      throw runError(first.value);
    }
    const provider = first.value.type === 'start' ? first.value.provider : '';
    if (first.value.type === 'start') {
      const { execution_id, conversation_id } = first.value;
      live?.publish({ type: 'run_started', execution_id, agent: resolved.name, user_id: req.userId, conversation_id });
    }
    return { resolved, abort, provider, events: rest(first.value, it) };
  };
}
