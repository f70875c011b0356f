/**
 * Client-side tools and the Responses API through the real daemon (TCP, an API key of `local`), with
 * the official `openai` client and the fake OpenAI server as the agent's model: a client tool call
 * comes back for the client to run and its result leads to the answer, on /v1/chat/completions and on
 * /v1/responses (continued with previous_response_id); such runs are recorded as `tool_calls` successes.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { homeRegistry, requireBuild } from '../helpers/cli.js';
import type { FakeOpenAI } from '../helpers/fake-openai.js';

requireBuild();

describe('client tools and the Responses API through the real daemon', { timeout: 60_000 }, () => {
  const homes = homeRegistry();
  let fake: FakeOpenAI;
  let url = '';
  let sdk: OpenAI;
  const weather = { name: 'get_weather', description: 'Weather of a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } };

  beforeAll(async () => {
    let home;
    ({ fake, home, url } = await homes.startWithFake());
    // The SDK always sends a bearer credential, so give it a real API key of `local`.
    const key = JSON.parse((await home.run(['--json', 'key', 'create', '--name', 'sdk'])).stdout).key as string;
    sdk = new OpenAI({ apiKey: key, baseURL: `${url}/v1`, maxRetries: 0 });
  }, 30_000);
  afterAll(() => homes.cleanupAll());

  it('chat completions: the client tool call comes back, its result leads to the answer', async () => {
    fake.enqueue({ tool_calls: [{ id: 'call_e1', name: 'get_weather', arguments: '{"city":"Paris"}' }] }, { content: 'Paris is sunny.' });
    const ask: OpenAI.ChatCompletionMessageParam = { role: 'user', content: 'Weather in Paris?' };
    const tools: OpenAI.ChatCompletionTool[] = [{ type: 'function', function: weather }];
    const first = await sdk.chat.completions.create({ model: 'router', messages: [ask], tools });
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    const message = first.choices[0]!.message;
    const final = await sdk.chat.completions.create({
      model: 'router',
      tools,
      messages: [ask, message, { role: 'tool', tool_call_id: message.tool_calls![0]!.id, content: 'sunny' }],
    });
    expect(final.choices[0]!.message.content).toBe('Paris is sunny.');
    const rows = (await (await fetch(`${url}/api/executions?agent=router`)).json()) as { executions: { status: string; finish_reason: string }[] };
    expect(rows.executions.map((e) => `${e.status}/${e.finish_reason}`).sort()).toEqual(['success/stop', 'success/tool_calls']);
  });

  it('responses: function_call out, function_call_output back on the stored conversation, streamed answer', async () => {
    fake.enqueue({ tool_calls: [{ id: 'call_e2', name: 'get_weather', arguments: '{"city":"Oslo"}' }] }, { content: 'Oslo has snow.' });
    const first = await sdk.responses.create({ model: 'router', input: 'Weather in Oslo?', tools: [{ type: 'function', strict: false, ...weather }] });
    const call = first.output.find((o) => o.type === 'function_call')!;
    expect(call).toMatchObject({ call_id: 'call_e2', name: 'get_weather' });
    const stream = sdk.responses.stream({
      model: 'router',
      previous_response_id: first.id,
      input: [{ type: 'function_call_output', call_id: 'call_e2', output: 'snow' }],
    });
    const final = await stream.finalResponse();
    expect(final.output_text).toBe('Oslo has snow.');
    expect(fake.requests.at(-1)!.body.messages.slice(-2)).toMatchObject([
      { role: 'assistant', tool_calls: [{ id: 'call_e2' }] },
      { role: 'tool', tool_call_id: 'call_e2', content: 'snow' },
    ]);
  });
});
