/**
 * The Chat Completions parameters of `/v1/chat/completions` (src/api/openai-params.ts), driven by the
 * clients people use — the official `openai` client, the Vercel AI SDK and LangChain JS — over real
 * HTTP against the daemon's app, whose agents' model is served by the fake OpenAI server: what
 * reached the provider is read from the fake server's request log.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { createAdaptorServer } from '@hono/node-server';
import { ChatOpenAI } from '@langchain/openai';
import { generateText, Output } from 'ai';
import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';
import { client, makeApp, type TestAppOptions } from './fixture.js';

/** One app served over TCP, with a user, a real `cxk_` key, the official client and an authenticated caller. */
async function serve(fake: FakeOpenAI, opts: TestAppOptions = {}) {
  const t = await makeApp({ authRequired: true, fakeUrl: fake.url, ...opts });
  const server = createAdaptorServer({ fetch: (req, env) => t.app.fetch(req, { ...env, transport: 'tcp' }) }) as Server;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const call = client(t.app);
  await call('POST', '/api/auth/register', { body: { email: 'dev@example.com', password: 'long password' } });
  const token = (await call('POST', '/api/auth/login', { body: { email: 'dev@example.com', password: 'long password' } })).json.access_token as string;
  const apiKey = (await call('POST', '/api/keys', { token })).json.key as string;
  const baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  const sdk = new OpenAI({ apiKey, baseURL, maxRetries: 0 });
  const close = async () => {
    await new Promise((r) => server.close(r));
    await t.close();
  };
  return { t, call, token, apiKey, baseURL, sdk, close };
}

type Served = Awaited<ReturnType<typeof serve>>;

const Weather = z.object({ city: z.string(), celsius: z.number(), tags: z.array(z.string()).nullable() });
const PARIS = { city: 'Paris', celsius: 21, tags: ['sunny'] };

/** The parameter a 400 names: OpenAI's `param`, else Caxton's first detail's `field`. */
function namedParam(err: unknown): string | undefined {
  const e = err as { status?: number; param?: string | null; error?: { details?: { field?: string }[] } };
  expect(e.status).toBe(400);
  return e.param ?? e.error?.details?.[0]?.field;
}

