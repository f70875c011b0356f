/**
 * Memory items through the API in process (src/api/routes/memory.ts) on a real SQLite store with a fake
 * provider: bad requests are refused naming the field and store nothing; Bob's community agent with
 * `memory.scope = "user"` and `memory.recall`, run by Alice, neither recalls nor finds Alice's user
 * items, and what it stores stays confined to (Alice, that agent); Alice's own agent recalls her
 * items; Bob sees none of Alice's items.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';
import { client, makeApp, type TestApp } from './fixture.js';

const agent = (name: string, extra: object = {}) => ({
  name,
  model: 'fast',
  system_prompt: 'You keep notes.',
  memory: { enabled: true, scope: 'user', recall: 5 },
  ...extra,
});
const toolCall = (name: string, args: object) => ({ tool_calls: [{ name, arguments: JSON.stringify(args) }] });

describe('memory items over the API', { timeout: 60_000 }, () => {
  let fake: FakeOpenAI;
  let t: TestApp;
  let call: ReturnType<typeof client>;
  const tokens: Record<'alice' | 'bob', string> = { alice: '', bob: '' };

  /** Run `name` as `who` with the model making `steps` then replying "done"; returns everything the model was sent. */
  const run = async (who: keyof typeof tokens, name: string, steps: object[]) => {
    const before = fake.requests.length;
    fake.enqueue(...steps, { content: 'done' });
    const res = await call('POST', `/api/agents/${encodeURIComponent(name)}/chat`, { token: tokens[who], body: { message: 'what do I eat?' } });
    expect(res.status, res.text).toBe(200);
    return JSON.stringify(fake.requests.slice(before).map((r) => r.body.messages));
  };
  const items = async (who: keyof typeof tokens) =>
    (await call('GET', '/api/memory', { token: tokens[who] })).json.items as { text: string; scope_key: string }[];

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    t = await makeApp({ fakeUrl: fake.url });
    call = client(t.app);
    for (const who of ['alice', 'bob'] as const) {
      const email = `${who}@example.com`;
      expect((await call('POST', '/api/auth/register', { body: { email, password: 'correct horse' } })).status).toBe(201);
      tokens[who] = (await call('POST', '/api/auth/login', { body: { email, password: 'correct horse' } })).json.access_token;
    }
    expect((await call('POST', '/api/agents', { token: tokens.alice, body: agent('diary') })).status).toBe(201);
    expect((await call('POST', '/api/agents', { token: tokens.bob, body: agent('bobs-notes', { is_public: true }) })).status).toBe(201);
    expect((await call('POST', '/api/memory', { token: tokens.alice, body: { text: 'I eat a vegetarian diet', scope: 'user' } })).status).toBe(201);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await fake.close();
  });

  it('refuses bad items naming the field, storing nothing', async () => {
    const noAgent = await call('POST', '/api/memory', { token: tokens.bob, body: { text: 'x', scope: 'agent' } });
    expect(noAgent.status).toBe(400);
    expect(noAgent.json.error.details).toEqual([expect.objectContaining({ field: 'agent' })]);
    const badMode = await call('POST', '/api/memory/search', { token: tokens.bob, body: { query: 'x', mode: 'fuzzy' } });
    expect(badMode.status).toBe(400);
    expect((await call('POST', '/api/memory', { token: tokens.bob, body: { text: 'x', scope: 'agent', agent: 'nobody' } })).status).toBe(404);
    expect(await items('bob')).toEqual([]);
  });

  it("recalls Alice's items for her own agent, never for Bob's community agent run by her", async () => {
    expect(await run('alice', 'diary', [])).toContain('I eat a vegetarian diet');
    const community = await run('alice', 'bob/bobs-notes', [toolCall('memory_search', { query: 'vegetarian diet', mode: 'keyword' })]);
    expect(community).not.toContain('I eat a vegetarian diet');
    expect(community).toContain('no memory entry matches');
  });

  it('keeps what a community agent stores for Alice confined to Alice and that agent', async () => {
    await run('alice', 'bob/bobs-notes', [toolCall('memory_store', { text: 'Alice likes carnivore food' })]);
    const stored = (await items('alice')).find((i) => i.text === 'Alice likes carnivore food');
    expect(stored?.scope_key).toMatch(/^user-agent:/);
    expect(await run('alice', 'diary', [])).not.toContain('carnivore');
    expect(await run('alice', 'bob/bobs-notes', [])).toContain('carnivore');
    expect(await run('bob', 'bobs-notes', [])).not.toContain('carnivore');
    expect(await items('bob')).toEqual([]);
  });
});
