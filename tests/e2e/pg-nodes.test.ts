/**
 * Any node serves any request (docs/deploy.md "Several nodes with PostgreSQL"): two real daemons with
 * their own homes share one PostgreSQL database and one `ARES_JWT_SECRET`, with auth required. A user
 * registered through node 1 logs in, and uses its token and API key, on node 2; its login session
 * rotates and ends on either node; a user agent created on node 1 answers on node 2 (/api and /v1);
 * a conversation started on node 2 continues on node 1 with its first turn in the model's input, and
 * one deleted on node 2 mid-run ends node 1's run with 404; a key revoked on node 1 is refused by
 * node 2; a user MCP server (server-everything over HTTP) and a user agent changed on node 1 are used
 * in their new form by node 2. What a node caches learns of the other node's change only through the
 * database (its change notices, or a key's recheck), so those checks poll with a bounded wait. Real
 * daemons, real PostgreSQL, real MCP server, the fake OpenAI server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort, homeRegistry, openaiToml, requireBuild, waitFor } from '../helpers/cli.js';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';
import { freshDatabase, pgSkipReason, startPgCluster, type PgCluster } from '../helpers/pg-cluster.js';
import { SERVER_SCRIPTS } from '../tools/mcp/servers.js';

requireBuild();
const skip = pgSkipReason();

/** How long a change on one node may take to reach the other (the notice travels through PostgreSQL). */
const NOTICE_MS = 10_000;

