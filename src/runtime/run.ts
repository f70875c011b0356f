/**
 * `createRuntime(deps).run(request)`: one agent run as an async iterable of typed events (SPEC §7,
 * issue 4). The runtime knows nothing about HTTP. A run:
 *
 * 1. is refused at once (503, no row) when its agent's queue or the total queue is full, else is
 *    admitted by the agent's lifecycle (src/runtime/lifecycle.ts) and takes one of the agent's
 *    concurrency slots, waiting in that agent's queue if needed (src/runtime/limiter.ts);
 * 2. builds the prompt: system prompt + conversation history trimmed to the model's context budget
 *    (src/runtime/context.ts) + the rendered `user_prompt_template`;
 * 3. loops: call the provider with the agent's tools (from the Toolbox); when the model asks for
 *    tools, run them (in parallel when `parallel_tools`), each bounded by its timeout, and send the
 *    results back — errors and timeouts included, as results. After `max_tool_iterations` rounds of
 *    tools a model that still asks for more gets no more: the run ends with an explicit message and
 *    `finish_reason: "max_iterations"`;
 * 4. persists each step (its messages and the execution row so far) in ONE transaction, so a crash
 *    loses at most the step in flight; the row says `success`, `error`, `timeout` or `cancelled` at
 *    the end, with tool calls, tokens, cost (USD, from the model's prices) and duration (ms);
 * 5. once it completes (`success`), counts one use of a user-tier agent (`RunRequest.agentRow`)
 *    towards its ranking: this is the one place every entry point (chat, message, /v1, /mcp) counts.
 *
 * Cancellation stops the provider request, any running tools or the queue wait, and is recorded as
 * `cancelled` with its reason: a client that goes away aborts `RunRequest.signal`; daemon shutdown
 * calls `cancelAll(reason)` on every run at once.
 */
import { DomainError, isDomainError } from '../domain/errors.js';
import type { Agent, Model, Source } from '../domain/entities.js';
import type { ChatMessage, ChatRequest, Provider, ToolCallRequest, ToolSpec } from '../llm/types.js';
import type { ExecutionRecord, MemoryStore, Store, StoredMessage, UserEntityStore } from '../store/types.js';
import { memoryScopeKey } from '../tools/builtin/memory.js';
import type { Toolbox } from '../tools/toolbox.js';
import type { AgentRow, UnavailableTool } from '../tools/types.js';
import { contextWindow, estimateTokens, trimHistory } from './context.js';
import { newOrderedId } from './ids.js';
import type { RunEvent, ToolResultEvent, Usage } from './events.js';
import { createLifecycle, type AgentStatus } from './lifecycle.js';
import { createLimiter } from './limiter.js';
import { buildMessages, renderUserPrompt } from './prompt.js';

/** Where the runtime reports what operators should see (pino's `warn(obj, msg)` fits). */
export interface RuntimeLog {
  warn(obj: Record<string, unknown>, msg: string): void;
}

/** Runtime limits. Counts, characters and tokens. */
export interface RuntimeLimits {
  /** Runs of one agent at the same time (`[runtime] max_concurrent_runs_per_agent`). */
  maxConcurrentPerAgent: number;
  /** Runs of one agent waiting for a slot; beyond this a run is refused as busy. */
  maxQueuedPerAgent: number;
  /** Runs waiting for a slot across all agents (`[runtime] max_queued_runs`); beyond this runs are refused as busy. */
  maxQueuedTotal: number;
  /** A tool result longer than this (characters) is cut before it goes to the model and the store. */
  maxToolResultChars: number;
}

/** Defaults of `RuntimeLimits`. */
export const DEFAULT_RUNTIME_LIMITS: RuntimeLimits = { maxConcurrentPerAgent: 8, maxQueuedPerAgent: 256, maxQueuedTotal: 1024, maxToolResultChars: 32_000 };

