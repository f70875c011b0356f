/**
 * The run record (SPEC §7 persistence): what one run has done so far (reply, usage, tool calls,
 * iterations, finish reason) as its `agent_executions` row, and the durable step commit that writes
 * a step's messages and that row in ONE transaction, so a crash loses at most the step in flight.
 * Tokens are counts, cost USD (from the model's prices per million tokens), durations ms.
 */
import type { Model } from '../domain/entities.js';
import type { ExecutionRecord, RunStep, Store, StoredMessage, UserEntityStore } from '../store/types.js';
import type { ErrorCode, ErrorDetail } from '../domain/errors.js';
import { SILENT_LOG, type Log } from '../domain/log.js';
import type { FinishReason } from '../domain/finish-reasons.js';
import type { PendingApproval } from '../domain/approvals.js';
import type { DoneEvent, ErrorEvent, PendingApprovalInfo, StartEvent, Usage } from './events.js';
import type { ToolCallRequest } from '../llm/types.js';
import type { RunBudget } from './budgets.js';
import { newOrderedId } from './ids.js';
import type { TraceSpan } from './tracing.js';
import type { ObservedToolCall } from './observer.js';
import type { RunTracer } from './run-trace.js';
import type { StatedEnd } from './run-guards.js';
import type { RunRequest } from './types.js';

