/**
 * What the runtime tells monitoring (STORY-022 per-agent metrics) as plain calls, so the runtime
 * imports no metrics library: src/api/metrics.ts implements it with prom-client and the daemon
 * passes it in (`RuntimeDeps.observer`). Every call is synchronous, cheap, and must not throw.
 */
import type { BudgetRefusal } from '../domain/budgets.js';
import type { ExecutionRecord } from '../store/types.js';

/** One tool call as monitoring sees it; `tool` is `(unknown)` for a name the agent was not offered. Duration in ms. */
export interface ObservedToolCall {
  tool: string;
  status: 'ok' | 'error' | 'timeout';
  duration_ms: number;
}

/** One provider request (a model step: the whole streamed response, retries included). Duration in ms. */
export interface ObservedProviderRequest {
  /** The `[providers.NAME]` that served it. */
  provider: string;
  /** The model id sent to the provider (e.g. `gpt-4o-mini`). */
  model: string;
  /** `ok`, `error` (the request failed after any retries), or `cancelled` (the run was cancelled meanwhile). */
  outcome: 'ok' | 'error' | 'cancelled';
  duration_ms: number;
}

/** Where the runtime reports runs, tool calls and provider requests. */
export interface RunObserver {
  /**
   * A run ended: `row` is its final execution row (agent, source, status, finish_reason, model alias,
   * tokens, cost in USD, duration in ms) and `tools` its tool calls. Called once per run that wrote
   * a row; a request refused as the caller's mistake (unknown conversation) is no run.
   */
  runEnded(row: ExecutionRecord, tools: readonly ObservedToolCall[]): void;
  /** A run of `agent` (`source` tier) was refused before any work because its queue or the total queue is full. */
  runRefused(agent: string, source: string): void;
  /** A provider request ended (not reported for the offline provider, which makes none). */
  providerRequest(request: ObservedProviderRequest): void;
  /** A budget refused a model call of a run of `agent`: before the run started (429) or mid-run (`budget_exceeded`). */
  budgetRefused(agent: string, refusal: BudgetRefusal): void;
}
