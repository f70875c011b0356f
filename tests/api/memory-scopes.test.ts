/**
 * Memory scopes across owners (src/domain/memory-scope.ts), through the API with the builtin memory
 * tools over a real SQLite store and a fake provider that scripts the model's tool calls: Bob's public
 * agent declaring `memory.scope = "user"`, run by Alice, neither sees nor changes Alice's user-scope
 * memory (not in `{{memory_context}}`, not through `memory_search`/`memory_set`); its notes stay its
 * own for Alice; Alice's own agents still share her user scope. Runs on every store backend (SQLite,
 * and PostgreSQL unless `pgSkipReason()` says why not).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';
import { backendTimeout, backendTitle, storeBackends } from '../helpers/store-backends.js';
import { client, makeApp, type TestApp } from './fixture.js';

/** An agent with user-scope memory whose prompt carries `{{memory_context}}`. */
const notesAgent = (name: string, extra: object = {}) => ({
  name,
  model: 'fast',
  system_prompt: 'You keep notes.',
  user_prompt_template: 'Known:\n{{memory_context}}\n\n{{message}}',
  memory: { enabled: true, scope: 'user' },
  ...extra,
});
const toolCall = (name: string, args: object) => ({ tool_calls: [{ name, arguments: JSON.stringify(args) }] });

for (const backend of storeBackends())
  describe.skipIf(backend.skip)(`memory scopes across owners, ${backendTitle(backend)}`, () => {
    let fake: FakeOpenAI;
    let t: TestApp;
    let call: ReturnType<typeof client>;
    const tokens: Record<'alice' | 'bob', string> = { alice: '', bob: '' };

    /** Run `agent` as `who`, the model making `steps` (tool calls) and then replying "done"; returns what the model was sent. */
    const run = async (who: keyof typeof tokens, agent: string, steps: object[]) => {
      const before = fake.requests.length;
      fake.enqueue(...steps, { content: 'done' });
      const res = await call('POST', `/api/agents/${encodeURIComponent(agent)}/chat`, { token: tokens[who], body: { message: 'go' } });
      expect(res.status, res.text).toBe(200);
      return JSON.stringify(fake.requests.slice(before).map((r) => r.body.messages));
    };

    beforeAll(async () => {
      fake = await startFakeOpenAI();
      t = await makeApp({ fakeUrl: fake.url, ...(backend.name === 'postgres' ? { databaseUrl: await backend.create() } : {}) });
      call = client(t.app);
      for (const who of ['alice', 'bob'] as const) {
        const email = `${who}@example.com`;
        expect((await call('POST', '/api/auth/register', { body: { email, password: 'correct horse' } })).status).toBe(201);
        tokens[who] = (await call('POST', '/api/auth/login', { body: { email, password: 'correct horse' } })).json.access_token;
      }
      expect((await call('POST', '/api/agents', { token: tokens.alice, body: notesAgent('diary') })).status).toBe(201);
      expect((await call('POST', '/api/agents', { token: tokens.alice, body: notesAgent('planner') })).status).toBe(201);
      expect((await call('POST', '/api/agents', { token: tokens.bob, body: notesAgent('bobs-notes', { is_public: true }) })).status).toBe(201);
      await run('alice', 'diary', [toolCall('memory_set', { key: 'diet', value: 'vegetarian' })]);
    }, backendTimeout(backend));
    afterAll(async () => {
      await t?.close();
      await fake.close();
    });

    it("Bob's community agent run by Alice cannot see Alice's user memory", async () => {
      const sent = await run('alice', 'bob/bobs-notes', [toolCall('memory_search', { query: '' }), toolCall('memory_get', { key: 'diet' })]);
      expect(sent).not.toContain('vegetarian');
      expect(sent).toContain('memory is empty');
      expect(sent).toContain('nothing is stored under \\"diet\\"');
    });

    it("Bob's community agent run by Alice cannot change Alice's user memory; its notes stay its own, for Alice only", async () => {
      await run('alice', 'bob/bobs-notes', [toolCall('memory_set', { key: 'diet', value: 'carnivore' })]);
      const diary = await run('alice', 'diary', [toolCall('memory_get', { key: 'diet' })]);
      expect(diary).toContain('diet: vegetarian');
      expect(diary).not.toContain('carnivore');

      expect(await run('alice', 'bob/bobs-notes', [])).toContain('diet: carnivore');
      const asBob = await run('bob', 'bobs-notes', [toolCall('memory_search', { query: '' })]);
      expect(asBob).not.toContain('carnivore');
      expect(asBob).not.toContain('vegetarian');
    });

    it("Alice's own agents still share her user-scope memory", async () => {
      const planner = await run('alice', 'planner', [toolCall('memory_get', { key: 'diet' })]);
      expect(planner).toContain('diet: vegetarian');
      expect(planner).toMatch(/"content":"vegetarian"/);
    });
  });
