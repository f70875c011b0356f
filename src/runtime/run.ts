/**
 * `createRuntime(deps).run(request)`: one agent run as an async iterable of typed events (SPEC §7).
 * The runtime knows nothing about HTTP. A run:
 *
 * 1. is refused at once (503, no row) when its agent's queue or the total queue is full, else is
 *    admitted by its agent's lifecycle and takes one of the agent's concurrency slots, waiting in
 *    that agent's queue if needed (src/runtime/admission.ts, src/runtime/agent-controls.ts); with
 *    budgets, a run whose first model call would not fit one is refused first (TOO_MANY_REQUESTS,
 *    no row), and every model call is reserved before it is made (src/runtime/budget-step.ts);
 * 2. builds its first request: system prompt + history trimmed to the model's context budget + the
 *    rendered `user_prompt_template`, the agent's tools and the model's sampling, with what the request
 *    sets over them for this run (src/runtime/request.ts, src/runtime/overrides.ts), before its `start`
 *    event: a request found to be the caller's mistake there (BAD_REQUEST) is no run and leaves no row;
 * 3. loops: call the provider; when the model asks for tools, run them (src/runtime/tool-dispatch.ts)
 *    and send the results back. A run ends in a stated state (src/domain/finish-reasons.ts): after
 *    `max_tool_iterations` rounds of tools a model that still asks for more gets no more (an explicit
 *    message and `finish_reason: "max_iterations"`), and the run guards (src/runtime/run-guards.ts)
 *    end it with their final message on `max_run_seconds` (`timeout`), `max_tokens_per_run`
 *    (`length`), `max_tool_calls_per_run` (`max_iterations`), a repeated identical tool call
 *    (`loop_detected`), or a final reply that is empty or prints a tool call as text (`error`); a
 *    call of a client's own tool ends it as `tool_calls` once the agent's tools of that step ran
 *    (src/runtime/client-tools.ts); a call of a tool the agent's `approval[]` names pauses it as
 *    `awaiting_approval` once the step's other calls ran, and a resumed run answers the decided calls
 *    first (src/runtime/approvals.ts);
 * 4. commits each step (its messages and the execution row so far) in ONE transaction before its
 *    events go on (src/runtime/run-record.ts); the row ends `success`, `error`, `timeout`, `cancelled`
 *    or `awaiting_approval` (paused: an `approval_required` event precedes `done`);
 *    a stated end (guards, limits) is a `done` event, a failure an `error` event;
 * 5. offers the agent's `agents[]` as sub-agent tools, each call a child run through this same
 *    runtime (src/runtime/sub-agents.ts);
 * 6. once it completes (`success`), counts one use of a user-tier agent (`RunRequest.agentRow`)
 *    towards its ranking: the one place every entry point (chat, message, /v1, /mcp) counts;
 * 7. reports its end (final row and tool calls), a busy refusal, and each provider request to
 *    `RuntimeDeps.observer` (src/runtime/observer.ts), the one place every entry point is measured.
 * 8. logs `run started`, each tool call and `run finished` (with its row's status and finish reason)
 *    through the request's logger, so each line carries `request_id` and `execution_id`;
 * 9. is traced (src/runtime/tracing.ts): an `invoke_agent` span under the active one, with a span per
 *    model call and per tool call (no-ops unless the daemon registered a tracer provider); when asked
 *    (`RunRequest.trace`, `RuntimeDeps.trace`) it also records a step-by-step run trace, stored with
 *    its final step (src/runtime/run-trace.ts).
 *
 * Cancellation (src/runtime/runs-in-flight.ts) stops the provider request, running tools or the
 * queue wait, and is recorded as `cancelled` with its reason: a client that goes away aborts
 * `RunRequest.signal`; daemon shutdown calls `cancelAll(reason)`.
 */
import { DomainError } from '../domain/errors.js';
import { isProviderRateLimited, modelFinishReason } from '../domain/finish-reasons.js';
import type { ChatRequest, Provider } from '../llm/types.js';
import type { StoredMessage } from '../store/types.js';
import { admit, failureOf } from './admission.js';
import { CLIENT_CALL_HELD, decidedResults, holdForApproval, pendingApproval } from './approvals.js';
import { splitCalls } from './client-tools.js';
import { createAgentGate, type AgentGate } from './agent-controls.js';
import type { RunEvent } from './events.js';
import { newOrderedId } from './ids.js';
import type { Release } from './limiter.js';
import { admitBudget, budgetedStep } from './budget-step.js';
import { autoStore } from './memory-recall.js';
import { maxIterationsMessage, separator } from './model-step.js';
import { agentWith, checkFinalReply, relaxToolChoice } from './overrides.js';
import { createRequestAssembler, providerFor } from './request.js';
import { RunGuards, perRunLimitsOf, timeoutEnd, type StatedEnd } from './run-guards.js';
import { countCompletedRun, RunRecord, stepCommitter, type StepCommitter } from './run-record.js';
import { createRunsInFlight, type RunScope } from './runs-in-flight.js';
import { RunTracer } from './run-trace.js';
import { summarizerFor } from './summary.js';
import { delegateFor, type DelegationDeps } from './sub-agents.js';
import { dispatchTools, type ToolCaller, type ToolDispatchDeps } from './tool-dispatch.js';
import { endRunSpan, startRunSpan } from './tracing.js';
import { DEFAULT_RUNTIME_LIMITS, type ManagedRuntime, type RunRequest, type RuntimeDeps, type RuntimeLimits } from './types.js';

