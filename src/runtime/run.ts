/**
 * `createRuntime(deps).run(request)`: one agent run as an async iterable of typed events (SPEC §7).
 * The runtime knows nothing about HTTP. A run:
 *
 * 1. is refused at once (503, no row) when its agent's queue or the total queue is full, else is
 *    admitted by its agent's lifecycle and takes one of the agent's concurrency slots, waiting in
 *    that agent's queue if needed (src/runtime/agent-controls.ts);
 * 2. builds its first request: system prompt + history trimmed to the model's context budget + the
 *    rendered `user_prompt_template`, the agent's tools and the model's sampling (src/runtime/request.ts);
 * 3. loops: call the provider; when the model asks for tools, run them (src/runtime/tool-dispatch.ts)
 *    and send the results back. After `max_tool_iterations` rounds of tools a model that still asks
 *    for more gets no more: the run ends with an explicit message and `finish_reason: "max_iterations"`;
 * 4. commits each step (its messages and the execution row so far) in ONE transaction before its
 *    events go on (src/runtime/run-record.ts); the row ends `success`, `error`, `timeout` or `cancelled`;
 * 5. once it completes (`success`), counts one use of a user-tier agent (`RunRequest.agentRow`)
 *    towards its ranking: the one place every entry point (chat, message, /v1, /mcp) counts.
 *
 * Cancellation (src/runtime/runs-in-flight.ts) stops the provider request, running tools or the
 * queue wait, and is recorded as `cancelled` with its reason: a client that goes away aborts
 * `RunRequest.signal`; daemon shutdown calls `cancelAll(reason)`.
 */
import { DomainError, isDomainError, type ErrorCode } from '../domain/errors.js';
import type { ChatRequest, Provider, ToolCallRequest } from '../llm/types.js';
import type { StoredMessage } from '../store/types.js';
import type { UnavailableTool } from '../tools/types.js';
import { createAgentGate } from './agent-controls.js';
import type { ErrorEvent, RunEvent } from './events.js';
import { newOrderedId } from './ids.js';
import type { Release } from './limiter.js';
import { createRequestAssembler } from './request.js';
import { RunRecord, stepCommitter, type StepCommitter } from './run-record.js';
import { createRunsInFlight, type RunScope } from './runs-in-flight.js';
import { dispatchTools, type ToolDispatchDeps } from './tool-dispatch.js';
import { DEFAULT_RUNTIME_LIMITS, type ManagedRuntime, type RunRequest, type RuntimeDeps, type RuntimeLimits } from './types.js';

export type { AgentControls } from './agent-controls.js';
export { costOf, type ToolCallRecord } from './run-record.js';
export * from './types.js';

/** What a run refused because its agent (or every agent) is busy tells the client to wait, in seconds. */
const BUSY_RETRY_AFTER_SECS = 1;
const INTERRUPTED = 'interrupted: the daemon stopped before the run finished';

/** The explicit last words of a run that reached its tool-iteration limit (SPEC §7: never a silent stop). */
export function maxIterationsMessage(limit: number): string {
  return (
    `[stopped] I reached this agent's limit of ${limit} tool iteration${limit === 1 ? '' : 's'} ` +
    '(max_tool_iterations) before finishing, so this answer may be incomplete. ' +
    'Ask me to continue, or raise max_tool_iterations for this agent.'
  );
}

