/**
 * Run guards over the scripted provider and a real SQLite store: `max_tool_calls_per_run`,
 * `max_tokens_per_run` and `[runtime] max_run_seconds` end a run with their finish reason and a
 * final message; loop detection ignores the order of argument keys; a reply is judged a printed
 * tool call only when it is one.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AgentSchema, ModelSchema, type Agent } from '../../src/domain/entities.js';
import { createScriptedProvider, type ScriptStep } from '../../src/llm/scripted.js';
import type { DoneEvent, RunEvent } from '../../src/runtime/events.js';
import { looksLikeToolCallText } from '../../src/runtime/run-guards.js';
import { createRuntime, type RuntimeLimits } from '../../src/runtime/run.js';
import { openSqliteStore } from '../../src/store/sqlite/database.js';
import { createToolbox } from '../../src/tools/toolbox.js';
import type { ToolSet } from '../../src/tools/types.js';
import { executionById } from '../helpers/store.js';
import { tempDir } from '../helpers/tmp.js';

const store = openSqliteStore(join(tempDir('cx-guards-'), 'ares.db'));
afterAll(async () => await store.close());

const model = ModelSchema.parse({ name: 'm', provider: 'p', model: 'gpt-4o-mini' });
const agentOf = (over: Partial<Agent> = {}): Agent => AgentSchema.parse({ name: 'helper', system_prompt: 'You help.', tools: ['add'], ...over });
const ran: unknown[] = [];
const tools: ToolSet = {
  list: () => [{ name: 'add', spec: { name: 'add', parameters: { type: 'object' } }, timeoutMs: 5_000 }],
  async call(_name, args) {
    ran.push(args);
    const a = args as { a: number; b: number };
    return { content: String(a.a + a.b) };
  },
};
const add = (a: number, b: number, order: 'ab' | 'ba' = 'ab'): ScriptStep => ({
  tool_calls: [{ name: 'add', arguments: order === 'ab' ? { a, b } : { b, a } }],
  usage: { input_tokens: 40, output_tokens: 10 },
});

/** Run `agent` over `steps`; returns the done event and its stored row. */
async function runWith(steps: ScriptStep[], agent: Agent, limits: Partial<RuntimeLimits> = {}) {
  ran.length = 0;
  const p = createScriptedProvider('p', steps, { whenEmpty: 'error' });
  const rt = createRuntime({ store, providers: { get: async () => p }, toolbox: createToolbox({ sets: () => [tools] }), limits });
  const events: RunEvent[] = [];
  for await (const e of rt.run({ agent, source: 'system', model, message: 'go', userId: 'local' })) events.push(e);
  const done = events.at(-1) as DoneEvent;
  expect(done.type).toBe('done');
  return { done, row: await executionById(store, done.execution_id), requests: p.requests.length };
}

describe('run guards', () => {
  it('max_tool_calls_per_run stops before the call that would exceed it, as max_iterations', async () => {
    const { done, row } = await runWith([add(1, 1), add(2, 2), add(3, 3), { text: 'never' }], agentOf({ max_tool_calls_per_run: 2 }));
    expect(ran).toHaveLength(2);
    expect(done).toMatchObject({ finish_reason: 'max_iterations', reply: expect.stringMatching(/limit of 2 tool calls \(max_tool_calls_per_run\)/) });
    expect(row).toMatchObject({ status: 'success', finish_reason: 'max_iterations' });
  });

  it('max_tokens_per_run ends a run that reached it as length, without running more tools', async () => {
    const { done, row } = await runWith([add(1, 1), add(2, 2), { text: 'never' }], agentOf({ max_tokens_per_run: 100 }));
    // 50 tokens after the first step (tools run), 100 after the second: stop.
    expect(ran).toHaveLength(1);
    expect(done).toMatchObject({ finish_reason: 'length', reply: expect.stringMatching(/used 100 tokens.*max_tokens_per_run/) });
    expect(row).toMatchObject({ finish_reason: 'length' });
  });

  it('loop detection counts the same arguments in any key order, and only identical calls', async () => {
    const { done } = await runWith([add(1, 2), add(5, 5), add(1, 2, 'ba'), add(1, 2)], agentOf());
    expect(ran).toEqual([
      { a: 1, b: 2 },
      { a: 5, b: 5 },
      { b: 2, a: 1 },
    ]);
    expect(done).toMatchObject({ finish_reason: 'loop_detected', reply: expect.stringMatching(/add with the same arguments 3 times/) });
  });

  it('[runtime] max_run_seconds ends a hung run as timeout; the agent value wins over it', async () => {
    const hung = await runWith([{ hang: true }], agentOf(), { maxRunSeconds: 0.2 });
    expect(hung.done).toMatchObject({ finish_reason: 'timeout', error: expect.stringMatching(/0.2 s \(max_run_seconds\)/) });
    expect(hung.row).toMatchObject({ status: 'timeout', finish_reason: 'timeout' });
    const agentOwn = await runWith([{ hang: true }], agentOf({ max_run_seconds: 0.1 }), { maxRunSeconds: 3600 });
    expect(agentOwn.done.error).toMatch(/0.1 s/);
  });

  it('an empty reply is an error even when the model says it ran out of tokens, and the message says which', async () => {
    const { done, row } = await runWith([{ text: '', finish_reason: 'length' }], agentOf());
    expect(done).toMatchObject({ finish_reason: 'error', error: expect.stringMatching(/used up its max_tokens/) });
    expect(row).toMatchObject({ status: 'error', finish_reason: 'error' });
  });

  it('a reply judged a printed tool call only when it is one', () => {
    expect(looksLikeToolCallText('{"name": "add", "arguments": {"a": 1}}')).toBe(true);
    expect(looksLikeToolCallText('```json\n{"name": "add", "parameters": {}}\n```')).toBe(true);
    expect(looksLikeToolCallText('[{"function": {"name": "add", "arguments": "{}"}}]')).toBe(true);
    expect(looksLikeToolCallText('Sure. <tool_call>{"name":"add"}</tool_call>')).toBe(true);
    expect(looksLikeToolCallText('The answer is {"name": "Ada"}.')).toBe(false);
    expect(looksLikeToolCallText('{"name": "Ada", "age": 36}')).toBe(false);
    expect(looksLikeToolCallText('3')).toBe(false);
  });
});