describe('/v1/chat/completions parameters', { timeout: 30_000 }, () => {
  let fake: FakeOpenAI;
  let s: Served;
  const sent = () => fake.requests.at(-1)!.body as Record<string, unknown>;
  const executions = async () =>
    (await s.call('GET', '/api/executions?limit=200', { token: s.token })).json.executions as { status: string; error_message?: string }[];

  beforeAll(async () => {
    fake = await startFakeOpenAI({ default: { content: 'plain text' } });
    s = await serve(fake);
    const agent = (body: object) => s.call('POST', '/api/agents', { token: s.token, body });
    expect((await agent({ name: 'french', model: 'fast', system_prompt: 'Answer in French.' })).status).toBe(201);
    expect((await agent({ name: 'calc', model: 'fast', system_prompt: 'Compute.', tools: ['calculator'], max_tool_iterations: 3 })).status).toBe(201);
  });

  afterAll(async () => {
    await s?.close();
    await fake?.close();
  });

  it('sends each sampling and length parameter to the provider for that request only', async () => {
    await s.sdk.chat.completions.create({
      model: 'french',
      messages: [{ role: 'user', content: 'Hi' }],
      temperature: 1.3,
      top_p: 0.5,
      frequency_penalty: 0.25,
      presence_penalty: -0.5,
      max_tokens: 99,
      max_completion_tokens: 77,
      seed: 42,
      stop: ['END', 'STOP'],
      logit_bias: { '50256': -100 },
      user: 'end-user-7',
      reasoning_effort: 'low',
      verbosity: 'low',
      n: 1,
      logprobs: false,
      response_format: { type: 'text' },
    });
    // max_completion_tokens wins over max_tokens, and the `openai` provider type gets OpenAI's current name for it.
    expect(sent()).toMatchObject({
      temperature: 1.3,
      top_p: 0.5,
      frequency_penalty: 0.25,
      presence_penalty: -0.5,
      max_completion_tokens: 77,
      seed: 42,
      stop: ['END', 'STOP'],
      logit_bias: { '50256': -100 },
      user: 'end-user-7',
      reasoning_effort: 'low',
      verbosity: 'low',
      response_format: { type: 'text' },
    });
    expect(sent()).not.toHaveProperty('max_tokens');

    // The next request without them gets the model file's values (config/models/fast.toon) and nothing else.
    await s.sdk.chat.completions.create({ model: 'french', messages: [{ role: 'user', content: 'Hi again' }], stop: 'STOP' });
    expect(sent()).toMatchObject({ temperature: 0.2, max_completion_tokens: 256, stop: 'STOP' });
    for (const key of ['top_p', 'frequency_penalty', 'presence_penalty', 'seed', 'logit_bias', 'user', 'reasoning_effort', 'response_format', 'tool_choice'])
      expect(sent()).not.toHaveProperty(key);
    await s.sdk.chat.completions.create({ model: 'french', messages: [{ role: 'user', content: 'And again' }] });
    expect(sent()).not.toHaveProperty('stop');
  });

  it("passes tool_choice and parallel_tool_calls with the agent's tools; a forced choice holds for the first call only", async () => {
    fake.enqueue({ tool_calls: [{ name: 'calculator', arguments: '{"expression":"6*7"}' }] }, { content: 'It is 42.' });
    const res = await s.sdk.chat.completions.create({
      model: 'calc',
      messages: [{ role: 'user', content: 'What is 6*7?' }],
      tool_choice: { type: 'function', function: { name: 'calculator' } },
      parallel_tool_calls: true,
    });
    expect(res.choices[0]!.message.content).toBe('It is 42.');
    const [first, second] = fake.requests.slice(-2).map((r) => r.body as Record<string, unknown>);
    expect(first).toMatchObject({ tool_choice: { type: 'function', function: { name: 'calculator' } }, parallel_tool_calls: true });
    expect(second).toMatchObject({ tool_choice: 'auto', parallel_tool_calls: true });

    await s.sdk.chat.completions.create({ model: 'calc', messages: [{ role: 'user', content: 'No tools now' }], tool_choice: 'none' });
    // The agent's own parallel_tools (false by default) applies again, with no tool_choice.
    expect(sent()).toMatchObject({ tool_choice: 'none' });
    await s.sdk.chat.completions.create({ model: 'calc', messages: [{ role: 'user', content: 'Plain' }] });
    expect(sent()).not.toHaveProperty('tool_choice');
    expect(sent().parallel_tool_calls).toBe(false);
  });

  it('refuses out-of-range and unsupported parameters with a 400 naming them, before any run', async () => {
    const chat = await s.call('POST', '/api/agents/calc/chat', { token: s.token, body: { message: 'Start a conversation' } });
    const conversation_id = chat.json.conversation_id as string;
    const before = { provider: fake.requests.length, rows: (await executions()).length };
    const base = { messages: [{ role: 'user' as const, content: 'Hi' }] };
    const cases: [Record<string, unknown>, string][] = [
      [{ model: 'french', temperature: 5 }, 'temperature'],
      [{ model: 'french', top_p: 1.5 }, 'top_p'],
      [{ model: 'french', presence_penalty: -3 }, 'presence_penalty'],
      [{ model: 'french', max_completion_tokens: 0 }, 'max_completion_tokens'],
      [{ model: 'french', seed: 1.5 }, 'seed'],
      [{ model: 'french', stop: ['a', 'b', 'c', 'd', 'e'] }, 'stop'],
      [{ model: 'french', n: 2 }, 'n'],
      [{ model: 'french', logprobs: true }, 'logprobs'],
      [{ model: 'french', top_logprobs: 3 }, 'top_logprobs'],
      [{ model: 'french', modalities: ['text', 'audio'] }, 'modalities.1'],
      [{ model: 'french', store: true }, 'store'],
      [{ model: 'french', functions: [{ name: 'f', parameters: {} }] }, 'functions'],
      [{ model: 'french', response_format: { type: 'xml' } }, 'response_format.type'],
      [
        { model: 'french', response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'no-such-type' } } } },
        'response_format.json_schema.schema',
      ],
      [{ model: 'calc', tool_choice: 'sometimes' }, 'tool_choice'],
      [{ model: 'calc', tool_choice: { type: 'function', function: { name: 'http_fetch' } } }, 'tool_choice'],
      [{ model: 'french', tool_choice: 'required' }, 'tool_choice'],
      [{ model: 'calc', tool_choice: { type: 'function', function: { name: 'http_fetch' } }, conversation_id }, 'tool_choice'],
    ];
    for (const [params, param] of cases) {
      const err = await s.sdk.chat.completions.create({ ...base, ...params } as never).catch((e: unknown) => e);
      expect(namedParam(err), JSON.stringify(params)).toBe(param);
    }
    // Streaming requests are refused before the stream starts, the same way.
    const streamed = await s.sdk.chat.completions.create({ ...base, model: 'french', temperature: 5, stream: true }).catch((e: unknown) => e);
    expect(namedParam(streamed)).toBe('temperature');
    expect(fake.requests.length).toBe(before.provider);
    expect((await executions()).length).toBe(before.rows);
    const stored = await s.call('GET', `/api/conversations/${conversation_id}`, { token: s.token });
    expect(stored.json.messages).toHaveLength(2);
  });

  it('declares the parameters with their ranges in /openapi.json', async () => {
    const doc = (await s.call('GET', '/openapi.json')).json;
    const params = doc.paths['/v1/chat/completions'].post.requestBody.content['application/json'].schema.properties;
    expect(params.temperature).toMatchObject({ minimum: 0, maximum: 2 });
    expect(params.frequency_penalty).toMatchObject({ minimum: -2, maximum: 2 });
    expect(params.max_completion_tokens).toMatchObject({ minimum: 1 });
    expect(params.n).toMatchObject({ minimum: 1, maximum: 1 });
    expect(params.logprobs).toMatchObject({ enum: [false] });
    expect(params.audio).toMatchObject({ type: 'null' });
  });

  it('parses a structured reply with chat.completions.parse and a zod schema', async () => {
    fake.enqueue({ content: JSON.stringify(PARIS) });
    const res = await s.sdk.chat.completions.parse({
      model: 'french',
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      response_format: zodResponseFormat(Weather, 'weather'),
    });
    expect(res.choices[0]!.message.parsed).toEqual(PARIS);
    expect(sent().response_format).toMatchObject({ type: 'json_schema', json_schema: { name: 'weather', strict: true, schema: { type: 'object' } } });
  });

  it('answers a reply that does not match the requested format with an error, never a 200, streaming or not', async () => {
    const ask = { model: 'french', messages: [{ role: 'user' as const, content: 'Weather?' }], response_format: zodResponseFormat(Weather, 'weather') };
    fake.enqueue({ content: JSON.stringify({ city: 'Paris' }) });
    const err = (await s.sdk.chat.completions.create(ask).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err.status).toBe(502);
    expect(err.message).toMatch(/does not match the requested response_format: .*celsius/);
    expect((await executions())[0]).toMatchObject({ status: 'error', error_message: expect.stringMatching(/response_format/) });

    fake.enqueue({ content: 'Sunny, 21 degrees.' });
    const stream = await s.sdk.chat.completions.create({ ...ask, stream: true });
    const failed = await (async () => {
      for await (const _chunk of stream);
    })().catch((e: unknown) => e);
    expect((failed as Error).message).toMatch(/is not JSON/);

    fake.enqueue({ content: '[1, 2]' });
    const notObject = await s.sdk.chat.completions
      .create({ model: 'french', messages: [{ role: 'user', content: 'JSON please' }], response_format: { type: 'json_object' } })
      .catch((e: unknown) => e);
    expect((notObject as { status: number }).status).toBe(502);
    expect(sent().response_format).toEqual({ type: 'json_object' });
  });

  it('gives the Vercel AI SDK its structured output (Output.object)', async () => {
    fake.enqueue({ content: JSON.stringify(PARIS) });
    const caxton = createOpenAICompatible({ name: 'caxton', baseURL: s.baseURL, apiKey: s.apiKey, supportsStructuredOutputs: true });
    const { output } = await generateText({ model: caxton('french'), prompt: 'Weather in Paris?', output: Output.object({ schema: Weather }), maxRetries: 0 });
    expect(output).toEqual(PARIS);
    expect(sent().response_format).toMatchObject({ type: 'json_schema', json_schema: { schema: { type: 'object' } } });
  });

  it('gives LangChain its structured output (withStructuredOutput)', async () => {
    fake.enqueue({ content: JSON.stringify(PARIS) });
    const llm = new ChatOpenAI({ model: 'french', apiKey: s.apiKey, configuration: { baseURL: s.baseURL }, maxRetries: 0 });
    const weather = await llm.withStructuredOutput(Weather, { name: 'weather' }).invoke('Weather in Paris?');
    expect(weather).toEqual(PARIS);
    expect(sent().response_format).toMatchObject({ type: 'json_schema', json_schema: { name: 'weather' } });
  });
});

