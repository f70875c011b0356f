/**
 * Workflows run (DIR-12): the real daemon with the shipped config (router, customer-support,
 * orchestrator; workflow `default`), the fake OpenAI server over HTTP deciding each agent's reply from
 * its system prompt, real SQLite. The router's reply hands the message on; an unknown name goes to
 * the fallback; a chain past max_depth ends with a stated error; OpenAI clients reach a workflow as
 * `model: "workflow:NAME"`.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bySystemPrompt, type FakeOpenAI, type FakeReply } from '../helpers/fake-openai.js';
import { homeRegistry, requireBuild, type TestHome } from '../helpers/cli.js';
import { parseSse } from '../helpers/sse.js';

requireBuild();

const ROUTER = /^You read one user request/;
const SUPPORT = /^You are a friendly, precise customer support agent/;
const ORCHESTRATOR = /^You coordinate work/;
const ANSWER = 'Your order 42 ships tomorrow.';

/** The fake's replies per agent: the router says `routerSays`; support and orchestrator answer. */
const agents = (routerSays: string, supportSays: FakeReply = { content: ANSWER }) =>
  bySystemPrompt([
    [ROUTER, { content: routerSays }],
    [SUPPORT, supportSays],
    [ORCHESTRATOR, { content: 'The orchestrator took it.' }],
  ]);

interface Result {
  reply: string;
  path: string[];
  finish_reason: string;
  error?: string;
  conversation_id: string;
  usage: { input_tokens: number; output_tokens: number };
}

