/**
 * Sub-agents as tools and capability routing (issue: agents that work together), end to end over
 * the app with a real SQLite file and the fake OpenAI server: `agent__NAME` runs the sub-agent as a
 * child run whose reply is the tool result; the tree (`GET /api/executions/:id`) shows both rows
 * with tokens rolled up; `parallel_subagents` children overlap in time and serial ones do not, and
 * a workflow's `parallel_subagents = true` makes its agents' children overlap too; a
 * loop is refused naming the chain; depth past `max_delegation_depth` and a failing child give
 * stated errors; capability routing alternates, skips a stopped agent and names every agent's state
 * when none can run; another user's private agent is reached neither by name nor by capability.
 *
 * The fake decides each reply from the agent's system prompt: `ROLE name`, `CALL tool,tool` (the
 * first turn calls those tools), `DELAY ms`, `FAIL` (HTTP 500); once tool results are in, it answers
 * `NAME got: RESULT | RESULT`.
 */
import { cpSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeReply, type FakeRequestLog } from '../helpers/fake-openai.js';
import { tempDir } from '../helpers/tmp.js';
import { client, makeApp } from './fixture.js';
import { collect, sseEvents } from '../helpers/sse.js';

const USAGE = { prompt_tokens: 7, completion_tokens: 3 };

/** The reply the system prompt of the request asks for (module comment). */
function reply(req: FakeRequestLog): FakeReply {
  const messages = req.body.messages as { role: string; content: string | null }[];
  const system = messages[0]!.content ?? '';
  const role = /ROLE (\S+)/.exec(system)?.[1] ?? 'unknown';
  if (system.includes('FAIL')) return { status: 500 };
  const delay = Number(/DELAY (\d+)/.exec(system)?.[1] ?? 0);
  const results: string[] = [];
  for (let i = messages.length - 1; messages[i]!.role === 'tool'; i--) results.unshift(messages[i]!.content ?? '');
  if (results.length) return { content: `${role} got: ${results.join(' | ')}`, usage: USAGE };
  const calls = /CALL (\S+)/.exec(system)?.[1];
  if (calls) return { tool_calls: calls.split(',').map((name) => ({ name, arguments: JSON.stringify({ input: `task from ${role}` }) })), usage: USAGE };
  return { content: `${role} says hi`, usage: USAGE, ...(delay ? { delay_ms: delay } : {}) };
}

const fake = await startFakeOpenAI({ default: reply });
const configDir = tempDir('cx-subagents-config-');
cpSync(resolve(__dirname, '../../config'), configDir, { recursive: true });
const agent = (name: string, prompt: string, extra: Record<string, unknown> = {}) =>
  writeFileSync(join(configDir, 'agents', `${name}.json`), JSON.stringify({ name, model: 'fast', system_prompt: `ROLE ${name} ${prompt}`, ...extra }));
agent('boss', 'CALL agent__helper', { agents: ['helper'] });
agent('helper', 'answers', { description: 'Answers one question' });
agent('pboss', 'CALL agent__slow1,agent__slow2', { agents: ['slow1', 'slow2'], parallel_subagents: true });
agent('sboss', 'CALL agent__slow1,agent__slow2', { agents: ['slow1', 'slow2'], parallel_tools: true });
agent('slow1', 'DELAY 300');
agent('slow2', 'DELAY 300');
agent('loopa', 'CALL agent__loopb', { agents: ['loopb'] });
// The serial boss as the entry agent of a workflow that runs sub-agents at once.
writeFileSync(join(configDir, 'workflows', 'pflow.json'), JSON.stringify({ name: 'pflow', entry_agent: 'sboss', parallel_subagents: true }));
agent('loopb', 'CALL agent__loopa', { agents: ['loopa'] });
for (let i = 1; i <= 5; i++) agent(`d${i}`, i < 5 ? `CALL agent__d${i + 1}` : 'bottom', i < 5 ? { agents: [`d${i + 1}`] } : {});
agent('waiter', 'CALL agent__sleeper', { agents: ['sleeper'] });
agent('sleeper', 'DELAY 20000');
agent('flakyboss', 'CALL agent__flaky', { agents: ['flaky'] });
agent('flaky', 'FAIL');
agent('capboss', 'CALL capability__billing', { agents: ['capability:billing'] });
agent('invoice', 'bills', { capabilities: ['billing'] });
agent('finance', 'bills too', { capabilities: ['billing'] });

const t = await makeApp({ fakeUrl: fake.url, configDir });
const call = client(t.app);
const socket = { socket: true } as const;
afterAll(async () => {
  await t.close();
  await fake.close();
});

