/**
 * What one run request sets over its model file and its agent, for that run only (the per-request
 * parameters of `/v1/chat/completions`, parsed by src/api/openai-params.ts):
 * - `sampling` goes over the model entity's sampling settings (`samplingOf`): a field the request
 *   sets wins, the others keep the model file's value; the next run without it gets the model
 *   file's values again. Its `max_tokens` is also what the run's budget reservations
 *   (src/runtime/budgets.ts) and the history trimming reserve for the reply;
 * - `response_format` and `user` go to the provider on every model call of the run;
 * - `parallel_subagents` replaces the agent's `parallel_subagents` (a workflow's setting for its
 *   agents' runs, src/api/workflow-run.ts; `agentWith`);
 * - `parallel_tool_calls` replaces the agent's `parallel_tools`, and `tool_choice` is sent with the
 *   agent's tools. A choice that forces a call (`required`, or a named function) holds for the
 *   run's first model call only: once tools have run, the model is asked with `auto`, so it can
 *   answer instead of calling tools until `max_tool_iterations`. A named function the agent is not
 *   offered, or `required` for an agent offered no tools, is the caller's mistake (BAD_REQUEST
 *   naming `tool_choice`, before the run starts: no execution row);
 * - `checkReply` accepts or rejects the final reply of a run that the model ended itself
 *   (`finish_reason` `stop`): a rejected reply fails the run (PROVIDER_ERROR, the row says why).
 * A run without overrides builds nothing here: the model's cached sampling object is sent as it is.
 */
import type { Agent, Model } from '../domain/entities.js';
import { DomainError } from '../domain/errors.js';
import type { FinishReason } from '../domain/finish-reasons.js';
import type { ChatRequest, ResponseFormat, Sampling, ToolChoice, ToolSpec } from '../llm/types.js';

/** Per-run settings over the model file and the agent (module comment). */
export interface RunOverrides {
  sampling?: Sampling;
  response_format?: ResponseFormat;
  user?: string;
  tool_choice?: ToolChoice;
  parallel_tool_calls?: boolean;
  parallel_subagents?: boolean;
  /** The final reply's acceptance check: why `reply` is not acceptable, in words, or undefined when it is. */
  checkReply?: (reply: string) => string | undefined;
}

/** The run's agent with the request's `parallel_subagents` over its own (the same object when that changes nothing). */
export function agentWith(agent: Agent, overrides: RunOverrides | undefined): Agent {
  const parallel = overrides?.parallel_subagents;
  return parallel === undefined || parallel === (agent.parallel_subagents ?? false) ? agent : { ...agent, parallel_subagents: parallel };
}

/** The reply's token bound of a run: the request's `max_tokens`, else the model file's (undefined: neither sets one). */
export function replyTokens(model: Model, overrides: RunOverrides | undefined): number | undefined {
  return overrides?.sampling?.max_tokens ?? model.max_tokens;
}

/** `sampling` over the model's `base` (the same object when the request sets none). */
export function samplingWith(base: Sampling, overrides: RunOverrides | undefined): Sampling {
  return overrides?.sampling ? { ...base, ...overrides.sampling } : base;
}

const toolChoiceError = (message: string) => new DomainError('BAD_REQUEST', message, [{ field: 'tool_choice', message }]);

/**
 * The tool fields of the first request: `specs` (the tools offered, if any) with the request's
 * `parallel_tool_calls` (else the agent's `parallelTools`) and `tool_choice`.
 * @throws DomainError BAD_REQUEST naming `tool_choice` when it names a tool not offered, or is
 *   `required` with no tools offered.
 */
export function toolFields(specs: ToolSpec[] | undefined, parallelTools: boolean, overrides: RunOverrides | undefined): Partial<ChatRequest> {
  const choice = overrides?.tool_choice;
  if (typeof choice === 'object' && !specs?.some((s) => s.name === choice.function.name)) {
    const offered = specs?.map((s) => s.name).join(', ');
    throw toolChoiceError(
      `tool_choice names ${choice.function.name}, which this agent is not offered (${offered ? `offered: ${offered}` : 'it has no tools'})`,
    );
  }
  if (choice === 'required' && !specs) throw toolChoiceError('tool_choice is required, but this agent is offered no tools');
  if (!specs) return {};
  return { tools: specs, parallel_tool_calls: overrides?.parallel_tool_calls ?? parallelTools, ...(choice !== undefined ? { tool_choice: choice } : {}) };
}

/**
 * `overrides` as a paused run keeps them for its resumption (src/domain/approvals.ts
 * `PausedRequest`): plain JSON without the reply check, and a `tool_choice` that forced a call
 * relaxed to `auto` (the paused run's first model call was made), or undefined when nothing is left.
 */
export function pausedOverrides(overrides: RunOverrides | undefined): Record<string, unknown> | undefined {
  if (!overrides) return undefined;
  const { checkReply: _check, tool_choice: choice, ...rest } = overrides;
  const kept: Record<string, unknown> = { ...rest, ...(choice === undefined ? {} : { tool_choice: choice === 'none' ? 'none' : 'auto' }) };
  return Object.keys(kept).length ? kept : undefined;
}

/** After a tool round: a `tool_choice` that forced a call becomes `auto` (module comment). */
export function relaxToolChoice(request: ChatRequest): void {
  if (request.tool_choice !== undefined && request.tool_choice !== 'none' && request.tool_choice !== 'auto') request.tool_choice = 'auto';
}

/**
 * Check the final reply of a run the model ended with `finish` (module comment).
 * @throws DomainError PROVIDER_ERROR saying why the reply was rejected.
 */
export function checkFinalReply(overrides: RunOverrides | undefined, reply: string, finish: FinishReason): void {
  const check = overrides?.checkReply;
  if (!check || finish !== 'stop') return;
  const problem = check(reply);
  if (problem !== undefined) throw new DomainError('PROVIDER_ERROR', `the model's reply does not match the requested response_format: ${problem}`);
}
