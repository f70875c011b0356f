/**
 * The approval store contract on every backend (migration 11): a pausing step writes its execution
 * row (status `awaiting_approval`), its messages and its pending approval together; a decision is
 * one atomic transition, so of many concurrent decisions (also from two stores on one database: two
 * daemons) exactly one wins; pending and expired listings; a decision undone goes back to pending;
 * deleting the conversation deletes its pending approval; what the paused request set is read back as written.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { PendingApproval } from '../../src/domain/approvals.js';
import type { ExecutionRecord, Store } from '../../src/store/types.js';
import { backendTimeout, backendTitle, storeBackends } from '../helpers/store-backends.js';

const T0 = Date.parse('2026-11-30T12:00:00Z');

const row = (id: string): ExecutionRecord => ({
  id,
  agent_name: 'gated',
  agent_source: 'system',
  user_id: 'local',
  conversation_id: `conv-${id}`,
  input: 'What is 6*7?',
  output: '',
  duration_ms: 5,
  status: 'awaiting_approval',
  finish_reason: 'awaiting_approval',
  created_at: T0,
});

const approval = (id: string, expiresIn = 60_000): PendingApproval => ({
  execution_id: id,
  user_id: 'local',
  agent_ref: 'gated',
  conversation_id: `conv-${id}`,
  calls: [{ id: 'call_1', name: 'calculator', arguments: '{"expression":"6*7"}' }],
  progress: { input: 'What is 6*7?', output: '', tokens_input: 10, tokens_output: 2, iterations: 1, tool_calls: [], created_at: T0, duration_ms: 5 },
  request: { api_key_id: 'key-1', overrides: { sampling: { temperature: 0.5 }, tool_choice: 'auto' } },
  state: 'pending',
  created_at: T0,
  expires_at: T0 + expiresIn,
});

/** Commit the pausing step of run `id`: the conversation, the assistant's tool call, the row and the approval. */
async function pause(store: Store, id: string, expiresIn?: number): Promise<void> {
  await store.executions.commitStep({
    conversationId: `conv-${id}`,
    createConversation: { agent_name: 'gated', user_id: 'local' },
    messages: [
      { role: 'user', content: 'What is 6*7?' },
      { role: 'assistant', content: '', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'calculator', arguments: '{}' } }] },
    ],
    execution: row(id),
    approval: approval(id, expiresIn),
  });
}

for (const backend of storeBackends()) {
  describe.skipIf(backend.skip)(`approval store on the ${backendTitle(backend)}`, () => {
    const open: Store[] = [];
    afterAll(async () => {
      for (const s of open) await s.close();
    });
    const openAt = async (location: string) => {
      const s = await backend.open(location);
      open.push(s);
      return s;
    };

    it(
      'a pausing step writes the row, its messages and the pending approval together',
      async () => {
        const location = await backend.create();
        const store = await openAt(location);
        await pause(store, 'exec-1');
        expect(await store.approvals.get('exec-1')).toEqual(approval('exec-1'));
        expect(await store.conversations.messages('conv-exec-1')).toHaveLength(2);
        expect(await backend.query(location, "SELECT status FROM agent_executions WHERE id = 'exec-1'")).toEqual([{ status: 'awaiting_approval' }]);
        // A step that fails writes none of it: no approval without its row.
        await expect(pause(store, 'exec-1')).rejects.toThrow();
        expect(await store.approvals.pending({ limit: 10 })).toHaveLength(1);
      },
      backendTimeout(backend),
    );

    it(
      'of concurrent decisions from two stores on one database exactly one wins',
      async () => {
        const location = await backend.create();
        const [a, b] = [await openAt(location), await openAt(location)];
        for (let i = 0; i < 5; i++) {
          const id = `race-${i}`;
          await pause(a, id);
          const outcomes = await Promise.all(
            [a, b, a, b].map((s, n) => s.approvals.transition(id, 'pending', { state: n % 2 ? 'rejected' : 'approved', decided_by: `u${n}`, at: T0 + 1 })),
          );
          const winners = outcomes.filter((o) => o !== undefined);
          expect(winners).toHaveLength(1);
          expect(await a.approvals.get(id)).toEqual(winners[0]);
        }
      },
      backendTimeout(backend),
    );

    it(
      'lists pending approvals per user and the expired ones; an undone decision is pending again',
      async () => {
        const store = await openAt(await backend.create());
        await pause(store, 'soon', 1_000);
        await pause(store, 'later', 60_000);
        expect((await store.approvals.pending({ userId: 'local', limit: 10 })).map((p) => p.execution_id).sort()).toEqual(['later', 'soon']);
        expect(await store.approvals.pending({ userId: 'someone-else', limit: 10 })).toEqual([]);
        expect((await store.approvals.expired(T0 + 1_000, 10)).map((p) => p.execution_id)).toEqual(['soon']);

        const decided = await store.approvals.transition('soon', 'pending', { state: 'rejected', decided_by: 'system', at: T0 + 1_000, reason: 'too late' });
        expect(decided).toMatchObject({ state: 'rejected', decided_by: 'system', decided_at: T0 + 1_000, reason: 'too late' });
        expect(await store.approvals.expired(T0 + 1_000, 10)).toEqual([]);
        expect(await store.approvals.transition('soon', 'rejected', 'pending')).toEqual(approval('soon', 1_000));

        // Deleting the conversation takes its paused run's approval with it.
        expect(await store.tenants.history.deleteConversation('conv-soon', 'local')).toBe(true);
        expect(await store.approvals.get('soon')).toBeUndefined();
        expect(await store.approvals.get('later')).toBeDefined();
      },
      backendTimeout(backend),
    );
  });
}