/** What the runtime needs: persistence, the provider serving a model, and (optionally) tools. */
export interface RuntimeDeps {
  store: Pick<Store, 'conversations' | 'executions'>;
  providers: { get(name: string): Promise<Provider> };
  /** The permission-checked tools; without it agents are offered no tools. */
  toolbox?: Toolbox;
  limits?: Partial<RuntimeLimits>;
  log?: RuntimeLog;
  /** Context window of a model in tokens (default: src/runtime/context.ts `contextWindow`). */
  contextWindow?: (model: Model) => number;
  /** Memory entries for `{{memory_context}}` in `user_prompt_template` (agents with `memory.enabled`). */
  memory?: Pick<MemoryStore, 'search'>;
  /**
   * Where completed runs of user-tier agents (`RunRequest.agentRow`) are counted for ranking; the
   * store keeps one per user, agent and UTC day and never counts the owner. Without it nothing is counted.
   */
  usage?: Pick<UserEntityStore, 'countUse'>;
  /**
   * Removes configured secret values from text (src/domain/secrets.ts `SecretScrubber.scrub`): applied
   * to every error message (events and `error_message`) and to every tool result before the model,
   * the events or the store see it. Default: none.
   */
  scrub?: (text: string) => string;
}

/** What a run refused because its agent (or every agent) is busy tells the client to wait, in seconds. */
const BUSY_RETRY_AFTER_SECS = 1;

/** Entries put into `{{memory_context}}`, newest first. */
const MEMORY_CONTEXT_ENTRIES = 20;

/** One run: an agent already resolved by the catalog, with its model. */
export interface RunRequest {
  agent: Agent;
  source: Source;
  model: Model;
  message: string;
  userId: string;
  /** Continue this conversation (must belong to `userId`), or start a new one when absent. */
  conversationId?: string;
  /**
   * Earlier turns supplied by the caller instead of a stored conversation (stateless clients such as
   * OpenAI's `/v1/chat/completions`, which send the whole conversation on every call). The run then
   * stores no conversation: only its execution row is written (without `conversation_id`), and its
   * events carry `conversation_id: ''`. `system` turns are put right after the agent's own system
   * prompt (which stays first) and are never trimmed; the other turns are trimmed to the context
   * budget like stored history. Conversation-scoped memory lasts the one run. With `conversationId`
   * too the run fails with BAD_REQUEST (the caller picks one).
   */
  history?: readonly StoredMessage[];
  /**
   * Key of the agent's lifecycle state and concurrency slots (default `agent.name`). Callers serving
   * several tenants pass something unique per agent (e.g. a user agent's id), so one user's agent
   * failing or being stopped never affects another user's agent of the same name (SPEC §7).
   */
  agentKey?: string;
  /**
   * The user-tier row of the agent (`id`, and `owner`: its user id); absent for system agents. Memory
   * is keyed on it (src/tools/builtin/memory.ts): an agent owned by someone other than `userId` gets
   * memory confined to (`userId`, this row) whatever its declared scope. A run of it that
   * completes (status `success`) counts one use towards its ranking through `RuntimeDeps.usage`;
   * refused, failed and cancelled runs count nothing.
   */
  agentRow?: AgentRow;
  /** Aborting cancels the provider request and running tools; the run ends with an `error` event (code `CANCELLED`). */
  signal?: AbortSignal;
}

/** Operator controls over agents' lifecycle (issue 4). Each acts on one agent and touches no other. */
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

/** The runtime as the API uses it: run an agent, get its events. */
export interface Runtime {
  run(request: RunRequest): AsyncIterable<RunEvent>;
}

/** The runtime with operator controls over agents' lifecycle (what `createRuntime` returns). */
export interface ManagedRuntime extends Runtime {
  agents: AgentControls;
  /**
   * Cancel every run in flight or queued, and every run started afterwards, with `reason` (daemon
   * shutdown: `daemon shutting down`). Each ends with an `error` event (code `CANCELLED`, message
   * `reason`) and its row says `cancelled` with `reason` as the error. Returns at once; see `idle`.
   */
  cancelAll(reason: string): void;
  /** Resolves once no run is in flight or queued (at once when none is). */
  idle(): Promise<void>;
  /** True while a run (queued or in flight) continues or writes stored conversation `id`. */
  conversationInUse(id: string): boolean;
}

