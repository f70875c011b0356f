/**
 * One model step of a run (SPEC §7): stream one provider call, passing its text and the run's
 * cumulative usage on as events, and collect the tool calls it asks for and why it finished.
 */
import type { ChatRequest, Provider, ToolCallRequest } from '../llm/types.js';
import type { RunEvent } from './events.js';
import type { RunObserver } from './observer.js';
import type { RunRecord } from './run-record.js';
import { endChatSpan, startChatSpan } from './tracing.js';

/** The explicit last words of a run that reached its tool-iteration limit (SPEC §7: never a silent stop). */
export function maxIterationsMessage(limit: number): string {
  return (
    `[stopped] I reached this agent's limit of ${limit} tool iteration${limit === 1 ? '' : 's'} ` +
    '(max_tool_iterations) before finishing, so this answer may be incomplete. ' +
    'Ask me to continue, or raise max_tool_iterations for this agent.'
  );
}

/** What one model step said: its text, the tools it asks for, and why it finished. */
export interface StepResult {
  text: string;
  calls: ToolCallRequest[];
  finish: string;
}

/**
 * Where a call's text goes: `reply` (a step of the run's answer: appended to the run's reply and
 * streamed as `text_delta` events) or `aside` (a call the run makes for itself, such as a
 * conversation summary: the text is only returned). Either way its usage counts in the run's.
 */
export type StepText = 'reply' | 'aside';

/**
 * Stream one provider call, passing text (unless `text` is `aside`) and cumulative usage on; a
 * step's text is set apart from earlier text. The request's duration and outcome go to `observer`
 * (the offline provider makes no request), the call is traced as a `chat MODEL` span under the
 * run's (src/runtime/tracing.ts), and recorded in the run trace when the run keeps one
 * (src/runtime/run-trace.ts).
 */
export async function* modelStep(
  provider: Provider,
  request: ChatRequest,
  rec: RunRecord,
  signal: AbortSignal,
  observer?: RunObserver,
  text: StepText = 'reply',
): AsyncGenerator<RunEvent, StepResult> {
  const chat = startChatSpan(rec.trace?.ctx, { providerType: provider.type, providerName: provider.name, model: request.model });
  const inputBefore = rec.usage.input_tokens;
  const outputBefore = rec.usage.output_tokens;
  const started = performance.now();
  // Left as `cancelled` when the consumer stops iterating (the client went away).
  let outcome: 'ok' | 'error' | 'cancelled' = 'cancelled';
  const step: StepResult = { text: '', calls: [], finish: 'stop' };
  let error: unknown;
  try {
    // The provider's events are handled here, not in a nested generator: each layer of `yield*`
    // costs every event of every message another await.
    for await (const ev of provider.chat(request, signal)) {
      if (ev.type === 'text_delta' && text === 'aside') step.text += ev.text;
      else if (ev.type === 'text_delta') {
        const sep = step.text === '' ? separator(rec.reply) : '';
        if (sep) yield { type: 'text_delta', text: sep };
        step.text += ev.text;
        rec.reply += sep + ev.text;
        yield ev;
      } else if (ev.type === 'usage') {
        rec.usage.input_tokens += ev.input_tokens;
        rec.usage.output_tokens += ev.output_tokens;
        yield { type: 'usage', ...rec.usage };
      } else if (ev.type === 'tool_call') step.calls.push(ev.call);
      else step.finish = ev.reason;
    }
    outcome = 'ok';
    return step;
  } catch (err) {
    if (!signal.aborted) outcome = 'error';
    error = err;
    throw err;
  } finally {
    const tokens = { input_tokens: rec.usage.input_tokens - inputBefore, output_tokens: rec.usage.output_tokens - outputBefore };
    const ended = outcome === 'ok' ? step : undefined;
    endChatSpan(chat, tokens, ended?.finish, error);
    if (rec.runTrace) rec.runTrace.modelCall(request, performance.now() - started, tokens, ended, outcome);
    if (observer && provider.type !== 'offline') {
      observer.providerRequest({ provider: provider.name, model: request.model, outcome, duration_ms: performance.now() - started });
    }
  }
}

/** What goes between earlier reply text and more: a blank line unless it already ends in white space. */
export function separator(reply: string): string {
  return reply !== '' && !/\s$/.test(reply) ? '\n\n' : '';
}
