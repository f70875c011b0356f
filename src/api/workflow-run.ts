/**
 * Workflow runs (DIR-12 "workflows"): the workflow's `entry_agent` answers first; when its whole
 * reply (trimmed, case-insensitive, one optional trailing period) is the name of an agent the user
 * can see, the same message goes on to that agent with the conversation so far; when the entry
 * agent's reply is a name no visible agent has (one word that could be a name, e.g. `billing`), the
 * message goes to `fallback_agent` (without one, that reply is the answer); any other reply, a later
 * agent's one-word reply that names no visible agent, or a run that did not end with `stop`, ends
 * the workflow with that run's answer. Hops past `max_depth`, or agent runs past `max_iterations`, end the
 * workflow with a stated error (`finish_reason` `error` / `max_iterations`), never silently.
 *
 * Every agent run goes through `startAgentRun` (src/api/run.ts), so tenancy, lifecycle, budgets,
 * metrics, logs and live events apply to each hop exactly as to a direct run. A workflow with
 * `parallel_subagents = true` runs each hop with that override (src/runtime/overrides.ts): the
 * hop's agent runs the sub-agent calls of one model turn at once, whatever its own setting. The hops
 * share one conversation: the stored one (the first run's, or the request's `conversationId`), or for a
 * stateless caller (`history`) the history grown by each hop's turn.
 *
 * Events: those of each agent run, except that only the first run's `start` is sent (it stays the
 * stream's first event), each run is framed by `agent_started` and `agent_finished`, and each run's
 * `done` becomes one final `done` for the workflow (its `path`, usage and cost summed over the runs).
 * A run's text is held back while it could still be an agent's name, so a routing reply is never
 * streamed as if it were the answer.
 */
import type { Catalog } from '../catalog/catalog.js';
import type { Workflow } from '../domain/entities.js';
import { parseEntityRef } from '../domain/names.js';
import type { DoneEvent, RunEvent, StartEvent, TextDeltaEvent, Usage } from '../runtime/events.js';
import type { StoredMessage } from '../store/types.js';
import { DomainError } from '../domain/errors.js';
import { runError, type AgentRunRequest, type StartAgentRun, type StartedRun } from './run.js';

/** One agent of a workflow run was admitted and starts (after its own `start` on the first hop). */
export interface AgentStartedEvent {
  type: 'agent_started';
  workflow: string;
  agent: string;
  /** 0 for the entry agent, then one more per hop. */
  step: number;
  execution_id: string;
  model: string;
  provider: string;
}

/** One agent of a workflow run ended; `next` is the agent its reply hands the message to, if any. */
export interface AgentFinishedEvent {
  type: 'agent_finished';
  workflow: string;
  agent: string;
  step: number;
  execution_id: string;
  finish_reason: DoneEvent['finish_reason'];
  reply: string;
  next?: string;
}

/**
 * The workflow ended: the last run's reply and ids, `path` the agents in the order they ran, usage
 * (tokens) and cost (USD) summed over every run, `duration_ms` the workflow's wall time.
 */
export interface WorkflowDoneEvent extends DoneEvent {
  workflow: string;
  path: string[];
}

/** Events of a workflow run (module comment). */
export type WorkflowEvent = Exclude<RunEvent, DoneEvent> | AgentStartedEvent | AgentFinishedEvent | WorkflowDoneEvent;

/** What an entry point asks a workflow for: a run request without an agent name. */
export type WorkflowRunRequest = Omit<AgentRunRequest, 'name' | 'options'> & { workflow: string };

/** An admitted workflow run: its entry agent's run started (so refusals are HTTP errors, as for chat). */
export interface StartedWorkflow {
  workflow: Workflow;
  /** The provider serving the entry agent (`offline` for the offline demo provider). */
  provider: string;
  events: AsyncIterable<WorkflowEvent>;
  abort: AbortController;
}

/** The prefix of an OpenAI `model` naming a workflow (`workflow:NAME`) on /v1. */
export const WORKFLOW_MODEL_PREFIX = 'workflow:';

/** The workflow an OpenAI `model` names (`workflow:NAME`), or undefined when it names an agent. */
export const workflowOfModel = (model: string): string | undefined =>
  model.startsWith(WORKFLOW_MODEL_PREFIX) ? model.slice(WORKFLOW_MODEL_PREFIX.length) : undefined;

