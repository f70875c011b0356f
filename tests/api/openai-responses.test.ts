/**
 * The Responses API (`POST /v1/responses`, src/api/routes/openai-responses.ts) with the official
 * `openai` client over real HTTP to the app, the agent's model being the fake OpenAI server (which
 * echoes the last user message, so what the model was sent shows in the request log): JSON and
 * streamed responses, `previous_response_id` continuing a stored conversation (and another user's id
 * being 404), function tools round-tripping through `function_call_output`, instructions and sampling;
 * `model: "workflow:NAME"` runs the workflow (router hand-over included), JSON and streamed, and a
 * stored workflow response is continued by `previous_response_id`; what a workflow cannot take
 * (function tools, instructions) is a 400 naming it.
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
let other: OpenAI;

/** A user's API key: registered, logged in, key created. */
async function keyOf(email: string): Promise<string> {
  const call = client(t.app);
  await call('POST', '/api/auth/register', { body: { email, password: 'long password' } });
  const token = (await call('POST', '/api/auth/login', { body: { email, password: 'long password' } })).json.access_token;
  return (await call('POST', '/api/keys', { token })).json.key;
}

beforeAll(async () => {
  fake = await startFakeOpenAI();
  t = await makeApp({ authRequired: true, fakeUrl: fake.url });
  server = createAdaptorServer({ fetch: (req, env) => t.app.fetch(req, { ...env, transport: 'tcp' }) }) as Server;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  const key = await keyOf('ada@example.com');
  const agent = { name: 'helper', model: 'fast', system_prompt: 'You help.', tools: ['calculator'] };
  expect((await client(t.app)('POST', '/api/agents', { token: key, body: agent })).status).toBe(201);
  sdk = new OpenAI({ apiKey: key, baseURL, maxRetries: 0 });
  other = new OpenAI({ apiKey: await keyOf('bob@example.com'), baseURL, maxRetries: 0 });
});

afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await t?.close();
  await fake?.close();
});

const sent = () => fake.requests.at(-1)!.body;
const roles = () => (sent().messages as { role: string; content: string | null }[]).map((m) => `${m.role}: ${m.content ?? ''}`);
const weather: OpenAI.Responses.FunctionTool = {
  type: 'function',
  name: 'get_weather',
  description: 'Weather of a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  strict: false,
};

