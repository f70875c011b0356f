/**
 * The run's OpenTelemetry spans (STORY-021 traces), written against `@opentelemetry/api` only: with
 * no tracer provider registered (telemetry off, the default) every span is a no-op and nothing of the
 * SDK is loaded; the daemon registers one when `[telemetry] otlp_endpoint` is set (src/daemon/telemetry.ts).
 * Spans follow the OpenTelemetry GenAI semantic conventions: `invoke_agent NAME` (the run, a child of
 * the active span, the HTTP request's or a calling tool's) -> `chat MODEL` (one model call) and
 * `execute_tool NAME` (one tool call; a sub-run it starts is its child). Attributes carry names,
 * ids, counts and reasons only: never message contents, tool arguments or results, keys or emails.
 */
import { context, SpanKind, SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api';
import type { ExecutionRecord } from '../store/types.js';

/** The instrumentation scope name of every span the daemon makes. */
export const TRACER_NAME = 'caxton';

const tracer = () => trace.getTracer(TRACER_NAME);

/** A started span and the context its children are made in. */
export interface TraceSpan {
  span: Span;
  ctx: Context;
}

/** Start `name` as a child of `parent` (the active context when absent). */
function start(name: string, kind: SpanKind, attributes: Record<string, string | number>, parent: Context = context.active()): TraceSpan {
  const span = tracer().startSpan(name, { kind, attributes }, parent);
  return { span, ctx: trace.setSpan(parent, span) };
}

/** The run's span `invoke_agent AGENT`: the agent's name, the execution id and the run's source tier. */
export function startRunSpan(agent: string, executionId: string, source: string): TraceSpan {
  return start(`invoke_agent ${agent}`, SpanKind.INTERNAL, {
    'gen_ai.operation.name': 'invoke_agent',
    'gen_ai.agent.name': agent,
    'caxton.execution_id': executionId,
    'caxton.source': source,
  });
}

/** End the run's span with its final row (status, finish reason, tokens); without a row the run was refused or never admitted. */
export function endRunSpan(run: TraceSpan, row: ExecutionRecord | undefined): void {
  if (row) {
    run.span.setAttributes({
      'caxton.status': row.status,
      'gen_ai.response.finish_reasons': [row.finish_reason ?? row.status],
      'gen_ai.usage.input_tokens': row.tokens_input,
      'gen_ai.usage.output_tokens': row.tokens_output,
    });
    if (row.status !== 'success') run.span.setStatus({ code: SpanStatusCode.ERROR, message: `run ended ${row.status}` });
  }
  run.span.end();
}

/** What a model call's span names: the provider's type and name, and the model id sent. */
export interface ChatSpanInfo {
  providerType: string;
  providerName: string;
  model: string;
}

/** One model call's span `chat MODEL`, a child of the run's. */
export function startChatSpan(parent: Context | undefined, info: ChatSpanInfo): TraceSpan {
  return start(
    `chat ${info.model}`,
    SpanKind.CLIENT,
    {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': info.providerType,
      'gen_ai.system': info.providerType,
      'gen_ai.request.model': info.model,
      'caxton.provider': info.providerName,
    },
    parent,
  );
}

/** End a model call's span: why it finished and its tokens, or the error that ended it. */
export function endChatSpan(chat: TraceSpan, outcome: { finish?: string; input_tokens: number; output_tokens: number; error?: unknown }): void {
  chat.span.setAttributes({ 'gen_ai.usage.input_tokens': outcome.input_tokens, 'gen_ai.usage.output_tokens': outcome.output_tokens });
  if (outcome.finish !== undefined) chat.span.setAttribute('gen_ai.response.finish_reasons', [outcome.finish]);
  if (outcome.error !== undefined) failSpan(chat.span, outcome.error instanceof Error ? outcome.error.name : 'error');
  chat.span.end();
}

/** One tool call's span `execute_tool NAME`, a child of the run's. */
export function startToolSpan(parent: Context | undefined, tool: string, callId: string, iteration: number): TraceSpan {
  return start(
    `execute_tool ${tool}`,
    SpanKind.INTERNAL,
    { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': tool, 'gen_ai.tool.call.id': callId, 'caxton.tool.iteration': iteration },
    parent,
  );
}

/** Run `fn` with `ctx` active, so the spans it starts (a sub-run's) are children of `ctx`'s span. */
export function withSpan<T>(ctx: Context, fn: () => Promise<T>): Promise<T> {
  return context.with(ctx, fn);
}

/** Mark `span` failed with the error's type `type` (`error.type`, e.g. `timeout`); messages stay out, they may quote user data. */
export function failSpan(span: Span, type: string): void {
  span.setAttribute('error.type', type);
  span.setStatus({ code: SpanStatusCode.ERROR, message: type });
}
