/**
 * Run guards (SPEC §7: every run ends in a stated state): the per-run limits `max_run_seconds`,
 * `max_tokens_per_run` and `max_tool_calls_per_run` (the agent's value, else `[runtime]`), loop
 * detection (the same tool with the same arguments `repeat_tool_call_limit` times in one run), and
 * the check of a model's final reply: an empty reply, or one that prints a tool call as text instead
 * of calling the tool (a known failure of small local models), is a stated error, never a successful
 * empty answer. Each guard that trips gives a `StatedEnd`: the finish reason, the row's status and the
 * final message the run ends with (docs/finish-reasons.md).
 */
import type { Agent } from '../domain/entities.js';
import type { FinishReason } from '../domain/finish-reasons.js';
import type { ToolCallRequest } from '../llm/types.js';
import type { Usage } from './events.js';

/** How a run ends when a guard trips: `message` is the run's last words (and its row's error unless `status` is `success`). */
export interface StatedEnd {
  finishReason: FinishReason;
  status: 'success' | 'error' | 'timeout';
  message: string;
}

/** The limits of one run. Undefined: no limit. Milliseconds, tokens (input + output, all calls), tool calls. */
export interface PerRunLimits {
  maxRunMs?: number;
  maxTokens?: number;
  maxToolCalls?: number;
  /** Identical tool calls (same tool, same arguments) that end the run as `loop_detected` (at least 2). */
  repeatLimit: number;
}

/** The `[runtime]` defaults of the per-run limits (seconds, tokens, tool calls; absent: none). */
export interface RunLimitDefaults {
  maxRunSeconds?: number;
  maxTokensPerRun?: number;
  maxToolCallsPerRun?: number;
  repeatToolCallLimit: number;
}

/** The limits of a run of `agent`: its own `max_run_seconds`, `max_tokens_per_run`, `max_tool_calls_per_run`, else the defaults. */
export function perRunLimitsOf(agent: Agent, defaults: RunLimitDefaults): PerRunLimits {
  const seconds = agent.max_run_seconds ?? defaults.maxRunSeconds;
  return {
    maxRunMs: seconds !== undefined ? seconds * 1000 : undefined,
    maxTokens: agent.max_tokens_per_run ?? defaults.maxTokensPerRun,
    maxToolCalls: agent.max_tool_calls_per_run ?? defaults.maxToolCallsPerRun,
    repeatLimit: defaults.repeatToolCallLimit,
  };
}

/** The end of a run that reached `max_run_seconds` (`seconds`). */
export function timeoutEnd(seconds: number): StatedEnd {
  return {
    finishReason: 'timeout',
    status: 'timeout',
    message:
      `[stopped] This run reached its time limit of ${seconds} s (max_run_seconds) before finishing, so this answer may be incomplete. ` +
      'Ask me to continue, or raise max_run_seconds for this agent.',
  };
}

/** Markup some models print instead of calling a tool (Hermes/Qwen `<tool_call>`, `<function_call>`, `<|tool_call|>`). */
const TOOL_CALL_MARKUP = /<\|?(tool_call|function_call|tool_calls)\|?>/i;
/** A reply that is only a JSON value, optionally in a Markdown code fence. */
const FENCED = /^```(?:json)?\s*([\s\S]*?)\s*```$/;

/** True when `value` looks like a tool call: an object with a string `name` and `arguments` or `parameters`, or a list of them. */
function isCallShape(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0 && value.every(isCallShape);
  if (typeof value !== 'object' || value === null) return false;
  const o = value as Record<string, unknown>;
  const fn = typeof o['function'] === 'object' && o['function'] !== null ? (o['function'] as Record<string, unknown>) : o;
  return typeof fn['name'] === 'string' && ('arguments' in fn || 'parameters' in fn);
}

/** True when `text` is a tool call written as text: tool-call markup, or nothing but a JSON tool call. */
export function looksLikeToolCallText(text: string): boolean {
  if (TOOL_CALL_MARKUP.test(text)) return true;
  const trimmed = text.trim();
  const body = FENCED.exec(trimmed)?.[1] ?? trimmed;
  if (!body.startsWith('{') && !body.startsWith('[')) return false;
  try {
    return isCallShape(JSON.parse(body));
  } catch {
    return false;
  }
}

