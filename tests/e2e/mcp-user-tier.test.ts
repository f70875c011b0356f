/**
 * User-tier MCP servers at run time (SPEC §4 "MCP servers resolve the same way"): user A registers a
 * Streamable HTTP MCP server (server-everything in HTTP mode) through POST /api/mcps and A's agent
 * calls its `echo` tool through the fake OpenAI server. User B can neither see A's private server nor
 * reach it, even through A's *public* agent (`ann/ann-public`) that names it; A's *public* server
 * changes nothing B's agents mean by a bare name, and B uses it by creating its own row from the
 * definition shown at `ann/shared`; once A deletes the row, A's agent no longer gets the tool. An admin-created stdio server row starts one
 * child on first use, shares it between runs, and leaves none after `server stop`. Real daemon, real
 * MCP servers, real HTTP.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent as UndiciAgent, request as undiciRequest } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';
import { closedPort, homeRegistry, openaiToml, processAlive, requireBuild, type TestHome } from '../helpers/cli.js';
import { SERVER_SCRIPTS } from '../tools/mcp/servers.js';

requireBuild();

describe('user-tier MCP servers (real daemon, auth required, server-everything over HTTP)', { timeout: 60_000 }, () => {
  const homes = homeRegistry();
  let fake: FakeOpenAI;
  let home: TestHome;
  let httpServer: ChildProcess;
  let url = '';
  let mcpUrl = '';
  let ann = '';
  let bob = '';

  const req = (method: string, path: string, token: string, body?: unknown) =>
    fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });

  const login = async (email: string): Promise<string> => {
    const creds = { email, password: 'long enough', name: email };
    expect(
      (await fetch(`${url}/api/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(creds) })).status,
    ).toBe(201);
    const res = await fetch(`${url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: creds.password }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    return ((await res.json()) as { access_token: string }).access_token;
  };

  /** Chat with `agent` as `token`; returns the reply and what the model was offered and sent back. */
  const chat = async (token: string, agent: string, message: string) => {
    const res = await req('POST', `/api/agents/${agent}/chat`, token, { message });
    expect(res.status, await res.clone().text()).toBe(200);
    const body = (await res.json()) as { reply: string };
    const first = fake.requests.find((q) => JSON.stringify(q.body?.messages ?? []).includes(message))!;
    const offered = ((first.body.tools ?? []) as { function: { name: string } }[]).map((t) => t.function.name);
    const last = fake.requests.at(-1)!.body.messages as { role: string; tool_call_id?: string; content: string }[];
    return { reply: body.reply, offered, toolResult: (id: string) => last.find((m) => m.role === 'tool' && m.tool_call_id === id)?.content };
  };

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    home = await homes.createWithFake(fake.url);
    // Users' servers here live on 127.0.0.1, which the SSRF guard refuses unless allowed (tests/api/mcp-ssrf.test.ts).
    home.writeAresToml(openaiToml(fake.url, '\n[auth]\nrequired = true\n\n[mcp]\nallow_private_urls = true\n'));
    const port = await closedPort();
    httpServer = spawn(process.execPath, [SERVER_SCRIPTS.everything, 'streamableHttp'], {
      env: { ...process.env, PORT: String(port) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    await new Promise<void>((resolve) => httpServer.stderr!.on('data', (d: Buffer) => d.toString().includes('listening') && resolve()));
    mcpUrl = `http://127.0.0.1:${port}/mcp`;
    await home.start();
    url = (await home.status()).url;
    ann = await login('ann@example.com');
    bob = await login('bob@example.com');
  }, 40_000);
  afterAll(async () => {
    await homes.cleanupAll();
    httpServer?.kill('SIGKILL');
    await fake?.close();
  });

  it("A's agent calls a tool of A's own HTTP MCP server", async () => {
    expect((await req('POST', '/api/mcps', ann, { name: 'mine', url: mcpUrl, timeout_secs: 20 })).status).toBe(201);
    const created = await req('POST', '/api/agents', ann, { name: 'ann-bot', model: 'fast', system_prompt: 'Use tools.', tools: ['mine.echo'] });
    expect(created.status, await created.clone().text()).toBe(201);

    fake.enqueue({ tool_calls: [{ id: 'call_a', name: 'mine__echo', arguments: JSON.stringify({ message: 'from ann' }) }] }, { content: 'echoed for ann' });
    const r = await chat(ann, 'ann-bot', 'ann asks for an echo');
    expect(r.offered).toEqual(['mine__echo']);
    expect(r.toolResult('call_a')).toBe('Echo: from ann');
    expect(r.reply).toBe('echoed for ann');
  });

  it("B cannot see A's private server nor name it in an agent", async () => {
    expect((await req('GET', '/api/mcps/mine', bob)).status).toBe(404);
    const list = (await (await req('GET', '/api/mcps', bob)).json()) as { mcps: { name: string }[] };
    expect(list.mcps.map((m) => m.name)).not.toContain('mine');
    const refused = await req('POST', '/api/agents', bob, { name: 'bob-bot', model: 'fast', system_prompt: 'x', tools: ['mine.echo'] });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('uses MCP server `mine`, which is not defined');
  });

  it("B running A's public agent does not reach A's private server, even when the model names its tool", async () => {
    const pub = await req('POST', '/api/agents', ann, {
      name: 'ann-public',
      model: 'fast',
      system_prompt: 'Use tools.',
      tools: ['mine.echo'],
      is_public: true,
    });
    expect(pub.status, await pub.clone().text()).toBe(201);

    fake.enqueue({ tool_calls: [{ id: 'call_b', name: 'mine__echo', arguments: JSON.stringify({ message: 'from bob' }) }] }, { content: 'no tool for bob' });
    const asBob = await chat(bob, 'ann%2Fann-public', 'bob tries the public agent');
    expect(asBob.offered).toEqual([]);
    expect(asBob.toolResult('call_b')).toContain('error');
    expect(asBob.toolResult('call_b')).not.toContain('Echo: from bob');

    // The same public agent run by its owner does get the tool: resolution is per caller.
    fake.enqueue({ tool_calls: [{ id: 'call_c', name: 'mine__echo', arguments: JSON.stringify({ message: 'owner' }) }] }, { content: 'ok' });
    const asAnn = await chat(ann, 'ann-public', 'ann runs her public agent');
    expect(asAnn.offered).toEqual(['mine__echo']);
    expect(asAnn.toolResult('call_c')).toBe('Echo: owner');
  });

  it('a public server of A is no bare name for B; B builds on it with a row of its own (SPEC §4)', async () => {
    expect((await req('POST', '/api/mcps', ann, { name: 'shared', url: mcpUrl, timeout_secs: 20, is_public: true })).status).toBe(201);
    for (const tools of [['shared.echo'], ['ann/shared.echo']]) {
      const refused = await req('POST', '/api/agents', bob, { name: 'bob-shared', model: 'fast', system_prompt: 'x', tools });
      expect(refused.status).toBe(400);
    }
    const definition = (await (await req('GET', '/api/mcps/ann%2Fshared', bob)).json()) as { name: string; source: string; url: string };
    expect([definition.name, definition.source]).toEqual(['ann/shared', 'community']);
    expect((await req('POST', '/api/mcps', bob, { name: 'shared', url: definition.url, timeout_secs: 20 })).status).toBe(201);
    const created = await req('POST', '/api/agents', bob, { name: 'bob-shared', model: 'fast', system_prompt: 'x', tools: ['shared.echo'] });
    expect(created.status, await created.clone().text()).toBe(201);
    fake.enqueue({ tool_calls: [{ id: 'call_d', name: 'shared__echo', arguments: JSON.stringify({ message: 'community' }) }] }, { content: 'ok' });
    const r = await chat(bob, 'bob-shared', 'bob uses the community server');
    expect(r.toolResult('call_d')).toBe('Echo: community');
  });

  it('deleting the row takes the tool away at once', async () => {
    expect((await req('DELETE', '/api/mcps/mine', ann)).status).toBe(204);
    fake.enqueue({ tool_calls: [{ id: 'call_e', name: 'mine__echo', arguments: JSON.stringify({ message: 'gone' }) }] }, { content: 'ok' });
    const r = await chat(ann, 'ann-bot', 'ann after deleting her server');
    expect(r.offered).toEqual([]);
    expect(r.toolResult('call_e')).toContain('no tool named mine__echo');
  });
});