/**
 * Refuse an OpenAI request to `workflow` that sets what only an agent's run takes (client tools,
 * tool results, instructions): `field` names the first such request field, undefined when none is set.
 * @throws DomainError BAD_REQUEST naming `field`.
 */
export function refuseForWorkflow(workflow: string, field: string | undefined): void {
  if (field === undefined) return;
  throw new DomainError('BAD_REQUEST', `workflow ${workflow} takes no client tools, tool results or instructions (${field})`, [
    { field, message: 'not supported for workflow models', hint: 'send a user message last, without tools or instructions' },
  ]);
}

/** Drain a workflow's events into its final `done`. @throws DomainError for an `error` event. */
export async function collectWorkflow(events: AsyncIterable<WorkflowEvent>): Promise<WorkflowDoneEvent> {
  for await (const ev of events) {
    if (ev.type === 'done') return ev;
    if (ev.type === 'error') throw runError(ev);
  }
  throw new DomainError('INTERNAL', 'workflow ended without a result');
}

/** Starts workflow runs as described in the module header. */
export type StartWorkflowRun = (req: WorkflowRunRequest) => Promise<StartedWorkflow>;

/** The longest text that may still be an agent's name (`OWNER/NAME`, a period and spaces). */
const MAX_NAME_TEXT = 140;

/** True while `text` (a run's reply so far) could still be an agent's name: one word, short. */
const couldBeName = (text: string) => text.length <= MAX_NAME_TEXT && /^\s*\S*\s*$/.test(text);

/** The agent name a whole reply is, lower-cased (trimmed, one trailing period dropped); undefined when it is no name. */
function routedName(reply: string): string | undefined {
  const word = reply.trim().replace(/\.$/, '').toLowerCase();
  return word && parseEntityRef(word) ? word : undefined;
}

/** Per-workflow-run state. */
interface Walk {
  wf: Workflow;
  base: WorkflowRunRequest;
  startRun: StartAgentRun;
  catalog: Catalog;
  signal: AbortSignal;
  startedAt: number;
  path: string[];
  usage: Usage;
  cost: number;
  /** The stored conversation the hops share, once known. */
  conversationId?: string;
  /** The stateless history the next hop gets (grown by each hop's turn). */
  history?: StoredMessage[];
}

/** Where a finished run sends the message: an agent, the answer (`end`), or a stated limit. */
type Decision = { next: string } | { end: true } | { limit: Pick<DoneEvent, 'finish_reason' | 'error'> };

/** The name (as the user reaches it) of the visible agent `word` names, case-insensitively. */
async function visibleAgent(w: Walk, word: string): Promise<string | undefined> {
  const agents = await w.catalog.listAgents(w.base.userId);
  return agents.find((a) => a.name.toLowerCase() === word)?.name;
}

/** Decide what follows `agent`'s `done` (module comment). */
async function decide(w: Walk, agent: string, done: DoneEvent): Promise<Decision> {
  const word = done.finish_reason === 'stop' ? routedName(done.reply) : undefined;
  if (!word) return { end: true };
  const fallback = w.path.length === 1 && w.wf.fallback_agent !== agent ? w.wf.fallback_agent : undefined;
  const next = (await visibleAgent(w, word)) ?? fallback;
  if (!next) return { end: true };
  const chain = [...w.path, next].join(' -> ');
  if (w.path.length > w.wf.max_depth)
    return { limit: { finish_reason: 'error', error: `workflow ${w.wf.name} stopped at max_depth ${w.wf.max_depth}: ${chain}` } };
  if (w.path.length >= w.wf.max_iterations)
    return { limit: { finish_reason: 'max_iterations', error: `workflow ${w.wf.name} stopped at max_iterations ${w.wf.max_iterations} agent runs: ${chain}` } };
  return { next };
}

/**
 * Start the run of `agent` as the next hop of `w`; with the workflow's `parallel_subagents` its
 * sub-agent calls run at once (else the agent's own `parallel_subagents` holds).
 * @throws DomainError as `startAgentRun` does.
 */
function startHop(w: Walk, agent: string): Promise<StartedRun> {
  const { workflow: _workflow, conversationId: _c, history: _h, signal: _s, ...rest } = w.base;
  return w.startRun({
    ...rest,
    ...(w.wf.parallel_subagents ? { overrides: { ...rest.overrides, parallel_subagents: true } } : {}),
    name: agent,
    signal: w.signal,
    ...(w.conversationId ? { conversationId: w.conversationId } : w.history ? { history: w.history } : {}),
  });
}