describe('workflows through the real daemon', { timeout: 60_000 }, () => {
  const homes = homeRegistry();
  let fake: FakeOpenAI;
  let home: TestHome;
  let url = '';

  beforeAll(async () => {
    ({ fake, home, url } = await homes.startWithFake(undefined, (h) => {
      h.writeFile('config/workflows/short.toon', 'name: short\nentry_agent: router\nfallback_agent: orchestrator\nmax_depth: 1\nmax_iterations: 5\n');
      h.writeFile('config/workflows/capped.toon', 'name: capped\nentry_agent: router\nmax_depth: 5\nmax_iterations: 2\n');
    }));
  }, 30_000);
  afterAll(() => homes.cleanupAll());
  beforeEach(() => {
    fake.requests.length = 0;
  });

  const chats = () => fake.requests.filter((r) => r.path === '/v1/chat/completions').map((r) => r.body as { messages: { role: string; content: string }[] });
  const runJson = async (name: string, message: string): Promise<Result> => {
    const res = await fetch(`${url}/api/workflows/${name}/run`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message }),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as Result;
  };

  it('workflow list shows the shipped default workflow', async () => {
    const r = await home.run(['workflow', 'list']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/default\s+│?\s*router\s+│?\s*orchestrator/);
  });

  it('workflow run default: the router names customer-support, which answers with the conversation so far', async () => {
    fake.setDefault(agents('customer-support'));
    const r = await home.run(['workflow', 'run', 'default', 'Where is my order?']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(ANSWER);
    expect(r.stderr).toContain('[router -> customer-support]');
    expect(r.stderr).toContain('path router -> customer-support');
    const [routed, answered] = chats();
    expect(routed!.messages.at(-1)).toEqual({ role: 'user', content: 'Where is my order?' });
    expect(answered!.messages[0]!.content).toMatch(SUPPORT);
    expect(answered!.messages.slice(1).map((m) => `${m.role}: ${m.content}`)).toEqual([
      'user: Where is my order?',
      'assistant: customer-support',
      'user: Where is my order?',
    ]);
  });

  it("the JSON answer names the path and sums usage; the conversation holds both agents' turns", async () => {
    fake.setDefault(agents('Customer-Support.'));
    const res = await runJson('default', 'Where is my order?');
    expect(res).toMatchObject({ reply: ANSWER, path: ['router', 'customer-support'], finish_reason: 'stop' });
    expect(res.usage.output_tokens).toBe(1 + ANSWER.split(' ').length);
    const conv = (await (await fetch(`${url}/api/conversations/${res.conversation_id}`)).json()) as { messages: { role: string; content: string }[] };
    expect(conv.messages.map((m) => m.content)).toEqual(['Where is my order?', 'Customer-Support.', 'Where is my order?', ANSWER]);
  });

  it('SSE: agent_started / agent_finished frame each agent, and the routing reply is not streamed as text', async () => {
    fake.setDefault(agents('customer-support'));
    const res = await fetch(`${url}/api/workflows/default/run`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ message: 'Where is my order?' }),
    });
    const events = parseSse(await res.text()).map((e) => ({ type: e.event, data: e.data }));
    const types = events.map((e) => e.type).filter((t) => t !== 'usage');
    expect(types.slice(0, 3)).toEqual(['start', 'agent_started', 'agent_finished']);
    expect(types.slice(3, 4)).toEqual(['agent_started']);
    expect(types.slice(-2)).toEqual(['agent_finished', 'done']);
    expect(events.filter((e) => e.type === 'agent_finished').map((e) => [e.data.agent, e.data.next])).toEqual([
      ['router', 'customer-support'],
      ['customer-support', undefined],
    ]);
    const text = events.filter((e) => e.type === 'text_delta').map((e) => e.data.text as string);
    expect(text.join('')).toBe(ANSWER);
    expect(events.at(-1)!.data.path).toEqual(['router', 'customer-support']);
  });

  it('a reply naming an unknown agent goes to the fallback agent', async () => {
    fake.setDefault(agents('billing'));
    const r = await home.run(['workflow', 'run', 'default', 'Refund my invoice', '--no-stream']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('The orchestrator took it.');
    expect(r.stderr).toContain('path router -> orchestrator');
  });

  it("a later agent's one-word reply that names no agent is its answer, not a hand-over to the fallback", async () => {
    fake.setDefault(agents('customer-support', { content: 'Yes.' }));
    const res = await runJson('default', 'Can I return shoes?');
    expect(res).toMatchObject({ reply: 'Yes.', path: ['router', 'customer-support'], finish_reason: 'stop' });
    // Streamed, the one word held back while it could have been a name is sent once it is the answer.
    const r = await home.run(['workflow', 'run', 'default', 'Can I return shoes?']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toBe('Yes.\n');
  });

  it('any other reply is the answer: the workflow ends at the router', async () => {
    fake.setDefault(agents('Please tell me more about what you need.'));
    const res = await runJson('default', 'hi');
    expect(res).toMatchObject({ reply: 'Please tell me more about what you need.', path: ['router'], finish_reason: 'stop' });
  });

  it('a hop past max_depth ends with a stated error naming the chain (CLI exit 1)', async () => {
    fake.setDefault(agents('customer-support', { content: 'orchestrator' }));
    const r = await home.run(['workflow', 'run', 'short', 'Where is my order?']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('workflow short stopped at max_depth 1: router -> customer-support -> orchestrator');
    const res = await runJson('short', 'Where is my order?');
    expect(res).toMatchObject({ path: ['router', 'customer-support'], finish_reason: 'error', reply: 'orchestrator' });
  });

  it('agent runs past max_iterations end with a stated max_iterations', async () => {
    fake.setDefault(agents('customer-support', { content: 'orchestrator' }));
    const res = await runJson('capped', 'Where is my order?');
    expect(res).toMatchObject({ path: ['router', 'customer-support'], finish_reason: 'max_iterations' });
    expect(res.error).toBe('workflow capped stopped at max_iterations 2 agent runs: router -> customer-support -> orchestrator');
  });

  it("a hand-over to a stopped agent fails with its reason, as a 503 or as the stream's error event", async () => {
    fake.setDefault(agents('customer-support'));
    expect((await home.run(['agent', 'stop', 'customer-support'])).exitCode).toBe(0);
    try {
      const res = await fetch(`${url}/api/workflows/default/run`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"message":"Where?"}',
      });
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain('customer-support');
      const r = await home.run(['workflow', 'run', 'default', 'Where?']);
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toContain('customer-support');
    } finally {
      await home.run(['agent', 'start', 'customer-support']);
    }
  });

  it('an unknown workflow is a 404 naming the workflows there are', async () => {
    const res = await fetch(`${url}/api/workflows/nope/run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"message":"hi"}' });
    expect(res.status).toBe(404);
    expect(JSON.stringify(await res.json())).toContain('use one of: capped, default, short');
  });

  it('the official openai client runs model "workflow:default", listed in /v1/models, JSON and streaming', async () => {
    fake.setDefault(agents('customer-support'));
    const key = JSON.parse((await home.run(['--json', 'key', 'create', '--name', 'sdk'])).stdout).key as string;
    const sdk = new OpenAI({ apiKey: key, baseURL: `${url}/v1`, maxRetries: 0 });
    const models = (await sdk.models.list()).data.map((m) => m.id);
    expect(models).toContain('workflow:default');
    const res = await sdk.chat.completions.create({ model: 'workflow:default', messages: [{ role: 'user', content: 'Where is my order?' }] });
    expect(res.choices[0]!.message.content).toBe(ANSWER);
    const stream = await sdk.chat.completions.create({ model: 'workflow:default', messages: [{ role: 'user', content: 'Where is my order?' }], stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe(ANSWER);
    // Stateless: the answering agent got the router's turn as history.
    expect(
      chats()
        .at(-1)!
        .messages.slice(1)
        .map((m) => m.content),
    ).toEqual(['Where is my order?', 'customer-support', 'Where is my order?']);
  });
});
