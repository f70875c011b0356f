/**
 * Why a run ended (SPEC §7: every run ends in a stated state): the closed set of `finish_reason`s
 * found on every execution row, run response, SSE `done` event and `/v1` response, and how each maps
 * to OpenAI's `finish_reason` values on `/v1/chat/completions` (docs/finish-reasons.md).
 */
import { DomainError, type ErrorDetail } from './errors.js';

/**
 * Every finish reason, in the order of docs/finish-reasons.md:
 * - `stop`: the model finished its answer;
 * - `tool_calls`: the model called a tool the client holds (a client-side tool of `/v1`): the client runs it
 *   and continues the run by sending its result;
 * - `length`: the model's `max_tokens`, or the run's `max_tokens_per_run`, cut the answer short;
 * - `content_filter`: the provider withheld (part of) the answer;
 * - `max_iterations`: the agent's `max_tool_iterations` or `max_tool_calls_per_run` was reached;
 * - `budget_exceeded`: a spending budget refused the next model call;
 * - `rate_limited`: the provider kept refusing the model call with HTTP 429;
 * - `loop_detected`: the model asked for the same tool with the same arguments `repeat_tool_call_limit` times;
 * - `timeout`: the run reached `max_run_seconds`, or the provider did not answer in time;
 * - `cancelled`: the client went away or the daemon shut down;
 * - `error`: the run failed, including a model reply that was empty or printed a tool call as text;
 * - `awaiting_approval`: reserved for runs paused until a person approves a tool call.
 */
export const FINISH_REASONS = [
  'stop',
  'tool_calls',
  'length',
  'content_filter',
  'max_iterations',
  'budget_exceeded',
  'rate_limited',
  'loop_detected',
  'timeout',
  'cancelled',
  'error',
  'awaiting_approval',
] as const;

/** One of `FINISH_REASONS`. */
export type FinishReason = (typeof FINISH_REASONS)[number];

/** The values OpenAI's Chat Completions API uses for `choices[].finish_reason`. */
export type OpenAiFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

/**
 * The closest OpenAI value of `reason` (the `/v1` response also carries the reason itself in the
 * extension field `caxton_finish_reason`): limits that cut the answer short (`length`,
 * `max_iterations`, `budget_exceeded`, `loop_detected`, `timeout`) are `length`; `content_filter` and
 * `tool_calls` are themselves; every other reason is `stop`.
 */
export function openAiFinishReason(reason: FinishReason): OpenAiFinishReason {
  switch (reason) {
    case 'length':
    case 'max_iterations':
    case 'budget_exceeded':
    case 'loop_detected':
    case 'timeout':
      return 'length';
    case 'content_filter':
      return 'content_filter';
    case 'tool_calls':
      return 'tool_calls';
    default:
      return 'stop';
  }
}

/** The finish reason of a model's own `finish_reason`: `length` and `content_filter` as they are, anything else `stop`. */
export function modelFinishReason(raw: string): FinishReason {
  return raw === 'length' || raw === 'content_filter' ? raw : 'stop';
}

/** The detail a provider's HTTP 429 failure carries (after its retries), so the run ends as `rate_limited`. */
export const PROVIDER_RATE_LIMITED: ErrorDetail = {
  field: 'provider',
  message: 'rate limited (HTTP 429)',
  hint: 'wait and try again, lower the request rate, or raise max_retries',
};

/** True when `err` is a provider failure of HTTP 429 (it carries `PROVIDER_RATE_LIMITED`). */
export function isProviderRateLimited(err: unknown): boolean {
  return err instanceof DomainError && err.details.some((d) => d.field === PROVIDER_RATE_LIMITED.field && d.message === PROVIDER_RATE_LIMITED.message);
}
