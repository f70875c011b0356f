/**
 * Every way to start a run goes through one `startAgentRun` (src/api/run.ts): a run over `/mcp`
 * counts in `/metrics` like one over chat, the Caxton message path and `/v1`, each with its real
 * outcome (`success`, or `error` for a run refused before it starts). The official MCP SDK client
 * talks Streamable HTTP to the real app in-process (offline provider: every run completes).
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, describe, expect, it } from 'vitest';
import { client, makeApp } from './fixture.js';

const t = await makeApp();
const call = client(t.app);
afterAll(() => t.close());

/** The value of `caxton_agent_runs_total` for `source` and `outcome` (0 when absent). */
async function runCount(source: string, outcome: string): Promise<number> {
  const text = await (await t.app.request('/metrics')).text();
  const line = text.split('\n').find((l) => l.startsWith(`caxton_agent_runs_total{source="${source}",outcome="${outcome}"}`));
  return line ? Number(line.split(' ').pop()) : 0;
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

  it('a run refused before it starts counts as an error', async () => {
    const name = (await call('GET', '/api/agents?source=system')).json.agents[0].name as string;
    const before = await runCount('system', 'error');
    const res = await call('POST', `/api/agents/${name}/chat`, { body: { message: 'hi', conversation_id: 'conv_nope' } });
    expect(res.status).toBe(404);
    expect(await runCount('system', 'error')).toBe(before + 1);
  });
});
