/** Migration 2 on a real SQLite file: a run step is one transaction; memory entries by scope; a v1 database upgrades. */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite/database.js';
import { MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import type { ExecutionRecord } from '../../src/store/types.js';
import { tempDir } from '../helpers/tmp.js';
import { executionById } from '../helpers/store.js';
import { backendTimeout, backendTitle, storeBackends } from '../helpers/store-backends.js';

const exec = (over: Partial<ExecutionRecord> = {}): ExecutionRecord => ({
  id: 'exec_1',
  agent_name: 'a',
  agent_source: 'system',
  user_id: 'local',
  input: 'hi',
  duration_ms: 1,
  status: 'error',
  error_message: 'interrupted',
  created_at: Date.now(),
  ...over,
});

const BACKENDS = storeBackends();

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(`run steps: ${backendTitle(backend)}`, { timeout: backendTimeout(backend) }, () => {
    it('writes a step all or nothing: a failing execution row leaves no messages and no conversation', async () => {
      const store = await backend.open(await backend.create());
      const step = {
        conversationId: 'conv_x',
        createConversation: { agent_name: 'a', user_id: 'local' },
        messages: [{ role: 'user' as const, content: 'hi' }],
      };
      await expect(store.executions.commitStep({ ...step, execution: exec({ status: 'bogus' as 'error' }) })).rejects.toThrow(/check constraint/i);
      expect(await store.conversations.get('conv_x', 'local')).toBeUndefined();
      expect(await store.conversations.messages('conv_x')).toEqual([]);

      await store.executions.commitStep({ ...step, execution: exec() });
      const { error_message: _provisional, ...base } = exec();
      await store.executions.commitStep({
        conversationId: 'conv_x',
        messages: [{ role: 'assistant', content: 'hello' }],
        execution: { ...base, status: 'success', output: 'hello', finish_reason: 'stop', iterations: 1 },
      });
      expect((await store.conversations.messages('conv_x')).map((m) => m.content)).toEqual(['hi', 'hello']);
      // The second step replaced the provisional row.
      expect(await executionById(store, 'exec_1')).toMatchObject({ status: 'success', output: 'hello', finish_reason: 'stop', iterations: 1 });
      expect((await executionById(store, 'exec_1'))!.error_message).toBeUndefined();
      await store.close();
    });

    it('a step continuing a deleted conversation is refused as NOT_FOUND and writes nothing', async () => {
      const store = await backend.open(await backend.create());
      const first = {
        conversationId: 'conv_d',
        createConversation: { agent_name: 'a', user_id: 'local' },
        messages: [{ role: 'user' as const, content: 'hi' }],
      };
      await store.executions.commitStep({ ...first, execution: exec({ id: 'exec_d1', status: 'success' }) });
      expect(await store.tenants.history.deleteConversation('conv_d', 'local')).toBe(true);
      const next = { conversationId: 'conv_d', messages: [{ role: 'user' as const, content: 'more' }], execution: exec({ id: 'exec_d2', status: 'success' }) };
      for (const commit of [store.executions.commitStep, store.executions.commitStepBatched]) {
        await expect(commit(next)).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('deleted while this run was continuing it') });
      }
      expect(await store.conversations.messages('conv_d')).toEqual([]);
      expect(await executionById(store, 'exec_d2')).toBeUndefined();
      // The run's closing row (no messages) is still recorded.
      await store.executions.commitStep({ ...next, messages: [], execution: exec({ id: 'exec_d2' }) });
      expect(await executionById(store, 'exec_d2')).toMatchObject({ status: 'error' });
      await store.close();
    });

    it("keeps a step's messages in order, their text and tool calls as written", async () => {
      const store = await backend.open(await backend.create());
      const calls = [{ id: 'call_1', type: 'function' as const, function: { name: 'echo', arguments: '{"q":"a \\"b\\" {c}"}' } }];
      const messages = [
        { role: 'user' as const, content: 'quotes " \' backslash \\ braces {a,b} NULL' },
        { role: 'assistant' as const, content: '', tool_calls: calls },
        { role: 'tool' as const, content: 'é ✓ \n line', tool_call_id: 'call_1' },
        { role: 'assistant' as const, content: 'done' },
      ];
      await store.executions.commitStep({ conversationId: 'conv_o', createConversation: { agent_name: 'a', user_id: 'local' }, messages, execution: exec() });
      expect(
        (await store.conversations.messages('conv_o')).map(({ role, content, tool_calls, tool_call_id }) => ({ role, content, tool_calls, tool_call_id })),
      ).toEqual(messages.map((m) => ({ tool_calls: undefined, tool_call_id: undefined, ...m })));
      await store.close();
    });

    it('group-commits concurrent steps; a failing step is rejected alone and the others are written', async () => {
      const store = await backend.open(await backend.create());
      const steps = Array.from({ length: 5 }, (_, i) => ({
        conversationId: `conv_${i}`,
        createConversation: { agent_name: 'a', user_id: 'local' },
        messages: [{ role: 'user' as const, content: `m${i}` }],
        execution: exec({ id: `exec_${i}`, status: i === 2 ? ('bogus' as 'error') : 'success' }),
      }));
      const outcomes = await Promise.allSettled(steps.map((s) => store.executions.commitStepBatched(s)));
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      expect(String((outcomes[2] as PromiseRejectedResult).reason)).toMatch(/check constraint/i);
      expect(await Promise.all([0, 1, 2, 3, 4].map(async (i) => (await store.conversations.messages(`conv_${i}`)).length))).toEqual([1, 1, 0, 1, 1]);
      expect(await store.conversations.get('conv_2', 'local')).toBeUndefined();
      await store.close();
    });

    it('close() writes the steps still queued', async () => {
      const location = await backend.create();
      const store = await backend.open(location);
      const pending = [0, 1, 2].map((i) =>
        store.executions.commitStepBatched({
          conversationId: `conv_q${i}`,
          createConversation: { agent_name: 'a', user_id: 'local' },
          messages: [{ role: 'user', content: `q${i}` }],
          execution: exec({ id: `exec_q${i}`, status: 'success' }),
        }),
      );
      await store.close();
      await Promise.all(pending);
      const reopened = await backend.open(location);
      const ids = (await reopened.tenants.history.conversations('local', { limit: 10 })).map((c) => c.id);
      expect(ids.sort()).toEqual(['conv_q0', 'conv_q1', 'conv_q2']);
      await reopened.close();
    });
  });
}

