/**
 * The `openai` provider: the official `openai` SDK against OpenAI or any OpenAI-compatible server
 * (Ollama, LocalAI, vLLM, LM Studio) selected by `base_url` (SPEC §7, STORY-042/043). Always streams,
 * asks for usage in the stream, and passes cancellation through so a cancelled run stops the HTTP
 * request.
 *
 * Reliability: 429, 408, 409, 5xx and connection failures are retried up to `maxRetries`
 * times with exponential backoff, waiting what the server's `Retry-After` asks (src/llm/retry.ts);
 * a request is retried only while nothing has been streamed from it. `timeoutMs` bounds the wait for
 * the response headers AND every gap between two streamed chunks, so a server that hangs mid-stream
 * ends in a TIMEOUT error instead of a stuck run. Failures become DomainErrors that say what to do:
 * a rejected key (never quoted, and the key's value scrubbed from any server text), an unreachable server, an unknown model, a malformed response.
 *
 * The SDK is imported on first use: it is the largest module of the daemon (~70 ms to load) and a
 * daemon whose models are all offline never needs it.
 */
import type OpenAI from 'openai';
import { DomainError } from '../domain/errors.js';
import { PROVIDER_RATE_LIMITED } from '../domain/finish-reasons.js';
import { SecretScrubber } from '../domain/secrets.js';
import { backoffMs, DEFAULT_RETRY_POLICY, isRetriableStatus, retryAfterMs, sleep, type RetryPolicy } from './retry.js';
import type { ChatRequest, Provider, ProviderEvent, ToolCallRequest } from './types.js';

/** One retry about to happen (for logs and tests). `delayMs` is the wait before the next attempt. */
export interface RetryInfo {
  provider: string;
  /** The model id the request asked for (e.g. `gpt-4o-mini`). */
  model: string;
  /** 1 for the first retry. */
  attempt: number;
  delayMs: number;
  /** HTTP status that caused it, absent for connection failures. */
  status?: number;
  /** True when `delayMs` came from the server's Retry-After. */
  fromRetryAfter: boolean;
}

/** Connection settings for one OpenAI-compatible endpoint. Times in ms. */
export interface OpenAIProviderOptions {
  name: string;
  type: 'openai' | 'openai-compatible';
  baseURL?: string;
  /** The key itself (never logged). OpenAI-compatible servers that need none get a placeholder. */
  apiKey?: string;
  /** Bound on the wait for response headers and on each gap between streamed chunks (ms). */
  timeoutMs: number;
  /** Retries after the first attempt (0 = none). */
  maxRetries: number;
  /** Backoff overrides (ms). */
  retry?: Partial<RetryPolicy>;
  /** Called before each retry's wait. */
  onRetry?: (info: RetryInfo) => void;
  /** Name of the env var holding the key, used in messages about a rejected key. */
  apiKeyEnv?: string;
}

type Sdk = typeof import('openai');
let sdk: Promise<Sdk> | undefined;
const loadSdk = (): Promise<Sdk> => (sdk ??= import('openai'));

/** Why a connection failed, from the cause chain (ECONNREFUSED, ENOTFOUND, ...). */
function causeCode(err: unknown): string | undefined {
  let e = err as { cause?: unknown; code?: unknown } | undefined;
  for (let i = 0; e && i < 5; i++) {
    if (typeof e.code === 'string' && /^E[A-Z_]+$/.test(e.code)) return e.code;
    e = e.cause as typeof e;
  }
  return undefined;
}

/** The innermost message of an error's cause chain. */
function causeMessage(err: unknown): string | undefined {
  let e = err as { cause?: unknown; message?: unknown } | undefined;
  for (let i = 0; e?.cause && i < 5; i++) e = e.cause as typeof e;
  return typeof e?.message === 'string' ? e.message : undefined;
}

/** The TIMEOUT of a provider that sent nothing for `timeoutMs`. */
function timeoutError(opts: OpenAIProviderOptions): DomainError {
  return new DomainError('TIMEOUT', `provider ${opts.name}: no response within ${opts.timeoutMs} ms`);
}

