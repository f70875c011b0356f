/**
 * The `openai` provider: the official `openai` SDK against OpenAI or any OpenAI-compatible server
 * (Ollama, LocalAI, vLLM, LM Studio) selected by `base_url` (SPEC §7, STORY-042/043). Always streams,
 * asks for usage in the stream, and passes the AbortSignal through so a cancelled run stops the HTTP
 * request. The SDK retries 429/5xx itself (honouring Retry-After) up to `max_retries`. The SDK is
 * imported on first use: it is the largest module of the daemon (~70 ms to load) and a daemon whose
 * models are all offline never needs it.
 */
import type OpenAI from 'openai';
import { DomainError } from '../domain/errors.js';
import type { ChatRequest, Provider, ProviderEvent, ToolCallRequest } from './types.js';

/** Connection settings for one OpenAI-compatible endpoint. Timeout in ms. */
export interface OpenAIProviderOptions {
  name: string;
  type: 'openai' | 'openai-compatible';
  baseURL?: string;
  /** The key itself (never logged). OpenAI-compatible servers that need none get a placeholder. */
  apiKey?: string;
  timeoutMs: number;
  maxRetries: number;
}

type Sdk = typeof import('openai');
let sdk: Promise<Sdk> | undefined;
const loadSdk = (): Promise<Sdk> => (sdk ??= import('openai'));

/** Turn an SDK error into a DomainError whose message names the provider and never includes the key. */
function toDomainError(OpenAI: Sdk['default'], name: string, baseURL: string | undefined, err: unknown): DomainError {
  if (err instanceof OpenAI.APIConnectionTimeoutError) {
    return new DomainError('TIMEOUT', `provider ${name}: request timed out`);
  }
  if (err instanceof OpenAI.APIConnectionError) {
    return new DomainError('PROVIDER_ERROR', `provider ${name}: cannot reach ${baseURL ?? 'the server'}`);
  }
  if (err instanceof OpenAI.APIError) {
    const status = err.status ? ` (HTTP ${err.status})` : '';
    const raw = (err.error as { message?: string } | undefined)?.message ?? err.message;
    const msg = raw.replace(/sk-[A-Za-z0-9_-]{6,}/g, 'sk-***');
    return new DomainError('PROVIDER_ERROR', `provider ${name}${status}: ${msg}`);
  }
  if (err instanceof DomainError) return err;
  return new DomainError('PROVIDER_ERROR', `provider ${name}: ${(err as Error).message ?? String(err)}`);
}

/** Create a provider backed by the official SDK. The client (and its connection pool) is built once, on first use. */
export function createOpenAIProvider(opts: OpenAIProviderOptions): Provider {
  let client: OpenAI | undefined;
  return {
    name: opts.name,
    type: opts.type,
    async *chat(req: ChatRequest, signal?: AbortSignal): AsyncIterable<ProviderEvent> {
      const body: OpenAI.Chat.ChatCompletionCreateParamsStreaming = {
        model: req.model,
        messages: req.messages as OpenAI.Chat.ChatCompletionMessageParam[],
        stream: true,
        stream_options: { include_usage: true },
      };
      if (req.tools?.length) {
        body.tools = req.tools.map((t) => ({
          type: 'function' as const,
          function: { name: t.name, ...(t.description ? { description: t.description } : {}), parameters: t.parameters },
        }));
      }
      if (req.temperature !== undefined) body.temperature = req.temperature;
      if (req.max_tokens !== undefined) body.max_tokens = req.max_tokens;
      if (req.top_p !== undefined) body.top_p = req.top_p;
      if (req.frequency_penalty !== undefined) body.frequency_penalty = req.frequency_penalty;
      if (req.presence_penalty !== undefined) body.presence_penalty = req.presence_penalty;

      const calls = new Map<number, ToolCallRequest>();
      let finish: string | undefined;
      const { default: OpenAISdk } = await loadSdk();
      client ??= new OpenAISdk({
        apiKey: opts.apiKey ?? 'not-needed',
        ...(opts.baseURL ? { baseURL: opts.baseURL } : {}),
        timeout: opts.timeoutMs,
        maxRetries: opts.maxRetries,
      });
      try {
        const stream = await client.chat.completions.create(body, signal ? { signal } : {});
        for await (const chunk of stream) {
          if (chunk.usage) {
            yield { type: 'usage', input_tokens: chunk.usage.prompt_tokens, output_tokens: chunk.usage.completion_tokens };
          }
          const choice = chunk.choices[0];
          if (!choice) continue;
          const delta = choice.delta;
          if (delta?.content) yield { type: 'text_delta', text: delta.content };
          for (const tc of delta?.tool_calls ?? []) {
            let call = calls.get(tc.index);
            if (!call) {
              call = { id: tc.id ?? `call_${tc.index}`, type: 'function', function: { name: '', arguments: '' } };
              calls.set(tc.index, call);
            }
            if (tc.id) call.id = tc.id;
            if (tc.function?.name) call.function.name += tc.function.name;
            if (tc.function?.arguments) call.function.arguments += tc.function.arguments;
          }
          if (choice.finish_reason) finish = choice.finish_reason;
        }
      } catch (err) {
        if (signal?.aborted) throw err;
        throw toDomainError(OpenAISdk, opts.name, opts.baseURL, err);
      }
      for (const call of calls.values()) yield { type: 'tool_call', call };
      yield { type: 'finish', reason: finish ?? 'stop' };
    },
  };
}