/** Build the runtime over its dependencies. */
export function createRuntime(deps: RuntimeDeps): ManagedRuntime {
  const { store, log } = deps;
  const scrub = deps.scrub ?? ((text: string) => text);
  const limits: RuntimeLimits = { ...DEFAULT_RUNTIME_LIMITS, ...deps.limits };
  const gate = createAgentGate(limits);
  const runs = createRunsInFlight();
  const firstTurn = createRequestAssembler(deps, warnUnavailable);
  const tools: ToolDispatchDeps = { ...(deps.toolbox ? { toolbox: deps.toolbox } : {}), scrub, maxToolResultChars: limits.maxToolResultChars };

  async function* run(req: RunRequest): AsyncIterable<RunEvent> {
    const rec = new RunRecord(req);
    const key = req.agentKey ?? req.agent.name;
    // Load shedding: refused before any work (no store access, no row), so a flood of one agent
    // costs other agents' runs as little as possible.
    const refusal = gate.busy(key);
    if (refusal) {
      yield { type: 'error', code: 'UNAVAILABLE', message: refusal, execution_id: rec.id, retry_after_secs: BUSY_RETRY_AFTER_SECS };
      return;
    }
    const scope = runs.begin(req.signal);
    let release: Release | undefined;
    let steps: StepCommitter | undefined;
    try {
      release = yield* admit(req, rec, key, scope);
      if (!release) return;
      // A stateless run (caller-supplied history) stores no conversation: its steps write only the execution row.
      const isNew = rec.conversationId === undefined;
      if (req.history === undefined && isNew) scope.hold((rec.conversationId = newConversationId()));
      const create = isNew && req.history === undefined ? { agent_name: req.agent.name, user_id: req.userId } : undefined;
      steps = stepCommitter(store.executions, rec.conversationId, create);
      yield* execute(req, rec, scope, steps, key, !isNew);
    } finally {
      if (steps && !rec.ended) {
        // The consumer stopped iterating early (client went away): stop tools, still leave a record.
        scope.stopTools(new DomainError('UNAVAILABLE', 'the client disconnected'));
        rec.finishReason = 'cancelled';
        steps.commitNow([], rec.row('cancelled', scope.cancelMessage('run cancelled: the client disconnected')));
      }
      release?.();
      scope.end();
    }
  }

  /** Admission: lifecycle, request checks, the slot. Yields the refusal and returns undefined when refused. */
  async function* admit(req: RunRequest, rec: RunRecord, key: string, scope: RunScope): AsyncGenerator<RunEvent, Release | undefined> {
    try {
      gate.admit(key);
      if (req.history !== undefined && req.conversationId !== undefined) {
        throw new DomainError('BAD_REQUEST', 'a run takes either earlier turns (history) or a stored conversation, not both');
      }
      if (req.conversationId !== undefined) {
        scope.hold(req.conversationId);
        if (!store.conversations.get(req.conversationId, req.userId)) throw new DomainError('NOT_FOUND', `conversation ${req.conversationId} not found`);
      }
      return await gate.acquire(key, scope.signal);
    } catch (err) {
      const { code, message } = classify(err, scope, 'run cancelled before it started');
      // An unknown conversation (or a malformed request) is the caller's mistake, not a run: no row for it.
      if (code !== 'NOT_FOUND' && code !== 'BAD_REQUEST') {
        rec.finishReason = code === 'CANCELLED' ? 'cancelled' : 'error';
        store.executions.record(rec.row(code === 'CANCELLED' ? 'cancelled' : 'error', message));
      }
      rec.ended = true;
      yield errorEvent(rec, code, message);
      return undefined;
    }
  }

  /** From the provider lookup to the last commit; a failure ends the run with an `error` event. */
  async function* execute(req: RunRequest, rec: RunRecord, scope: RunScope, steps: StepCommitter, key: string, continues: boolean): AsyncGenerator<RunEvent> {
    try {
      const provider = await providerFor(req);
      yield rec.start(provider.type === 'offline' ? 'offline' : provider.name);
      const stored = () => (continues && rec.conversationId ? store.conversations.messages(rec.conversationId) : []);
      const { request, userPrompt } = await firstTurn(req, stored, rec.scopeId, scope.signal);
      const last = yield* loop(req, rec, scope, steps, provider, request, [{ role: 'user', content: userPrompt }]);
      rec.ended = true;
      await steps.commit(last, rec.row('success'));
      countCompletedRun(req);
      yield rec.done();
    } catch (err) {
      const { code, message } = classify(err, scope, 'run cancelled', true);
      rec.finishReason = code === 'CANCELLED' ? 'cancelled' : code === 'TIMEOUT' ? 'timeout' : 'error';
      rec.ended = true;
      await steps.commit([], rec.row(code === 'CANCELLED' ? 'cancelled' : code === 'TIMEOUT' ? 'timeout' : 'error', message));
      gate.fault(key, code, message);
      if (code === 'INTERNAL') log?.warn({ agent: req.agent.name, execution: rec.id, err: message }, 'agent run failed unexpectedly');
      yield errorEvent(rec, code, message);
    }
  }

  /**
   * Model steps and tool rounds until the model stops asking for tools (or reaches the limit).
   * Commits every tool round; returns the messages of the last step, not yet committed.
   */
  async function* loop(req: RunRequest, rec: RunRecord, scope: RunScope, steps: StepCommitter, provider: Provider, request: ChatRequest, first: StoredMessage[]): AsyncGenerator<RunEvent, StoredMessage[]> {
    const limit = req.agent.max_tool_iterations;
    let pending = first;
    for (let round = 0; ; round++) {
      rec.iterations++;
      const { text, calls, finish } = yield* modelStep(provider, request, rec, scope.signal);
      if (calls.length === 0) {
        rec.finishReason = finish;
        return [...pending, { role: 'assistant', content: text }];
      }
      if (round >= limit) {
        // The model wants more tools than the agent allows: stop, explicitly, without running them.
        const note = separator(rec.reply) + maxIterationsMessage(limit);
        rec.reply += note;
        yield { type: 'text_delta', text: note };
        rec.finishReason = 'max_iterations';
        return [...pending, { role: 'assistant', content: text + note }];
      }
      request.messages.push({ role: 'assistant', content: text === '' ? null : text, tool_calls: calls });
      pending.push({ role: 'assistant', content: text, tool_calls: calls });
      for (const c of calls) yield { type: 'tool_call', id: c.id, name: c.function.name, arguments: c.function.arguments };
      const caller = { agent: req.agent, userId: req.userId, conversationId: rec.scopeId, signal: scope.toolSignal(), ...(req.agentRow ? { agentRow: req.agentRow } : {}) };
      const results = yield* dispatchTools(tools, caller, calls, round + 1, rec.toolCalls);
      if (scope.signal.aborted) throw scope.signal.reason ?? new Error('aborted');
      for (const r of results) {
        request.messages.push({ role: 'tool', content: r.result, tool_call_id: r.id });
        pending.push({ role: 'tool', content: r.result, tool_call_id: r.id });
      }
      await steps.commit(pending, rec.row('error', INTERRUPTED));
      pending = [];
    }
  }

  /** The provider serving the model; one ares.toml does not define is the agent's configuration fault. */
  function providerFor(req: RunRequest): Promise<Provider> {
    const { model } = req;
    return deps.providers.get(model.provider).catch((err: unknown) => {
      if (isDomainError(err) && err.code === 'NOT_FOUND') {
        throw new DomainError('CONFIG_INVALID', `model ${model.name} uses provider ${model.provider || '(none)'}, which ares.toml does not define`);
      }
      throw err;
    });
  }

  /** The code and (scrubbed) message a failure is reported with; `CANCELLED` with its reason when the run was cancelled. */
  function classify(err: unknown, scope: RunScope, cancelled: string, prefixInternal = false): { code: ErrorCode; message: string } {
    if (scope.signal.aborted) return { code: 'CANCELLED', message: scope.cancelMessage(cancelled) };
    if (isDomainError(err)) return { code: err.code, message: scrub(err.message) };
    const text = prefixInternal ? `internal error: ${(err as Error)?.message ?? String(err)}` : (err as Error).message;
    return { code: 'INTERNAL', message: scrub(text) };
  }

  /** Count a completed run towards its agent's ranking; a failure to count is logged, never the run's failure. */
  function countCompletedRun(req: RunRequest): void {
    if (!req.agentRow || !deps.usage) return;
    try {
      deps.usage.countUse(req.agentRow.id, req.userId, new Date().toISOString().slice(0, 10));
    } catch (err) {
      log?.warn({ agent: req.agent.name, err: (err as Error).message }, 'could not count a completed run towards the agent ranking');
    }
  }

  const warned = new Map<string, string>();
  /** Tell the operator which tools an agent cannot be offered: once per change, not per run. */
  function warnUnavailable(agentName: string, unavailable: UnavailableTool[]): void {
    const key = unavailable.map((u) => `${u.name}:${u.reason}`).join('|');
    if (warned.get(agentName) === key) return;
    warned.set(agentName, key);
    log?.warn({ agent: agentName, unavailable }, `agent ${agentName}: ${unavailable.length} tool(s) unavailable`);
  }

  return { run, agents: gate.controls, cancelAll: runs.cancelAll, idle: runs.idle, conversationInUse: runs.conversationInUse };
}

