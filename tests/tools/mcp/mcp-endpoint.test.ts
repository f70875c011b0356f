/**
 * The daemon as an MCP server (SPEC §3 MCP server): the official SDK Client talks Streamable HTTP to the real
 * Hono app in-process (its `fetch` is `app.request`), lists the agents as tools and calls one; and
 * `GET /api/mcp/servers` shows what the manager reports. Real parts (tests/api/fixture.ts): shipped config, SQLite file,
 * the offline provider (no key set), so replies are deterministic.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, describe, expect, it } from 'vitest';
import type { McpServerStatus } from '../../../src/domain/mcp-status.js';
import { makeApp } from '../../api/fixture.js';

const servers: McpServerStatus[] = [
  {
    name: 'everything',
    state: 'ready',
    transport: 'stdio',
    tools: 2,
    tool_names: ['everything.echo', 'everything.get-sum'],
    last_error: null,
    pid: 4242,
    restarts: 0,
  },
  { name: 'remote', state: 'failed', transport: 'http', tools: 0, tool_names: [], last_error: 'fetch failed', restarts: 3 },
];
const { app, store, close } = await makeApp({ mcpServers: () => servers });
afterAll(close);

async function connect(): Promise<Client> {
  const client = new Client({ name: 'test-client', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL('http://127.0.0.1/mcp'), {
    fetch: async (url, init) => app.request(String(url), init as RequestInit),
  });
  await client.connect(transport);
  return client;
}

describe('/mcp: agents as MCP tools (official SDK client, in-process)', () => {
  it('lists each visible agent as a tool with a message/conversation_id input', async () => {
    const client = await connect();
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['customer-support', 'orchestrator', 'router']);
    const router = tools.find((t) => t.name === 'router')!;
    expect(router.inputSchema).toMatchObject({
      type: 'object',
      required: ['message'],
      properties: { message: { type: 'string' }, conversation_id: { type: 'string' } },
    });
    expect(router.description).toBeTruthy();
    await client.close();
  });

  it('calls an agent, returns its reply, and continues the conversation when given its id', async () => {
    const client = await connect();
    const first = await client.callTool({ name: 'router', arguments: { message: 'hello over mcp' } });
    expect(first.isError).toBeFalsy();
    const text = (first.content as { type: string; text: string }[])[0]!.text;
    expect(text).toContain('[offline]');
    const sc = first.structuredContent as { reply: string; conversation_id: string; execution_id: string };
    expect(sc.reply).toBe(text);
    expect((await store.conversations.messages(sc.conversation_id)).map((m) => m.content)[0]).toBe('hello over mcp');

    const second = await client.callTool({ name: 'router', arguments: { message: 'and again', conversation_id: sc.conversation_id } });
    expect((second.structuredContent as { conversation_id: string }).conversation_id).toBe(sc.conversation_id);
    expect(await store.conversations.messages(sc.conversation_id)).toHaveLength(4);
    await client.close();
  });

  it('answers an unknown agent or a missing message with an error result', async () => {
    const client = await connect();
    const unknown = await client.callTool({ name: 'nobody', arguments: { message: 'hi' } });
    expect(unknown.isError).toBe(true);
    expect((unknown.content as { text: string }[])[0]!.text).toBe('NOT_FOUND: agent nobody not found');
    const empty = await client.callTool({ name: 'router', arguments: {} });
    expect(empty.isError).toBe(true);
    expect((empty.content as { text: string }[])[0]!.text).toContain('"message"');
    await client.close();
  });
});

describe('/mcp without a session', () => {
  it('refuses GET and DELETE with 405 (stateless server) and a JSON-RPC error', async () => {
    for (const method of ['GET', 'DELETE']) {
      const res = await app.request('/mcp', { method, headers: { accept: 'text/event-stream' } });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('POST');
      expect(await res.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32000 } });
    }
  });
});

describe('GET /api/mcp/servers', () => {
  it('returns the manager status as given, each marked as a system server', async () => {
    const res = await app.request('/api/mcp/servers');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ servers: servers.map((s) => ({ ...s, source: 'system' })) });
  });
});
