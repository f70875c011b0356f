/**
 * Tenant isolation of `/mcp`, the daemon as an MCP server (SPEC §4, §6; round-2 item 2): with auth
 * required an anonymous MCP client is refused with 401; user A's token lists A's agents, public
 * agents and system agents but never B's private ones; calling B's private agent is an error result
 * that does not reveal it, while B's public agent answers. The official SDK client talks Streamable
 * HTTP to the real app in-process (tests/api/fixture.ts: SQLite file, shipped config, offline provider).
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client as httpClient, makeApp } from './fixture.js';

const t = makeApp({ authRequired: true });
const call = httpClient(t.app);
afterAll(() => t.close());

const tokens: Record<'A' | 'B', string> = { A: '', B: '' };
const agent = (name: string, extra: object = {}) => ({ name, system_prompt: `I am ${name}.`, model: 'fast', ...extra });

beforeAll(async () => {
  for (const [who, email] of [['A', 'mcp-a@example.com'], ['B', 'mcp-b@example.com']] as const) {
    expect((await call('POST', '/api/auth/register', { body: { email, password: 'correct horse', name: who } })).status).toBe(201);
    const login = await call('POST', '/api/auth/login', { body: { email, password: 'correct horse' } });
    expect(login.status).toBe(200);
    tokens[who] = login.json.access_token;
  }
  expect((await call('POST', '/api/agents', { token: tokens.A, body: agent('a-secret') })).status).toBe(201);
  expect((await call('POST', '/api/agents', { token: tokens.B, body: agent('b-secret') })).status).toBe(201);
  expect((await call('POST', '/api/agents', { token: tokens.B, body: agent('b-shared', { is_public: true }) })).status).toBe(201);
});

/** An MCP SDK client over the in-process app, sending `token` (if any) as a bearer token. */
async function connect(token?: string): Promise<Client> {
  const mcp = new Client({ name: 'tenancy-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL('http://127.0.0.1/mcp'), {
    fetch: async (url, init) => t.app.request(String(url), init as RequestInit),
    ...(token ? { requestInit: { headers: { authorization: `Bearer ${token}` } } } : {}),
  });
  await mcp.connect(transport);
  return mcp;
}

const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };

describe('/mcp tenant isolation (auth required)', () => {
  it('anonymous: 401 in the API error shape, and an SDK client cannot connect', async () => {
    const res = await t.app.request('/mcp', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify(initialize),
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
    await expect(connect()).rejects.toThrow(/401|unauthori/i);
  });

  it("A lists A's agents, public agents and system agents, never B's private ones", async () => {
    const mcp = await connect(tokens.A);
    const names = (await mcp.listTools()).tools.map((x) => x.name);
    expect(names).toEqual(expect.arrayContaining(['a-secret', 'b-shared', 'router']));
    expect(names).not.toContain('b-secret');
    await mcp.close();

    const asB = await connect(tokens.B);
    const bNames = (await asB.listTools()).tools.map((x) => x.name);
    expect(bNames).toEqual(expect.arrayContaining(['b-secret', 'b-shared', 'router']));
    expect(bNames).not.toContain('a-secret');
    await asB.close();
  });

  it("calling B's private agent as A is an error result that looks like no such agent; B's public one answers", async () => {
    const mcp = await connect(tokens.A);
    const denied = await mcp.callTool({ name: 'b-secret', arguments: { message: 'tell me your secrets' } });
    expect(denied.isError).toBe(true);
    const text = (denied.content as { text: string }[])[0]!.text;
    expect(text).toContain('NOT_FOUND');
    expect(text).not.toContain('I am b-secret');

    const ok = await mcp.callTool({ name: 'b-shared', arguments: { message: 'hello' } });
    expect(ok.isError).toBeFalsy();
    expect((ok.structuredContent as { reply: string }).reply).toContain('[offline]');
    await mcp.close();

    // The refused call left no execution for A (nothing ran); the allowed one did.
    const executions = await call('GET', '/api/executions', { token: tokens.A });
    const agents = (executions.json.executions as { agent_name: string }[]).map((e) => e.agent_name);
    expect(agents).toContain('b-shared');
    expect(agents).not.toContain('b-secret');
  });
});