/** USD cost of `usage` under `model`'s prices (USD per million tokens); 0 when unpriced. */
export function costOf(model: Model, usage: Usage): number {
  const input = (model.input_cost_per_mtok ?? 0) * usage.input_tokens;
  const output = (model.output_cost_per_mtok ?? 0) * usage.output_tokens;
  return (input + output) / 1_000_000;
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

/** The tool names of a run offered none. */
const NO_TOOLS: ReadonlySet<string> = new Set();

/** A run's state as it goes, and its execution row. */
export class RunRecord {
  /** The execution id: new, or the paused run's when resuming one (`RunRequest.resume`). */
  readonly id: string;
  readonly started = Date.now();
  readonly usage: Usage;
  readonly toolCalls: ToolCallRecord[];
  reply: string;
  iterations: number;
  /** Set when the run pauses for approval of tool calls (src/runtime/approvals.ts): the row its last step writes. */
  approval: PendingApproval | undefined;
  finishReason: FinishReason = 'stop';
  /** Set when a guard ended the run (src/runtime/run-guards.ts): its status and final message. */
  stated: StatedEnd | undefined;
  /** The stored conversation: the requested one, then (after admission) the new one; undefined when stateless. */
  conversationId: string | undefined;
  /** True once the run's final status is chosen (its last row is being written or was). */
  ended = false;
  /** Tool names offered to the model (set when the first request offers tools); see `observedTools`. */
  offered: ReadonlySet<string> = NO_TOOLS;
  /** The row `row()` built last: the final row once `ended` (undefined when the run wrote none). */
  last: ExecutionRecord | undefined;
  /** The run's logger: each of its lines carries `component: "runtime"`, `execution_id` and `agent` (STORY-021). */
  readonly log: Log;
  /** The budgets the run's model calls are reserved on (src/runtime/budgets.ts); none when absent. */
  budget: RunBudget | undefined;
  /** The client tools' calls the run ended on (finish reason `tool_calls`; src/runtime/client-tools.ts). */
  clientCalls: ToolCallRequest[] = [];
  /** Tokens and cost (USD) of the sub-agent runs this run started (src/runtime/sub-agents.ts), rolled up into its `done` event. */
  readonly children = { usage: { input_tokens: 0, output_tokens: 0 } as Usage, cost_usd: 0 };
  /** The run's `invoke_agent` span (src/runtime/tracing.ts), set once the run is past its refusals; model and tool spans are its children. */
  trace: TraceSpan | undefined;
  /** The run's step-by-step trace (src/runtime/run-trace.ts), only when the run asked for one; stored with its final step. */
  runTrace: RunTracer | undefined;

  /** `log`: the logger of the request that started the run (its lines carry `request_id`), or the runtime's. */
  constructor(
    private readonly req: RunRequest,
    log: Log = SILENT_LOG,
  ) {
    const prior = req.resume?.progress;
    this.id = req.resume?.execution_id ?? newOrderedId('exec');
    this.usage = { input_tokens: prior?.tokens_input ?? 0, output_tokens: prior?.tokens_output ?? 0 };
    this.toolCalls = [...((prior?.tool_calls ?? []) as ToolCallRecord[])];
    this.reply = prior?.output ?? '';
    this.iterations = prior?.iterations ?? 0;
    this.conversationId = req.conversationId;
    this.log = log.child({ component: 'runtime', execution_id: this.id, agent: req.agent.name });
  }

  /** The name of the agent the run is of. */
  get agentName(): string {
    return this.req.agent.name;
  }

  /** What conversation-scoped memory and tools see: the conversation, or this one run when stateless. */
  get scopeId(): string {
    return this.conversationId ?? this.id;
  }

  /** The row as it stands, with `status` (and `error`, already scrubbed); a resumed run's carries on from the paused one's. */
  row(status: ExecutionRecord['status'], error?: string): ExecutionRecord {
    const { req } = this;
    const prior = req.resume?.progress;
    return (this.last = {
      id: this.id,
      ...(req.agentRow ? { agent_id: req.agentRow.id } : {}),
      agent_name: req.agent.name,
      agent_source: req.source,
      user_id: req.userId,
      ...(this.conversationId ? { conversation_id: this.conversationId } : {}),
      input: prior?.input ?? req.message,
      output: this.reply,
      ...(this.toolCalls.length ? { tool_calls: this.toolCalls } : {}),
      tokens_input: this.usage.input_tokens,
      tokens_output: this.usage.output_tokens,
      cost_usd: costOf(req.model, this.usage),
      duration_ms: (prior?.duration_ms ?? 0) + Date.now() - this.started,
      status,
      ...(error ? { error_message: error } : {}),
      created_at: prior?.created_at ?? this.started,
      finish_reason: this.finishReason,
      model: req.model.name,
      iterations: this.iterations,
      ...(req.delegation ? { parent_execution_id: req.delegation.parentId, root_execution_id: req.delegation.rootId } : {}),
      ...(req.routing ? { routing: req.routing } : {}),
    });
  }

  /** Add a finished sub-agent run's usage (its own subtree's, as its `done` event gives it) and cost (USD). */
  addChild(usage: Usage, cost: number): void {
    this.children.usage.input_tokens += usage.input_tokens;
    this.children.usage.output_tokens += usage.output_tokens;
    this.children.cost_usd += cost;
  }

  /** This run's tool calls for monitoring: a name the model was not offered becomes `(unknown)`, so model output never makes label values. */
  observedTools(): ObservedToolCall[] {
    // A resumed run reports only its own calls: the paused run reported the earlier ones.
    return this.toolCalls.slice(this.req.resume?.progress.tool_calls.length ?? 0).map((c) => ({
      tool: this.offered.has(c.name) ? c.name : '(unknown)',
      status: c.timed_out ? 'timeout' : c.is_error ? 'error' : 'ok',
      duration_ms: c.duration_ms,
    }));
  }

  /**
   * Log the run's end as its last row states it: `run finished` with status, finish_reason, error,
   * iterations, tokens, cost (USD), tool calls and duration (ms); warn level when it failed or timed out.
   */
  logEnd(): void {
    const r = this.last;
    if (!r) return;
    const line = {
      status: r.status,
      finish_reason: r.finish_reason,
      ...(r.error_message ? { error: r.error_message } : {}),
      iterations: r.iterations,
      tokens_input: r.tokens_input,
      tokens_output: r.tokens_output,
      cost_usd: r.cost_usd,
      tool_calls: this.toolCalls.length,
      duration_ms: r.duration_ms,
    };
    if (r.status === 'success' || r.status === 'cancelled' || r.status === 'awaiting_approval')
      this.log.info(line, r.status === 'awaiting_approval' ? 'run paused for approval' : 'run finished');
    else this.log.warn(line, 'run finished');
  }

  /** The `start` event; `provider` is the name of the provider serving the model. */
  start(provider: string): StartEvent {
    return {
      type: 'start',
      conversation_id: this.conversationId ?? '',
      execution_id: this.id,
      agent: this.req.agent.name,
      model: this.req.model.name,
      provider,
    };
  }

  /** The final row: `success`, `awaiting_approval` when paused, or the stated end's status with its message as the error. */
  finalRow(): ExecutionRecord {
    if (this.approval) return this.row('awaiting_approval');
    const end = this.stated;
    return end && end.status !== 'success' ? this.row(end.status, end.message) : this.row('success');
  }

  /**
   * The `done` event (with `error` when a guard ended the run as an error or timeout); its `usage`
   * and `cost_usd` include the sub-agent runs it started.
   */
  done(): DoneEvent {
    const end = this.stated;
    return {
      type: 'done',
      reply: this.reply,
      finish_reason: this.finishReason,
      ...(end && end.status !== 'success' ? { error: end.message } : {}),
      ...(this.clientCalls.length ? { tool_calls: this.clientCalls } : {}),
      ...(this.approval ? { approval: this.approvalInfo()! } : {}),
      conversation_id: this.conversationId ?? '',
      execution_id: this.id,
      usage: {
        input_tokens: this.usage.input_tokens + this.children.usage.input_tokens,
        output_tokens: this.usage.output_tokens + this.children.usage.output_tokens,
      },
      cost_usd: costOf(this.req.model, this.usage) + this.children.cost_usd,
      duration_ms: Date.now() - this.started,
    };
  }

  /** What the paused run waits for (ApprovalRequiredEvent's fields); undefined unless paused. */
  approvalInfo(): PendingApprovalInfo | undefined {
    const a = this.approval;
    return a && { execution_id: a.execution_id, calls: a.calls, expires_at: a.expires_at };
  }

  /** The `error` event (the last one), with what was refused (`details`) when there is any. */
  error(code: ErrorCode, message: string, details?: ErrorDetail[]): ErrorEvent {
    return {
      type: 'error',
      code,
      message,
      ...(this.conversationId ? { conversation_id: this.conversationId } : {}),
      execution_id: this.id,
      ...(details?.length ? { details } : {}),
    };
  }
}

/**
 * Count a completed run of a user-tier agent (`RunRequest.agentRow`) towards its ranking, on today's
 * UTC day; a failure to count is logged, never the run's failure. The owner's own runs never count
 * (SPEC §4 ranking), so they skip the store's transaction.
 */
export async function countCompletedRun(usage: Pick<UserEntityStore, 'countUse'> | undefined, log: Log, req: RunRequest): Promise<void> {
  if (!req.agentRow || !usage || req.agentRow.owner === req.userId) return;
  try {
    await usage.countUse(req.agentRow.id, req.userId, new Date().toISOString().slice(0, 10));
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'could not count a completed run towards the agent ranking');
  }
}

