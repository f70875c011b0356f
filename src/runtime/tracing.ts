/**
 * The run's OpenTelemetry spans (STORY-021 traces), written against `@opentelemetry/api` only: with
 * no tracer provider registered (telemetry off, the default) nothing of the SDK is loaded and no span
 * is made: each `start*` returns `UNTRACED` (a shared no-op span in its parent's context) without
 * building a name or attributes, and the `end*` functions return at once, so an untraced run pays for
 * one lookup of the global provider per span; the daemon registers one when `[telemetry] otlp_endpoint`
 * is set (src/daemon/telemetry.ts).
 * Spans follow the OpenTelemetry GenAI semantic conventions: `invoke_agent NAME` (the run, a child of
 * the active span, the HTTP request's or a calling tool's) -> `chat MODEL` (one model call) and
 * `execute_tool NAME` (one tool call; a sub-run it starts is its child). Attributes carry names,
 * ids, counts and reasons only: never message contents, tool arguments or results, keys or emails.
 */
import { context, INVALID_SPAN_CONTEXT, ProxyTracerProvider, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import type { ExecutionRecord } from '../store/types.js';

/** The instrumentation scope name of every span the daemon makes. */
export const TRACER_NAME = 'caxton';

/**
 * The tracer of the registered tracer provider, or undefined when none is registered. The API's
 * global provider is then a `ProxyTracerProvider` without a delegate, whose tracers make only
 * no-op spans; a provider registered later (or again, after `trace.disable()`) is seen at the next span.
 */
function tracer(): Tracer | undefined {
  const provider = trace.getTracerProvider();
  return provider instanceof ProxyTracerProvider ? provider.getDelegateTracer(TRACER_NAME) : provider.getTracer(TRACER_NAME);
}

/** A started span and the context its children are made in. */
export interface TraceSpan {
  span: Span;
  ctx: Context;
}

/** The no-op span of every span started while no tracer provider is registered. */
const NO_SPAN = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/** What a `start*` function returns without a tracer provider: the no-op span, children made in `parent` (the active context when absent). */
function untraced(parent: Context = context.active()): TraceSpan {
  return { span: NO_SPAN, ctx: parent };
}

/** Start `name` with `tracer` as a child of `parent` (the active context when absent). */
function start(tracer: Tracer, name: string, kind: SpanKind, attributes: Record<string, string | number>, parent: Context = context.active()): TraceSpan {
  const span = tracer.startSpan(name, { kind, attributes }, parent);
  return { span, ctx: trace.setSpan(parent, span) };
}

/** The run's span `invoke_agent AGENT`: the agent's name, the execution id and the run's source tier. */
export function startRunSpan(agent: string, executionId: string, source: string): TraceSpan {
  const t = tracer();
  if (!t) return untraced();
  return start(t, `invoke_agent ${agent}`, SpanKind.INTERNAL, {
    'gen_ai.operation.name': 'invoke_agent',
    'gen_ai.agent.name': agent,
    'caxton.execution_id': executionId,
    'caxton.source': source,
  });
}

/** End the run's span with its final row (status, finish reason, tokens); without a row the run was refused or never admitted. */
export function endRunSpan(run: TraceSpan, row: ExecutionRecord | undefined): void {
  if (run.span === NO_SPAN) return;
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
  const t = tracer();
  if (!t) return untraced(parent);
  return start(
    t,
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

/**
 * End a model call's span: its tokens, and why it finished (`finish`) or the error that ended it
 * (`error`); undefined when there is none.
 */
export function endChatSpan(chat: TraceSpan, tokens: { input_tokens: number; output_tokens: number }, finish: string | undefined, error: unknown): void {
  if (chat.span === NO_SPAN) return;
  chat.span.setAttributes({ 'gen_ai.usage.input_tokens': tokens.input_tokens, 'gen_ai.usage.output_tokens': tokens.output_tokens });
  if (finish !== undefined) chat.span.setAttribute('gen_ai.response.finish_reasons', [finish]);
  if (error !== undefined) failSpan(chat.span, error instanceof Error ? error.name : 'error');
  chat.span.end();
}

/** One tool call's span `execute_tool NAME`, a child of the run's. */
export function startToolSpan(parent: Context | undefined, tool: string, callId: string, iteration: number): TraceSpan {
  const t = tracer();
  if (!t) return untraced(parent);
  return start(
    t,
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
