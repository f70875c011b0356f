/**
 * The `scripted` provider (SPEC §7): replays a queue of replies, one per chat request, for runtime
 * and agent tests without a network. A reply can stream text, ask for tool calls, report usage, fail
 * with a DomainError, wait, or hang until cancelled. Every request is recorded so a test can check
 * what the model was sent (history, tool results, offered tools).
 */
import { DomainError } from '../domain/errors.js';
import { sleep } from './retry.js';
import type { ChatRequest, Provider, ProviderEvent, ToolCallRequest } from './types.js';

/** One scripted reply. `text` streams word by word; `tool_calls` arguments are JSON text (or an object, stringified). */
export interface ScriptedReply {
  text?: string;
  tool_calls?: { id?: string; name: string; arguments: string | Record<string, unknown> }[];
  /** Usage reported for this reply (default: 0 in / word count out). */
  usage?: { input_tokens: number; output_tokens: number };
  /** Fail with this error instead of replying (after `delay_ms`). */
  error?: DomainError;
  /** Wait this long (ms) before replying; cancellation ends the wait. */
  delay_ms?: number;
  /** Never reply: wait until the request is cancelled. */
  hang?: boolean;
  /** finish_reason to report (default: `tool_calls` when there are tool calls, else `stop`). */
  finish_reason?: string;
}

/** A reply, or a function of the request that returns one (e.g. to echo or to branch on tool results). */
export type ScriptStep = ScriptedReply | ((req: ChatRequest) => ScriptedReply);

/** A scripted provider plus its controls. */
export interface ScriptedProvider extends Provider {
  /** Append replies to the queue (FIFO, one per chat request). */
  push(...steps: ScriptStep[]): void;
  /** Every request received, in order (messages copied at the time of the call). */
  readonly requests: ChatRequest[];
  /** Replies still queued. */
  remaining(): number;
}

/**
 * What happens when the queue is empty: `echo` the last user message, fail (to catch unexpected
 * calls), or `loop`: start again from the first of the initial `steps` (the ares.toml default).
 */
export interface ScriptedOptions {
  whenEmpty?: 'echo' | 'error' | 'loop';
  /** Keep every request in `requests` (default true; the daemon turns it off so memory stays flat). */
  record?: boolean;
}

let seq = 0;

/** Create a scripted provider serving `steps` in order. */
export function createScriptedProvider(name: string, steps: readonly ScriptStep[] = [], opts: ScriptedOptions = {}): ScriptedProvider {
  const queue: ScriptStep[] = [...steps];
  const requests: ChatRequest[] = [];
  const whenEmpty = opts.whenEmpty ?? 'echo';

  const next = (req: ChatRequest): ScriptedReply => {
    if (queue.length === 0 && whenEmpty === 'loop' && steps.length > 0) queue.push(...steps);
    const step = queue.shift();
    if (step) return typeof step === 'function' ? step(req) : step;
    if (whenEmpty !== 'echo') throw new DomainError('PROVIDER_ERROR', `scripted provider ${name} has no reply left`);
    const last = [...req.messages].reverse().find((m) => m.role === 'user');
    return { text: `echo: ${last?.content ?? ''}` };
  };

  return {
    name,
    type: 'scripted',
    requests,
    push: (...more) => void queue.push(...more),
    remaining: () => queue.length,
    async *chat(req: ChatRequest, signal?: AbortSignal): AsyncIterable<ProviderEvent> {
      if (opts.record !== false) requests.push({ ...req, messages: req.messages.map((m) => ({ ...m })) });
      const reply = next(req);
      if (reply.hang) {
        await new Promise((_, reject) => {
          if (signal?.aborted) reject(signal.reason);
          signal?.addEventListener('abort', () => reject(signal.reason ?? new Error('aborted')), { once: true });
        });
      }
      if (reply.delay_ms) await sleep(reply.delay_ms, signal);
      if (reply.error) throw reply.error;
      const text = reply.text ?? '';
      for (const part of text.match(/\s*\S+\s*/g) ?? []) yield { type: 'text_delta', text: part };
      yield { type: 'usage', ...(reply.usage ?? { input_tokens: 0, output_tokens: text.split(/\s+/).filter(Boolean).length }) };
      const calls: ToolCallRequest[] = (reply.tool_calls ?? []).map((c) => ({
        id: c.id ?? `call_s${++seq}`,
        type: 'function',
        function: { name: c.name, arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments) },
      }));
      for (const call of calls) yield { type: 'tool_call', call };
      yield { type: 'finish', reason: reply.finish_reason ?? (calls.length ? 'tool_calls' : 'stop') };
    },
  };
}
