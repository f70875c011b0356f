/**
 * Shared conversations in the store (STORY-032, migration 12) on every backend: participants in
 * listed order with joins appended, leaving keeps the messages, authored messages keep order,
 * author and addressee, a conversation is never another user's, deleting it removes its
 * participants, and writes to a deleted conversation change nothing; `kind` tells a shared
 * conversation (participants or authored messages) from one agent's chat.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/types.js';
import { backendTimeout, backendTitle, storeBackends } from '../helpers/store-backends.js';

for (const backend of storeBackends()) {
  describe.skipIf(backend.skip)(`shared conversations on the ${backendTitle(backend)}`, () => {
    const open: Store[] = [];
    afterAll(async () => {
      for (const s of open) await s.close();
    });
    const setup = async () => {
      const location = await backend.create();
      const store = await backend.open(location);
      open.push(store);
      const bob = await store.tenants.users.create({ email: 'bob@example.com' });
      const conv = { id: 'conv_shared', agent_name: 'planner', user_id: 'local', created_at: 1000, updated_at: 1000 };
      await store.conversations.createShared(conv, ['planner', 'coder', 'critic']);
      return { store, location, bob: bob.id, c: store.conversations };
    };

    it(
      'keeps participants in order, appends joins, and leaving keeps what was written',
      async () => {
        const { c, store, bob } = await setup();
        expect((await c.participants('conv_shared')).map((p) => p.agent)).toEqual(['planner', 'coder', 'critic']);
        expect(await c.get('conv_shared', bob)).toBeUndefined();
        await c.appendShared(
          'conv_shared',
          [
            { role: 'user', content: 'Plan it', author: 'user', to: 'all' },
            { role: 'assistant', content: 'Step 1', author: 'planner', to: 'all' },
          ],
          2000,
        );
        await c.appendShared('conv_shared', [{ role: 'assistant', content: 'Code', author: 'coder', to: 'all' }], 3000);
        expect(await c.join('conv_shared', 'tester', 4000)).toBe(true);
        expect(await c.join('conv_shared', 'tester', 4000)).toBe(false);
        expect(await c.leave('conv_shared', 'planner')).toBe(true);
        expect(await c.leave('conv_shared', 'planner')).toBe(false);
        expect(await c.join('conv_shared', 'planner', 5000)).toBe(true);
        expect(await c.participants('conv_shared')).toEqual([
          { agent: 'coder', joined_at: 1000 },
          { agent: 'critic', joined_at: 1000 },
          { agent: 'tester', joined_at: 4000 },
          { agent: 'planner', joined_at: 5000 },
        ]);
        expect(await c.authoredMessages('conv_shared')).toEqual([
          { role: 'user', content: 'Plan it', author: 'user', to: 'all' },
          { role: 'assistant', content: 'Step 1', author: 'planner', to: 'all' },
          { role: 'assistant', content: 'Code', author: 'coder', to: 'all' },
        ]);
        // The runtime's view of the same rows is unchanged: plain messages without author.
        expect((await c.messages('conv_shared')).map((m) => Object.keys(m))).toEqual([
          ['role', 'content'],
          ['role', 'content'],
          ['role', 'content'],
        ]);
        expect((await c.get('conv_shared', 'local'))?.updated_at).toBe(3000);
        expect(await store.tenants.history.deleteConversation('conv_shared', 'local')).toBe(true);
        expect(await c.participants('conv_shared')).toEqual([]);
      },
      backendTimeout(backend),
    );

    it(
      "tells a shared conversation from one agent's chat, and never answers for another user's",
      async () => {
        const { c, store, bob } = await setup();
        expect(await c.kind('conv_shared', 'local')).toBe('shared');
        expect(await c.kind('conv_shared', bob)).toBeUndefined();
        expect(await c.kind('conv_none', 'local')).toBeUndefined();
        await c.appendShared('conv_shared', [{ role: 'user', content: 'Plan it', author: 'user', to: 'all' }], 2000);
        for (const agent of ['planner', 'coder', 'critic']) await c.leave('conv_shared', agent);
        expect(await c.kind('conv_shared', 'local')).toBe('shared');
        await store.executions.commitStep({
          conversationId: 'conv_plain',
          createConversation: { agent_name: 'planner', user_id: 'local' },
          messages: [{ role: 'user', content: 'hi' }],
          execution: {
            id: 'exec-plain',
            agent_name: 'planner',
            agent_source: 'system',
            user_id: 'local',
            input: 'hi',
            duration_ms: 1,
            status: 'success',
            created_at: 1000,
          },
        });
        expect(await c.kind('conv_plain', 'local')).toBe('plain');
      },
      backendTimeout(backend),
    );

    it(
      'refuses writes to a conversation that is gone, writing nothing',
      async () => {
        const { c, store, location } = await setup();
        await store.tenants.history.deleteConversation('conv_shared', 'local');
        await expect(c.appendShared('conv_shared', [{ role: 'user', content: 'hi', author: 'user', to: 'all' }], 2000)).rejects.toMatchObject({
          code: 'NOT_FOUND',
        });
        await expect(c.join('conv_shared', 'tester', 2000)).rejects.toMatchObject({ code: 'NOT_FOUND' });
        expect(await backend.query(location, 'SELECT CAST(COUNT(*) AS INTEGER) AS n FROM messages')).toEqual([{ n: 0 }]);
        expect(await backend.query(location, 'SELECT CAST(COUNT(*) AS INTEGER) AS n FROM conversation_participants')).toEqual([{ n: 0 }]);
      },
      backendTimeout(backend),
    );
  });
}
