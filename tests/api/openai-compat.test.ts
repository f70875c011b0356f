/**
 * OpenAI compatibility (SPEC §6): the official `openai` npm client, pointed at the daemon's app over
 * real HTTP, lists agents as models and chats with one through /v1/chat/completions, streaming and not.
 * The agent's model is served by the fake OpenAI server, so the whole path is real HTTP twice.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';
import { client, makeApp, type TestApp } from './fixture.js';

let fake: FakeOpenAI;
let t: TestApp;
let server: Server;
let sdk: OpenAI;
let apiKey: string;

beforeAll(async () => {
  fake = await startFakeOpenAI({ default: { content: 'Bonjour from the fake model' } });
  t = await makeApp({ authRequired: true, fakeUrl: fake.url });
  server = createAdaptorServer({ fetch: (req, env) => t.app.fetch(req, { ...env, transport: 'tcp' }) }) as Server;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const call = client(t.app);
  await call('POST', '/api/auth/register', { body: { email: 'dev@example.com', password: 'long password' } });
  const token = (await call('POST', '/api/auth/login', { body: { email: 'dev@example.com', password: 'long password' } })).json.access_token;
  apiKey = (await call('POST', '/api/keys', { token })).json.key;
  expect((await call('POST', '/api/agents', { token, body: { name: 'french', model: 'fast', system_prompt: 'Answer in French.' } })).status).toBe(201);
  sdk = new OpenAI({ apiKey, baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, maxRetries: 0 });
});

afterAll(async () => {
  await new Promise((r) => server?.close(r));
  t?.close();
  await fake?.close();
});

/** Read a chat.completion.chunk stream to its end: the text, the last finish reason, the usage chunk. */
async function drain(stream: AsyncIterable<OpenAI.ChatCompletionChunk>) {
  let text = '';
  let finish: string | null = null;
  let usage: OpenAI.CompletionUsage | undefined;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta.content ?? '';
    finish = chunk.choices[0]?.finish_reason ?? finish;
    usage = chunk.usage ?? usage;
  }
  return { text, finish, usage };
}

