/**
 * The run trace recorder (src/domain/run-trace.ts): made only for a run that asked for a trace
 * (`RunRequest.trace`, else `RuntimeDeps.trace`), so a run without one allocates nothing for it.
 * The runtime calls it at its observation points: the first request (src/runtime/request.ts), each
 * model call (src/runtime/model-step.ts; a conversation summary's, src/runtime/summary.ts), and the final step commit (src/runtime/run-record.ts); tool
 * calls are taken from the run's tool call records (src/runtime/tool-dispatch.ts) in the order they
 * finished. `finish` gives the trace as stored: JSON, text scrubbed of secret values and cut to
 * `MAX_TRACE_TEXT_CHARS`, the whole under `MAX_TRACE_BYTES`.
 */
import { MAX_TRACE_BYTES, MAX_TRACE_TEXT_CHARS, type RunTrace, type RunTraceStep } from '../domain/run-trace.js';
import type { ChatMessage, ChatRequest, ToolCallRequest } from '../llm/types.js';
import type { ExecutionRecord } from '../store/types.js';
import type { FirstTurn, RunRequest } from './types.js';

/** What the trace reads of a tool call record (src/runtime/run-record.ts `ToolCallRecord`). Duration in ms. */
interface ToolCallSeen {
  name: string;
  arguments: string;
  result: string;
  is_error: boolean;
  timed_out?: boolean;
  duration_ms: number;
  iteration: number;
}

/** What the trace reads of a model step's result (src/runtime/model-step.ts `StepResult`). */
interface StepSeen {
  text: string;
  calls: readonly ToolCallRequest[];
  finish: string;
}

/** Records one run's steps. */
export class RunTracer {
  private readonly steps: RunTraceStep[] = [];
  private calls = 0;
  private toolsSeen = 0;

  /** `toolCalls`: the run's tool call records (`RunRecord.toolCalls`), read as they grow. */
  constructor(
    private readonly executionId: string,
    private readonly toolCalls: readonly ToolCallSeen[],
  ) {}

  /**
   * The first request: system prompt, template variables, rendered user prompt and the messages
   * sent; they open the trace, before a summarisation call made while building the request (src/runtime/summary.ts).
   */
  firstTurn(req: RunRequest, turn: FirstTurn): void {
    const { messages } = turn.request;
    const user = turn.first[0];
    this.steps.unshift(
      {
        kind: 'prompt',
        system_prompt: contentOf(messages[0]),
        variables: { parameters: req.agent.parameters, memory_context: turn.memoryContext ?? '' },
        user_prompt: user?.role === 'user' ? user.content : '',
      },
      { kind: 'messages', messages: messages.map(traced), history_trimmed: turn.historyTrimmed },
    );
  }

  /** One model call: what it sent, took (ms) and said; `step` is undefined when it failed (`outcome`). */
  modelCall(request: ChatRequest, ms: number, tokens: { input_tokens: number; output_tokens: number }, step: StepSeen | undefined, outcome: string): void {
    this.flushTools();
    this.steps.push({
      kind: 'model_call',
      call: ++this.calls,
      model: request.model,
      messages: request.messages.length,
      duration_ms: Math.round(ms * 10) / 10,
      ...tokens,
      finish: step?.finish ?? outcome,
      text: step?.text ?? '',
      tool_calls: step?.calls.map((c) => ({ name: c.function.name, arguments: c.function.arguments })) ?? [],
    });
  }

  /**
   * The trace as stored, ended by the run's final row: JSON with every string passed through `scrub`
   * and cut to `MAX_TRACE_TEXT_CHARS`, steps left out of the middle when it exceeds `MAX_TRACE_BYTES`.
   */
  finish(row: ExecutionRecord, scrub: (text: string) => string): string {
    this.flushTools();
    const end: RunTraceStep = {
      kind: 'end',
      status: row.status,
      finish_reason: row.finish_reason ?? row.status,
      ...(row.error_message ? { message: row.error_message } : {}),
      duration_ms: row.duration_ms,
    };
    const replacer = (_key: string, v: unknown) => (typeof v === 'string' ? cut(scrub(v)) : v);
    const parts = [...this.steps, end].map((s) => JSON.stringify(s, replacer));
    let omitted = 0;
    // UTF-8 bytes of the parts, their commas and the head (under 100 bytes).
    let size = parts.reduce((n, p) => n + Buffer.byteLength(p) + 1, 100);
    // Keep the prompt and messages steps and the end; leave out the oldest steps after them until it fits.
    while (size > MAX_TRACE_BYTES && parts.length > 3) {
      size -= Buffer.byteLength(parts.splice(2, 1)[0]!) + 1;
      omitted++;
    }
    const head = JSON.stringify({ execution_id: this.executionId, ...(omitted ? { omitted_steps: omitted } : {}) } satisfies Omit<RunTrace, 'steps'>);
    return `${head.slice(0, -1)},"steps":[${parts.join(',')}]}`;
  }

  /** Append the tool calls that finished since the last look. */
  private flushTools(): void {
    for (; this.toolsSeen < this.toolCalls.length; this.toolsSeen++) {
      const r = this.toolCalls[this.toolsSeen]!;
      this.steps.push({
        kind: 'tool_call',
        name: r.name,
        iteration: r.iteration,
        arguments: r.arguments,
        result: r.result,
        is_error: r.is_error,
        ...(r.timed_out ? { timed_out: true } : {}),
        duration_ms: r.duration_ms,
      });
    }
  }
}

function contentOf(m: ChatMessage | undefined): string {
  return typeof m?.content === 'string' ? m.content : '';
}

function traced(m: ChatMessage): { role: string; content: string; tool_calls?: string[] } {
  const calls = m.role === 'assistant' ? m.tool_calls : undefined;
  return { role: m.role, content: contentOf(m), ...(calls?.length ? { tool_calls: calls.map((c) => c.function.name) } : {}) };
}

function cut(text: string): string {
  return text.length > MAX_TRACE_TEXT_CHARS ? `${text.slice(0, MAX_TRACE_TEXT_CHARS)}… [cut: ${text.length} characters]` : text;
}