describe('the Responses API with the official openai client', () => {
  it('answers a response object; output_text, usage, instructions and sampling reach the model', async () => {
    const res = await sdk.responses.create({ model: 'helper', input: 'Hello there', instructions: 'Be brief.', temperature: 0.7, max_output_tokens: 99 });
    expect(res).toMatchObject({ object: 'response', status: 'completed', incomplete_details: null, model: 'helper' });
    expect(res.output_text).toBe('echo: Hello there');
    expect(res.output).toEqual([expect.objectContaining({ type: 'message', role: 'assistant', content: [expect.objectContaining({ type: 'output_text' })] })]);
    expect(res.usage!.total_tokens).toBe(res.usage!.input_tokens + res.usage!.output_tokens);
    expect(res.usage!.output_tokens).toBeGreaterThan(0);
    expect(roles()).toEqual(['system: You help.', 'system: Be brief.', 'user: Hello there']);
    expect(sent()).toMatchObject({ temperature: 0.7, max_completion_tokens: 99 });
  });

  it('streams the Responses API events through to response.completed', async () => {
    const stream = sdk.responses.stream({ model: 'helper', input: [{ role: 'user', content: [{ type: 'input_text', text: 'Stream me' }] }] });
    const types: string[] = [];
    const sequence: number[] = [];
    let text = '';
    for await (const ev of stream) {
      types.push(ev.type);
      sequence.push(ev.sequence_number);
      if (ev.type === 'response.output_text.delta') text += ev.delta;
    }
    const final = await stream.finalResponse();
    expect(text).toBe('echo: Stream me');
    expect(final.output_text).toBe('echo: Stream me');
    expect(final.status).toBe('completed');
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
    expect(types).toEqual(expect.arrayContaining(['response.output_item.added', 'response.output_text.done', 'response.output_item.done']));
    expect(sequence).toEqual(sequence.map((_, i) => i));
  });

  it('previous_response_id continues the stored conversation; another user cannot', async () => {
    const first = await sdk.responses.create({ model: 'helper', input: 'My name is Ada.' });
    expect(first.id).toMatch(/^resp_/);
    const second = await sdk.responses.create({ model: 'helper', input: 'What is my name?', previous_response_id: first.id });
    expect(second.output_text).toBe('echo: What is my name?');
    expect(roles()).toEqual(['system: You help.', 'user: My name is Ada.', 'assistant: echo: My name is Ada.', 'user: What is my name?']);
    // A later response of the same conversation continues it too.
    await sdk.responses.create({ model: 'helper', input: 'And again?', previous_response_id: second.id });
    expect(roles()).toHaveLength(6);

    await expect(other.responses.create({ model: 'helper', input: 'x', previous_response_id: first.id })).rejects.toMatchObject({ status: 404 });
    const stateless = await sdk.responses.create({ model: 'helper', input: 'Not kept', store: false });
    await expect(sdk.responses.create({ model: 'helper', input: 'x', previous_response_id: stateless.id })).rejects.toMatchObject({ status: 404 });
  });

  it('function tools round trip: function_call out, function_call_output back, the final answer', async () => {
    fake.enqueue({ tool_calls: [{ id: 'call_r1', name: 'get_weather', arguments: '{"city":"Paris"}' }] });
    const first = await sdk.responses.create({
      model: 'helper',
      input: 'Weather in Paris?',
      tools: [weather],
      tool_choice: { type: 'function', name: 'get_weather' },
    });
    expect(sent().tool_choice).toEqual({ type: 'function', function: { name: 'get_weather' } });
    expect(first.status).toBe('completed');
    const calls = first.output.filter((o) => o.type === 'function_call');
    expect(calls).toEqual([expect.objectContaining({ call_id: 'call_r1', name: 'get_weather', arguments: '{"city":"Paris"}' })]);

    fake.enqueue({ content: 'Paris: sunny.' });
    const second = await sdk.responses.create({
      model: 'helper',
      previous_response_id: first.id,
      tools: [weather],
      input: [{ type: 'function_call_output', call_id: 'call_r1', output: 'sunny' }],
    });
    expect(second.output_text).toBe('Paris: sunny.');
    expect(sent().messages.slice(-2)).toMatchObject([
      { role: 'assistant', tool_calls: [{ id: 'call_r1' }] },
      { role: 'tool', tool_call_id: 'call_r1', content: 'sunny' },
    ]);
  });

  it('function tools round trip statelessly (the client sends its items back) and streamed', async () => {
    fake.enqueue({ tool_calls: [{ id: 'call_s1', name: 'get_weather', arguments: '{"city":"Oslo"}' }] });
    const stream = sdk.responses.stream({ model: 'helper', input: [{ role: 'user', content: 'Weather in Oslo?' }], tools: [weather], store: false });
    let args = '';
    for await (const ev of stream) if (ev.type === 'response.function_call_arguments.delta') args += ev.delta;
    const first = await stream.finalResponse();
    expect(args).toBe('{"city":"Oslo"}');
    const call = first.output.find((o) => o.type === 'function_call')!;
    expect(call).toMatchObject({ call_id: 'call_s1', name: 'get_weather' });

    fake.enqueue({ content: 'Oslo: snow.' });
    const second = await sdk.responses.create({
      model: 'helper',
      tools: [weather],
      store: false,
      input: [{ role: 'user', content: 'Weather in Oslo?' }, call, { type: 'function_call_output', call_id: 'call_s1', output: 'snow' }],
    });
    expect(second.output_text).toBe('Oslo: snow.');
  });

  it('a run a limit cut short is incomplete, JSON and streamed', async () => {
    const limited = { name: 'hasty', model: 'fast', system_prompt: 'You count.', tools: ['calculator'], max_tool_iterations: 1 };
    expect((await client(t.app)('POST', '/api/agents', { token: sdk.apiKey!, body: limited })).status).toBe(201);
    const calc = (n: number) => ({ tool_calls: [{ id: `call_m${n}`, name: 'calculator', arguments: `{"expression":"${n}+1"}` }] });
    fake.enqueue(calc(1), calc(2));
    const res = await sdk.responses.create({ model: 'hasty', input: 'Count' });
    expect(res).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, caxton_finish_reason: 'max_iterations' });
    expect(res.output_text).toContain('max_tool_iterations');

    fake.enqueue(calc(3), calc(4));
    const types: string[] = [];
    const stream = sdk.responses.stream({ model: 'hasty', input: 'Count again' });
    for await (const ev of stream) types.push(ev.type);
    expect(types.at(-1)).toBe('response.incomplete');
    expect((await stream.finalResponse()).status).toBe('incomplete');
  });

  it('a function tool named like an agent tool is a 400 naming tools[i].name', async () => {
    const clash = { ...weather, name: 'calculator' };
    const err = (await sdk.responses.create({ model: 'helper', input: 'x', tools: [weather, clash] }).catch((e: unknown) => e)) as InstanceType<
      typeof OpenAI.APIError
    >;
    expect(err.status).toBe(400);
    expect(err.param).toBe('tools[1].name');
  });

  it('model "workflow:NAME" runs the workflow, JSON and streamed, and continues by previous_response_id', async () => {
    fake.enqueue({ content: 'customer-support' }, { content: 'Your order ships today.' });
    const res = await sdk.responses.create({ model: 'workflow:default', input: 'Where is my order?' });
    expect(res).toMatchObject({ object: 'response', status: 'completed', model: 'workflow:default' });
    expect(res.output_text).toBe('Your order ships today.');
    expect(fake.requests.at(-1)!.body.messages[0].content).toContain('customer');

    fake.enqueue({ content: 'customer-support' }, { content: 'It left the warehouse.' });
    const stream = sdk.responses.stream({ model: 'workflow:default', input: 'And now?', previous_response_id: res.id });
    let text = '';
    for await (const ev of stream) if (ev.type === 'response.output_text.delta') text += ev.delta;
    expect(text).toBe('It left the warehouse.');
    expect((await stream.finalResponse()).status).toBe('completed');
    // The stored conversation went on: the router saw the earlier exchange.
    expect(roles().slice(1)).toContain('user: Where is my order?');

    const refused: [string, Partial<OpenAI.Responses.ResponseCreateParamsNonStreaming>][] = [
      ['tools', { tools: [weather] }],
      ['instructions', { instructions: 'Be brief.' }],
    ];
    for (const [param, extra] of refused) {
      const err = (await sdk.responses.create({ model: 'workflow:default', input: 'x', ...extra }).catch((e: unknown) => e)) as InstanceType<
        typeof OpenAI.APIError
      >;
      expect(err.status, param).toBe(400);
      expect(err.param).toBe(param);
    }
    const unknown = (await sdk.responses.create({ model: 'workflow:nope', input: 'x' }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(unknown.status).toBe(404);
  });
});