/** How a hop ended: its `start` and `done`, and the text held back because it could be a name (module comment). */
interface HopEnd {
  start: StartEvent;
  done: DoneEvent;
  held: string;
}

/**
 * The events of one hop; returns how it ended (undefined after an `error`, which ends the workflow).
 * Text is held back while it could be a name and sent as soon as it cannot; what is still held at
 * the end is the caller's to send when the reply turns out to be the answer.
 */
async function* hop(w: Walk, run: StartedRun, step: number): AsyncGenerator<WorkflowEvent, HopEnd | undefined> {
  let start: StartEvent | undefined;
  let held = '';
  let streaming = false;
  for await (const ev of run.events) {
    if (ev.type === 'start') {
      start = ev;
      if (step === 0) yield ev;
      const { execution_id, model, provider } = ev;
      yield { type: 'agent_started', workflow: w.wf.name, agent: run.resolved.name, step, execution_id, model, provider };
    } else if (ev.type === 'text_delta' && !streaming) {
      held += ev.text;
      if (!couldBeName(held)) {
        streaming = true;
        yield { type: 'text_delta', text: held } satisfies TextDeltaEvent;
      }
    } else if (ev.type === 'done') {
      return start && { start, done: ev, held: streaming ? '' : held };
    } else {
      yield ev;
      if (ev.type === 'error') return undefined;
    }
  }
  return undefined;
}

/** Carry the conversation on to the next hop: the stored one, or the stateless history plus this hop's turn. */
function share(w: Walk, start: StartEvent, done: DoneEvent): void {
  if (start.conversation_id) w.conversationId = start.conversation_id;
  else if (w.history) w.history = [...w.history, { role: 'user', content: w.base.message }, { role: 'assistant', content: done.reply }];
}

/** The whole workflow run, from the entry agent's started run to the final `done`. */
async function* walk(w: Walk, first: StartedRun): AsyncGenerator<WorkflowEvent> {
  let run = first;
  for (let step = 0; ; step++) {
    const agent = run.resolved.name;
    w.path.push(agent);
    const ended = yield* hop(w, run, step);
    if (!ended) return;
    const { done, start, held } = ended;
    w.usage = { input_tokens: w.usage.input_tokens + done.usage.input_tokens, output_tokens: w.usage.output_tokens + done.usage.output_tokens };
    w.cost += done.cost_usd;
    const decision = await decide(w, agent, done);
    const next = 'next' in decision ? { next: decision.next } : {};
    if ('end' in decision && held) yield { type: 'text_delta', text: held } satisfies TextDeltaEvent;
    const { execution_id, finish_reason, reply } = done;
    yield { type: 'agent_finished', workflow: w.wf.name, agent, step, execution_id, finish_reason, reply, ...next };
    if (!('next' in decision)) {
      const limit = 'limit' in decision ? decision.limit : {};
      yield { ...done, ...limit, workflow: w.wf.name, path: w.path, usage: w.usage, cost_usd: w.cost, duration_ms: Date.now() - w.startedAt };
      return;
    }
    share(w, start, done);
    run = await startHop(w, decision.next);
  }
}

/**
 * Build `startWorkflowRun` over the catalog and `startAgentRun`.
 * @throws DomainError NOT_FOUND (workflow, entry agent or conversation unknown to the caller),
 *   UNAVAILABLE and the other refusals of the entry agent's run (as `startAgentRun`).
 */
export function createWorkflowStarter(catalog: Catalog, startRun: StartAgentRun): StartWorkflowRun {
  return async (req) => {
    const wf = catalog.resolveWorkflow(req.workflow);
    const abort = new AbortController();
    req.signal?.addEventListener('abort', () => abort.abort(), { once: true });
    const w: Walk = {
      wf,
      base: req,
      startRun,
      catalog,
      signal: abort.signal,
      startedAt: Date.now(),
      path: [],
      usage: { input_tokens: 0, output_tokens: 0 },
      cost: 0,
      ...(req.conversationId ? { conversationId: req.conversationId } : {}),
      ...(req.history ? { history: [...req.history] } : {}),
    };
    const first = await startHop(w, wf.entry_agent);
    return { workflow: wf, provider: first.provider, abort, events: walk(w, first) };
  };
}
