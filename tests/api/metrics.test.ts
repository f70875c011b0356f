/**
 * `/metrics` after real runs (STORY-022): a tool-using run against the fake OpenAI server shows up as
 * its run, tokens, cost, tool call and provider request series with the right labels; a retried
 * provider request, a tool name the model made up, a run in flight, MCP servers and the database
 * size appear too; no user id is ever a label; and `promtool check metrics` accepts the output.
 * `GET /api/agents/:name` shows the same runs as the agent's health: in flight, queued, today's
 * runs, tokens and cost, last activity and last error (everyone's for the admin, else the caller's).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { McpServerStatus } from '../../src/domain/mcp-status.js';
import { cpuSeconds, residentBytes } from '../../src/tools/mcp/proc.js';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';
import { PROMTOOL_MISSING, promtool, runPromtool, series, value } from '../helpers/prometheus.js';
import { client, makeApp, type TestApp } from './fixture.js';

const AGENT = 'customer-support';
/** A system MCP server whose "child" is this test process, so its resident memory and CPU time are real readings. */
const SERVER: McpServerStatus = {
  name: 'files',
  state: 'ready',
  transport: 'stdio',
  tools: 1,
  tool_names: ['files.read'],
  last_error: null,
  pid: process.pid,
  rss_bytes: residentBytes(process.pid)!,
  cpu_seconds: cpuSeconds(process.pid)!,
  restarts: 0,
};

let fake: FakeOpenAI;
let t: TestApp;
let call: ReturnType<typeof client>;
const metrics = async () => (await t.app.request('/metrics')).text();

beforeAll(async () => {
  fake = await startFakeOpenAI();
  t = await makeApp({ fakeUrl: fake.url, providerRetries: 1, mcpServers: () => [SERVER], authRequired: true });
  call = client(t.app);
});
afterAll(async () => {
  await t?.close();
  await fake?.close();
});