/** USD cost of `usage` under `model`'s prices (USD per million tokens); 0 when unpriced. */
export function costOf(model: Model, usage: Usage): number {
  const input = (model.input_cost_per_mtok ?? 0) * usage.input_tokens;
  const output = (model.output_cost_per_mtok ?? 0) * usage.output_tokens;
  return (input + output) / 1_000_000;
}

/** The explicit last words of a run that reached its tool-iteration limit (SPEC §7: never a silent stop). */
export function maxIterationsMessage(limit: number): string {
  return (
    `[stopped] I reached this agent's limit of ${limit} tool iteration${limit === 1 ? '' : 's'} ` +
    '(max_tool_iterations) before finishing, so this answer may be incomplete. ' +
    'Ask me to continue, or raise max_tool_iterations for this agent.'
  );
}

/** One tool call as recorded in `agent_executions.tool_calls`. Duration in ms. */
export interface ToolCallRecord {
  id: string;
  name: string;
  arguments: string;
  result: string;
  is_error: boolean;
  timed_out?: boolean;
  duration_ms: number;
  iteration: number;
}

const RECORDED_RESULT_CHARS = 2_000;
const INTERRUPTED = 'interrupted: the daemon stopped before the run finished';

/** Error codes that are the agent's own fault (its configuration), which mark it failed. */
const AGENT_FAULTS = new Set(['CONFIG_INVALID']);