/** Tool arguments in a canonical form (JSON with sorted keys; the text itself when it is not JSON). */
function canonicalArguments(text: string): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sort)
      : typeof v === 'object' && v !== null
        ? Object.fromEntries(
            Object.entries(v)
              .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
              .map(([k, x]) => [k, sort(x)]),
          )
        : v;
  try {
    return JSON.stringify(sort(JSON.parse(text)));
  } catch {
    return text;
  }
}

/** One run's guards: they count its tool calls as it goes. */
export class RunGuards {
  private readonly seen = new Map<string, number>();
  private toolCalls = 0;

  constructor(private readonly limits: PerRunLimits) {}

  /**
   * The stated end of a final reply (no tool calls) that is not an answer: empty (unless the provider
   * withheld it: `content_filter`), or a tool call printed as text while tools were offered. Undefined for an answer.
   */
  checkReply(text: string, finish: string, toolsOffered: boolean): StatedEnd | undefined {
    if (text.trim() === '' && finish !== 'content_filter') {
      const why =
        finish === 'length'
          ? 'The model used up its max_tokens without writing an answer (reasoning models can): raise max_tokens of the model.'
          : 'Try again, or check the model with `caxton doctor`.';
      return { finishReason: 'error', status: 'error', message: `[error] The model returned an empty reply, so there is no answer. ${why}` };
    }
    if (toolsOffered && looksLikeToolCallText(text)) {
      return {
        finishReason: 'error',
        status: 'error',
        message:
          '[error] The model wrote a tool call as text instead of calling the tool, so the tool did not run. ' +
          'This model (or its chat template or context window, e.g. Ollama num_ctx) does not support tool calling well: ' +
          'use a model with tool support or a larger context window.',
      };
    }
    return undefined;
  }

  /**
   * The stated end before the tool `calls` a model asks for run, or undefined when they may run
   * (they are then counted): a call repeated `repeatLimit` times, more tool calls than
   * `maxToolCalls`, or `usage` at or over `maxTokens`.
   */
  checkTools(calls: readonly ToolCallRequest[], usage: Usage): StatedEnd | undefined {
    const { maxTokens, maxToolCalls, repeatLimit } = this.limits;
    const counts = calls.map((c) => {
      const key = `${c.function.name}\u0000${canonicalArguments(c.function.arguments)}`;
      const n = (this.seen.get(key) ?? 0) + 1;
      this.seen.set(key, n);
      return { name: c.function.name, n };
    });
    const loop = counts.find((c) => c.n >= repeatLimit);
    if (loop) {
      return {
        finishReason: 'loop_detected',
        status: 'success',
        message:
          `[stopped] I asked for ${loop.name} with the same arguments ${loop.n} times in this run, so I stopped to avoid a loop ` +
          '(repeat_tool_call_limit). Rephrase the request or check what the tool returns.',
      };
    }
    if (maxToolCalls !== undefined && this.toolCalls + calls.length > maxToolCalls) {
      return {
        finishReason: 'max_iterations',
        status: 'success',
        message:
          `[stopped] I reached this run's limit of ${maxToolCalls} tool call${maxToolCalls === 1 ? '' : 's'} (max_tool_calls_per_run) ` +
          'before finishing, so this answer may be incomplete. Ask me to continue, or raise max_tool_calls_per_run for this agent.',
      };
    }
    const used = usage.input_tokens + usage.output_tokens;
    if (maxTokens !== undefined && used >= maxTokens) {
      return {
        finishReason: 'length',
        status: 'success',
        message:
          `[stopped] This run used ${used} tokens, reaching its limit of ${maxTokens} (max_tokens_per_run) before finishing, ` +
          'so this answer may be incomplete. Ask me to continue, or raise max_tokens_per_run for this agent.',
      };
    }
    this.toolCalls += calls.length;
    return undefined;
  }
}