describe('/metrics after a tool-using run', () => {
  it('shows the run, its tokens and cost, its tool call and its provider requests, labelled by agent, model, tool and provider', async () => {
    fake.enqueue(
      { status: 429, retry_after: 0 },
      { tool_calls: [{ name: 'calculator', arguments: '{"expression": "6 * 7"}' }], usage: { prompt_tokens: 100, completion_tokens: 10 } },
      { content: 'It is 42.', usage: { prompt_tokens: 120, completion_tokens: 5 } },
    );
    const res = await call('POST', `/api/agents/${AGENT}/chat`, { socket: true, body: { message: 'what is 6 times 7?' } });
    expect(res.status).toBe(200);
    expect(res.json.reply).toBe('It is 42.');

    const text = await metrics();
    expect(value(text, 'caxton_agent_runs_total', { agent: AGENT, source: 'system', status: 'success', finish_reason: 'stop' })).toBe(1);
    expect(value(text, 'caxton_agent_run_duration_seconds_count', { agent: AGENT, source: 'system', status: 'success' })).toBe(1);
    expect(value(text, 'caxton_agent_tokens_total', { agent: AGENT, model: 'balanced', direction: 'input' })).toBe(220);
    expect(value(text, 'caxton_agent_tokens_total', { agent: AGENT, model: 'balanced', direction: 'output' })).toBe(15);
    // balanced: 0.15 USD per million input tokens, 0.6 per million output tokens.
    expect(value(text, 'caxton_agent_cost_usd_total', { agent: AGENT, model: 'balanced' })).toBeCloseTo((220 * 0.15 + 15 * 0.6) / 1e6, 12);
    expect(value(text, 'caxton_tool_calls_total', { agent: AGENT, tool: 'calculator', status: 'ok' })).toBe(1);
    expect(value(text, 'caxton_tool_call_duration_seconds_count', { agent: AGENT, tool: 'calculator' })).toBe(1);
    expect(value(text, 'caxton_provider_request_duration_seconds_count', { provider: 'openai', model: 'gpt-4o-mini', outcome: 'ok' })).toBe(2);
    expect(value(text, 'caxton_provider_retries_total', { provider: 'openai', model: 'gpt-4o-mini' })).toBe(1);
  });

  it('labels a tool the model made up as (unknown) and a failed provider request as error', async () => {
    fake.enqueue({ tool_calls: [{ name: 'made_up_tool_7f3a', arguments: '{}' }] }, { status: 400 });
    const res = await call('POST', `/api/agents/${AGENT}/chat`, { socket: true, body: { message: 'do something odd' } });
    expect(res.status).toBe(502);

    const text = await metrics();
    expect(text).not.toContain('made_up_tool_7f3a');
    expect(value(text, 'caxton_tool_calls_total', { agent: AGENT, tool: '(unknown)', status: 'error' })).toBe(1);
    expect(value(text, 'caxton_provider_request_duration_seconds_count', { provider: 'openai', outcome: 'error' })).toBe(1);
    expect(value(text, 'caxton_agent_runs_total', { agent: AGENT, status: 'error', finish_reason: 'error' })).toBe(1);
  });

  it('shows a run in flight while it waits for the provider, and none once it ends', async () => {
    fake.enqueue({ content: 'slow', delay_ms: 400 });
    const pending = call('POST', `/api/agents/${AGENT}/chat`, { socket: true, body: { message: 'slow one' } });
    await expect.poll(async () => value(await metrics(), 'caxton_agent_runs_in_flight', { agent: AGENT }), { timeout: 5_000 }).toBe(1);
    expect((await pending).status).toBe(200);
    expect(value(await metrics(), 'caxton_agent_runs_in_flight', { agent: AGENT })).toBe(0);
  });

  it("shows MCP server states, their children's memory and CPU time and the database size", async () => {
    const text = await metrics();
    expect(value(text, 'caxton_mcp_server_state', { server: 'files', state: 'ready' })).toBe(1);
    expect(value(text, 'caxton_mcp_server_resident_memory_bytes', { server: 'files' })).toBeGreaterThan(1024 * 1024);
    expect(value(text, 'caxton_mcp_server_cpu_seconds_total', { server: 'files' })).toBeGreaterThan(0);
    expect(value(text, 'caxton_database_size_bytes', { backend: 'sqlite' })).toBeGreaterThan(0);
    expect(series(text, 'caxton_database_wal_size_bytes')).toHaveLength(1);
  });

  it('never uses a user id as a label, whoever runs the agent', async () => {
    const user = await t.store.tenants.users.create({ email: 'metrics-user@example.com' });
    const key = (await call('POST', '/api/keys', { socket: true, as: 'metrics-user@example.com', body: {} })).json.key as string;
    fake.enqueue({ content: 'hello user' });
    expect((await call('POST', `/api/agents/${AGENT}/chat`, { token: key, body: { message: 'hi' } })).status).toBe(200);
    const text = await metrics();
    expect(text).not.toContain(user.id);
    expect(text).not.toContain('metrics-user');
    expect(text).not.toMatch(/user(_id)?="/);
  });

  it.skipIf(!promtool)(promtool ? 'passes `promtool check metrics`' : `promtool check metrics ${PROMTOOL_MISSING}`, async () => {
    const result = runPromtool(['check', 'metrics'], await metrics());
    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  });
});

describe('per-agent health in GET /api/agents/:name', () => {
  it("shows the lifecycle, today's runs, tokens, cost and last error: everyone's to the admin, the caller's own to a user", async () => {
    const admin = await call('GET', `/api/agents/${AGENT}`, { socket: true });
    expect(admin.status).toBe(200);
    expect(admin.json.lifecycle).toMatchObject({ state: 'running', active: 0, queued: 0 });
    const today = admin.json.activity;
    expect(today.date).toBe(new Date().toISOString().slice(0, 10));
    expect(today.runs).toBe(4);
    expect(today.tokens_input).toBeGreaterThanOrEqual(220);
    expect(today.cost_usd).toBeGreaterThan(0);
    expect(today.last_activity_at).toBeGreaterThan(Date.now() - 60_000);
    expect(today.last_error).toMatchObject({ status: 'error', finish_reason: 'error', message: expect.stringContaining('provider openai') });

    const key = (await call('POST', '/api/keys', { socket: true, as: 'metrics-user@example.com', body: {} })).json.key as string;
    const own = await call('GET', `/api/agents/${AGENT}`, { token: key });
    expect(own.json.activity).toMatchObject({ runs: 1, last_error: null });
    expect(own.json.activity.tokens_input).toBeLessThan(today.tokens_input);
  });

  it("counts a user agent's runs by its own row, under source user", async () => {
    const key = (await call('POST', '/api/keys', { socket: true, as: 'metrics-user@example.com', body: {} })).json.key as string;
    const created = await call('POST', '/api/agents', { token: key, body: { name: 'mine', model: 'balanced', system_prompt: 'Be brief.' } });
    expect(created.status).toBe(201);
    fake.enqueue({ content: 'brief', usage: { prompt_tokens: 7, completion_tokens: 3 } });
    expect((await call('POST', '/api/agents/mine/chat', { token: key, body: { message: 'hi' } })).status).toBe(200);
    const shown = await call('GET', '/api/agents/mine', { token: key });
    expect(shown.json.activity).toMatchObject({ runs: 1, tokens_input: 7, tokens_output: 3, last_error: null });
    expect(value(await metrics(), 'caxton_agent_runs_total', { agent: 'mine', source: 'user', status: 'success' })).toBe(1);
  });
});