export type { AgentControls } from './agent-controls.js';
export { maxIterationsMessage } from './model-step.js';
export { costOf, type ToolCallRecord } from './run-record.js';
export type { ObservedProviderRequest, ObservedToolCall, RunObserver } from './observer.js';
export * from './types.js';

/** What a run refused because its agent (or every agent) is busy tells the client to wait, in seconds. */
const BUSY_RETRY_AFTER_SECS = 1;
const INTERRUPTED = 'interrupted: the daemon stopped before the run finished';

/** The runtime's parts, built once by `createRuntime` and shared by its runs. */
interface Parts {
  deps: RuntimeDeps;
  scrub: (text: string) => string;
  gate: AgentGate;
  limits: RuntimeLimits;
  firstTurn: ReturnType<typeof createRequestAssembler>;
  tools: ToolDispatchDeps;
  delegation: DelegationDeps;
}

/** Build the runtime over its dependencies. */
export function createRuntime(deps: RuntimeDeps): ManagedRuntime {
  const scrub = deps.scrub ?? ((text: string) => text);
  const limits: RuntimeLimits = { ...DEFAULT_RUNTIME_LIMITS, ...deps.limits };
  const runs = createRunsInFlight();
  const parts: Parts = {
    delegation: { run: (req) => run(parts, runs.begin, req), ...(deps.subAgents ? { directory: deps.subAgents } : {}), limits },
    deps,
    scrub,
    gate: createAgentGate(limits),
    limits,
    firstTurn: createRequestAssembler(deps),
    tools: { ...(deps.toolbox ? { toolbox: deps.toolbox } : {}), scrub, maxToolResultChars: limits.maxToolResultChars },
  };
  return {
    run: (req) => run(parts, runs.begin, req),
    agents: parts.gate.controls,
    cancelAll: runs.cancelAll,
    idle: runs.idle,
    conversationInUse: runs.conversationInUse,
  };
}

/** One run, from load shedding to its slot's release; its agent as the request's overrides set it (`agentWith`). */
async function* run(parts: Parts, begin: (signal?: AbortSignal) => RunScope, asked: RunRequest): AsyncIterable<RunEvent> {
  const { gate, deps } = parts;
  const agent = agentWith(asked.agent, asked.overrides);
  const req = agent === asked.agent ? asked : { ...asked, agent };
  const rec = new RunRecord(req, req.log ?? deps.log);
  const key = req.agentKey ?? req.agent.name;
  // Load shedding: refused before any work (no store access, no row), so a flood of one agent
  // costs other agents' runs as little as possible.
  const refusal = gate.busy(key);
  if (refusal) {
    deps.observer?.runRefused(req.agent.name, req.source);
    yield { type: 'error', code: 'UNAVAILABLE', message: refusal, execution_id: rec.id, retry_after_secs: BUSY_RETRY_AFTER_SECS };
    return;
  }
  const denied = deps.budgets && (await admitBudget(deps.budgets, req, rec, deps.observer));
  if (denied) {
    yield denied;
    return;
  }
  rec.trace = startRunSpan(req.agent.name, rec.id, req.source);
  if (req.trace ?? deps.trace) rec.runTrace = new RunTracer(rec.id, rec.toolCalls);
  const scope = begin(req.signal);
  let release: Release | undefined;
  let steps: StepCommitter | undefined;
  try {
    release = yield* admit({ gate, store: deps.store, scrub: parts.scrub }, req, rec, key, scope);
    if (!release) return;
    // A stateless run (caller-supplied history) stores no conversation: its steps write only the execution row.
    const continues = rec.conversationId !== undefined;
    const create = !continues && req.history === undefined ? { agent_name: req.agent.name, user_id: req.userId } : undefined;
    if (create) scope.hold((rec.conversationId = newOrderedId('conv')));
    steps = stepCommitter(deps.store.executions, rec.conversationId, create, rec, parts.scrub);
    yield* execute(parts, req, rec, scope, steps, key, continues);
  } finally {
    if (steps && !rec.ended) {
      // The consumer stopped iterating early (client went away): stop tools, still leave a record.
      scope.stopTools(new DomainError('UNAVAILABLE', 'the client disconnected'));
      rec.finishReason = 'cancelled';
      await steps.commitNow([], rec.row('cancelled', scope.cancelMessage('run cancelled: the client disconnected')));
    }
    if (steps) rec.logEnd();
    release?.();
    scope.end();
    if (rec.ended && rec.last) deps.observer?.runEnded(rec.last, rec.observedTools());
    endRunSpan(rec.trace, rec.ended ? rec.last : undefined);
  }
}