describe('run steps and memory (migration 2)', () => {
  it('upgrades a version 1 database in place, keeping its rows', async () => {
    const path = join(tempDir('cx-st-'), 'ares.db');
    const db = new Database(path);
    db.exec((MIGRATIONS[0] as { sql: string }).sql);
    db.pragma('user_version = 1');
    db.prepare("INSERT INTO conversations (id, agent_name, user_id, created_at, updated_at) VALUES ('conv_old', 'a', 'local', 1, 1)").run();
    db.prepare(
      "INSERT INTO agent_executions (id, agent_name, agent_source, user_id, input, duration_ms, status, created_at) VALUES ('exec_old', 'a', 'system', 'local', 'hi', 5, 'success', 1)",
    ).run();
    db.close();
    const store = openSqliteStore(path);
    expect((await store.health()).schema_version).toBe(MIGRATIONS.at(-1)!.version);
    expect(await store.conversations.get('conv_old', 'local')).toMatchObject({ id: 'conv_old' });
    expect(await executionById(store, 'exec_old')).toMatchObject({ status: 'success', input: 'hi' });
    await store.executions.record({
      id: 'exec_cut',
      agent_name: 'a',
      agent_source: 'system',
      user_id: 'local',
      input: 'hi',
      duration_ms: 1,
      status: 'cancelled',
      error_message: 'daemon shutting down',
      created_at: 2,
    });
    expect(await executionById(store, 'exec_cut')).toMatchObject({ status: 'cancelled', error_message: 'daemon shutting down' });
    await store.memory.set('user:local', 'k', 'v', 'local');
    expect(await store.memory.get('user:local', 'k')).toMatchObject({ key: 'k', value: 'v' });
    expect(await store.memory.get('user:other', 'k')).toBeUndefined();
    expect(await store.memory.delete('user:local', 'k')).toBe(true);
    expect(await store.memory.search('user:local', '', 10)).toEqual([]);
    await store.close();
  });
});
