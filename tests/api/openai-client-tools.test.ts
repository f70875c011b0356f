/**
 * Client-side tools on /v1/chat/completions (src/runtime/client-tools.ts): the official `openai`
 * client, the Vercel AI SDK and LangChain JS, over real HTTP to the app, whose agent's model is the
 * fake OpenAI server. A client tool the model calls comes back as `tool_calls` (JSON and streamed),
 * the client sends the result, the run continues to the final answer; the agent's own tool called in
 * the same step runs server-side; a client tool named like an agent tool is a 400 naming it.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { tool as langchainTool } from '@langchain/core/tools';
import { ChatOpenAI } from '@langchain/openai';
import { generateText, jsonSchema, stepCountIs, tool } from 'ai';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';
import { client, makeApp, type TestApp } from './fixture.js';

let fake: FakeOpenAI;
let t: TestApp;
let server: Server;
let sdk: OpenAI;
let apiKey: string;
let baseURL: string;

const weatherTool: OpenAI.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Weather of a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};
const ask: OpenAI.ChatCompletionMessageParam = { role: 'user', content: 'Weather in Paris?' };

beforeAll(async () => {
  fake = await startFakeOpenAI();
  t = await makeApp({ fakeUrl: fake.url });
  server = createAdaptorServer({ fetch: (req, env) => t.app.fetch(req, { ...env, transport: 'tcp' }) }) as Server;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const call = client(t.app);
  // Clients that insist on a key get a real one of `local` (the anonymous user on loopback).
  apiKey = (await call('POST', '/api/keys', { body: {} })).json.key;
  const agent = { name: 'forecaster', model: 'fast', system_prompt: 'You forecast.', tools: ['calculator'] };
  expect((await call('POST', '/api/agents', { token: apiKey, body: agent })).status).toBe(201);
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  sdk = new OpenAI({ apiKey, baseURL, maxRetries: 0 });
});

afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await t?.close();
  await fake?.close();
});

const lastSent = () => fake.requests.at(-1)!.body;
const executions = async () => (await client(t.app)('GET', '/api/executions?agent=forecaster', { token: apiKey })).json.executions;

describe('client-side tools with the official openai client', () => {
  it('a call to a client tool comes back as tool_calls; the result continues the run to its answer', async () => {
    fake.enqueue({ tool_calls: [{ id: 'call_w1', name: 'get_weather', arguments: '{"city":"Paris"}' }] });
    const first = await sdk.chat.completions.create({ model: 'forecaster', messages: [ask], tools: [weatherTool] });
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    expect(first.choices[0]!.message.tool_calls).toEqual([
      { id: 'call_w1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
    ]);
    // The model was offered the agent's tool and the client's.
    expect(lastSent().tools.map((x: { function: { name: string } }) => x.function.name)).toEqual(['calculator', 'get_weather']);
    const [row] = await executions();
    expect(row).toMatchObject({ status: 'success', finish_reason: 'tool_calls' });

    fake.enqueue({ content: 'Sunny, 21 degrees.' });
    const messages: OpenAI.ChatCompletionMessageParam[] = [ask, first.choices[0]!.message, { role: 'tool', tool_call_id: 'call_w1', content: '21 C, sunny' }];
    const second = await sdk.chat.completions.create({ model: 'forecaster', messages, tools: [weatherTool] });
    expect(second.choices[0]!.message.content).toBe('Sunny, 21 degrees.');
    expect(second.choices[0]!.finish_reason).toBe('stop');
    // The model got the history as is, ending with the tool result (no new user turn).
    expect(lastSent().messages.slice(-2)).toMatchObject([
      { role: 'assistant', tool_calls: [{ id: 'call_w1' }] },
      { role: 'tool', tool_call_id: 'call_w1', content: '21 C, sunny' },
    ]);
  });

  it('streamed: the client tool call arrives as delta.tool_calls chunks and finish_reason tool_calls', async () => {
    fake.enqueue({ tool_calls: [{ id: 'call_s1', name: 'get_weather', arguments: '{"city":"Oslo"}' }] });
    const stream = await sdk.chat.completions.create({ model: 'forecaster', messages: [ask], tools: [weatherTool], stream: true });
    const calls: OpenAI.ChatCompletionChunk.Choice.Delta.ToolCall[] = [];
    let finish: string | null = null;
    for await (const chunk of stream) {
      calls.push(...(chunk.choices[0]?.delta.tool_calls ?? []));
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(finish).toBe('tool_calls');
    expect(calls).toEqual([{ index: 0, id: 'call_s1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }]);
  });

  it("an agent tool and a client tool in one step: the agent's runs server-side, only the client's comes back", async () => {
    fake.enqueue({
      tool_calls: [
        { id: 'call_calc', name: 'calculator', arguments: '{"expression":"6*7"}' },
        { id: 'call_w2', name: 'get_weather', arguments: '{"city":"Rome"}' },
      ],
    });
    const res = await sdk.chat.completions.create({ model: 'forecaster', messages: [ask], tools: [weatherTool] });
    expect(res.choices[0]!.finish_reason).toBe('tool_calls');
    expect(res.choices[0]!.message.tool_calls!.map((c) => (c as OpenAI.ChatCompletionMessageFunctionToolCall).function.name)).toEqual(['get_weather']);
    const [row] = await executions();
    expect(row.tool_calls).toEqual([expect.objectContaining({ name: 'calculator', result: '42', is_error: false })]);
  });

  it('with conversation_id the pending calls are stored and the tool results continue the conversation', async () => {
    const call = client(t.app);
    fake.enqueue({ content: 'Hello.' });
    const opened = await call('POST', '/api/agents/forecaster/chat', { token: apiKey, body: { message: 'Hi' } });
    expect(opened.status).toBe(200);
    const conversationId = opened.json.conversation_id as string;
    fake.enqueue({
      tool_calls: [
        { id: 'call_c1', name: 'calculator', arguments: '{"expression":"2+2"}' },
        { id: 'call_c2', name: 'get_weather', arguments: '{"city":"Lima"}' },
      ],
    });
    const body = (messages: unknown[]) => ({ model: 'forecaster', conversation_id: conversationId, tools: [weatherTool], messages });
    const paused = await call('POST', '/v1/chat/completions', { token: apiKey, body: body([ask]) });
    expect(paused.json.choices[0].message.tool_calls.map((c: { id: string }) => c.id)).toEqual(['call_c2']);
    // A new user turn while the call waits is refused, and changes nothing.
    const early = await call('POST', '/v1/chat/completions', { token: apiKey, body: body([ask]) });
    expect(early.status).toBe(400);
    expect(early.json.error.message).toContain('call_c2');

    fake.enqueue({ content: 'Lima is cloudy.' });
    const done = await call('POST', '/v1/chat/completions', { token: apiKey, body: body([{ role: 'tool', tool_call_id: 'call_c2', content: 'cloudy' }]) });
    expect(done.json.choices[0].message.content).toBe('Lima is cloudy.');
    // The model saw the whole step: its calls, the agent tool's result (kept in the conversation) and the client's.
    expect(lastSent().messages.slice(-3)).toMatchObject([
      { role: 'assistant', tool_calls: [{ id: 'call_c1' }, { id: 'call_c2' }] },
      { role: 'tool', tool_call_id: 'call_c1', content: '4' },
      { role: 'tool', tool_call_id: 'call_c2', content: 'cloudy' },
    ]);
    const stored = (await call('GET', `/api/conversations/${conversationId}`, { token: apiKey })).json.messages as { role: string }[];
    expect(stored.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant', 'tool', 'tool', 'assistant']);
  });

  it('a client tool named like an agent tool is a 400 naming it, and no run is recorded', async () => {
    const before = (await executions()).length;
    const clash: OpenAI.ChatCompletionTool = { type: 'function', function: { name: 'calculator', parameters: { type: 'object' } } };
    const err = await sdk.chat.completions.create({ model: 'forecaster', messages: [ask], tools: [weatherTool, clash] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    const refused = err as InstanceType<typeof OpenAI.BadRequestError>;
    expect(refused.message).toContain('calculator');
    expect(refused.param).toBe('tools[1].function.name');
    expect(refused.type).toBe('invalid_request_error');
    expect((await executions()).length).toBe(before);
  });

  it('tool_choice naming the client tool reaches the provider', async () => {
    fake.enqueue({ tool_calls: [{ id: 'call_tc', name: 'get_weather', arguments: '{"city":"Kyiv"}' }] });
    await sdk.chat.completions.create({
      model: 'forecaster',
      messages: [ask],
      tools: [weatherTool],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
    });
    expect(lastSent().tool_choice).toEqual({ type: 'function', function: { name: 'get_weather' } });
  });

  it('tool results that answer no pending call are a 400', async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [
      ask,
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'call_zzz', content: 'x' },
    ];
    await expect(sdk.chat.completions.create({ model: 'forecaster', messages, tools: [weatherTool] })).rejects.toMatchObject({ status: 400 });
  });
});

describe('agent SDKs complete a client tool round trip', () => {
  it('the Vercel AI SDK (generateText with a tool that has execute)', async () => {
    fake.enqueue({ tool_calls: [{ id: 'call_ai', name: 'get_weather', arguments: '{"city":"Bern"}' }] }, { content: 'Bern: snow.' });
    const provider = createOpenAICompatible({ name: 'caxton', baseURL, apiKey });
    const seen: string[] = [];
    const result = await generateText({
      model: provider('forecaster'),
      prompt: 'Weather in Bern?',
      tools: {
        get_weather: tool({
          description: 'Weather of a city',
          inputSchema: jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }),
          execute: async ({ city }) => {
            seen.push(city);
            return 'snow';
          },
        }),
      },
      stopWhen: stepCountIs(3),
    });
    expect(seen).toEqual(['Bern']);
    expect(result.text).toBe('Bern: snow.');
    expect(lastSent().messages.at(-1)).toMatchObject({ role: 'tool', tool_call_id: 'call_ai' });
  });

  it('LangChain JS (ChatOpenAI.bindTools)', async () => {
    fake.enqueue({ tool_calls: [{ id: 'call_lc', name: 'get_weather', arguments: '{"city":"Riga"}' }] }, { content: 'Riga: rain.' });
    const weather = langchainTool(async ({ city }: { city: string }) => `rain in ${city}`, {
      name: 'get_weather',
      description: 'Weather of a city',
      schema: z.object({ city: z.string() }),
    });
    const model = new ChatOpenAI({ model: 'forecaster', apiKey, configuration: { baseURL }, maxRetries: 0 }).bindTools([weather]);
    const first = await model.invoke([{ role: 'user', content: 'Weather in Riga?' }]);
    expect(first.tool_calls).toEqual([expect.objectContaining({ id: 'call_lc', name: 'get_weather', args: { city: 'Riga' } })]);
    const result = await weather.invoke(first.tool_calls![0]!);
    const final = await model.invoke([{ role: 'user', content: 'Weather in Riga?' }, first, result]);
    expect(final.content).toBe('Riga: rain.');
    expect(lastSent().messages.at(-1)).toMatchObject({ role: 'tool', tool_call_id: 'call_lc', content: 'rain in Riga' });
  });
});