const chat = async (name: string, as?: string) => {
  const res = await call('POST', `/api/agents/${name}/chat`, { ...socket, ...(as ? { as } : {}), body: { message: 'go' } });
  expect(res.status, JSON.stringify(res.json)).toBe(200);
  return res.json as { reply: string; execution_id: string; usage: { input_tokens: number; output_tokens: number } };
};
const tree = async (id: string) => (await call('GET', `/api/executions/${id}`, socket)).json;
const span = (n: { created_at: number; duration_ms: number }) => ({ start: n.created_at, end: n.created_at + n.duration_ms });

beforeAll(async () => {
  for (const email of ['alice@example.com', 'bob@example.com']) {
    expect((await call('POST', '/api/auth/register', { body: { email, password: 'correct horse' } })).status).toBe(201);
  }
});

describe('sub-agents as tools', () => {
  it("a parent's agent__helper call runs helper; its answer is the tool result and the tree rolls tokens up", async () => {
    const done = await chat('boss');
    expect(done.reply).toBe('boss got: helper says hi');
    // boss made two model calls, helper one: the response counts all three.
    expect(done.usage).toEqual({ input_tokens: 21, output_tokens: 9 });
    const first = fake.requests.find((r) => r.body?.messages?.[0]?.content?.startsWith('ROLE boss'))!;
    expect(first.body.tools).toEqual([
      expect.objectContaining({
        function: expect.objectContaining({
          name: 'agent__helper',
          description: 'Answers one question',
          parameters: expect.objectContaining({ required: ['input'] }),
        }),
      }),
    ]);
    const root = await tree(done.execution_id);
    expect(root).toMatchObject({ agent_name: 'boss', status: 'success', tokens_input: 14, tokens_output: 6, totals: { tokens_input: 21, tokens_output: 9 } });
    expect(root.tool_calls).toEqual([expect.objectContaining({ name: 'agent__helper', result: 'helper says hi', is_error: false })]);
    expect(root.children).toHaveLength(1);
    expect(root.children[0]).toMatchObject({
      agent_name: 'helper',
      input: 'task from boss',
      output: 'helper says hi',
      status: 'success',
      parent_execution_id: done.execution_id,
      root_execution_id: done.execution_id,
      tokens_input: 7,
      children: [],
    });
    // Asked for the child, the tree starts there.
    expect((await tree(root.children[0].id)).agent_name).toBe('helper');
  });

  it('with parallel_subagents two children run at the same time; without it one after the other', async () => {
    const parallel = await tree((await chat('pboss')).execution_id);
    expect(parallel.reply ?? parallel.output).toBe('pboss got: slow1 says hi | slow2 says hi');
    const [a, b] = parallel.children.map(span);
    expect(a.start < b.end && b.start < a.end).toBe(true);
    const serial = await tree((await chat('sboss')).execution_id);
    const [c, d] = serial.children.map(span);
    expect(c.end <= d.start || d.end <= c.start).toBe(true);
  });

  it("a workflow's parallel_subagents runs its agents' sub-agent calls at the same time", async () => {
    const res = await call('POST', '/api/workflows/pflow/run', { ...socket, body: { message: 'go' } });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    expect(res.json).toMatchObject({ reply: 'sboss got: slow1 says hi | slow2 says hi', path: ['sboss'] });
    const [a, b] = (await tree(res.json.execution_id)).children.map(span);
    expect(a.start < b.end && b.start < a.end).toBe(true);
  });

  it('a delegation back to an agent on the chain is refused naming the chain', async () => {
    const done = await chat('loopa');
    expect(done.reply).toBe('loopa got: loopb got: error: loop: loopa -> loopb -> loopa');
    const root = await tree(done.execution_id);
    expect(root.children).toHaveLength(1);
    expect(root.children[0].children).toEqual([]);
  });

  it('a chain deeper than max_delegation_depth (3) ends with a stated error', async () => {
    const done = await chat('d1');
    expect(done.reply).toContain('d4 got: error: delegation too deep: d1 -> d2 -> d3 -> d4 -> d5 is 4 hops, past [runtime] max_delegation_depth = 3');
  });

  it('a child that fails gives its parent an error result with the reason', async () => {
    const done = await chat('flakyboss');
    expect(done.reply).toMatch(/^flakyboss got: error: agent flaky failed: .+/);
    const root = await tree(done.execution_id);
    expect(root.tool_calls[0]).toMatchObject({ name: 'agent__flaky', is_error: true });
    expect(root.children[0]).toMatchObject({ agent_name: 'flaky', status: 'error' });
  });

  it("cancelling the parent's request cancels its child run", async () => {
    const abort = new AbortController();
    const res = await t.app.request(
      '/api/agents/waiter/chat',
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: 'go', stream: true }), signal: abort.signal },
      { transport: 'socket' },
    );
    const events = sseEvents(res);
    const seen = await collect(events, (e) => e.event === 'tool_call');
    const executionId = seen.find((e) => e.data.execution_id)!.data.execution_id as string;
    abort.abort();
    await events.return(undefined).catch(() => undefined);
    await t.runtime.idle();
    const root = await tree(executionId);
    expect(root.status).toBe('cancelled');
    expect(root.children).toEqual([expect.objectContaining({ agent_name: 'sleeper', status: 'cancelled' })]);
  });

  it('another user cannot see the execution tree', async () => {
    const done = await chat('boss');
    const other = await call('GET', `/api/executions/${done.execution_id}`, { ...socket, as: 'bob@example.com' });
    expect(other.status).toBe(404);
  });
});

