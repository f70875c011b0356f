/**
 * The runtime's tool loop over the scripted provider, a real SQLite store and a real Toolbox:
 * tool round trips, parallel tools, the iteration limit, throwing and hanging tools, per-step
 * persistence, lifecycle and per-agent isolation.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { AgentSchema, ModelSchema, type Agent } from '../../src/domain/entities.js';
import { DomainError } from '../../src/domain/errors.js';
import { createScriptedProvider, type ScriptStep } from '../../src/llm/scripted.js';
import type { Provider } from '../../src/llm/types.js';
import type { RunEvent } from '../../src/runtime/events.js';
import { createRuntime, type RuntimeDeps } from '../../src/runtime/run.js';
import { openSqliteStore } from '../../src/store/sqlite/database.js';
import { createToolbox } from '../../src/tools/toolbox.js';
import type { ToolDefinition, ToolSet } from '../../src/tools/types.js';
import { tempDir } from '../helpers/tmp.js';
import { executionById } from '../helpers/store.js';

const store = openSqliteStore(join(tempDir('cx-rt-'), 'ares.db'));
afterAll(async () => await store.close());

const model = ModelSchema.parse({ name: 'm', provider: 'p', model: 'gpt-4o-mini', input_cost_per_mtok: 1, output_cost_per_mtok: 2 });
const agentOf = (over: Partial<Agent> = {}): Agent =>
  AgentSchema.parse({ name: 'helper', system_prompt: 'You help.', tools: ['add', 'boom', 'hang', 'slow'], ...over });

const def = (name: string, timeoutMs = 5_000): ToolDefinition => ({ name, spec: { name, parameters: { type: 'object' } }, timeoutMs });
const started: string[] = [];
const tools: ToolSet = {
  list: () => [def('add'), def('boom'), def('hang', 100), def('slow')],
  async call(name, args, ctx) {
    started.push(name);
    const a = args as { a: number; b: number; ms?: number };
    if (name === 'add') return { content: String(a.a + a.b) };
    if (name === 'boom') throw new Error('the tool exploded');
    if (name === 'slow') {
      await new Promise((r) => setTimeout(r, a.ms ?? 20));
      return { content: `slept ${a.ms}` };
    }
    return new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted'))));
  },
};

function runtimeWith(providers: Record<string, Provider>, extra: Partial<RuntimeDeps> = {}) {
  return createRuntime({
    store,
    providers: { get: async (n) => providers[n] ?? providers.p! },
    toolbox: createToolbox({ sets: () => [tools] }),
    ...extra,
  });
}

async function collect(events: AsyncIterable<RunEvent>): Promise<RunEvent[]> {
  const out: RunEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

const call = (name: string, args: Record<string, unknown>, id?: string) => ({ name, arguments: args, ...(id ? { id } : {}) });

describe('runtime tool loop', () => {
  it('runs a tool the model asks for and sends its result back, then answers', async () => {
    const p = createScriptedProvider(
      'p',
      [
        { tool_calls: [call('add', { a: 2, b: 3 }, 'c1')], usage: { input_tokens: 10, output_tokens: 5 } },
        { text: 'The sum is 5.', usage: { input_tokens: 20, output_tokens: 4 } },
      ],
      { whenEmpty: 'error' },
    );
    const events = await collect(runtimeWith({ p }).run({ agent: agentOf(), source: 'system', model, message: 'add 2 and 3', userId: 'local' }));
    const types = events.map((e) => e.type);
    expect(types.filter((t) => t === 'tool_call' || t === 'tool_result' || t === 'done')).toEqual(['tool_call', 'tool_result', 'done']);
    expect(events.find((e) => e.type === 'tool_result')).toMatchObject({ id: 'c1', name: 'add', result: '5', is_error: false });
    const done = events.at(-1)!;
    expect(done).toMatchObject({ type: 'done', reply: 'The sum is 5.', finish_reason: 'stop', usage: { input_tokens: 30, output_tokens: 9 } });
    // The second request carried the assistant's tool call and the tool's answer.
    const second = p.requests[1]!.messages;
    expect(second.at(-2)).toMatchObject({ role: 'assistant', tool_calls: [{ id: 'c1', function: { name: 'add' } }] });
    expect(second.at(-1)).toEqual({ role: 'tool', content: '5', tool_call_id: 'c1' });
    expect(p.requests[0]!.tools?.map((t) => t.name)).toEqual(['add', 'boom', 'hang', 'slow']);
    // Persisted: user, assistant(tool call), tool, assistant; and an execution row with the tool call and cost.
    if (done.type !== 'done') throw new Error('no done');
    expect((await store.conversations.messages(done.conversation_id)).map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'assistant']);
    const row = (await executionById(store, done.execution_id))!;
    expect(row).toMatchObject({ status: 'success', tokens_input: 30, tokens_output: 9, finish_reason: 'stop', iterations: 2, output: 'The sum is 5.' });
    expect(row.cost_usd).toBeCloseTo((30 * 1 + 9 * 2) / 1e6, 12);
    expect(row.tool_calls).toEqual([expect.objectContaining({ name: 'add', arguments: '{"a":2,"b":3}', result: '5', is_error: false })]);
  });

  it('runs parallel tool calls concurrently when parallel_tools is on, results in call order', async () => {
    const p = createScriptedProvider('p', [{ tool_calls: [call('slow', { ms: 80 }, 's1'), call('slow', { ms: 10 }, 's2')] }, { text: 'both done' }]);
    const events = await collect(runtimeWith({ p }).run({ agent: agentOf({ parallel_tools: true }), source: 'system', model, message: 'go', userId: 'local' }));
    // The short call's result arrives first: it did not wait for the long one.
    expect(events.filter((e) => e.type === 'tool_result').map((e) => (e as { id: string }).id)).toEqual(['s2', 's1']);
    expect(p.requests[0]!.parallel_tool_calls).toBe(true);
    expect(p.requests[1]!.messages.filter((m) => m.role === 'tool').map((m) => (m as { tool_call_id: string }).tool_call_id)).toEqual(['s1', 's2']);
  });

  it('runs tool calls one after another when parallel_tools is off', async () => {
    const p = createScriptedProvider('p', [{ tool_calls: [call('slow', { ms: 80 }, 'q1'), call('slow', { ms: 10 }, 'q2')] }, { text: 'ok' }]);
    const events = await collect(runtimeWith({ p }).run({ agent: agentOf(), source: 'system', model, message: 'go', userId: 'local' }));
    expect(events.filter((e) => e.type === 'tool_result').map((e) => (e as { id: string }).id)).toEqual(['q1', 'q2']);
  });

  it('ends with an explicit message and finish_reason max_iterations when the model keeps calling tools', async () => {
    const p = createScriptedProvider('p', []);
    p.push(...Array.from({ length: 10 }, (): ScriptStep => ({ tool_calls: [call('add', { a: 1, b: 1 })] })));
    const events = await collect(
      runtimeWith({ p }).run({ agent: agentOf({ max_tool_iterations: 2 }), source: 'system', model, message: 'loop', userId: 'local' }),
    );
    const done = events.at(-1)!;
    expect(done).toMatchObject({ type: 'done', finish_reason: 'max_iterations' });
    if (done.type !== 'done') throw new Error('no done');
    expect(done.reply).toMatch(/limit of 2 tool iterations/);
    expect(events.filter((e) => e.type === 'tool_result')).toHaveLength(2);
    expect(p.requests).toHaveLength(3);
    expect(await executionById(store, done.execution_id)).toMatchObject({ status: 'success', finish_reason: 'max_iterations', iterations: 3 });
    // The stored conversation stays valid: every tool call has its result, the last word is the explicit message.
    const msgs = await store.conversations.messages(done.conversation_id);
    expect(msgs.at(-1)).toMatchObject({ role: 'assistant', content: expect.stringMatching(/max_tool_iterations/) });
    expect(msgs.filter((m) => m.tool_calls).length).toBe(msgs.filter((m) => m.role === 'tool').length);
  });

  it('returns a throwing tool, a hanging tool and bad arguments to the model as error results', async () => {
    const p = createScriptedProvider('p', [
      { tool_calls: [call('boom', {}, 'b1'), call('hang', {}, 'h1')] },
      { tool_calls: [{ id: 'j1', name: 'add', arguments: '{not json' }, call('nope', {}, 'n1')] },
      { text: 'sorry, the tools failed' },
    ]);
    const events = await collect(runtimeWith({ p }).run({ agent: agentOf(), source: 'system', model, message: 'try', userId: 'local' }));
    const results = Object.fromEntries(events.filter((e) => e.type === 'tool_result').map((e) => [(e as { id: string }).id, e]));
    expect(results.b1).toMatchObject({ is_error: true, result: expect.stringMatching(/the tool exploded/) });
    expect(results.h1).toMatchObject({ is_error: true, result: expect.stringMatching(/timed out after 0.1 s/) });
    expect(results.j1).toMatchObject({ is_error: true, result: expect.stringMatching(/not valid JSON/) });
    expect(results.n1).toMatchObject({ is_error: true, result: expect.stringMatching(/no tool named nope/) });
    expect(events.at(-1)).toMatchObject({ type: 'done', reply: 'sorry, the tools failed' });
    const tool = p.requests[1]!.messages.find((m) => m.role === 'tool' && m.tool_call_id === 'h1');
    expect(tool?.content).toMatch(/timed out/);
    const done = events.at(-1) as { execution_id: string };
    expect((await executionById(store, done.execution_id))!.tool_calls).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: 'h1', timed_out: true })]),
    );
  });

  it('persists each step: a run that fails after a tool round keeps that round and records the error', async () => {
    const p = createScriptedProvider('p', [
      { tool_calls: [call('add', { a: 1, b: 2 }, 'k1')] },
      { error: new DomainError('PROVIDER_ERROR', 'provider p (HTTP 500): down') },
    ]);
    const events = await collect(runtimeWith({ p }).run({ agent: agentOf(), source: 'system', model, message: 'half', userId: 'local' }));
    const err = events.at(-1)!;
    expect(err).toMatchObject({ type: 'error', code: 'PROVIDER_ERROR' });
    if (err.type !== 'error') throw new Error('no error');
    expect((await store.conversations.messages(err.conversation_id!)).map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
    expect(await executionById(store, err.execution_id!)).toMatchObject({ status: 'error', error_message: 'provider p (HTTP 500): down' });
  });

  it('records a provider timeout as status timeout', async () => {
    const p = createScriptedProvider('p', [{ error: new DomainError('TIMEOUT', 'provider p: no response within 50 ms') }]);
    const events = await collect(runtimeWith({ p }).run({ agent: agentOf(), source: 'system', model, message: 'x', userId: 'local' }));
    const err = events.at(-1) as { execution_id: string; code: string };
    expect(err.code).toBe('TIMEOUT');
    expect(await executionById(store, err.execution_id)).toMatchObject({ status: 'timeout' });
  });

  it('cancels a run whose provider hangs when the signal aborts, and records it', async () => {
    const p = createScriptedProvider('p', [{ hang: true }]);
    const ac = new AbortController();
    const it = runtimeWith({ p }).run({ agent: agentOf(), source: 'system', model, message: 'x', userId: 'local', signal: ac.signal });
    setTimeout(() => ac.abort(), 30);
    const events = await collect(it);
    const err = events.at(-1) as { type: string; code: string; execution_id: string };
    expect(err).toMatchObject({ type: 'error', code: 'CANCELLED' });
    expect(await executionById(store, err.execution_id)).toMatchObject({ status: 'cancelled', finish_reason: 'cancelled', error_message: 'run cancelled' });
  });

  it('retain drops the lifecycle state of agents that no longer exist, and only theirs', async () => {
    const rt = runtimeWith({ p: createScriptedProvider('p', []) });
    for (const name of ['kept', 'gone']) await collect(rt.run({ agent: agentOf({ name, tools: [] }), source: 'system', model, message: 'x', userId: 'local' }));
    rt.agents.stop('kept');
    rt.agents.retain((key) => key !== 'gone');
    expect(rt.agents.list().map((s) => [s.name, s.state])).toEqual([['kept', 'stopped']]);
  });

  it('cancelAll ends running and queued runs with the reason, records them cancelled, and refuses later runs', async () => {
    const p = createScriptedProvider('p', [{ hang: true }, { hang: true }]);
    const rt = runtimeWith({ p }, { limits: { maxConcurrentPerAgent: 1 } });
    const runOf = () => collect(rt.run({ agent: agentOf({ name: 'shut', tools: [] }), source: 'system', model, message: 'x', userId: 'local' }));
    const running = runOf();
    const queued = runOf();
    await vi.waitFor(() => expect(rt.agents.status('shut')).toMatchObject({ active: 1, queued: 1 }));
    let idle = false;
    const idled = rt.idle().then(() => (idle = true));
    expect(idle).toBe(false);
    rt.cancelAll('daemon shutting down');
    const later = runOf();
    for (const events of await Promise.all([running, queued, later])) {
      const err = events.at(-1) as { type: string; code: string; message: string; execution_id: string };
      expect(err).toMatchObject({ type: 'error', code: 'CANCELLED', message: 'daemon shutting down' });
      expect(await executionById(store, err.execution_id)).toMatchObject({
        status: 'cancelled',
        finish_reason: 'cancelled',
        error_message: 'daemon shutting down',
      });
    }
    await idled;
    expect(rt.agents.status('shut')).toMatchObject({ active: 0, queued: 0 });
  });

  it('keeps history across turns and trims the oldest turns to the context budget', async () => {
    const p = createScriptedProvider('p', []);
    const rt = runtimeWith({ p }, { contextWindow: () => 1024 + 400 });
    let conv: string | undefined;
    for (let i = 1; i <= 6; i++) {
      const ev = await collect(
        rt.run({
          agent: agentOf({ tools: [] }),
          source: 'system',
          model,
          message: `turn ${i} ${'x'.repeat(200)}`,
          userId: 'local',
          ...(conv ? { conversationId: conv } : {}),
        }),
      );
      conv = (ev.at(-1) as { conversation_id: string }).conversation_id;
    }
    const last = p.requests.at(-1)!.messages;
    const users = last.filter((m) => m.role === 'user').map((m) => (m.content as string).slice(0, 6));
    expect(users.at(-1)).toBe('turn 6');
    expect(users.length).toBeLessThan(6); // older turns dropped...
    expect(users).toContain('turn 5'); // ...newest kept
    expect(last[0]).toMatchObject({ role: 'system' });
    expect(last[1]!.role).toBe('user'); // cut at a turn boundary
    expect(await store.conversations.messages(conv!)).toHaveLength(12); // the store keeps everything
  });
});

describe('runtime isolation and lifecycle', () => {
  it('a hung provider for agent A does not delay agent B, and A queues behind its own limit', async () => {
    const hung = createScriptedProvider('hung', []);
    hung.push(...Array.from({ length: 5 }, (): ScriptStep => ({ hang: true })));
    const ok = createScriptedProvider('ok', []);
    const rt = runtimeWith({ hung, ok }, { limits: { maxConcurrentPerAgent: 2, maxQueuedPerAgent: 1 } });
    const modelA = { ...model, provider: 'hung' };
    const modelB = { ...model, provider: 'ok' };
    const a = agentOf({ name: 'agent-a', tools: [] });
    const ac = new AbortController();
    const aRuns = [1, 2, 3].map(() => collect(rt.run({ agent: a, source: 'system', model: modelA, message: 'hang', userId: 'local', signal: ac.signal })));
    await new Promise((r) => setTimeout(r, 20));
    expect(rt.agents.status('agent-a')).toMatchObject({ state: 'running', active: 2, queued: 1 });
    // A fourth run of A is refused as busy; B answers while A is stuck.
    const busy = await collect(rt.run({ agent: a, source: 'system', model: modelA, message: 'more', userId: 'local' }));
    expect(busy.at(-1)).toMatchObject({ type: 'error', code: 'UNAVAILABLE', message: expect.stringMatching(/busy/) });
    for (let i = 0; i < 5; i++) {
      const b = await collect(rt.run({ agent: agentOf({ name: 'agent-b', tools: [] }), source: 'system', model: modelB, message: `hi ${i}`, userId: 'local' }));
      expect(b.at(-1)).toMatchObject({ type: 'done', reply: `echo: hi ${i}` });
    }
    ac.abort();
    const aEnds = await Promise.all(aRuns);
    expect(aEnds.map((e) => (e.at(-1) as { code: string }).code)).toEqual(['CANCELLED', 'CANCELLED', 'CANCELLED']);
    expect(rt.agents.status('agent-a')).toMatchObject({ active: 0, queued: 0 });
  });

  it('sheds a flood: beyond the agent queue or the total queue runs get UNAVAILABLE at once with no row; other agents still run', async () => {
    const hung = createScriptedProvider('hung', []);
    hung.push(...Array.from({ length: 4 }, (): ScriptStep => ({ hang: true })));
    const ok = createScriptedProvider('ok', []);
    const rt = runtimeWith({ hung, ok }, { limits: { maxConcurrentPerAgent: 1, maxQueuedPerAgent: 2, maxQueuedTotal: 2 } });
    const run = (name: string, provider: string, signal?: AbortSignal) =>
      collect(
        rt.run({
          agent: agentOf({ name, tools: [] }),
          source: 'system',
          model: { ...model, provider },
          message: 'flood',
          userId: 'local',
          ...(signal ? { signal } : {}),
        }),
      );
    const ac = new AbortController();
    const held = [run('flooded', 'hung', ac.signal), run('flooded', 'hung', ac.signal), run('flooded', 'hung', ac.signal)];
    await vi.waitFor(() => expect(rt.agents.status('flooded')).toMatchObject({ active: 1, queued: 2 }));
    // The flood beyond the agent's queue: refused at once, no execution row.
    const flood = await Promise.all(Array.from({ length: 20 }, () => run('flooded', 'hung')));
    for (const events of flood) {
      expect(events).toHaveLength(1);
      const err = events[0] as { type: string; code: string; message: string; execution_id: string };
      expect(err).toMatchObject({ type: 'error', code: 'UNAVAILABLE', message: expect.stringMatching(/^agent flooded is busy/) });
      expect(await executionById(store, err.execution_id)).toBeUndefined();
    }
    // Another agent still runs; once it holds its only slot, a second run of it would queue, and the
    // total queue (2, all of them the flooded agent's) is full: refused as the daemon being busy.
    expect((await run('other', 'ok')).at(-1)).toMatchObject({ type: 'done', reply: 'echo: flood' });
    const other = run('second', 'hung', ac.signal);
    await vi.waitFor(() => expect(rt.agents.status('second')).toMatchObject({ active: 1 }));
    expect((await run('second', 'hung')).at(-1)).toMatchObject({ type: 'error', code: 'UNAVAILABLE', message: expect.stringMatching(/^the daemon is busy/) });
    ac.abort();
    await Promise.all([...held, other]);
    expect(rt.agents.status('flooded')).toMatchObject({ active: 0, queued: 0 });
  });

  it('refuses runs of a stopped agent, cannot skip transitions, and restarts a failed agent without touching others', async () => {
    const p = createScriptedProvider('p', []);
    const rt = runtimeWith({ p });
    const a = agentOf({ name: 'life', tools: [] });
    expect(rt.agents.status('life').state).toBe('loaded');
    await collect(rt.run({ agent: a, source: 'system', model, message: 'hi', userId: 'local' }));
    expect(rt.agents.status('life').state).toBe('running');
    rt.agents.stop('life');
    const refused = await collect(rt.run({ agent: a, source: 'system', model, message: 'hi', userId: 'local' }));
    expect(refused.at(-1)).toMatchObject({ type: 'error', code: 'UNAVAILABLE', message: expect.stringMatching(/stopped/) });
    expect(() => rt.agents.restart('life')).toThrow(/cannot become loaded/);
    rt.agents.start('life');
    // A configuration fault fails the agent; another agent keeps running.
    p.push({ error: new DomainError('CONFIG_INVALID', 'bad tool schema') });
    await collect(rt.run({ agent: a, source: 'system', model, message: 'hi', userId: 'local' }));
    expect(rt.agents.status('life')).toMatchObject({ state: 'failed', reason: 'bad tool schema' });
    expect(() => rt.agents.start('life')).toThrow(/restart it first/);
    const other = await collect(rt.run({ agent: agentOf({ name: 'other', tools: [] }), source: 'system', model, message: 'still here', userId: 'local' }));
    expect(other.at(-1)).toMatchObject({ type: 'done' });
    expect(rt.agents.restart('life').state).toBe('running');
    expect((await collect(rt.run({ agent: a, source: 'system', model, message: 'back', userId: 'local' }))).at(-1)).toMatchObject({ type: 'done' });
  });
});

describe('runtime: agents that cannot run as defined are marked failed', () => {
  it('fail() marks a loaded agent failed with the reason, keeps a stopped one stopped, and runs are refused until restart', async () => {
    const rt = runtimeWith({ p: createScriptedProvider('p', [{ text: 'ok' }]) });
    expect(rt.agents.fail('gone', 'its model is gone')).toMatchObject({ state: 'failed', reason: 'its model is gone' });
    expect(rt.agents.fail('gone', 'still gone').reason).toBe('still gone');
    const refused = await collect(rt.run({ agent: agentOf({ name: 'gone', tools: [] }), source: 'system', model, message: 'hi', userId: 'local' }));
    expect(refused.at(-1)).toMatchObject({ type: 'error', code: 'UNAVAILABLE', message: expect.stringMatching(/gone failed: still gone; restart it/) });
    rt.agents.start('held');
    rt.agents.stop('held');
    expect(rt.agents.fail('held', 'x').state).toBe('stopped');
    expect(rt.agents.restart('gone').state).toBe('running');
  });

  it("a provider that is not configured is the agent's fault: CONFIG_INVALID, and the agent is failed", async () => {
    const rt = createRuntime({ store, providers: { get: async (n) => Promise.reject(new DomainError('NOT_FOUND', `provider ${n} not found`)) } });
    const events = await collect(
      rt.run({ agent: agentOf({ name: 'lost', tools: [] }), source: 'system', model: { ...model, provider: 'nowhere' }, message: 'hi', userId: 'local' }),
    );
    expect(events.at(-1)).toMatchObject({
      type: 'error',
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('provider nowhere, which ares.toml does not define'),
    });
    expect(rt.agents.status('lost')).toMatchObject({ state: 'failed', reason: expect.stringContaining('provider nowhere') });
  });
});

describe('runtime memory', () => {
  it('an agent with memory enabled gets the memory tools, and {{memory_context}} shows what it stored', async () => {
    const { createBuiltinTools } = await import('../../src/tools/builtin/index.js');
    const p = createScriptedProvider('p', [{ tool_calls: [call('memory_set', { key: 'favourite', value: 'green tea' }, 'm1')] }, { text: 'noted' }]);
    const rt = createRuntime({
      store,
      providers: { get: async () => p },
      toolbox: createToolbox({ sets: () => [createBuiltinTools({ memory: store.memory })] }),
      memory: store.memory,
    });
    const agent = agentOf({
      name: 'rememberer',
      tools: [],
      memory: { enabled: true, scope: 'user' },
      user_prompt_template: 'Known facts:\n{{memory_context}}\n\nUser: {{message}}',
    });
    await collect(rt.run({ agent, source: 'system', model, message: 'I like green tea', userId: 'local' }));
    expect(p.requests[0]!.tools?.map((t) => t.name)).toEqual(['memory_get', 'memory_set', 'memory_search', 'memory_store']);
    // A new conversation, same user: the stored fact is in the prompt.
    await collect(rt.run({ agent, source: 'system', model, message: 'what do I like?', userId: 'local' }));
    expect(p.requests.at(-1)!.messages.at(-1)).toEqual({ role: 'user', content: 'Known facts:\nfavourite: green tea\n\nUser: what do I like?' });
  });
});

describe('ranking usage', () => {
  it('counts a run of a user-tier agent when it completes, once per user and day; failed runs count nothing', async () => {
    const owner = await store.tenants.users.create({ email: 'rt-owner@example.com' });
    const user = await store.tenants.users.create({ email: 'rt-user@example.com' });
    const row = await store.tenants.entities.insert('agents', owner.id, agentOf({ name: 'ranked', tools: [] }), true);
    const usage = async () => (await store.tenants.entities.own('agents', owner.id, 'ranked'))!.usage_count;
    const failing = runtimeWith({ p: createScriptedProvider('p', [], { whenEmpty: 'error' }) }, { usage: store.tenants.entities });
    const base = {
      agent: agentOf({ name: 'ranked', tools: [] }),
      source: 'community' as const,
      model,
      message: 'hi',
      userId: user.id,
      agentRow: { id: row.id, owner: owner.id },
    };
    expect((await collect(failing.run(base))).at(-1)?.type).toBe('error');
    expect(await usage()).toBe(0);
    const ok = runtimeWith({ p: createScriptedProvider('p', [{ text: 'one' }, { text: 'two' }, { text: 'mine' }]) }, { usage: store.tenants.entities });
    for (let i = 0; i < 2; i++) expect((await collect(ok.run(base))).at(-1)?.type).toBe('done');
    expect(await usage()).toBe(1);
    expect((await collect(ok.run({ ...base, userId: owner.id, source: 'user' }))).at(-1)?.type).toBe('done');
    expect(await usage()).toBe(1);
  });
});