/** From the provider lookup to the last commit; a failure ends the run with an `error` event, its deadline with a stated `timeout`. */
async function* execute(
  parts: Parts,
  req: RunRequest,
  rec: RunRecord,
  scope: RunScope,
  steps: StepCommitter,
  key: string,
  continues: boolean,
): AsyncGenerator<RunEvent> {
  const { deps } = parts;
  const perRun = perRunLimitsOf(req.agent, parts.limits);
  if (perRun.maxRunMs !== undefined) scope.limitTo(perRun.maxRunMs);
  // The start event waits for the first request (a wrong one is refused before the run starts); a deadline before it still starts the run.
  let served: string | undefined = req.model.provider;
  try {
    const provider = await providerFor(deps.providers, req.model);
    served = provider.type === 'offline' ? 'offline' : provider.name;
    const stored = async () => (continues && rec.conversationId ? deps.store.conversations.messages(rec.conversationId) : []);
    // A resumed run answers its decided calls first; their results continue it like a client's tool results.
    const resumed = req.resume && (await decidedResults(parts.tools, callerOf(req, rec, scope, delegateFor(parts.delegation, req, rec)), req.resume, rec));
    const summarize = summarizerFor(deps, req, { provider, rec, signal: scope.signal });
    const turn = await parts
      .firstTurn(resumed ? { ...req, toolResults: resumed.messages } : req, stored, rec.scopeId, scope.signal, summarize)
      .catch(refusedRequest);
    if (turn instanceof DomainError) {
      // The request itself is wrong (client tools, tool results): no run, no row (nor new conversation), the agent keeps its state;
      // the error names only what was refused.
      rec.ended = true;
      rec.conversationId = undefined;
      yield rec.error(turn.code, parts.scrub(turn.message), turn.details);
      return;
    }
    const { request, first } = turn;
    rec.runTrace?.firstTurn(req, turn);
    rec.log.info({ user: req.userId, source: req.source, model: req.model.name, provider: provider.name }, 'run started');
    yield rec.start(served);
    served = undefined;
    if (resumed) yield* resumed.events;
    if (request.tools) rec.offered = new Set(request.tools.map((t) => t.name));
    const guards = new RunGuards(perRun);
    const last = yield* loop(parts, req, rec, scope, steps, provider, request, guards, first);
    rec.ended = true;
    await steps.commit(last, rec.finalRow(), rec.approval);
    const paused = rec.approvalInfo();
    if (paused) yield { type: 'approval_required', ...paused };
    else if (!rec.stated || rec.stated.status === 'success') {
      await countCompletedRun(deps.usage, rec.log, req);
      await autoStore(deps.items, req, rec.scopeId, rec.reply, rec.log);
    }
    yield rec.done();
  } catch (err) {
    if (scope.expired()) {
      // The deadline aborted the provider request or the tools: a stated end, not a failure.
      const note = stateEnd(rec, timeoutEnd(perRun.maxRunMs! / 1000));
      if (served !== undefined) yield rec.start(served);
      yield { type: 'text_delta', text: note };
      rec.ended = true;
      await steps.commit([], rec.finalRow());
      yield rec.done();
      return;
    }
    const { code, message } = failureOf(err, scope, parts.scrub, 'run cancelled', 'internal error: ');
    const status = code === 'CANCELLED' ? 'cancelled' : code === 'TIMEOUT' ? 'timeout' : 'error';
    rec.finishReason = status === 'error' && isProviderRateLimited(err) ? 'rate_limited' : status;
    rec.ended = true;
    await steps.commit([], rec.row(status, message));
    parts.gate.fault(key, code, message);
    if (code === 'INTERNAL') rec.log.warn({ err: message }, 'agent run failed unexpectedly');
    yield rec.error(code, message);
  }
}

