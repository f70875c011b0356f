/**
 * Tool dispatch (SPEC §7 tools): runs the tool calls of one model step through the Toolbox, in
 * parallel when the agent has `parallel_tools`, or `parallel_subagents` and every call is a sub-agent
 * call (src/runtime/sub-agents.ts; results yielded as they finish), else one after
 * another, each bounded by its tool's timeout (the Toolbox enforces it). Every outcome becomes a
 * result the model sees: invalid JSON arguments, unknown tools, failures and timeouts included.
 * Results are scrubbed of secret values and cut to `maxToolResultChars` characters before the model,
 * the events or the store see them; the recorded copy is cut further, to 2,000 characters.
 */
import type { Context } from '@opentelemetry/api';
import type { Agent } from '../domain/entities.js';
import type { Log } from '../domain/log.js';
import type { AgentRow } from '../domain/memory-scope.js';
import type { ToolCallRequest } from '../llm/types.js';
import type { Toolbox } from '../tools/toolbox.js';
import type { ToolResultEvent } from './events.js';
import type { ToolCallRecord } from './run-record.js';
import { isDelegationTool, type Delegate } from './sub-agents.js';
import { failSpan, startToolSpan, withSpan } from './tracing.js';

/** What dispatch needs from the runtime. */
export interface ToolDispatchDeps {
  toolbox?: Toolbox;
  /** Removes configured secret values from a result. */
  scrub: (text: string) => string;
  /** Results longer than this (characters) are cut. */
  maxToolResultChars: number;
}

/** Who calls: the agent, the user, the conversation (or run) tools see, and how to stop them. */
export interface ToolCaller {
  agent: Agent;
  userId: string;
  conversationId: string;
  agentRow?: AgentRow;
  signal: AbortSignal;
  /** The run's logger: each call is logged (`tool call`: tool, iteration, is_error, timed_out, duration_ms). */
  log: Log;
  /** Runs the agent's sub-agent tools (src/runtime/sub-agents.ts); absent when it lists none. */
  delegate?: Delegate;
}

interface Outcome {
  result: ToolResultEvent;
  record: ToolCallRecord;
}

const RECORDED_RESULT_CHARS = 2_000;

/**
 * Run `calls` (tool round `iteration`, from 1), yielding each result as it is ready and appending
 * each record to `records` in the order the calls finish. Returns the results in call order. Each
 * call is traced as an `execute_tool NAME` span under `trace` (the run's span context).
 */
export async function* dispatchTools(
  deps: ToolDispatchDeps,
  caller: ToolCaller,
  calls: readonly ToolCallRequest[],
  iteration: number,
  records: ToolCallRecord[],
  trace?: Context,
): AsyncGenerator<ToolResultEvent, ToolResultEvent[]> {
  const results: ToolResultEvent[] = new Array(calls.length);
  const runOne = (call: ToolCallRequest, i: number) =>
    runTool(deps, caller, call, iteration, trace).then(({ result, record }) => {
      records.push(record);
      results[i] = result;
      return i;
    });
  const { agent } = caller;
  const parallel = agent.parallel_tools || (agent.parallel_subagents && calls.every((c) => isDelegationTool(c.function.name)));
  if (parallel && calls.length > 1) {
    const inflight = new Map(calls.map((c, i) => [i, runOne(c, i)] as const));
    while (inflight.size) {
      const i = await Promise.race(inflight.values());
      inflight.delete(i);
      yield results[i]!;
    }
  } else {
    for (let i = 0; i < calls.length; i++) yield results[await runOne(calls[i]!, i)]!;
  }
  return results;
}

/** One call's content, error flag and timeout flag, before scrubbing and truncation. */
async function callTool(deps: ToolDispatchDeps, caller: ToolCaller, call: ToolCallRequest): Promise<{ content: string; isError: boolean; timedOut: boolean }> {
  const name = call.function.name;
  let args: unknown;
  try {
    args = call.function.arguments.trim() === '' ? {} : JSON.parse(call.function.arguments);
  } catch (err) {
    return {
      content: `error: the arguments of ${name} are not valid JSON (${(err as Error).message}); call it again with a JSON object`,
      isError: true,
      timedOut: false,
    };
  }
  const delegated = await caller.delegate?.(name, args, caller.signal);
  if (delegated) return { ...delegated, timedOut: false };
  if (!deps.toolbox) return { content: `error: there is no tool named ${name}`, isError: true, timedOut: false };
  try {
    const { agent, delegate: _delegate, ...ctx } = caller;
    const r = await deps.toolbox.call(agent, name, args, { agentName: agent.name, ...ctx });
    return { content: r.content, isError: r.isError === true, timedOut: r.timedOut === true };
  } catch (err) {
    return { content: `error: tool ${name} failed: ${(err as Error)?.message ?? String(err)}`, isError: true, timedOut: false };
  }
}

/** Run one call (in its span, so a sub-run it starts is the span's child) and shape its result event and its record. */
async function runTool(deps: ToolDispatchDeps, caller: ToolCaller, call: ToolCallRequest, iteration: number, trace: Context | undefined): Promise<Outcome> {
  const t0 = Date.now();
  const tool = startToolSpan(trace, call.function.name, call.id, iteration);
  const out = await withSpan(tool.ctx, () => callTool(deps, caller, call));
  if (out.isError) failSpan(tool.span, out.timedOut ? 'timeout' : 'tool_error');
  tool.span.end();
  let content = deps.scrub(out.content);
  if (content.length > deps.maxToolResultChars) {
    content = `${content.slice(0, deps.maxToolResultChars)}\n[truncated: the result was ${content.length} characters]`;
  }
  const name = call.function.name;
  const result: ToolResultEvent = { type: 'tool_result', id: call.id, name, result: content, is_error: out.isError };
  const record: ToolCallRecord = {
    id: call.id,
    name,
    arguments: call.function.arguments,
    result: content.length > RECORDED_RESULT_CHARS ? `${content.slice(0, RECORDED_RESULT_CHARS)}…` : content,
    is_error: out.isError,
    ...(out.timedOut ? { timed_out: true } : {}),
    duration_ms: Date.now() - t0,
    iteration,
  };
  caller.log.info({ tool: name, iteration, is_error: out.isError, ...(out.timedOut ? { timed_out: true } : {}), duration_ms: record.duration_ms }, 'tool call');
  return { result, record };
}
