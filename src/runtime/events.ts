/**
 * Typed events of one agent run (ARCHITECTURE "The runtime emits typed events"). SSE, the CLI stream
 * and the OpenAI-compatible stream are thin serializers of these. Tokens are counts; cost in USD;
 * durations in ms.
 */
import type { PendingCall } from '../domain/approvals.js';
import type { ErrorCode, ErrorDetail } from '../domain/errors.js';
import type { FinishReason } from '../domain/finish-reasons.js';
import type { ToolCallRequest } from '../llm/types.js';

/** Token usage of a run so far. */
export interface Usage {
  input_tokens: number;
  output_tokens: number;
}

/** Emitted once, first: ids a client needs before any text arrives. */
export interface StartEvent {
  type: 'start';
  /** The conversation the run continues or started; `''` for a stateless run (RunRequest.history: nothing stored). */
  conversation_id: string;
  execution_id: string;
  agent: string;
  /** Model alias and the provider serving it (`offline` for the offline demo provider, whose reply is canned). */
  model: string;
  provider: string;
}

/** A piece of the assistant's reply. */
export interface TextDeltaEvent {
  type: 'text_delta';
  text: string;
}

/** The model asked for a tool. `arguments` is the JSON text it wrote. */
export interface ToolCallEvent {
  type: 'tool_call';
  id: string;
  name: string;
  arguments: string;
}

/** A tool's result (or error text) as returned to the model. */
export interface ToolResultEvent {
  type: 'tool_result';
  id: string;
  name: string;
  result: string;
  is_error: boolean;
}

/**
 * The run paused before tool calls that need a person's approval (an agent's `approval[]`,
 * src/runtime/approvals.ts): `POST /api/executions/{execution_id}/approve` or `/reject` resumes it.
 * Followed by the `done` event (finish reason `awaiting_approval`, with the same `approval`).
 */
export interface ApprovalRequiredEvent extends PendingApprovalInfo {
  type: 'approval_required';
}

/** What waits for approval: the execution, the held calls, and when they are rejected unless decided (ms since epoch). */
export interface PendingApprovalInfo {
  execution_id: string;
  calls: PendingCall[];
  expires_at: number;
}

/** Cumulative usage after a provider call. */
export interface UsageEvent extends Usage {
  type: 'usage';
}

/**
 * The run ended in a stated state; `reply` is the full assistant text, ending with the run's final
 * message when a limit or guard stopped it (src/runtime/run-guards.ts).
 */
export interface DoneEvent {
  type: 'done';
  reply: string;
  /** Why the run ended: one of the closed set in src/domain/finish-reasons.ts (docs/finish-reasons.md). */
  finish_reason: FinishReason;
  /** Present when the run ended as a stated failure (`finish_reason` `error` or `timeout`): what went wrong. */
  error?: string;
  /** With `finish_reason` `tool_calls`: the calls of the client's own tools, for the client to run (src/runtime/client-tools.ts). */
  tool_calls?: ToolCallRequest[];
  /** With `finish_reason` `awaiting_approval`: the calls waiting for a decision (ApprovalRequiredEvent). */
  approval?: PendingApprovalInfo;
  /** As in StartEvent: `''` for a stateless run. */
  conversation_id: string;
  execution_id: string;
  usage: Usage;
  cost_usd: number;
  duration_ms: number;
}

/** The run failed; nothing after it. `code` is a DomainError code (`CANCELLED` for a cancelled run). */
export interface ErrorEvent {
  type: 'error';
  code: ErrorCode;
  message: string;
  conversation_id?: string;
  execution_id?: string;
  /** When the same request may succeed (seconds): set on busy and budget refusals, sent as `Retry-After`. */
  retry_after_secs?: number;
  /** What was refused, e.g. the budget (`field`: `SCOPE.LIMIT_KEY`), sent as the error's details. */
  details?: ErrorDetail[];
}

export type RunEvent = StartEvent | TextDeltaEvent | ToolCallEvent | ToolResultEvent | UsageEvent | ApprovalRequiredEvent | DoneEvent | ErrorEvent;
