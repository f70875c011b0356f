/**
 * Several daemons over one database (the shared PostgreSQL deployment): each node keeps per-process
 * caches (API-key lookups, resolved user tools and MCP servers, user MCP connections), and a write on
 * one node reaches the others through the store's change feed. Here two apps share ONE SQLite file
 * and their feeds are joined by an in-memory bus (tests/helpers/store-doubles.ts); each check runs
 * on node 2 after node 1's notice has been delivered. Without the notices node 2 would keep serving
 * from its caches (a revoked key for up to a second, the old MCP server until restart).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';
import { changeBus } from '../helpers/store-doubles.js';
import { tempDir } from '../helpers/tmp.js';
import { SERVER_SCRIPTS } from '../tools/mcp/servers.js';
import { client, makeApp, type TestApp } from './fixture.js';

const bus = changeBus();
let fake: FakeOpenAI;
let n1: TestApp;
let n2: TestApp;
let c1: ReturnType<typeof client>;
let c2: ReturnType<typeof client>;

beforeAll(async () => {
  fake = await startFakeOpenAI({ default: { content: 'ok' } });
  const databasePath = join(tempDir('cx-shared-'), 'shared.db');
  n1 = await makeApp({ authRequired: true, fakeUrl: fake.url, databasePath, wrapStore: bus.node() });
  n2 = await makeApp({ authRequired: true, fakeUrl: fake.url, databasePath, wrapStore: bus.node() });
  c1 = client(n1.app);
  c2 = client(n2.app);
});
afterAll(async () => {
  await n1?.close();
  await n2?.close();
  await fake?.close();
});

/** The tool names and system prompt of the model request a chat with `agent` on node 2 (as the admin, over the socket) made. */
async function runOnNode2(agent: string) {
  const before = fake.requests.length;
  const res = await c2('POST', `/api/agents/${agent}/chat`, { socket: true, body: { message: 'go' } });
  expect(res.status, res.text).toBe(200);
  const body = fake.requests[before]!.body as { messages: { role: string; content: string }[]; tools?: { function: { name: string } }[] };
  return { prompt: body.messages.find((m) => m.role === 'system')?.content, tools: (body.tools ?? []).map((t) => t.function.name) };
}

describe('two nodes over one database', () => {
  it("a user's budget set by the admin on node 1 applies on node 2 once the notice is delivered", async () => {
    expect((await c1('POST', '/api/users', { socket: true, body: { email: 'bea@example.com', password: 'correct horse' } })).status).toBe(201);
    const token = (await c2('POST', '/api/auth/login', { body: { email: 'bea@example.com', password: 'correct horse' } })).json.access_token as string;
    // Node 2 reads (and caches) bea's overrides: none yet, so her run goes through.
    expect((await c2('POST', '/api/agents/router/chat', { token, body: { message: 'hi' } })).status).toBe(200);

    const limits = await c1('PUT', '/api/users/bea@example.com/limits', { socket: true, body: { tokens_per_day: 1 } });
    expect(limits.status, limits.text).toBe(200);
    expect(bus.published).toContainEqual({ topic: 'user_limits', detail: limits.json.user_id });
    await bus.delivered();
    const refused = await c2('POST', '/api/agents/router/chat', { token, body: { message: 'hi' } });
    expect(refused.status, refused.text).toBe(429);
    expect(refused.json.error.details).toContainEqual(expect.objectContaining({ field: 'user.tokens_per_day' }));
  });

  it('a key revoked on node 1 is refused on node 2 once the notice is delivered', async () => {
    expect((await c1('POST', '/api/auth/register', { body: { email: 'ann@example.com', password: 'correct horse' } })).status).toBe(201);
    const token = (await c1('POST', '/api/auth/login', { body: { email: 'ann@example.com', password: 'correct horse' } })).json.access_token as string;
    const doomed = (await c1('POST', '/api/keys', { token, body: { name: 'doomed' } })).json;
    const kept = (await c1('POST', '/api/keys', { token, body: { name: 'kept' } })).json;
    // Node 2 looks both keys up (and caches them).
    expect((await c2('GET', '/api/me', { token: doomed.key })).json.email).toBe('ann@example.com');
    expect((await c2('GET', '/api/me', { token: kept.key })).status).toBe(200);

    expect((await c1('DELETE', `/api/keys/${doomed.id}`, { token })).status).toBe(204);
    expect(bus.published).toContainEqual({ topic: 'api_keys', detail: doomed.id });
    await bus.delivered();
    expect((await c2('GET', '/api/me', { token: doomed.key })).status).toBe(401);
    expect((await c2('GET', '/api/me', { token: kept.key })).status).toBe(200);
  });

  it('a user agent and its MCP server changed on node 1 run in their new form on node 2', { timeout: 60_000 }, async () => {
    const mcp = { name: 'mine', command: process.execPath, args: [SERVER_SCRIPTS.everything, 'stdio'], timeout_secs: 20, tools: ['echo'] };
    expect((await c1('POST', '/api/mcps', { socket: true, body: mcp })).status).toBe(201);
    const agent = { name: 'scribe', model: 'fast', system_prompt: 'Prompt one.', tools: ['mine.*'] };
    expect((await c1('POST', '/api/agents', { socket: true, body: agent })).status).toBe(201);
    await bus.delivered();
    expect(await runOnNode2('scribe')).toEqual({ prompt: expect.stringContaining('Prompt one.'), tools: [expect.stringMatching(/echo/)] });

    expect((await c1('PUT', '/api/mcps/mine', { socket: true, body: { ...mcp, tools: ['get-sum'] } })).status).toBe(200);
    expect((await c1('PUT', '/api/agents/scribe', { socket: true, body: { ...agent, system_prompt: 'Prompt two.' } })).status).toBe(200);
    const owner = bus.published.at(-1)!.detail;
    expect(bus.published.slice(-2)).toEqual([
      { topic: 'user_mcps', detail: owner },
      { topic: 'user_agents', detail: owner },
    ]);
    await bus.delivered();
    expect(await runOnNode2('scribe')).toEqual({ prompt: expect.stringContaining('Prompt two.'), tools: [expect.stringMatching(/get-sum|get_sum/)] });
    expect(n2.services.userMcp.status()).toEqual([expect.objectContaining({ name: 'mine', tools: 1 })]);
  });

  it('an agent renamed on node 1 leaves no state on node 2 under its old name (as on node 1)', async () => {
    expect((await c1('POST', '/api/agents', { socket: true, body: { name: 'clerk', model: 'fast', system_prompt: 'Clerk.' } })).status).toBe(201);
    expect((await c2('POST', '/api/agents/clerk/stop', { socket: true })).status).toBe(200);
    expect((await c2('POST', '/api/agents/clerk/chat', { socket: true, body: { message: 'go' } })).status).toBe(503);

    const rename = async (from: string, to: string) => {
      expect((await c1('PUT', `/api/agents/${from}`, { socket: true, body: { name: to, model: 'fast', system_prompt: 'Clerk.' } })).status).toBe(200);
      await bus.delivered();
    };
    await rename('clerk', 'clerk2');
    await rename('clerk2', 'clerk');
    expect((await c2('POST', '/api/agents/clerk/chat', { socket: true, body: { message: 'go' } })).status).toBe(200);
  });
});
