/**
 * Run traces (STORY-018, docs/testing.md "Run traces") on the daemon's own wiring with the fake
 * OpenAI server: a tool-using run with `trace: true` stores its prompt, template variables, messages,
 * model calls, tool calls and end, readable at `GET /api/executions/:id/trace` by its user and an
 * admin (404 for another user) and filtered by `?kind=`; a run without `trace` stores none unless
 * `[runtime] trace = true` (where `trace: false` still opts out); the history sent is listed;
 * secret values never reach a stored trace.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretScrubber } from '../../src/domain/secrets.js';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';
import { client, makeApp, type TestApp } from './fixture.js';

const SECRET = 'sk-trace-secret-0123456789';
const AGENT = {
  name: 'traced',
  model: 'balanced',
  system_prompt: 'You help with sums for {{parameters.company}}.',
  user_prompt_template: 'Customer of {{parameters.company}} asks: {{message}}',
  parameters: { company: 'Acme' },
  tools: ['calculator'],
};

let fake: FakeOpenAI;
let t: TestApp;
let call: ReturnType<typeof client>;
const tokens: Record<'a' | 'b', string> = { a: '', b: '' };
const secrets = new SecretScrubber();

beforeAll(async () => {
  fake = await startFakeOpenAI();
  t = await makeApp({ fakeUrl: fake.url, authRequired: true, secrets });
  call = client(t.app);
  for (const who of ['a', 'b'] as const) {
    const email = `${who}@example.com`;
    expect((await call('POST', '/api/auth/register', { body: { email, password: 'correct horse', name: who } })).status).toBe(201);
    tokens[who] = (await call('POST', '/api/auth/login', { body: { email, password: 'correct horse' } })).json.access_token;
  }
  expect((await call('POST', '/api/agents', { token: tokens.a, body: AGENT })).status).toBe(201);
  secrets.set('test', [SECRET]);
});
afterAll(async () => {
  await t?.close();
  await fake?.close();
});

/** A tool-using run of A's agent (calculator, then a reply quoting the secret) with `trace`; returns its result. */
async function toolRun(trace: boolean | undefined) {
  fake.enqueue(
    { tool_calls: [{ name: 'calculator', arguments: '{"expression": "6 * 7"}' }], usage: { prompt_tokens: 100, completion_tokens: 10 } },
    { content: `It is 42. (${SECRET})`, usage: { prompt_tokens: 120, completion_tokens: 5 } },
  );
  const res = await call('POST', '/api/agents/traced/chat', {
    token: tokens.a,
    body: { message: 'what is 6 times 7?', ...(trace === undefined ? {} : { trace }) },
  });
  expect(res.status).toBe(200);
  return res.json as { execution_id: string; conversation_id: string };
}

