/**
 * The official `openai` client against the real daemon's `/v1` (TCP, with an API key of `local`):
 * every call carries the whole conversation, and the model behind the agent (the fake OpenAI server)
 * receives those earlier turns after the agent's own system prompt, streaming or not. Such calls are
 * stateless: the daemon stores no conversation for them.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { homeRegistry, requireBuild, type TestHome } from '../helpers/cli.js';
import type { FakeOpenAI } from '../helpers/fake-openai.js';

requireBuild();

describe('OpenAI-compatible history through the real daemon', { timeout: 60_000 }, () => {
  const homes = homeRegistry();
  let fake: FakeOpenAI;
  let home: TestHome;
  let url = '';
  let sdk: OpenAI;

  beforeAll(async () => {
    ({ fake, home, url } = await homes.startWithFake({ default: { content: 'You said your name is Ada.' } }));
    // The SDK always sends a bearer credential, so give it a real API key of `local`.
    const key = JSON.parse((await home.run(['--json', 'key', 'create', '--name', 'sdk'])).stdout).key as string;
    sdk = new OpenAI({ apiKey: key, baseURL: `${url}/v1`, maxRetries: 0 });
  }, 30_000);
  afterAll(() => homes.cleanupAll());

  const history: OpenAI.ChatCompletionMessageParam[] = [
    { role: 'system', content: 'Answer in one sentence.' },
    { role: 'user', content: 'My name is Ada.' },
    { role: 'assistant', content: 'Nice to meet you, Ada.' },
    { role: 'user', content: 'What is my name?' },
  ];
  const sentContents = () => (fake.requests.at(-1)!.body.messages as { role: string; content: string }[]).map((m) => `${m.role}: ${m.content}`);

  it('the earlier turns reach the model, JSON and streaming, and no conversation is stored', async () => {
    const res = await sdk.chat.completions.create({ model: 'router', messages: history });
    expect(res.choices[0]!.message.content).toBe('You said your name is Ada.');
    const sent = sentContents();
    expect(sent[0]).toMatch(/^system: /);
    expect(sent.slice(1)).toEqual(['system: Answer in one sentence.', 'user: My name is Ada.', 'assistant: Nice to meet you, Ada.', 'user: What is my name?']);

    const stream = await sdk.chat.completions.create({ model: 'router', messages: history, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe('You said your name is Ada.');
    expect(usage!.total_tokens).toBeGreaterThan(0);
    expect(sentContents().slice(1)).toEqual([
      'system: Answer in one sentence.',
      'user: My name is Ada.',
      'assistant: Nice to meet you, Ada.',
      'user: What is my name?',
    ]);

    const conversations = (await (await fetch(`${url}/api/conversations`)).json()) as { conversations: unknown[] };
    expect(conversations.conversations).toEqual([]);
    const executions = (await (await fetch(`${url}/api/executions?agent=router`)).json()) as { executions: { status: string }[] };
    expect(executions.executions.map((e) => e.status)).toEqual(['success', 'success']);
  });
});
