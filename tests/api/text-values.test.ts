/**
 * Text that the two store backends hold differently: PostgreSQL's TEXT cannot hold U+0000, which
 * SQLite keeps. A user message, a model reply, an agent's fields, a memory value and an API key's
 * name holding one are accepted on every backend (never a 500); PostgreSQL gives plain text back
 * with U+FFFD in its place, SQLite as written; definitions (JSON text) keep it on both. Through the
 * API with the fake OpenAI server as the model. An email too long for an index is refused before it
 * reaches either store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';
import { backendTimeout, backendTitle, storeBackends } from '../helpers/store-backends.js';
import { client, makeApp, type TestApp } from './fixture.js';

for (const backend of storeBackends())
  describe.skipIf(backend.skip)(`text holding U+0000, ${backendTitle(backend)}`, () => {
    let fake: FakeOpenAI;
    let t: TestApp;
    let call: ReturnType<typeof client>;
    /** `text` as this backend gives it back. */
    const stored = (text: string) => (backend.name === 'postgres' ? text.replaceAll('\u0000', '\uFFFD') : text);

    beforeAll(async () => {
      fake = await startFakeOpenAI();
      t = await makeApp({ fakeUrl: fake.url, ...(backend.name === 'postgres' ? { databaseUrl: await backend.create() } : {}) });
      call = client(t.app);
    }, backendTimeout(backend));
    afterAll(async () => {
      await t?.close();
      await fake?.close();
    });

    it('a user message and a model reply holding U+0000 are stored with their conversation', async () => {
      fake.enqueue({ content: 'reply \u0000 with a NUL' });
      const chat = await call('POST', '/api/agents/router/chat', { body: { message: 'message \u0000 with a NUL' } });
      expect(chat.status, chat.text).toBe(200);
      expect(chat.json.reply).toBe('reply \u0000 with a NUL');
      const history = await call('GET', `/api/conversations/${chat.json.conversation_id}`);
      expect(history.json.messages.map((m: { role: string; content: string }) => [m.role, m.content])).toEqual([
        ['user', stored('message \u0000 with a NUL')],
        ['assistant', stored('reply \u0000 with a NUL')],
      ]);
      const [execution] = (await call('GET', '/api/executions?limit=1')).json.executions;
      expect([execution.status, execution.input]).toEqual(['success', stored('message \u0000 with a NUL')]);
    });

    it('an agent, a memory value and a key name holding U+0000 are stored', async () => {
      const created = await call('POST', '/api/agents', {
        body: {
          name: 'nul',
          model: 'fast',
          system_prompt: 'Keep \u0000 notes.',
          description: 'd\u0000',
          tools: ['memory_set', 'memory_get'],
          memory: { enabled: true },
        },
      });
      expect(created.status, created.text).toBe(201);
      const shown = (await call('GET', '/api/agents/nul')).json;
      // Definitions are JSON text, where U+0000 is written as an escape: every backend keeps it.
      expect([shown.system_prompt, shown.description]).toEqual(['Keep \u0000 notes.', 'd\u0000']);

      fake.enqueue(
        { tool_calls: [{ name: 'memory_set', arguments: JSON.stringify({ key: 'k', value: 'a\u0000b' }) }] },
        { tool_calls: [{ name: 'memory_get', arguments: JSON.stringify({ key: 'k' }) }] },
        { content: 'done' },
      );
      expect((await call('POST', '/api/agents/nul/chat', { body: { message: 'remember' } })).status).toBe(200);
      const results = (fake.requests.at(-1)!.body.messages as { role: string; content: string }[]).filter((m) => m.role === 'tool').map((m) => m.content);
      expect(results).toEqual(['stored "k"', stored('a\u0000b')]);

      const key = await call('POST', '/api/keys', { body: { name: 'ci\u0000' } });
      expect(key.status, key.text).toBe(201);
      expect((await call('GET', '/api/keys')).json.keys.map((k: { name: string }) => k.name)).toEqual([stored('ci\u0000')]);
    });

    it('an email longer than 254 characters is refused with 400 naming the field on every backend (never a 500)', async () => {
      const email = `${'x'.repeat(4000)}@example.com`;
      const created = await call('POST', '/api/users', { socket: true, body: { email } });
      expect(created.status, created.text).toBe(400);
      expect(created.json.error.details[0]).toMatchObject({ field: 'email', message: 'at most 254 characters' });
    });
  });