/** Who calls the run's tools: its agent, user, conversation (or run), tool signal and how it delegates to sub-agents. */
function callerOf(req: RunRequest, rec: RunRecord, scope: RunScope, delegate?: ToolCaller['delegate']): ToolCaller {
  return {
    agent: req.agent,
    userId: req.userId,
    conversationId: rec.scopeId,
    signal: scope.toolSignal(),
    log: rec.log,
    ...(req.agentRow ? { agentRow: req.agentRow } : {}),
    ...(delegate ? { delegate } : {}),
  };
}

/** `err` when it is a BAD_REQUEST DomainError (the request's refusal, returned); any other failure is thrown on. */
function refusedRequest(err: unknown): DomainError {
  if (err instanceof DomainError && err.code === 'BAD_REQUEST') return err;
  throw err;
}

/** End the run with `end`: its message goes at the end of the reply; returns the text added (a `text_delta` to send). */
function stateEnd(rec: RunRecord, end: StatedEnd): string {
  const note = separator(rec.reply) + end.message;
  rec.reply += note;
  rec.finishReason = end.finishReason;
  rec.stated = end;
  return note;
}

/**
 * Model steps and tool rounds until the model stops asking for tools, reaches a limit or trips a
 * guard (module comment). Commits every tool round; returns the messages of the last step, not yet committed.
 */
async function* loop(
  parts: Parts,
  req: RunRequest,
  rec: RunRecord,
  scope: RunScope,
  steps: StepCommitter,
  provider: Provider,
  request: ChatRequest,
  guards: RunGuards,
  first: StoredMessage[],
): AsyncGenerator<RunEvent, StoredMessage[]> {
  const limit = req.agent.max_tool_iterations;
  const toolsOffered = (request.tools?.length ?? 0) > 0;
  let pending = first;
  const delegate = delegateFor(parts.delegation, req, rec);
  for (let round = 0; ; round++) {
    const { text, calls, finish, refusal } = yield* budgetedStep(rec.budget, provider, request, req.model, rec, scope.signal, parts.deps.observer);
    if (refusal) {
      // No budget had room for this call: it was not made, and `text` is the run's last message naming the budget.
      rec.finishReason = 'budget_exceeded';
      return [...pending, { role: 'assistant', content: text }];
    }
    rec.log.debug({ iteration: rec.iterations, finish_reason: finish, tool_calls: calls.length }, 'model replied');
    const end =
      calls.length === 0
        ? guards.checkReply(text, finish, toolsOffered)
        : round >= limit
          ? { finishReason: 'max_iterations' as const, status: 'success' as const, message: maxIterationsMessage(limit) }
          : guards.checkTools(calls, rec.usage);
    if (end) {
      // A limit or guard: stop, explicitly, without running any tool the model asked for.
      const note = stateEnd(rec, end);
      yield { type: 'text_delta', text: note };
      return [...pending, { role: 'assistant', content: text + note }];
    }
    if (calls.length === 0) {
      rec.finishReason = modelFinishReason(finish);
      checkFinalReply(req.overrides, rec.reply, rec.finishReason);
      return [...pending, { role: 'assistant', content: text }];
    }
    request.messages.push({ role: 'assistant', content: text === '' ? null : text, tool_calls: calls });
    relaxToolChoice(request);
    pending.push({ role: 'assistant', content: text, tool_calls: calls });
    for (const c of calls) yield { type: 'tool_call', id: c.id, name: c.function.name, arguments: c.function.arguments };
    const { own, client } = splitCalls(calls, req);
    const { now, held } = holdForApproval(req.agent, own);
    const results = now.length ? yield* dispatchTools(parts.tools, callerOf(req, rec, scope, delegate), now, round + 1, rec.toolCalls, rec.trace?.ctx) : [];
    if (scope.signal.aborted) throw scope.signal.reason ?? new Error('aborted');
    for (const r of [...results, ...(held.length ? client.map((c) => ({ id: c.id, result: CLIENT_CALL_HELD })) : [])]) {
      request.messages.push({ role: 'tool', content: r.result, tool_call_id: r.id });
      pending.push({ role: 'tool', content: r.result, tool_call_id: r.id });
    }
    if (held.length) {
      // Calls that need a person's approval: the run pauses here, its last step committed by the caller with the pending row.
      rec.finishReason = 'awaiting_approval';
      rec.approval = pendingApproval(req, rec, held, request.messages);
      return pending;
    }
    if (client.length) {
      // The client runs these: the run ends here, its last step committed by the caller (src/runtime/client-tools.ts).
      rec.finishReason = 'tool_calls';
      rec.clientCalls = client;
      return pending;
    }
    await steps.commit(pending, rec.row('error', INTERRUPTED));
    pending = [];
  }
}