/** What one model step said: its text, the tools it asks for, and why it finished. */
interface StepResult {
  text: string;
  calls: ToolCallRequest[];
  finish: string;
}

/** Stream one provider call, passing text and cumulative usage on; a step's text is set apart from earlier text. */
async function* modelStep(provider: Provider, request: ChatRequest, rec: RunRecord, signal: AbortSignal): AsyncGenerator<RunEvent, StepResult> {
  const step: StepResult = { text: '', calls: [], finish: 'stop' };
  for await (const ev of provider.chat(request, signal)) {
    if (ev.type === 'text_delta') {
      const sep = step.text === '' ? separator(rec.reply) : '';
      if (sep) yield { type: 'text_delta', text: sep };
      step.text += ev.text;
      rec.reply += sep + ev.text;
      yield ev;
    } else if (ev.type === 'usage') {
      rec.usage.input_tokens += ev.input_tokens;
      rec.usage.output_tokens += ev.output_tokens;
      yield { type: 'usage', ...rec.usage };
    } else if (ev.type === 'tool_call') step.calls.push(ev.call);
    else step.finish = ev.reason;
  }
  return step;
}

/** What goes between earlier reply text and more: a blank line unless it already ends in white space. */
function separator(reply: string): string {
  return reply !== '' && !/\s$/.test(reply) ? '\n\n' : '';
}

/** The `error` event of `rec`. */
function errorEvent(rec: RunRecord, code: ErrorCode, message: string): ErrorEvent {
  return { type: 'error', code, message, ...(rec.conversationId ? { conversation_id: rec.conversationId } : {}), execution_id: rec.id };
}

const newConversationId = () => newOrderedId('conv');