/** Writes a run's steps; a new conversation's row goes in with the first step (one transaction, not two). */
export interface StepCommitter {
  /** Group commit (src/store/types.ts `commitStepBatched`): resolves once the step is on disk; `approval`: the run pauses with it. */
  commit(messages: readonly StoredMessage[], execution: ExecutionRecord, approval?: PendingApproval): Promise<void>;
  /**
   * Commit in its own transaction at once, without waiting for a group commit: for when the consumer
   * has gone (SQLite writes it within the call; the Promise settles when it is on disk).
   */
  commitNow(messages: readonly StoredMessage[], execution: ExecutionRecord): Promise<void>;
}

/**
 * The committer of one run: `conversationId` undefined for a stateless run (only its execution row
 * is written); `create` set when the conversation is new and written with the first step. The run's
 * trace, when `rec` keeps one, goes in with its final step (`rec.ended`, or `commitNow`), scrubbed by `scrub`.
 */
export function stepCommitter(
  executions: Store['executions'],
  conversationId: string | undefined,
  create: { agent_name: string; user_id: string } | undefined,
  rec: RunRecord,
  scrub: (text: string) => string,
): StepCommitter {
  let pending = create;
  const step = (messages: readonly StoredMessage[], execution: ExecutionRecord, final: boolean, approval?: PendingApproval): RunStep => ({
    conversationId: conversationId ?? '',
    messages: conversationId ? messages : [],
    execution,
    ...(pending ? { createConversation: pending } : {}),
    ...(final && rec.runTrace ? { trace: rec.runTrace.finish(execution, scrub) } : {}),
    ...(approval ? { approval } : {}),
  });
  return {
    commit: (messages, execution, approval) =>
      executions.commitStepBatched(step(messages, execution, rec.ended, approval)).then(() => {
        pending = undefined;
      }),
    async commitNow(messages, execution) {
      await executions.commitStep(step(messages, execution, true));
      pending = undefined;
    },
  };
}