/** Build the runtime over its dependencies. */
export function createRuntime(deps: RuntimeDeps): ManagedRuntime {
  const { store, providers, toolbox, log } = deps;
  const scrub = deps.scrub ?? ((text: string) => text);
  const limits: RuntimeLimits = { ...DEFAULT_RUNTIME_LIMITS, ...deps.limits };
  const windowOf = deps.contextWindow ?? contextWindow;
  const lifecycle = createLifecycle();
  const limiter = createLimiter({ maxConcurrent: limits.maxConcurrentPerAgent, maxQueued: limits.maxQueuedPerAgent, maxQueuedTotal: limits.maxQueuedTotal });

  // Every run between its first step and its end, by its own controller (aborted by cancelAll).
  const live = new Set<AbortController>();
  let stopReason: string | undefined;
  let idleWaiters: (() => void)[] = [];
  // Stored conversations with a run on them, and how many runs.
  const busy = new Map<string, number>();
  const hold = (id: string) => busy.set(id, (busy.get(id) ?? 0) + 1);
  const letGo = (id: string) => {
    const n = (busy.get(id) ?? 1) - 1;
    if (n > 0) busy.set(id, n);
    else busy.delete(id);
  };
  const settle = (own: AbortController) => {
    live.delete(own);
    if (live.size > 0) return;
    for (const wake of idleWaiters) wake();
    idleWaiters = [];
  };

  const statusOf = (name: string): AgentStatus => ({ ...lifecycle.status(name), ...limiter.load(name) });
  const agents: AgentControls = {
    status: statusOf,
    list: () => lifecycle.list().map((s) => ({ ...s, ...limiter.load(s.name) })),
    start(name) {
      lifecycle.transition(name, 'running');
      return statusOf(name);
    },
    stop(name) {
      lifecycle.transition(name, 'stopped');
      return statusOf(name);
    },
    restart(name) {
      lifecycle.transition(name, 'loaded');
      lifecycle.transition(name, 'running');
      return statusOf(name);
    },
    fail(name, reason) {
      lifecycle.fail(name, reason);
      return statusOf(name);
    },
    retain(keep) {
      for (const { name } of lifecycle.list()) if (!keep(name)) lifecycle.forget(name);
    },
  };

  async function* run(req: RunRequest): AsyncIterable<RunEvent> {
    const started = Date.now();
    const executionId = newOrderedId('exec');
    const { agent, model } = req;
    const usage: Usage = { input_tokens: 0, output_tokens: 0 };
    const toolCalls: ToolCallRecord[] = [];
    let reply = '';
    let iterations = 0;
    let finishReason = 'stop';
    let conversationId = req.conversationId;
    const stateless = req.history !== undefined;
    const agentKey = req.agentKey ?? agent.name;

    // Load shedding: a run that would find its agent's queue (or the total queue) full is refused
    // before any work (no store access, no row: it never started), so a flood of one agent costs
    // other agents' runs as little as possible.
    const refusal = limiter.busy(agentKey);
    if (refusal) {
      yield { type: 'error', code: 'UNAVAILABLE', message: refusal, execution_id: executionId, retry_after_secs: BUSY_RETRY_AFTER_SECS };
      return;
    }

    // The client's signal or cancelAll (the run's own controller) cancels the queue wait and the
    // provider request. Tools get a signal of their own (made at the first tool round: most runs call
    // no tool) that also fires when the consumer stops iterating early.
    const own = new AbortController();
    live.add(own);
    if (stopReason !== undefined) own.abort(new DomainError('UNAVAILABLE', stopReason));
    const cancelSignal = req.signal ? AbortSignal.any([req.signal, own.signal]) : own.signal;
    const isCancelled = () => cancelSignal.aborted;
    // Why the run was cancelled, as recorded: the daemon's reason, else the client's `fallback`.
    const cancelMessage = (fallback: string) => (own.signal.aborted && stopReason !== undefined ? stopReason : fallback);
    let ac: AbortController | undefined;
    let onCancel: (() => void) | undefined;
    const toolSignal = (): AbortSignal => {
      if (!ac) {
        const tools = new AbortController();
        ac = tools;
        onCancel = () => tools.abort(cancelSignal.reason);
        if (cancelSignal.aborted) tools.abort(cancelSignal.reason);
        else cancelSignal.addEventListener('abort', onCancel, { once: true });
      }
      return ac.signal;
    };

    const row = (status: ExecutionRecord['status'], error?: string): ExecutionRecord => ({
      id: executionId,
      agent_name: agent.name,
      agent_source: req.source,
      user_id: req.userId,
      ...(conversationId ? { conversation_id: conversationId } : {}),
      input: req.message,
      output: reply,
      ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
      tokens_input: usage.input_tokens,
      tokens_output: usage.output_tokens,
      cost_usd: costOf(model, usage),
      duration_ms: Date.now() - started,
      status,
      ...(error ? { error_message: error } : {}),
      created_at: started,
      finish_reason: finishReason,
      model: model.name,
      iterations,
    });

    let recorded = false;
    let held: string | undefined;
    let release: (() => void) | undefined;
    let commit: ((messages: readonly StoredMessage[], execution: ExecutionRecord, sync?: boolean) => Promise<void> | void) | undefined;
    try {
      try {
        lifecycle.admit(agentKey);
        if (stateless && conversationId !== undefined) {
          throw new DomainError('BAD_REQUEST', 'a run takes either earlier turns (history) or a stored conversation, not both');
        }
        if (conversationId !== undefined) {
          hold((held = conversationId));
          if (!store.conversations.get(conversationId, req.userId)) {
            throw new DomainError('NOT_FOUND', `conversation ${conversationId} not found`);
          }
        }
        release = await limiter.acquire(agentKey, cancelSignal);
      } catch (err) {
        const cancelled = isCancelled();
        const code = cancelled ? 'CANCELLED' : isDomainError(err) ? err.code : 'INTERNAL';
        const message = cancelled ? cancelMessage('run cancelled before it started') : scrub((err as Error).message);
        // An unknown conversation (or a malformed request) is the caller's mistake, not a run: no row for it.
        if (code !== 'NOT_FOUND' && code !== 'BAD_REQUEST') {
          finishReason = cancelled ? 'cancelled' : 'error';
          store.executions.record(row(cancelled ? 'cancelled' : 'error', message));
        }
        recorded = true;
        yield { type: 'error', code, message, ...(conversationId ? { conversation_id: conversationId } : {}), execution_id: executionId };
        return;
      }
      // A new conversation's row is written with the run's first step (one transaction, not two).
      // A stateless run (caller-supplied history) stores no conversation: its steps write only the execution row.
      const isNew = conversationId === undefined;
      const convId = stateless ? undefined : (conversationId ??= newOrderedId('conv'));
      if (convId && held === undefined) hold((held = convId));
      // Events name the conversation; '' when stateless (documented on StartEvent).
      const convField = { conversation_id: convId ?? '' };
      // What conversation-scoped memory and tools see: the conversation, or this one run when stateless.
      const scopeId = convId ?? executionId;
      let created = !isNew || stateless;
      commit = (messages: readonly StoredMessage[], execution: ExecutionRecord, sync = false) => {
        const step = {
          conversationId: convId ?? '',
          messages: convId ? messages : [],
          execution,
          ...(created ? {} : { createConversation: { agent_name: agent.name, user_id: req.userId } }),
        };
        // Group commit on the normal path (awaited: a step is on disk before its events go on);
        // synchronous when the consumer has gone and nothing may be awaited any more.
        if (!sync) {
          return store.executions.commitStepBatched(step).then(() => {
            created = true;
          });
        }
        store.executions.commitStep(step);
        created = true;
      };

      try {
        const provider = await providers.get(model.provider).catch((err: unknown) => {
          // A provider ares.toml does not define is the agent's configuration fault: it marks the agent failed.
          if (isDomainError(err) && err.code === 'NOT_FOUND') {
            throw new DomainError('CONFIG_INVALID', `model ${model.name} uses provider ${model.provider || '(none)'}, which ares.toml does not define`);
          }
          throw err;
        });
        yield {
          type: 'start',
          ...convField,
          execution_id: executionId,
          agent: agent.name,
          model: model.name,
          provider: provider.type === 'offline' ? 'offline' : provider.name,
        };

        // Tools the agent may use now; the unavailable ones are told to the operator, not the model.
        let specs: ToolSpec[] | undefined;
        if (toolbox && (agent.tools.length > 0 || agent.memory?.enabled)) {
          await toolbox.prepare(agent, req.userId, cancelSignal);
          const offered = toolbox.forAgent(agent, req.userId);
          if (offered.tools.length) specs = offered.tools.map((t) => t.spec);
          if (offered.unavailable.length) warnUnavailable(agent.name, offered.unavailable);
        }

        let memoryContext = '';
        if (deps.memory && agent.memory?.enabled && agent.user_prompt_template?.includes('memory_context')) {
          const scope = memoryScopeKey(agent.memory.scope, { agentName: agent.name, userId: req.userId, conversationId: scopeId, ...(req.agentRow ? { agentRow: req.agentRow } : {}) });
          memoryContext = deps.memory
            .search(scope, '', MEMORY_CONTEXT_ENTRIES)
            .map((e) => `${e.key}: ${e.value}`)
            .join('\n');
        }
        const userPrompt = renderUserPrompt(agent, req.message, memoryContext);
        let history: readonly StoredMessage[] = convId && !isNew ? store.conversations.messages(convId) : [];
        let callerSystem: StoredMessage[] = [];
        if (req.history) {
          callerSystem = req.history.filter((m) => m.role === 'system');
          history = callerSystem.length ? req.history.filter((m) => m.role !== 'system') : req.history;
        }
        if (history.length) {
          let fixed = estimateTokens(agent.system_prompt) + estimateTokens(userPrompt) + (specs ? estimateTokens(JSON.stringify(specs)) : 0);
          for (const m of callerSystem) fixed += estimateTokens(m.content);
          history = trimHistory(history, Math.max(0, windowOf(model) - (model.max_tokens ?? 1024) - fixed));
        }
        const messages: ChatMessage[] = buildMessages(agent, history, userPrompt);
        // The caller's system turns follow the agent's own system prompt, which stays first.
        if (callerSystem.length) messages.splice(1, 0, ...callerSystem.map((m): ChatMessage => ({ role: 'system', content: m.content })));

        const chatReq: ChatRequest = {
          model: model.model,
          messages,
          ...(specs ? { tools: specs, parallel_tool_calls: agent.parallel_tools } : {}),
          ...(model.temperature !== undefined ? { temperature: model.temperature } : {}),
          ...(model.max_tokens !== undefined ? { max_tokens: model.max_tokens } : {}),
          ...(model.top_p !== undefined ? { top_p: model.top_p } : {}),
          ...(model.frequency_penalty !== undefined ? { frequency_penalty: model.frequency_penalty } : {}),
          ...(model.presence_penalty !== undefined ? { presence_penalty: model.presence_penalty } : {}),
        };

        // Messages not yet persisted: the user's turn goes in with the first step.
        let pending: StoredMessage[] = [{ role: 'user', content: userPrompt }];
        const limit = agent.max_tool_iterations;
        for (let round = 0; ; round++) {
          iterations++;
          let stepText = '';
          const calls: ToolCallRequest[] = [];
          let stepFinish = 'stop';
          for await (const ev of provider.chat(chatReq, cancelSignal)) {
            if (ev.type === 'text_delta') {
              if (stepText === '' && reply !== '' && !/\s$/.test(reply)) {
                reply += '\n\n';
                yield { type: 'text_delta', text: '\n\n' };
              }
              stepText += ev.text;
              reply += ev.text;
              yield ev;
            } else if (ev.type === 'usage') {
              usage.input_tokens += ev.input_tokens;
              usage.output_tokens += ev.output_tokens;
              yield { type: 'usage', ...usage };
            } else if (ev.type === 'tool_call') {
              calls.push(ev.call);
            } else if (ev.type === 'finish') {
              stepFinish = ev.reason;
            }
          }

          if (calls.length === 0) {
            finishReason = stepFinish;
            pending.push({ role: 'assistant', content: stepText });
            break;
          }
          if (round >= limit) {
            // The model wants more tools than the agent allows: stop, explicitly, without running them.
            const note = maxIterationsMessage(limit);
            const sep = reply !== '' && !/\s$/.test(reply) ? '\n\n' : '';
            reply += sep + note;
            yield { type: 'text_delta', text: sep + note };
            finishReason = 'max_iterations';
            pending.push({ role: 'assistant', content: stepText + sep + note });
            break;
          }

          const assistant: ChatMessage = { role: 'assistant', content: stepText === '' ? null : stepText, tool_calls: calls };
          messages.push(assistant);
          pending.push({ role: 'assistant', content: stepText, tool_calls: calls });
          for (const c of calls) yield { type: 'tool_call', id: c.id, name: c.function.name, arguments: c.function.arguments };

          const signal = toolSignal();
          const results: ToolResultEvent[] = new Array(calls.length);
          const runOne = (c: ToolCallRequest, i: number) =>
            runTool(req, scopeId, c, round + 1, signal).then(({ result, record }) => {
              toolCalls.push(record);
              return { i, r: result };
            });
          if (agent.parallel_tools && calls.length > 1) {
            const inflight = new Map(calls.map((c, i) => [i, runOne(c, i)] as const));
            while (inflight.size) {
              const { i, r } = await Promise.race(inflight.values());
              inflight.delete(i);
              results[i] = r;
              yield r;
            }
          } else {
            for (let i = 0; i < calls.length; i++) {
              const { r } = await runOne(calls[i]!, i);
              results[i] = r;
              yield r;
            }
          }
          if (isCancelled()) throw cancelSignal.reason ?? new Error('aborted');
          for (const r of results) {
            messages.push({ role: 'tool', content: r.result, tool_call_id: r.id });
            pending.push({ role: 'tool', content: r.result, tool_call_id: r.id });
          }
          await commit(pending, row('error', INTERRUPTED));
          pending = [];
        }

        recorded = true;
        await commit(pending, row('success'));
        countCompletedRun(req);
        yield {
          type: 'done',
          reply,
          finish_reason: finishReason,
          ...convField,
          execution_id: executionId,
          usage: { ...usage },
          cost_usd: costOf(model, usage),
          duration_ms: Date.now() - started,
        };
      } catch (err) {
        const cancelled = isCancelled();
        const code = cancelled ? 'CANCELLED' : isDomainError(err) ? err.code : 'INTERNAL';
        const message = cancelled ? cancelMessage('run cancelled') : scrub(isDomainError(err) ? err.message : `internal error: ${(err as Error)?.message ?? String(err)}`);
        finishReason = cancelled ? 'cancelled' : code === 'TIMEOUT' ? 'timeout' : 'error';
        recorded = true;
        await commit([], row(cancelled ? 'cancelled' : code === 'TIMEOUT' ? 'timeout' : 'error', message));
        if (AGENT_FAULTS.has(code) && lifecycle.state(agentKey) === 'running') {
          lifecycle.transition(agentKey, 'failed', message);
        }
        if (code === 'INTERNAL') log?.warn({ agent: agent.name, execution: executionId, err: message }, 'agent run failed unexpectedly');
        yield { type: 'error', code, message, ...(convId ? { conversation_id: convId } : {}), execution_id: executionId };
      }
    } finally {
      if (onCancel) cancelSignal.removeEventListener('abort', onCancel);
      if (!recorded) {
        // The consumer stopped iterating early (client went away): stop tools, still leave a record.
        ac?.abort(new DomainError('UNAVAILABLE', 'the client disconnected'));
        finishReason = 'cancelled';
        const last = row('cancelled', cancelMessage('run cancelled: the client disconnected'));
        if (commit) commit([], last, true);
        else store.executions.record(last);
      }
      release?.();
      if (held !== undefined) letGo(held);
      settle(own);
    }
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
  function warnUnavailable(agentName: string, unavailable: UnavailableTool[]): void {
    const key = unavailable.map((u) => `${u.name}:${u.reason}`).join('|');
    if (warned.get(agentName) === key) return; // once per change, not per run
    warned.set(agentName, key);
    log?.warn({ agent: agentName, unavailable }, `agent ${agentName}: ${unavailable.length} tool(s) unavailable`);
  }

  async function runTool(
    req: RunRequest,
    convId: string,
    call: ToolCallRequest,
    iteration: number,
    signal: AbortSignal,
  ): Promise<{ result: ToolResultEvent; record: ToolCallRecord }> {
    const t0 = Date.now();
    const name = call.function.name;
    let content: string;
    let isError = false;
    let timedOut = false;
    let args: unknown;
    try {
      args = call.function.arguments.trim() === '' ? {} : JSON.parse(call.function.arguments);
    } catch (err) {
      args = undefined;
      content = `error: the arguments of ${name} are not valid JSON (${(err as Error).message}); call it again with a JSON object`;
      isError = true;
    }
    if (!isError) {
      if (!toolbox) {
        content = `error: there is no tool named ${name}`;
        isError = true;
      } else {
        try {
          const ctx = { agentName: req.agent.name, userId: req.userId, conversationId: convId, signal, ...(req.agentRow ? { agentRow: req.agentRow } : {}) };
          const r = await toolbox.call(req.agent, name, args, ctx);
          content = r.content;
          isError = r.isError === true;
          timedOut = r.timedOut === true;
        } catch (err) {
          content = `error: tool ${name} failed: ${(err as Error)?.message ?? String(err)}`;
          isError = true;
        }
      }
    }
    content = scrub(content!);
    if (content.length > limits.maxToolResultChars) {
      content = `${content!.slice(0, limits.maxToolResultChars)}\n[truncated: the result was ${content!.length} characters]`;
    }
    const result: ToolResultEvent = { type: 'tool_result', id: call.id, name, result: content!, is_error: isError };
    const record: ToolCallRecord = {
      id: call.id,
      name,
      arguments: call.function.arguments,
      result: content!.length > RECORDED_RESULT_CHARS ? `${content!.slice(0, RECORDED_RESULT_CHARS)}…` : content!,
      is_error: isError,
      ...(timedOut ? { timed_out: true } : {}),
      duration_ms: Date.now() - t0,
      iteration,
    };
    return { result, record };
  }

  function cancelAll(reason: string): void {
    stopReason = reason;
    for (const c of live) c.abort(new DomainError('UNAVAILABLE', reason));
  }

  function idle(): Promise<void> {
    return live.size === 0 ? Promise.resolve() : new Promise((wake) => idleWaiters.push(wake));
  }

  return { run, agents, cancelAll, idle, conversationInUse: (id) => busy.has(id) };
}