/**
 * Turn an SDK error into a DomainError whose message names the provider, says what to do and never
 * includes the key: `redact` removes the provider's own key by value (servers that echo the
 * Authorization header in their error text included).
 */
function toDomainError(OpenAISdk: Sdk['default'], opts: OpenAIProviderOptions, model: string, err: unknown, redact: (s: string) => string): DomainError {
  const name = opts.name;
  if (err instanceof DomainError) return err;
  if (err instanceof OpenAISdk.APIConnectionTimeoutError) return timeoutError(opts);
  if (err instanceof OpenAISdk.APIConnectionError) {
    if (causeMessage(err) === 'unexpected redirect') {
      return new DomainError(
        'PROVIDER_ERROR',
        `provider ${name}: ${opts.baseURL ?? 'the server'} answered with a redirect; set base_url in ares.toml to the address it redirects to`,
      );
    }
    const code = causeCode(err);
    return new DomainError(
      'PROVIDER_ERROR',
      `provider ${name}: cannot reach ${opts.baseURL ?? 'the server'}${code ? ` (${code})` : ''}; is the server running and is base_url in ares.toml right?`,
    );
  }
  if (err instanceof OpenAISdk.APIError) {
    const status = err.status;
    const raw = redact((err.error as { message?: string } | undefined)?.message ?? err.message);
    if (status === 401 || status === 403) {
      const env = opts.apiKeyEnv ? ` ${opts.apiKeyEnv}` : ' the API key';
      return new DomainError('PROVIDER_ERROR', `provider ${name} rejected the API key (HTTP ${status}): check${env}`);
    }
    if (status === 404 || err.code === 'model_not_found') {
      return new DomainError(
        'PROVIDER_ERROR',
        `provider ${name}: unknown model "${model}" (HTTP ${status ?? 404}); fix \`model\` in the model entity or pull the model (e.g. \`ollama pull ${model}\`)`,
      );
    }
    if (status === 429) {
      return new DomainError('PROVIDER_ERROR', `provider ${name} is rate limiting requests (HTTP 429): ${raw}`, [PROVIDER_RATE_LIMITED]);
    }
    const tag = status ? ` (HTTP ${status})` : '';
    return new DomainError('PROVIDER_ERROR', `provider ${name}${tag}: ${raw}`);
  }
  if (err instanceof SyntaxError) {
    return new DomainError('PROVIDER_ERROR', `provider ${name}: malformed response (not valid JSON): ${err.message}`);
  }
  return new DomainError('PROVIDER_ERROR', `provider ${name}: ${redact((err as Error)?.message ?? String(err))}`);
}

/**
 * Fetch options of every request: with no window and redirects refused, fetch sends the request as
 * it is instead of first cloning it (and teeing its body) to be able to replay it on a redirect
 * (Fetch standard, HTTP-network-or-cache fetch). A provider endpoint that answers with a redirect is
 * reported as such (see `toDomainError`).
 */
const DIRECT_FETCH = { redirect: 'error', window: null } as const;

/**
 * Build the SDK request body once per call (no per-chunk work). The reply's bound goes as OpenAI's
 * `max_completion_tokens` to `type = "openai"` (its `max_tokens` is deprecated and refused by
 * reasoning models) and as `max_tokens` to `openai-compatible` servers (what Ollama, vLLM, LM Studio
 * and LocalAI read). `tool_choice` and `parallel_tool_calls` are sent only with tools.
 */