describe('capability routing', () => {
  const ask = (as?: string) => call('POST', '/api/capabilities/billing/chat', { ...socket, ...(as ? { as } : {}), body: { message: 'my bill' } });

  it('lists capabilities with their agents and state', async () => {
    const res = await call('GET', '/api/capabilities', socket);
    expect(res.status).toBe(200);
    const billing = res.json.capabilities.find((c: { capability: string }) => c.capability === 'billing');
    expect(billing.agents.map((a: { agent: string }) => a.agent)).toEqual(['finance', 'invoice']);
  });

  it('two agents with one capability alternate; the decision is recorded on the execution', async () => {
    const first = await ask();
    const second = await ask();
    expect(first.status).toBe(200);
    expect(new Set([first.json.agent, second.json.agent])).toEqual(new Set(['finance', 'invoice']));
    expect(first.json.reply).toBe(`${first.json.agent} says hi`);
    const row = await tree(first.json.execution_id);
    expect(row.routing).toMatchObject({ capability: 'billing', chosen: first.json.agent, candidates: [{ agent: 'finance' }, { agent: 'invoice' }] });
    expect(t.lines.some((l) => l.msg === 'capability routed' && l.capability === 'billing')).toBe(true);
  });

  it('a capability__ tool routes the child run and records the decision on its row', async () => {
    const done = await chat('capboss');
    const root = await tree(done.execution_id);
    expect(root.children[0].routing).toMatchObject({ capability: 'billing', chosen: root.children[0].agent_name });
    expect(done.reply).toBe(`capboss got: ${root.children[0].agent_name} says hi`);
  });

  it('a stopped agent is skipped; with none running the error names each agent and its state', async () => {
    expect((await call('POST', '/api/agents/invoice/stop', socket)).status).toBe(200);
    expect((await ask()).json.agent).toBe('finance');
    expect((await ask()).json.agent).toBe('finance');
    expect((await call('POST', '/api/agents/finance/stop', socket)).status).toBe(200);
    const none = await ask();
    expect(none.status).toBe(503);
    expect(none.json.error.message).toBe('billing: finance (stopped), invoice (stopped)');
    const viaTool = await chat('capboss');
    expect(viaTool.reply).toBe('capboss got: error: billing: finance (stopped), invoice (stopped)');
    for (const name of ['invoice', 'finance']) expect((await call('POST', `/api/agents/${name}/start`, socket)).status).toBe(200);
  });

  it("user B's agent reaches user A's private agent neither by name nor by capability", async () => {
    const alice = { ...socket, as: 'alice@example.com' };
    const bob = { ...socket, as: 'bob@example.com' };
    expect(
      (await call('POST', '/api/agents', { ...alice, body: { name: 'secret', model: 'fast', system_prompt: 'ROLE secret', capabilities: ['vault'] } })).status,
    ).toBe(201);
    const byName = await call('POST', '/api/agents', { ...bob, body: { name: 'spy', model: 'fast', system_prompt: 'ROLE spy', agents: ['secret'] } });
    expect(byName.status).toBe(400);
    expect(byName.json.error.details[0]).toMatchObject({ field: 'agents.0', message: expect.stringContaining('secret') });
    // Listing only a capability, the model still calls both: neither reaches Alice's agent.
    const spy = { name: 'spy', model: 'fast', system_prompt: 'ROLE spy CALL capability__vault,agent__secret', agents: ['capability:vault'] };
    expect((await call('POST', '/api/agents', { ...bob, body: spy })).status).toBe(201);
    const done = await chat('spy', 'bob@example.com');
    expect(done.reply).toMatch(/^spy got: error: capability vault not found: no agent you can use offers it \| error: .*agent__secret/);
    expect(fake.requests.some((r) => r.body?.messages?.[0]?.content === 'ROLE secret')).toBe(false);
    expect((await call('GET', '/api/capabilities', bob)).json.capabilities.some((c: { capability: string }) => c.capability === 'vault')).toBe(false);
    // Alice's own list has it: the index was refreshed when her agent was written.
    expect((await call('GET', '/api/capabilities', alice)).json.capabilities.find((c: { capability: string }) => c.capability === 'vault').agents).toEqual([
      expect.objectContaining({ agent: 'secret' }),
    ]);
  });
});