describe('GET /api/executions/:id/trace', () => {
  let id: string;
  beforeAll(async () => {
    id = (await toolRun(true)).execution_id;
  });

  it('shows the prompt, variables, messages, each model call, each tool call and the end, in order', async () => {
    const res = await call('GET', `/api/executions/${id}/trace`, { token: tokens.a });
    expect(res.status).toBe(200);
    const steps = res.json.steps as { kind: string; [k: string]: unknown }[];
    expect(res.json.execution_id).toBe(id);
    expect(steps.map((s) => s.kind)).toEqual(['prompt', 'messages', 'model_call', 'tool_call', 'model_call', 'end']);
    const [prompt, messages, first, tool, second, end] = steps;
    expect(prompt).toMatchObject({
      system_prompt: 'You help with sums for {{parameters.company}}.',
      variables: { parameters: { company: 'Acme' }, memory_context: '' },
      user_prompt: 'Customer of Acme asks: what is 6 times 7?',
    });
    expect(messages).toMatchObject({
      history_trimmed: 0,
      messages: [{ role: 'system' }, { role: 'user', content: 'Customer of Acme asks: what is 6 times 7?' }],
    });
    expect(first).toMatchObject({ call: 1, model: 'gpt-4o-mini', messages: 2, input_tokens: 100, output_tokens: 10, finish: 'tool_calls' });
    expect(first!.tool_calls).toEqual([{ name: 'calculator', arguments: '{"expression": "6 * 7"}' }]);
    expect(first!.duration_ms).toEqual(expect.any(Number));
    expect(tool).toMatchObject({ name: 'calculator', iteration: 1, arguments: '{"expression": "6 * 7"}', result: '42', is_error: false });
    expect(tool!.duration_ms).toEqual(expect.any(Number));
    expect(second).toMatchObject({ call: 2, messages: 4, input_tokens: 120, output_tokens: 5, finish: 'stop', tool_calls: [] });
    expect(end).toMatchObject({ status: 'success', finish_reason: 'stop' });
  });

  it('never stores a secret value: the model text quoting it is scrubbed', async () => {
    const res = await call('GET', `/api/executions/${id}/trace`, { token: tokens.a });
    expect(res.text).not.toContain(SECRET);
    expect(res.json.steps[4].text).toMatch(/^It is 42\. \(.+\)$/);
  });

  it('keeps only the step kinds ?kind= names, and refuses an unknown kind with 400 naming it', async () => {
    const res = await call('GET', `/api/executions/${id}/trace?kind=model_call,tool_call`, { token: tokens.a });
    expect(res.status).toBe(200);
    expect(res.json.steps.map((s: { kind: string }) => s.kind)).toEqual(['model_call', 'tool_call', 'model_call']);
    const bad = await call('GET', `/api/executions/${id}/trace?kind=model,end`, { token: tokens.a });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('unknown step kind model');
  });

  it('is 404 for another user, and readable by an admin (the control socket)', async () => {
    const other = await call('GET', `/api/executions/${id}/trace`, { token: tokens.b });
    expect(other.status).toBe(404);
    expect(other.text).not.toContain('Acme');
    const admin = await call('GET', `/api/executions/${id}/trace`, { socket: true });
    expect(admin.status).toBe(200);
    expect(admin.json.steps).toHaveLength(6);
  });
});

describe('traces off', () => {
  it('stores nothing for a run that did not ask (the default) nor one that said trace: false: 404', async () => {
    for (const trace of [undefined, false]) {
      const { execution_id } = await toolRun(trace);
      const res = await call('GET', `/api/executions/${execution_id}/trace`, { token: tokens.a });
      expect(res.status).toBe(404);
      expect(res.json.error.code).toBe('NOT_FOUND');
    }
  });
});

describe('history in a trace', () => {
  it('lists the history sent and counts trimmed messages (none trimmed here)', async () => {
    const { conversation_id } = await toolRun(false);
    fake.enqueue({ content: 'Sure.' });
    const res = await call('POST', '/api/agents/traced/chat', { token: tokens.a, body: { message: 'thanks', conversation_id, trace: true } });
    expect(res.status).toBe(200);
    const trace = await call('GET', `/api/executions/${res.json.execution_id}/trace?kind=messages`, { token: tokens.a });
    const [messages] = trace.json.steps;
    expect(messages.history_trimmed).toBe(0);
    expect(messages.messages.map((m: { role: string }) => m.role)).toEqual(['system', 'user', 'assistant', 'tool', 'assistant', 'user']);
    expect(messages.messages[2].tool_calls).toEqual(['calculator']);
  });
});

describe('[runtime] trace = true', () => {
  it('traces runs that do not ask, and not a run that says trace: false', async () => {
    const all = await makeApp({ fakeUrl: fake.url, traceRuns: true });
    try {
      const talk = client(all.app);
      for (const [trace, status] of [
        [undefined, 200],
        [false, 404],
      ] as const) {
        fake.enqueue({ content: 'Hello.' });
        const res = await talk('POST', '/api/agents/customer-support/chat', { body: { message: 'hi', ...(trace === undefined ? {} : { trace }) } });
        expect(res.status).toBe(200);
        expect((await talk('GET', `/api/executions/${res.json.execution_id}/trace`)).status).toBe(status);
      }
    } finally {
      await all.close();
    }
  });
});
