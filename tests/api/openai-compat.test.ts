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
  t = makeApp({ authRequired: true, fakeUrl: fake.url });
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

describe('official openai client against /v1', () => {
  it('lists the caller\'s agents as models', async () => {
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
    const stream = await sdk.chat.completions.create({ model: 'french', messages: [{ role: 'user', content: 'Stream it' }], stream: true, stream_options: { include_usage: true } });
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe('Bonjour from the fake model');
    expect(finish).toBe('stop');
    expect(usage!.completion_tokens).toBeGreaterThan(0);
  });

  it('unknown agents and bad keys are errors the client reports', async () => {
    await expect(sdk.chat.completions.create({ model: 'nobody', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({ status: 404 });
    const bad = new OpenAI({ apiKey: 'cxk_wrong', baseURL: sdk.baseURL, maxRetries: 0 });
    await expect(bad.models.list()).rejects.toMatchObject({ status: 401 });
  });

  it('each run is counted and logged as an execution', async () => {
    const call = client(t.app);
    const agent = (await call('GET', '/api/agents/french', { token: apiKey })).json;
    expect(agent.usage_count).toBe(2);
    const execs = (await call('GET', '/api/executions?agent=french', { token: apiKey })).json.executions;
    expect(execs.map((e: { status: string; agent_source: string }) => `${e.status}/${e.agent_source}`)).toEqual(['success/user', 'success/user']);
  });
});
