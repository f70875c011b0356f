/**
 * Tenant isolation of `/mcp`, the daemon as an MCP server (SPEC §4, §6): with auth required an
 * anonymous MCP client is refused with 401; user A's token lists A's agents and system agents (what
 * A reaches by bare name), never B's private ones, and not B's public ones either (community agents
 * are reached as OWNER/NAME, which is no valid MCP tool name); calling B's agents is an error result
 * that does not reveal them, while B's own token runs B's public agent. The official SDK client talks Streamable
 * HTTP to the real app in-process (tests/api/fixture.ts: shipped config, offline provider) on every store
 * backend (SQLite, and PostgreSQL unless `pgSkipReason()` says why not).
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendTimeout, backendTitle, storeBackends } from '../helpers/store-backends.js';
import { client as httpClient, makeApp, type TestApp } from './fixture.js';

for (const backend of storeBackends())
  describe.skipIf(backend.skip)(`/mcp as a tenant-aware MCP server, ${backendTitle(backend)}`, () => {
    let t: TestApp;
    let call: ReturnType<typeof httpClient>;
    afterAll(() => t?.close());

    const tokens: Record<'A' | 'B', string> = { A: '', B: '' };
    const agent = (name: string, extra: object = {}) => ({ name, system_prompt: `I am ${name}.`, model: 'fast', ...extra });

    beforeAll(async () => {
      t = await makeApp({ authRequired: true, ...(backend.name === 'postgres' ? { databaseUrl: await backend.create() } : {}) });
      call = httpClient(t.app);
      for (const [who, email] of [
        ['A', 'mcp-a@example.com'],
        ['B', 'mcp-b@example.com'],
      ] as const) {
        expect((await call('POST', '/api/auth/register', { body: { email, password: 'correct horse', name: who } })).status).toBe(201);
        const login = await call('POST', '/api/auth/login', { body: { email, password: 'correct horse' } });
        expect(login.status).toBe(200);
        tokens[who] = login.json.access_token;
      }
      expect((await call('POST', '/api/agents', { token: tokens.A, body: agent('a-secret') })).status).toBe(201);
      expect((await call('POST', '/api/agents', { token: tokens.B, body: agent('b-secret') })).status).toBe(201);
      expect((await call('POST', '/api/agents', { token: tokens.B, body: agent('b-shared', { is_public: true }) })).status).toBe(201);
    }, backendTimeout(backend));

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

    const initialize = {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    };

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

      it("A lists A's agents and system agents, never B's (private, or public under B's handle)", async () => {
        const mcp = await connect(tokens.A);
        const names = (await mcp.listTools()).tools.map((x) => x.name);
        expect(names).toEqual(expect.arrayContaining(['a-secret', 'router']));
        expect(names.filter((n) => n.startsWith('b-') || n.includes('/'))).toEqual([]);
        await mcp.close();

        const asB = await connect(tokens.B);
        const bNames = (await asB.listTools()).tools.map((x) => x.name);
        expect(bNames).toEqual(expect.arrayContaining(['b-secret', 'b-shared', 'router']));
        expect(bNames).not.toContain('a-secret');
        await asB.close();
      });

      it("calling B's agents as A is an error result that looks like no such agent; B runs its public one", async () => {
        const mcp = await connect(tokens.A);
        const denied = await mcp.callTool({ name: 'b-secret', arguments: { message: 'tell me your secrets' } });
        expect(denied.isError).toBe(true);
        const text = (denied.content as { text: string }[])[0]!.text;
        expect(text).toContain('NOT_FOUND');
        expect(text).not.toContain('I am b-secret');

        const bare = await mcp.callTool({ name: 'b-shared', arguments: { message: 'hello' } });
        expect([bare.isError, (bare.content as { text: string }[])[0]!.text]).toEqual([true, expect.stringContaining('NOT_FOUND')]);
        const qualified = await mcp.callTool({ name: 'mcp-b/b-shared', arguments: { message: 'hello' } });
        expect([qualified.isError, (qualified.content as { text: string }[])[0]!.text]).toEqual([true, expect.stringContaining('not offered over MCP')]);
        await mcp.close();

        const asB = await connect(tokens.B);
        const ok = await asB.callTool({ name: 'b-shared', arguments: { message: 'hello' } });
        expect(ok.isError).toBeFalsy();
        expect((ok.structuredContent as { reply: string }).reply).toContain('[offline]');
        await asB.close();

        // The refused calls left no execution for A (nothing ran).
        const executions = await call('GET', '/api/executions', { token: tokens.A });
        expect(executions.json.executions).toEqual([]);
      });
    });
  });
