/**
 * The openai provider through the official SDK against the fake OpenAI server over real HTTP:
 * streamed text and tool calls, retries on 429 (Retry-After honoured) and 5xx, a malformed
 * response, a server that hangs (headers or mid-stream), an unknown model, a rejected key and an
 * unreachable server — each ending in an error message a user can act on, never with the key in it.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isDomainError } from '../../src/domain/errors.js';
import { createOpenAIProvider, type OpenAIProviderOptions, type RetryInfo } from '../../src/llm/openai.js';
import type { ChatRequest, ProviderEvent } from '../../src/llm/types.js';
import { closedPort } from '../helpers/cli.js';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';

let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.requests.length = 0;
});

const req: ChatRequest = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello there' }] };

function provider(over: Partial<OpenAIProviderOptions> = {}, retries: RetryInfo[] = []) {
  return createOpenAIProvider({
    name: 'openai',
    type: 'openai',
    baseURL: fake.url,
    apiKey: 'sk-secretsecretsecret',
    apiKeyEnv: 'OPENAI_API_KEY',
    timeoutMs: 5_000,
    maxRetries: 2,
    onRetry: (i) => retries.push(i),
    ...over,
  });
}

async function drain(events: AsyncIterable<ProviderEvent>): Promise<ProviderEvent[]> {
  const out: ProviderEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

async function failure(events: AsyncIterable<ProviderEvent>): Promise<{ code: string; message: string }> {
  try {
    await drain(events);
  } catch (err) {
    if (isDomainError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected the request to fail');
}

describe('openai provider (official SDK, fake server over HTTP)', { timeout: 20_000 }, () => {
  it('streams text and usage, and assembles streamed tool calls', async () => {
    const text = await drain(provider().chat(req));
    expect(
      text
        .filter((e) => e.type === 'text_delta')
        .map((e) => (e as { text: string }).text)
        .join(''),
    ).toBe('echo: hello there');
    expect(text.at(-1)).toEqual({ type: 'finish', reason: 'stop' });
    expect(text.find((e) => e.type === 'usage')).toMatchObject({ input_tokens: 2 });

    fake.enqueue({
      tool_calls: [
        { id: 't1', name: 'calculator', arguments: '{"expression":"6*7"}' },
        { id: 't2', name: 'current_time', arguments: '{}' },
      ],
    });
    const tools = await drain(provider().chat({ ...req, tools: [{ name: 'calculator', parameters: { type: 'object' } }], parallel_tool_calls: true }));
    expect(tools.filter((e) => e.type === 'tool_call')).toEqual([
      { type: 'tool_call', call: { id: 't1', type: 'function', function: { name: 'calculator', arguments: '{"expression":"6*7"}' } } },
      { type: 'tool_call', call: { id: 't2', type: 'function', function: { name: 'current_time', arguments: '{}' } } },
    ]);
    expect(tools.at(-1)).toEqual({ type: 'finish', reason: 'tool_calls' });
    expect(fake.requests.at(-1)!.body).toMatchObject({
      stream: true,
      parallel_tool_calls: true,
      tools: [{ type: 'function', function: { name: 'calculator' } }],
    });
  });

  it('retries 429 twice, waiting what Retry-After asks, then succeeds', async () => {
    fake.enqueue({ status: 429, retry_after: 1 }, { status: 429, retry_after: 1 }, { content: 'finally' });
    const retries: RetryInfo[] = [];
    const t0 = Date.now();
    const events = await drain(provider({}, retries).chat(req));
    expect(
      events
        .filter((e) => e.type === 'text_delta')
        .map((e) => (e as { text: string }).text)
        .join(''),
    ).toBe('finally');
    expect(fake.requests).toHaveLength(3);
    expect(retries).toEqual([
      { provider: 'openai', model: req.model, attempt: 1, delayMs: 1000, status: 429, fromRetryAfter: true },
      { provider: 'openai', model: req.model, attempt: 2, delayMs: 1000, status: 429, fromRetryAfter: true },
    ]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2000); // it really waited
  });

  it('retries a 500 with backoff and then reports it', async () => {
    fake.enqueue({ status: 500 }, { status: 500 }, { status: 500 });
    const retries: RetryInfo[] = [];
    const err = await failure(provider({ retry: { baseDelayMs: 10 } }, retries).chat(req));
    expect(err).toEqual({ code: 'PROVIDER_ERROR', message: 'provider openai (HTTP 500): Fake error (HTTP 500)' });
    expect(fake.requests).toHaveLength(3);
    expect(retries.map((r) => [r.status, r.fromRetryAfter])).toEqual([
      [500, false],
      [500, false],
    ]);
  });

  it('refuses to wait for a Retry-After beyond the limit and says when to retry', async () => {
    fake.enqueue({ status: 429, retry_after: 3600 });
    const err = await failure(provider().chat(req));
    expect(err.message).toMatch(/asks to retry after 3600 s \(HTTP 429\)/);
    expect(fake.requests).toHaveLength(1);
  });

  it('reports a malformed response instead of an empty reply', async () => {
    fake.enqueue({ raw_body: '{"choices": [ this is not json' });
    const err = await failure(provider({ maxRetries: 0 }).chat(req));
    expect(err.code).toBe('PROVIDER_ERROR');
    expect(err.message).toMatch(/malformed response/);
  });

  it('times out a server that never answers, without retrying forever', async () => {
    fake.enqueue({ delay_ms: 10_000 });
    const err = await failure(provider({ timeoutMs: 300, maxRetries: 2 }).chat(req));
    expect(err).toEqual({ code: 'TIMEOUT', message: 'provider openai: no response within 300 ms' });
    expect(fake.requests).toHaveLength(1);
  });

  it('times out a stream that stalls after it started', async () => {
    fake.enqueue({ content: 'one two three four', chunk_delay_ms: 2_000 });
    const err = await failure(provider({ timeoutMs: 300 }).chat(req));
    expect(err.code).toBe('TIMEOUT');
  });

  it('says the model is unknown, the key is rejected (without quoting it), or the server is unreachable', async () => {
    fake.enqueue({ status: 404 });
    expect((await failure(provider().chat(req))).message).toMatch(/unknown model "gpt-4o-mini" \(HTTP 404\)/);
    fake.enqueue({ status: 401 });
    const denied = await failure(provider().chat(req));
    expect(denied.message).toBe('provider openai rejected the API key (HTTP 401): check OPENAI_API_KEY');
    const port = await closedPort();
    const down = await failure(provider({ baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 1, retry: { baseDelayMs: 10 } }).chat(req));
    expect(down.message).toMatch(new RegExp(`cannot reach http://127.0.0.1:${port}/v1 \\(ECONNREFUSED\\)`));
    for (const m of [denied.message, down.message]) expect(m).not.toContain('secret');
  });

  it("sends the sampling settings as they are, the reply's bound under the name the provider type expects, and leaves out what is unset", async () => {
    const format = { type: 'json_schema' as const, json_schema: { name: 'answer', schema: { type: 'object' }, strict: true } };
    await drain(provider().chat({ ...req, sampling: { temperature: 0.2, max_tokens: 64, seed: 3, stop: ['END'] }, response_format: format, user: 'u1' }));
    const body = fake.requests.at(-1)!.body as Record<string, unknown>;
    expect(body).toMatchObject({ temperature: 0.2, max_completion_tokens: 64, seed: 3, stop: ['END'], response_format: format, user: 'u1' });
    for (const key of ['max_tokens', 'top_p', 'tool_choice']) expect(body).not.toHaveProperty(key);

    await drain(provider({ type: 'openai-compatible' }).chat({ ...req, sampling: { max_tokens: 64 }, tool_choice: 'required' }));
    const compatible = fake.requests.at(-1)!.body as Record<string, unknown>;
    expect(compatible).toMatchObject({ max_tokens: 64 });
    // No tools offered: no tool_choice either.
    for (const key of ['max_completion_tokens', 'tool_choice', 'response_format', 'user']) expect(compatible).not.toHaveProperty(key);
  });

  it('says so when base_url answers with a redirect', async () => {
    const server = createServer((_req, res) => res.writeHead(307, { location: `${fake.url}/chat/completions` }).end());
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
      const moved = await failure(provider({ baseURL: url, maxRetries: 0 }).chat(req));
      expect(moved).toEqual({
        code: 'PROVIDER_ERROR',
        message: `provider openai: ${url} answered with a redirect; set base_url in ares.toml to the address it redirects to`,
      });
    } finally {
      server.close();
    }
  });

  it('stops the HTTP request when the caller aborts', async () => {
    fake.enqueue({ delay_ms: 10_000 });
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('client left')), 100);
    await expect(drain(provider().chat(req, ac.signal))).rejects.toThrow(/client left/);
  });
});