describe.skipIf(skip)(`two daemons on one PostgreSQL database${skip ? ` (${skip})` : ''}`, { timeout: 60_000 }, () => {
  const homes = homeRegistry();
  let cluster: PgCluster;
  let fake: FakeOpenAI;
  let mcpServer: ChildProcess;
  let mcpUrl = '';
  const nodes: string[] = [];
  let token = '';
  let apiKey = '';

  /** A request to node `n` (0 or 1) with bearer `auth`; JSON body when given. */
  const req = (n: number, method: string, path: string, auth: string, body?: unknown) =>
    fetch(`${nodes[n]}${path}`, {
      method,
      headers: { authorization: `Bearer ${auth}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  const post = (n: number, path: string, body: unknown) =>
    fetch(`${nodes[n]}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  /** Chat on node `n` as `auth`; returns the reply and the model request that carried `message`. */
  const chat = async (n: number, auth: string, agent: string, message: string, conversationId?: string) => {
    const res = await req(n, 'POST', `/api/agents/${agent}/chat`, auth, { message, ...(conversationId ? { conversation_id: conversationId } : {}) });
    expect(res.status, await res.clone().text()).toBe(200);
    const body = (await res.json()) as { reply: string; conversation_id: string };
    const sent = fake.requests.find((q) => JSON.stringify(q.body?.messages ?? []).includes(message))!;
    const messages = sent.body.messages as { role: string; content: string }[];
    const offered = ((sent.body.tools ?? []) as { function: { name: string } }[]).map((t) => t.function.name);
    return { ...body, messages, offered };
  };

  let asked = 0;
  /** Chat on node `n` until `accept` holds for the result (the other node's change has arrived). */
  const chatUntil = (n: number, agent: string, accept: (r: Awaited<ReturnType<typeof chat>>) => boolean) =>
    waitFor(
      `node ${n + 1} to see the change to ${agent}`,
      async () => {
        const r = await chat(n, token, agent, `attempt ${++asked}`);
        return accept(r) ? r : undefined;
      },
      NOTICE_MS,
    );

  beforeAll(async () => {
    cluster = startPgCluster();
    const databaseUrl = await freshDatabase(cluster);
    fake = await startFakeOpenAI();
    const port = await closedPort();
    mcpServer = spawn(process.execPath, [SERVER_SCRIPTS.everything, 'streamableHttp'], {
      env: { ...process.env, PORT: String(port) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    await new Promise<void>((resolve) => mcpServer.stderr!.on('data', (d: Buffer) => d.toString().includes('listening') && resolve()));
    mcpUrl = `http://127.0.0.1:${port}/mcp`;
    for (let n = 0; n < 2; n++) {
      const home = await homes.createWithFake(fake.url);
      // The users' MCP server lives on 127.0.0.1, which the SSRF guard refuses unless allowed.
      home.writeAresToml(openaiToml(fake.url, '\n[auth]\nrequired = true\n\n[mcp]\nallow_private_urls = true\n'));
      home.env = { ...home.env, CAXTON_DATABASE_URL: databaseUrl, ARES_JWT_SECRET: 'one-secret-shared-by-both-nodes-0123456789' };
      await home.start();
      const status = await home.status();
      expect(status.database).toMatchObject({ backend: 'postgres', ok: true });
      nodes.push(status.url);
    }
  }, 60_000);
  afterAll(async () => {
    await homes.cleanupAll();
    mcpServer?.kill('SIGKILL');
    await fake?.close();
    cluster?.destroy();
  });

  it('a user registered on node 1 logs in on node 2; its login token and API key from node 1 work on node 2', async () => {
    const creds = { email: 'Ann@Example.com', password: 'long enough', name: 'ann' };
    expect((await post(0, '/api/auth/register', creds)).status).toBe(201);
    const login1 = await post(0, '/api/auth/login', { email: creds.email, password: creds.password });
    expect(login1.status, await login1.clone().text()).toBe(200);
    token = ((await login1.json()) as { access_token: string }).access_token;
    // Emails match whatever their case, on either node.
    const login2 = await post(1, '/api/auth/login', { email: 'ann@example.COM', password: creds.password });
    expect(login2.status, await login2.clone().text()).toBe(200);

    const key = await req(0, 'POST', '/api/keys', token, { name: 'ci' });
    expect(key.status).toBe(201);
    apiKey = ((await key.json()) as { key: string }).key;
    for (const auth of [token, apiKey, ((await login2.json()) as { access_token: string }).access_token]) {
      const me = await req(1, 'GET', '/api/me', auth);
      expect(me.status).toBe(200);
      expect(await me.json()).toMatchObject({ email: 'ann@example.com' });
    }
  });

  it('a refresh token from node 1 is rotated once on node 2; a logout on node 2 ends the session on node 1', async () => {
    const login = (await (await post(0, '/api/auth/login', { email: 'ann@example.com', password: 'long enough' })).json()) as {
      access_token: string;
      refresh_token: string;
    };
    const rotated = await post(1, '/api/auth/refresh', { refresh_token: login.refresh_token });
    expect(rotated.status).toBe(200);
    const next = (await rotated.json()) as { access_token: string; refresh_token: string };
    expect((await post(0, '/api/auth/refresh', { refresh_token: login.refresh_token })).status).toBe(401);
    expect((await post(1, '/api/auth/logout', { refresh_token: next.refresh_token })).status).toBe(204);
    expect((await req(0, 'GET', '/api/me', next.access_token)).status).toBe(401);
    expect((await req(0, 'GET', '/api/me', token)).status).toBe(200);
  });

  it('a user agent created on node 1 answers on node 2', async () => {
    const created = await req(0, 'POST', '/api/agents', token, { name: 'helper', model: 'fast', system_prompt: 'You are helper one.' });
    expect(created.status, await created.clone().text()).toBe(201);
    fake.enqueue({ content: 'node 2 answers' });
    const r = await chat(1, apiKey, 'helper', 'hello from node 2');
    expect(r.reply).toBe('node 2 answers');
    expect(r.messages[0]).toMatchObject({ role: 'system', content: expect.stringContaining('You are helper one.') });
    // The OpenAI-compatible surface of node 2 lists and runs it too.
    const models = (await (await req(1, 'GET', '/v1/models', apiKey)).json()) as { data: { id: string }[] };
    expect(models.data.map((m) => m.id)).toContain('helper');
    fake.enqueue({ content: 'node 2 via /v1' });
    const v1 = await req(1, 'POST', '/v1/chat/completions', apiKey, { model: 'helper', messages: [{ role: 'user', content: 'hello over /v1' }] });
    expect(v1.status).toBe(200);
    expect(((await v1.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toBe('node 2 via /v1');
  });

  it('a conversation started on node 2 continues on node 1 with its first turn', async () => {
    fake.enqueue({ content: 'the first answer' });
    const first = await chat(1, token, 'helper', 'my first question');
    fake.enqueue({ content: 'the second answer' });
    const second = await chat(0, token, 'helper', 'my second question', first.conversation_id);
    expect(second.conversation_id).toBe(first.conversation_id);
    expect(second.messages.filter((m) => m.role !== 'system').map((m) => [m.role, m.content])).toEqual([
      ['user', 'my first question'],
      ['assistant', 'the first answer'],
      ['user', 'my second question'],
    ]);
    const history = await req(0, 'GET', `/api/conversations/${first.conversation_id}`, token);
    expect(history.status).toBe(200);
  });

  it('a conversation deleted on node 2 while a run on node 1 continues it: that run answers 404 and writes nothing into it', async () => {
    const first = await chat(0, token, 'helper', 'a conversation to delete');
    // The model answers slowly, so the run on node 1 is still going when node 2 deletes.
    fake.enqueue({ content: 'too late', delay_ms: 3000 });
    const running = req(0, 'POST', '/api/agents/helper/chat', token, { message: 'continue it', conversation_id: first.conversation_id });
    await waitFor('the run on node 1 to reach the model', () => fake.requests.some((q) => JSON.stringify(q.body?.messages ?? []).includes('continue it')));
    expect((await req(1, 'DELETE', `/api/conversations/${first.conversation_id}`, token)).status).toBe(204);
    const res = await running;
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect([res.status, body.error.code]).toEqual([404, 'NOT_FOUND']);
    expect(body.error.message).toContain('deleted while this run was continuing it');
    expect((await req(0, 'GET', `/api/conversations/${first.conversation_id}`, token)).status).toBe(404);
  });

  it('a key revoked on node 1 is refused by node 2', async () => {
    const key = (await (await req(0, 'POST', '/api/keys', token, { name: 'doomed' })).json()) as { id: string; key: string };
    expect((await req(1, 'GET', '/api/me', key.key)).status).toBe(200); // node 2 now holds it in its cache
    expect((await req(0, 'DELETE', `/api/keys/${key.id}`, token)).status).toBe(204);
    await waitFor('node 2 to refuse the revoked key', async () => (await req(1, 'GET', '/api/me', key.key)).status === 401, NOTICE_MS);
    expect((await req(1, 'GET', '/api/me', apiKey)).status).toBe(200);
  });

  it('a user MCP server changed on node 1 is used in its new form on node 2', async () => {
    expect((await req(0, 'POST', '/api/mcps', token, { name: 'evs', url: mcpUrl, timeout_secs: 20, tools: ['echo'] })).status).toBe(201);
    const bot = await req(0, 'POST', '/api/agents', token, { name: 'mcp-bot', model: 'fast', system_prompt: 'Use tools.', tools: ['evs.*'] });
    expect(bot.status, await bot.clone().text()).toBe(201);
    fake.enqueue({ tool_calls: [{ id: 'call_1', name: 'evs__echo', arguments: JSON.stringify({ message: 'via node 2' }) }] }, { content: 'done' });
    const before = await chat(1, token, 'mcp-bot', 'echo something');
    expect(before.offered).toEqual(['evs__echo']);
    const toolResult = fake.requests.at(-1)!.body.messages.find((m: { role: string }) => m.role === 'tool');
    expect(toolResult.content).toBe('Echo: via node 2');

    const changed = await req(0, 'PUT', '/api/mcps/evs', token, { name: 'evs', url: mcpUrl, timeout_secs: 20, tools: ['get-sum'] });
    expect(changed.status, await changed.clone().text()).toBe(200);
    const after = await chatUntil(1, 'mcp-bot', (r) => !r.offered.includes('evs__echo'));
    expect(after.offered).toEqual(['evs__get-sum']);
  });

  it('a user agent updated on node 1 runs with its new system prompt on node 2', async () => {
    const promptOf = (r: { messages: { role: string; content: string }[] }) => r.messages.find((m) => m.role === 'system')?.content ?? '';
    expect(promptOf(await chat(1, token, 'helper', 'before the update'))).toContain('You are helper one.');
    const updated = await req(0, 'PUT', '/api/agents/helper', token, { name: 'helper', model: 'fast', system_prompt: 'You are helper two.' });
    expect(updated.status, await updated.clone().text()).toBe(200);
    const after = await chatUntil(1, 'helper', (r) => !promptOf(r).includes('You are helper one.'));
    expect(promptOf(after)).toContain('You are helper two.');
  });
});