describe('official openai client against /v1', () => {
  it("lists the caller's agents as models", async () => {
    const ids: string[] = [];
    for await (const m of sdk.models.list()) ids.push(m.id);
    expect(ids).toEqual(expect.arrayContaining(['french', 'router', 'orchestrator', 'customer-support']));
  });

  it('chats without streaming', async () => {
    const res = await sdk.chat.completions.create({ model: 'french', messages: [{ role: 'user', content: 'Say hello' }] });
    expect(res.object).toBe('chat.completion');
    expect(res.choices[0]!.message).toMatchObject({ role: 'assistant', content: 'Bonjour from the fake model' });
    expect(res.choices[0]!.finish_reason).toBe('stop');
    expect(res.usage!.total_tokens).toBeGreaterThan(0);
    // The agent's system prompt and the user's message reached the model.
    const sent = fake.requests.at(-1)!.body;
    expect(sent.messages[0]).toMatchObject({ role: 'system', content: 'Answer in French.' });
    expect(sent.messages.at(-1)).toMatchObject({ role: 'user', content: 'Say hello' });
  });

  it('chats with streaming, ending with a finish reason and usage', async () => {
    const stream = await sdk.chat.completions.create({
      model: 'french',
      messages: [{ role: 'user', content: 'Stream it' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const { text, finish, usage } = await drain(stream);
    expect(text).toBe('Bonjour from the fake model');
    expect(finish).toBe('stop');
    expect(usage!.completion_tokens).toBeGreaterThan(0);
  });

  it('unknown agents and bad keys are errors the client reports', async () => {
    await expect(sdk.chat.completions.create({ model: 'nobody', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({ status: 404 });
    const bad = new OpenAI({ apiKey: 'cxk_wrong', baseURL: sdk.baseURL, maxRetries: 0 });
    await expect(bad.models.list()).rejects.toMatchObject({ status: 401 });
  });

  it("each run is logged as an execution; the owner's own runs do not count towards its ranking", async () => {
    const call = client(t.app);
    const agent = (await call('GET', '/api/agents/french', { token: apiKey })).json;
    expect(agent.usage_count).toBe(0);
    const execs = (await call('GET', '/api/executions?agent=french', { token: apiKey })).json.executions;
    expect(execs.map((e: { status: string; agent_source: string }) => `${e.status}/${e.agent_source}`)).toEqual(['success/user', 'success/user']);
  });
});

describe('OpenAI clients send the whole conversation on every call', () => {
  const call = () => client(t.app);
  const conversations = async () => (await call()('GET', '/api/conversations', { token: apiKey })).json.conversations as { id: string }[];

  beforeAll(async () => {
    // Its own agent, so the run counts above stay as they were.
    const created = await call()('POST', '/api/agents', {
      token: apiKey,
      body: { name: 'historian', model: 'fast', system_prompt: 'You remember things.', max_tool_iterations: 1 },
    });
    expect(created.status).toBe(201);
  });

  it("earlier turns reach the model after the agent's system prompt; nothing is stored as a conversation", async () => {
    const before = (await conversations()).length;
    fake.enqueue({ content: 'Your name is Ada.' });
    const res = await sdk.chat.completions.create({
      model: 'historian',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'My name is Ada.' },
        { role: 'assistant', content: 'Hello Ada.' },
        { role: 'user', content: 'What is my name?' },
      ],
    });
    expect(res.choices[0]!.message.content).toBe('Your name is Ada.');
    expect(fake.requests.at(-1)!.body.messages).toEqual([
      { role: 'system', content: 'You remember things.' },
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'My name is Ada.' },
      { role: 'assistant', content: 'Hello Ada.' },
      { role: 'user', content: 'What is my name?' },
    ]);
    // Stateless: no conversation id in the answer, no conversation row; the run is still logged.
    expect((res as unknown as Record<string, unknown>).conversation_id).toBeUndefined();
    expect((await conversations()).length).toBe(before);
    const exec = (await call()('GET', '/api/executions?agent=historian', { token: apiKey })).json.executions[0];
    expect(exec).toMatchObject({ status: 'success', input: 'What is my name?', output: 'Your name is Ada.' });
    expect(exec.conversation_id ?? null).toBeNull();
  });

  it('assistant tool calls and tool results in the history are forwarded as the client sent them', async () => {
    fake.enqueue({ content: 'It was 21 degrees.' });
    await sdk.chat.completions.create({
      model: 'historian',
      messages: [
        { role: 'user', content: 'Weather?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: '21C' },
        { role: 'assistant', content: 'It is 21C.' },
        { role: 'user', content: [{ type: 'text', text: 'And what was it?' }] },
      ],
    });
    const sent = fake.requests.at(-1)!.body.messages;
    expect(sent.slice(1)).toEqual([
      { role: 'user', content: 'Weather?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: '21C' },
      { role: 'assistant', content: 'It is 21C.' },
      { role: 'user', content: 'And what was it?' },
    ]);
  });

  it('streaming requests carry the history too', async () => {
    fake.enqueue({ content: 'Still Ada.' });
    const stream = await sdk.chat.completions.create({
      model: 'historian',
      messages: [
        { role: 'user', content: 'My name is Ada.' },
        { role: 'assistant', content: 'Hello Ada.' },
        { role: 'user', content: 'Again?' },
      ],
      stream: true,
    });
    expect((await drain(stream)).text).toBe('Still Ada.');
    expect(fake.requests.at(-1)!.body.messages.map((m: { content: string }) => m.content)).toEqual([
      'You remember things.',
      'My name is Ada.',
      'Hello Ada.',
      'Again?',
    ]);
  });

  it('with conversation_id the stored conversation is the history and the earlier messages are ignored', async () => {
    fake.enqueue({ content: 'Noted: blue.' });
    const first = await call()('POST', '/api/agents/historian/chat', { token: apiKey, body: { message: 'My favourite colour is blue.' } });
    const conversationId = first.json.conversation_id as string;
    fake.enqueue({ content: 'Blue.' });
    const res = await sdk.chat.completions.create({
      model: 'historian',
      messages: [
        { role: 'user', content: 'something the client remembers differently' },
        { role: 'assistant', content: 'ignored' },
        { role: 'user', content: 'Which colour?' },
      ],
      conversation_id: conversationId,
    } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    expect((res as unknown as Record<string, unknown>).conversation_id).toBe(conversationId);
    expect(fake.requests.at(-1)!.body.messages.map((m: { content: string }) => m.content)).toEqual([
      'You remember things.',
      'My favourite colour is blue.',
      'Noted: blue.',
      'Which colour?',
    ]);
    const stored = (await call()('GET', `/api/conversations/${conversationId}`, { token: apiKey })).json.messages;
    expect(stored.map((m: { content: string }) => m.content)).toEqual(['My favourite colour is blue.', 'Noted: blue.', 'Which colour?', 'Blue.']);
  });

  it('a conversation must end with a user message (the agent runs its own tools)', async () => {
    const err = await sdk.chat.completions
      .create({
        model: 'historian',
        messages: [
          { role: 'user', content: 'hi' },
          { role: 'assistant', content: 'prefill' },
        ],
      })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 400 });
    expect(String((err as Error).message)).toContain('last message must be a user message');
  });

  it('an agent that reaches max_tool_iterations ends with finish_reason length, its note, and the usage of every call', async () => {
    const tool = { name: 'lookup', arguments: '{}' };
    fake.enqueue(
      { tool_calls: [tool], usage: { prompt_tokens: 10, completion_tokens: 3 } },
      { tool_calls: [tool], usage: { prompt_tokens: 20, completion_tokens: 4 } },
    );
    const res = await sdk.chat.completions.create({ model: 'historian', messages: [{ role: 'user', content: 'Look it up' }] });
    expect(res.choices[0]!.finish_reason).toBe('length');
    expect(res.choices[0]!.message.content).toContain('max_tool_iterations');
    expect(res.usage).toMatchObject({ prompt_tokens: 30, completion_tokens: 7, total_tokens: 37 });

    fake.enqueue(
      { tool_calls: [tool], usage: { prompt_tokens: 10, completion_tokens: 3 } },
      { tool_calls: [tool], usage: { prompt_tokens: 20, completion_tokens: 4 } },
    );
    const stream = await sdk.chat.completions.create({
      model: 'historian',
      messages: [{ role: 'user', content: 'Look it up' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const { text, finish, usage } = await drain(stream);
    expect(finish).toBe('length');
    expect(text).toContain('max_tool_iterations');
    expect(usage).toMatchObject({ prompt_tokens: 30, completion_tokens: 7, total_tokens: 37 });
  });
});