describe('a user-tier stdio MCP server (admin-created) leaves no child behind', { timeout: 60_000 }, () => {
  it('the child starts on first use, is shared by later runs, and ends with server stop', async () => {
    const homes = homeRegistry();
    const fake = await startFakeOpenAI();
    try {
      const home = await homes.createWithFake(fake.url);
      await home.start();
      // The CLI's transport: HTTP over the control socket, as the admin `local` user.
      const dispatcher = new UndiciAgent({ connect: { socketPath: home.socket } });
      const post = async (path: string, body: unknown) => {
        const r = await undiciRequest(`http://caxton${path}`, {
          method: 'POST',
          dispatcher,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        return { status: r.statusCode, text: await r.body.text() };
      };
      const mcp = await post('/api/mcps', { name: 'evs', command: process.execPath, args: [SERVER_SCRIPTS.everything, 'stdio'], timeout_secs: 20 });
      expect(mcp.status, mcp.text).toBe(201);
      const bot = await post('/api/agents', { name: 'local-bot', model: 'balanced', system_prompt: 'x', tools: ['evs.echo'] });
      expect(bot.status, bot.text).toBe(201);

      const pids = () => (JSON.parse(readFileSync(join(home.dir, 'run', 'mcp-user-children.json'), 'utf8')) as { pid: number }[]).map((c) => c.pid);
      const userPids: number[][] = [];
      for (const round of [1, 2]) {
        fake.enqueue(
          { tool_calls: [{ id: `call_s${round}`, name: 'evs__echo', arguments: JSON.stringify({ message: `round ${round}` }) }] },
          { content: 'ok' },
        );
        const r = await home.run(['agent', 'test', 'local-bot', `stdio round ${round}`]);
        expect(r.exitCode, r.stderr).toBe(0);
        expect(r.stderr).toContain(`[tool] evs__echo -> Echo: round ${round}`);
        userPids.push(pids());
      }
      expect(userPids[0]).toHaveLength(1);
      expect(userPids[1]).toEqual(userPids[0]);
      const child = userPids[0]![0]!;
      expect(processAlive(child)).toBe(true);

      expect((await home.run(['server', 'stop'])).exitCode).toBe(0);
      expect(processAlive(child)).toBe(false);
      await dispatcher.close();
    } finally {
      await homes.cleanupAll();
      await fake.close();
    }
  });
});