describe("budgets reserve the request's max_tokens", { timeout: 30_000 }, () => {
  let fake: FakeOpenAI;
  let s: Served;

  beforeAll(async () => {
    fake = await startFakeOpenAI({ default: { content: 'ok', usage: { prompt_tokens: 10, completion_tokens: 1 } } });
    s = await serve(fake, { budgets: { tokens_per_day: 600 } });
    expect((await s.call('POST', '/api/agents', { token: s.token, body: { name: 'french', model: 'fast', system_prompt: 'Answer in French.' } })).status).toBe(
      201,
    );
  });

  afterAll(async () => {
    await s?.close();
    await fake?.close();
  });

  it("refuses a run whose max_tokens would not fit, and admits one within the model file's", async () => {
    const ask = { model: 'french', messages: [{ role: 'user' as const, content: 'Hi' }] };
    const refused = (await s.sdk.chat.completions.create({ ...ask, max_tokens: 1000 }).catch((e: unknown) => e)) as { status: number; message: string };
    expect(refused.status).toBe(429);
    expect(refused.message).toMatch(/tokens_per_day/);
    expect(fake.requests).toHaveLength(0);
    // The model file's 256 fits; so does a request's own smaller bound, which is what the provider gets.
    await s.sdk.chat.completions.create(ask);
    await s.sdk.chat.completions.create({ ...ask, max_completion_tokens: 50 });
    expect(fake.requests.map((r) => (r.body as Record<string, unknown>).max_completion_tokens)).toEqual([256, 50]);
  });
});
