/**
 * Conversation summaries on every backend (migration 14, agent `memory.summarize`): a conversation
 * has none until one is saved, a later save replaces it, a save for a conversation that is gone
 * writes nothing, clearing the conversation (its owner only) removes the summary with the messages,
 * and deleting the conversation deletes its summary.
 */
import { describe, expect, it } from 'vitest';
import type { ExecutionRecord, Store } from '../../src/store/types.js';
import { backendTimeout, backendTitle, storeBackends } from '../helpers/store-backends.js';

const exec = (id: string, conversation: string): ExecutionRecord => ({
  id,
  agent_name: 'a',
  agent_source: 'system',
  user_id: 'local',
  conversation_id: conversation,
  input: 'hi',
  duration_ms: 1,
  status: 'success',
  created_at: Date.now(),
});

/** A conversation of user `local` with two messages. */
async function conversation(store: Store, id: string): Promise<void> {
  await store.executions.commitStep({
    conversationId: id,
    createConversation: { agent_name: 'a', user_id: 'local' },
    messages: [
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'hello' },
    ],
    execution: exec(`exec_${id}`, id),
  });
}

for (const backend of storeBackends()) {
  describe.skipIf(backend.skip)(`conversation summaries: ${backendTitle(backend)}`, { timeout: backendTimeout(backend) }, () => {
    it('saves, replaces, clears with the messages and goes with the conversation', async () => {
      const location = await backend.create();
      const store = await backend.open(location);
      const { conversations } = store;
      const { history } = store.tenants;
      await conversation(store, 'conv_a');
      await conversation(store, 'conv_b');
      expect(await conversations.summary('conv_a')).toBeUndefined();

      await conversations.saveSummary('conv_a', { text: 'first', covers: 2, created_at: 1000 });
      expect(await conversations.summary('conv_a')).toEqual({ text: 'first', covers: 2, created_at: 1000 });
      await conversations.saveSummary('conv_a', { text: 'second', covers: 4, created_at: 2000 });
      expect(await conversations.summary('conv_a')).toEqual({ text: 'second', covers: 4, created_at: 2000 });

      await conversations.saveSummary('conv_gone', { text: 'nobody', covers: 1, created_at: 1 });
      expect(await conversations.summary('conv_gone')).toBeUndefined();

      // Another user's clear leaves both; the owner's removes the messages and the summary together.
      expect(await history.clearMessages('conv_a', 'someone-else')).toBe(0);
      expect(await conversations.summary('conv_a')).toMatchObject({ text: 'second' });
      expect(await history.clearMessages('conv_a', 'local')).toBe(2);
      expect(await conversations.summary('conv_a')).toBeUndefined();
      expect(await conversations.messages('conv_a')).toEqual([]);

      await conversations.saveSummary('conv_b', { text: 'b', covers: 2, created_at: 3000 });
      expect(await history.deleteConversation('conv_b', 'local')).toBe(true);
      expect(await conversations.summary('conv_b')).toBeUndefined();
      expect(Number((await backend.query(location, 'SELECT COUNT(*) AS n FROM conversation_summaries'))[0]!.n)).toBe(0);
      await store.close();
    });
  });
}