function requestBody(req: ChatRequest, type: OpenAIProviderOptions['type']): OpenAI.Chat.ChatCompletionCreateParamsStreaming {
  const body: OpenAI.Chat.ChatCompletionCreateParamsStreaming = {
    model: req.model,
    messages: req.messages as OpenAI.Chat.ChatCompletionMessageParam[],
    stream: true,
    stream_options: { include_usage: true },
    ...req.sampling,
  };
  if (type === 'openai' && body.max_tokens != null) {
    body.max_completion_tokens = body.max_tokens;
    body.max_tokens = undefined; // left out of the JSON (a `delete` would turn the body into a slow dictionary object)
  }
  if (req.response_format) body.response_format = req.response_format as OpenAI.Chat.ChatCompletionCreateParams['response_format'];
  if (req.user !== undefined) body.user = req.user;
  if (req.tools?.length) {
    body.tools = req.tools.map((t) => ({
      type: 'function' as const,
      function: { name: t.name, ...(t.description ? { description: t.description } : {}), parameters: t.parameters },
    }));
    if (req.parallel_tool_calls !== undefined) body.parallel_tool_calls = req.parallel_tool_calls;
    if (req.tool_choice !== undefined) body.tool_choice = req.tool_choice;
  }
  return body;
}

/** The SDK client of a provider: built once, on first use; retries are ours (see the header comment). */
function newClient(OpenAISdk: Sdk['default'], opts: OpenAIProviderOptions): OpenAI {
  return new OpenAISdk({
    apiKey: opts.apiKey ?? 'not-needed',
    ...(opts.baseURL ? { baseURL: opts.baseURL } : {}),
    timeout: opts.timeoutMs,
    maxRetries: 0,
    logLevel: 'off',
    fetchOptions: DIRECT_FETCH,
  });
}

/**
 * The bound on every pause of one streamed response. The SDK bounds the wait for headers (`timeout`);
 * one timer per request (not one per chunk) bounds the rest: when it fires it checks `last` (ms since
 * epoch, set on every chunk) and either aborts the SDK's own stream controller, setting `timedOut`, or
 * sleeps for the time left.
 */
class IdleWatch {
  last = Date.now();
  timedOut = false;
  private timer: NodeJS.Timeout;

  constructor(
    private readonly timeoutMs: number,
    private readonly controller: AbortController,
  ) {
    this.timer = setTimeout(IdleWatch.check, timeoutMs, this);
  }

  /** The timer's callback (static, given the watch as argument: no closure per request). */
  private static check(watch: IdleWatch): void {
    const idle = Date.now() - watch.last;
    if (idle < watch.timeoutMs) {
      watch.timer = setTimeout(IdleWatch.check, watch.timeoutMs - idle, watch);
      return;
    }
    watch.timedOut = true;
    watch.controller.abort();
  }

  /** Stop watching (the stream ended or failed). */
  stop(): void {
    clearTimeout(this.timer);
  }
}

/** Fold one chunk's tool-call deltas into `calls` (by index): the id when given, name and arguments appended. */
function addToolCallDeltas(calls: Map<number, ToolCallRequest>, deltas: OpenAI.Chat.ChatCompletionChunk.Choice.Delta.ToolCall[]): void {
  for (const tc of deltas) {
    let call = calls.get(tc.index);
    if (!call) {
      call = { id: tc.id ?? `call_${tc.index}`, type: 'function', function: { name: '', arguments: '' } };
      calls.set(tc.index, call);
    }
    if (tc.id) call.id = tc.id;
    if (tc.function?.name) call.function.name += tc.function.name;
    if (tc.function?.arguments) call.function.arguments += tc.function.arguments;
  }
}

/**
 * Check a stream that ended without an error: the SDK ends a stream quietly when it is aborted, so a
 * cancellation or an idle timeout must not look like a reply, nor may a stream without a single chunk.
 * @throws the signal's reason (cancelled), DomainError TIMEOUT, PROVIDER_ERROR (no chunks).
 */
function checkStreamEnd(opts: OpenAIProviderOptions, signal: AbortSignal | undefined, timedOut: boolean, chunks: number): void {
  if (signal?.aborted) throw signal.reason ?? new Error('aborted');
  if (timedOut) throw timeoutError(opts);
  if (chunks === 0) {
    throw new DomainError(
      'PROVIDER_ERROR',
      `provider ${opts.name}: malformed response (no chat.completion.chunk events in the stream); is base_url an OpenAI-compatible /v1 endpoint?`,
    );
  }
}

