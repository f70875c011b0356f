/**
 * Every way to start a run goes through one `startAgentRun` (src/api/run.ts) and the runtime, which
 * measures it: a run over `/mcp` counts in `/metrics` like one over chat, the Caxton message path and
 * `/v1`, each with its real status; a request naming a conversation the caller does not have is no
 * run. The official MCP SDK client talks Streamable HTTP to the real app in-process (offline
 * provider: every run completes).
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, describe, expect, it } from 'vitest';
import { value } from '../helpers/prometheus.js';
import { client, makeApp } from './fixture.js';

const t = await makeApp();
const call = client(t.app);
afterAll(() => t.close());

/** The runs of `source` agents that ended with `status` (`caxton_agent_runs_total`, every agent and finish reason). */
async function runCount(source: string, status: string): Promise<number> {
  return value(await (await t.app.request('/metrics')).text(), 'caxton_agent_runs_total', { source, status });
}

async function mcpClient(): Promise<Client> {
  const mcp = new Client({ name: 'entry-points-test', version: '1.0.0' });
  await mcp.connect(
    new StreamableHTTPClientTransport(new URL('http://127.0.0.1/mcp'), { fetch: async (url, init) => t.app.request(String(url), init as RequestInit) }),
  );
  return mcp;
}

describe('runs count in /metrics whatever their entry point', () => {
  it('a run over /mcp increments the run counter', async () => {
    const mcp = await mcpClient();
    const { tools } = await mcp.listTools();
    const name = tools.find((x) => x.name === 'assistant')?.name ?? tools[0]!.name;
    const before = await runCount('system', 'success');
    const result = await mcp.callTool({ name, arguments: { message: 'hello over mcp' } });
    expect(result.isError).toBeFalsy();
    expect(await runCount('system', 'success')).toBe(before + 1);
    await mcp.close();
  }, 20_000);

  it('chat, the Caxton message path and /v1 count one successful run each', async () => {
    const name = (await call('GET', '/api/agents?source=system')).json.agents[0].name as string;
    const before = await runCount('system', 'success');
    expect((await call('POST', `/api/agents/${name}/chat`, { body: { message: 'hi' } })).status).toBe(200);
    expect((await call('POST', `/agents/${name}/message`, { body: { text: 'hi' } })).status).toBe(200);
    expect((await call('POST', '/v1/chat/completions', { body: { model: name, messages: [{ role: 'user', content: 'hi' }] } })).status).toBe(200);
    expect(await runCount('system', 'success')).toBe(before + 3);
  });

  it('a request naming an unknown conversation is no run: it counts as a 404 request only', async () => {
    const name = (await call('GET', '/api/agents?source=system')).json.agents[0].name as string;
    const text = async () => (await t.app.request('/metrics')).text();
    const before = await text();
    const res = await call('POST', `/api/agents/${name}/chat`, { body: { message: 'hi', conversation_id: 'conv_nope' } });
    expect(res.status).toBe(404);
    const after = await text();
    expect(value(after, 'caxton_agent_runs_total')).toBe(value(before, 'caxton_agent_runs_total'));
    const chat404 = { route: '/api/agents/:name/chat', status: '404' };
    expect(value(after, 'caxton_http_requests_total', chat404)).toBe(value(before, 'caxton_http_requests_total', chat404) + 1);
  });
});
