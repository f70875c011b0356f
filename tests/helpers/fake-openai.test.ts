/**
 * Tests for the fake OpenAI server, driven by the official `openai` SDK.
 */
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeOpenAI } from './fake-openai.js';
import type { FakeOpenAI } from './fake-openai.js';

describe('fake OpenAI server', () => {
  let fake: FakeOpenAI;
  let client: OpenAI;

  beforeEach(async () => {
    fake = await startFakeOpenAI();
    client = new OpenAI({ baseURL: fake.url, apiKey: 'test', maxRetries: 0 });
  });

  afterEach(async () => {
    await fake.close();
  });

  it('serves a plain completion (default echo reply)', async () => {
    const res = await client.chat.completions.create({
      model: 'my-model',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hello there world' },
      ],
    });
    expect(res.object).toBe('chat.completion');
    expect(res.id).toMatch(/^chatcmpl-\d+$/);
    expect(res.model).toBe('my-model');
    expect(res.choices[0]?.message.role).toBe('assistant');
    expect(res.choices[0]?.message.content).toBe('echo: hello there world');
    expect(res.choices[0]?.finish_reason).toBe('stop');
    expect(res.usage).toEqual({ prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 });
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]?.path).toBe('/v1/chat/completions');
    expect(fake.requests[0]?.body.model).toBe('my-model');
    expect(fake.requests[0]?.headers.authorization).toBe('Bearer test');
  });

  it('serves queued replies in order, then the default', async () => {
    fake.enqueue({ content: 'first' }, { content: 'second', usage: { prompt_tokens: 7, completion_tokens: 3 } });
    const msgs = [{ role: 'user' as const, content: 'x' }];
    const a = await client.chat.completions.create({ model: 'm', messages: msgs });
    const b = await client.chat.completions.create({ model: 'm', messages: msgs });
    const c = await client.chat.completions.create({ model: 'm', messages: msgs });
    expect(a.choices[0]?.message.content).toBe('first');
    expect(b.choices[0]?.message.content).toBe('second');
    expect(b.usage).toEqual({ prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 });
    expect(c.choices[0]?.message.content).toBe('echo: x');
    fake.setDefault({ content: 'fixed' });
    const d = await client.chat.completions.create({ model: 'm', messages: msgs });
    expect(d.choices[0]?.message.content).toBe('fixed');
  });

  it('streams text that reassembles to the content, with usage when requested', async () => {
    const content = 'The quick  brown fox jumps over the lazy dog.';
    fake.enqueue({ content });
    const stream = await client.chat.completions.create({
      model: 'stream-model',
      messages: [{ role: 'user', content: 'tell me' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let contentChunks = 0;
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined | null;
    let first = true;
    for await (const chunk of stream) {
      expect(chunk.object).toBe('chat.completion.chunk');
      expect(chunk.model).toBe('stream-model');
      if (first) {
        expect(chunk.choices[0]?.delta).toEqual({ role: 'assistant', content: '' });
        first = false;
      }
      const choice = chunk.choices[0];
      if (choice?.delta.content) {
        text += choice.delta.content;
        contentChunks++;
      }
      if (choice?.finish_reason) finish = choice.finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(content);
    expect(contentChunks).toBeGreaterThan(1);
    expect(finish).toBe('stop');
    expect(usage).toEqual({ prompt_tokens: 2, completion_tokens: 9, total_tokens: 11 });
  });

  it('streams tool calls whose arguments reassemble to valid JSON', async () => {
    const args = JSON.stringify({ city: 'Paris', units: 'metric', days: [1, 2, 3] });
    fake.enqueue({
      tool_calls: [
        { id: 'call_abc', name: 'get_weather', arguments: args },
        { name: 'noop', arguments: '{}' },
      ],
    });
    const stream = await client.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'weather?' }],
      stream: true,
    });
    const calls: { id?: string; name: string; arguments: string }[] = [];
    let finish: string | null = null;
    let argChunks = 0;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      for (const tc of choice?.delta.tool_calls ?? []) {
        const slot = (calls[tc.index] ??= { name: '', arguments: '' });
        if (tc.id) slot.id = tc.id;
        if (tc.function?.name) slot.name += tc.function.name;
        if (tc.function?.arguments) {
          slot.arguments += tc.function.arguments;
          if (tc.index === 0) argChunks++;
        }
      }
      if (choice?.finish_reason) finish = choice.finish_reason;
    }
    expect(finish).toBe('tool_calls');
    expect(calls).toHaveLength(2);
    expect(calls[0]?.id).toBe('call_abc');
    expect(calls[0]?.name).toBe('get_weather');
    expect(argChunks).toBe(2);
    expect(JSON.parse(calls[0]!.arguments)).toEqual({ city: 'Paris', units: 'metric', days: [1, 2, 3] });
    expect(calls[1]?.name).toBe('noop');
    expect(calls[1]?.id).toBeTruthy();
    expect(JSON.parse(calls[1]!.arguments)).toEqual({});
  });

  it('returns non-stream tool calls with content null', async () => {
    fake.enqueue({ tool_calls: [{ name: 'f', arguments: '{"a":1}' }] });
    const res = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'go' }] });
    const msg = res.choices[0]?.message;
    expect(res.choices[0]?.finish_reason).toBe('tool_calls');
    expect(msg?.content).toBeNull();
    const tc = msg?.tool_calls?.[0];
    expect(tc?.type).toBe('function');
    if (tc?.type !== 'function') throw new Error('expected function tool call');
    expect(tc.function.name).toBe('f');
    expect(JSON.parse(tc.function.arguments)).toEqual({ a: 1 });
  });

  it('retries a 429 with Retry-After and then succeeds', async () => {
    fake.enqueue({ status: 429, retry_after: 0.05 }, { content: 'after retry' });
    const retrying = new OpenAI({ baseURL: fake.url, apiKey: 'test', maxRetries: 2 });
    const res = await retrying.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
    expect(res.choices[0]?.message.content).toBe('after retry');
    expect(fake.requests).toHaveLength(2);
  });

  it('surfaces a 500 as an APIError with status 500', async () => {
    fake.enqueue({ status: 500 });
    const err = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(500);
    expect((err as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({ type: 'server_error' });
  });

  it('rejects when the client aborts during a delay', async () => {
    fake.enqueue({ delay_ms: 5000 });
    const ac = new AbortController();
    const started = Date.now();
    const p = client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'slow' }] }, { signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await expect(p).rejects.toBeInstanceOf(OpenAI.APIUserAbortError);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('sends raw bodies as-is (malformed JSON makes the SDK throw)', async () => {
    fake.enqueue({ raw_body: '{"id": "broken' });
    await expect(client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] })).rejects.toThrow();
  });

  it('lists models and 404s unknown paths', async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['fake-model']);
    const res = await fetch(`${fake.url}/nope`);
    expect(res.status).toBe(404);
    const body = (await res.json()) as { error: { message: string; type: string } };
    expect(body.error.type).toBe('invalid_request_error');
  });

  it('with apiKey, answers any other key with 401 and the right one as usual', async () => {
    const keyed = await startFakeOpenAI({ apiKey: 'the-right-key' });
    try {
      const wrong = new OpenAI({ baseURL: keyed.url, apiKey: 'a-wrong-key', maxRetries: 0 });
      await expect(wrong.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
      const right = new OpenAI({ baseURL: keyed.url, apiKey: 'the-right-key', maxRetries: 0 });
      expect((await right.models.list()).data.map((m) => m.id)).toEqual(['fake-model']);
    } finally {
      await keyed.close();
    }
  });

  it('paces streamed chunks with chunk_delay_ms', async () => {
    fake.enqueue({ content: 'a b c', chunk_delay_ms: 20 });
    const started = Date.now();
    const stream = await client.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('a b c');
    // 6 frames (role, 3 words, finish, [DONE]) -> 5 gaps of 20ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
  });
});