/**
 * The wait (ms) before retrying attempt `attempt` (0-based) that failed with `err`, after reporting it
 * to `opts.onRetry`; undefined when `err` is not retried (no retries left, or neither a retriable
 * status nor a connection failure). The server's Retry-After is waited when given.
 * @throws DomainError PROVIDER_ERROR when Retry-After asks for more than `policy.maxRetryAfterMs`.
 */
function retryDelay(
  OpenAISdk: Sdk['default'],
  opts: OpenAIProviderOptions,
  policy: RetryPolicy,
  model: string,
  err: unknown,
  attempt: number,
): number | undefined {
  const status = err instanceof OpenAISdk.APIError ? err.status : undefined;
  const connection = err instanceof OpenAISdk.APIConnectionError && !(err instanceof OpenAISdk.APIConnectionTimeoutError);
  if (attempt >= opts.maxRetries || !(isRetriableStatus(status) || connection)) return undefined;
  const asked = retryAfterMs(err instanceof OpenAISdk.APIError ? err.headers : undefined);
  if (asked !== undefined && asked > policy.maxRetryAfterMs) {
    throw new DomainError(
      'PROVIDER_ERROR',
      `provider ${opts.name} asks to retry after ${Math.ceil(asked / 1000)} s (HTTP ${status}); try again later`,
      status === 429 ? [PROVIDER_RATE_LIMITED] : [],
    );
  }
  const delayMs = asked ?? backoffMs(attempt, policy);
  opts.onRetry?.({
    provider: opts.name,
    model,
    attempt: attempt + 1,
    delayMs,
    ...(status !== undefined ? { status } : {}),
    fromRetryAfter: asked !== undefined,
  });
  return delayMs;
}

/** Create a provider backed by the official SDK. The client (and its connection pool) is built once, on first use. */
export function createOpenAIProvider(opts: OpenAIProviderOptions): Provider {
  let client: OpenAI | undefined;
  const redact = new SecretScrubber([opts.apiKey]).scrub;
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...opts.retry };
  return {
    name: opts.name,
    type: opts.type,
    async *chat(req: ChatRequest, signal?: AbortSignal): AsyncIterable<ProviderEvent> {
      const body = requestBody(req, opts.type);
      const { default: OpenAISdk } = await loadSdk();
      client ??= newClient(OpenAISdk, opts);
      for (let attempt = 0; ; attempt++) {
        if (signal?.aborted) throw signal.reason ?? new Error('aborted');
        let idle: IdleWatch | undefined;
        let streamed = false;
        let chunks = 0;
        const calls = new Map<number, ToolCallRequest>();
        let finish: string | undefined;
        try {
          const stream = await client.chat.completions.create(body, signal ? { signal } : undefined);
          idle = new IdleWatch(opts.timeoutMs, stream.controller);
          for await (const chunk of stream) {
            idle.last = Date.now();
            chunks++;
            if (chunk.usage) {
              streamed = true;
              yield { type: 'usage', input_tokens: chunk.usage.prompt_tokens, output_tokens: chunk.usage.completion_tokens };
            }
            const choice = chunk.choices?.[0];
            if (!choice) continue;
            const delta = choice.delta;
            if (delta?.content) {
              streamed = true;
              yield { type: 'text_delta', text: delta.content };
            }
            if (delta?.tool_calls) addToolCallDeltas(calls, delta.tool_calls);
            if (choice.finish_reason) finish = choice.finish_reason;
          }
          checkStreamEnd(opts, signal, idle.timedOut, chunks);
        } catch (err) {
          if (signal?.aborted) throw signal.reason ?? err;
          if (idle?.timedOut) throw timeoutError(opts);
          const delayMs = streamed ? undefined : retryDelay(OpenAISdk, opts, policy, req.model, err, attempt);
          if (delayMs === undefined) throw toDomainError(OpenAISdk, opts, req.model, err, redact);
          await sleep(delayMs, signal);
          continue;
        } finally {
          idle?.stop();
        }
        for (const call of calls.values()) yield { type: 'tool_call', call };
        yield { type: 'finish', reason: finish ?? 'stop' };
        return;
      }
    },
  };
}
