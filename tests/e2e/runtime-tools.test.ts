/**
 * The agent runtime end to end (SPEC §7): the real daemon, the official SDK talking to the fake
 * OpenAI server over HTTP, and the SQLite file on disk. A calculator round trip through
 * `caxton agent test` (tool calls and results shown as they happen), parallel tool calls, the
 * iteration limit, 429 twice then success, a 500, a malformed response, a hung provider (execution
 * row says `timeout`), and a client that disconnects mid-stream (the run is cancelled).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { homeRegistry, openaiToml, requireBuild, waitFor, type TestHome } from '../helpers/cli.js';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';
import { collect, parseSse, sseEvents } from '../helpers/sse.js';

requireBuild();

interface ExecRow {
  id: string;
  agent_name: string;
  status: string;
  error_message: string | null;
  finish_reason: string | null;
  tool_calls: string | null;
  tokens_input: number;
  tokens_output: number;
  cost_usd: number;
  iterations: number;
}

const MATHY = `name: mathy
model: balanced
max_tool_iterations: 2
parallel_tools: true
tools[2]: calculator,current_time
system_prompt: "You do arithmetic with the calculator."
`;

describe('agent runtime (real daemon, fake OpenAI over HTTP)', { timeout: 30_000 }, () => {
  const homes = homeRegistry();
  let fake: FakeOpenAI;
  let home: TestHome;
  let url = '';
  let db: Database.Database;

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    home = homes.create();
    home.writeAresToml(openaiToml(fake.url).replace('max_retries = 0', 'max_retries = 2\ntimeout_ms = 1500'));
    home.env = { OPENAI_API_KEY: 'sk-test-secret-key-123456' };
    const init = await home.run(['init']);
    expect(init.exitCode, init.stderr).toBe(0);
    home.writeFile('config/agents/mathy.toon', MATHY);
    await home.start();
    url = (await home.status()).url;
    db = new Database(join(home.dir, 'data', 'ares.db'), { readonly: true, fileMustExist: true });
  }, 30_000);
  afterAll(async () => {
    db?.close();
    await homes.cleanupAll();
    await fake.close();
  });
  beforeEach(() => {
    fake.requests.length = 0;
  });

  const exec = (id: string) => db.prepare('SELECT * FROM agent_executions WHERE id = ?').get(id) as ExecRow | undefined;
  const chat = (agent: string, body: Record<string, unknown>, signal?: AbortSignal) =>
    fetch(`${url}/api/agents/${agent}/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      ...(signal ? { signal } : {}),
    });
  const bodies = () =>
    fake.requests
      .filter((r) => r.path === '/v1/chat/completions')
      .map((r) => r.body as { messages: { role: string; content: string | null; tool_call_id?: string }[]; tools?: { function: { name: string } }[] });

  it('calculator round trip through `caxton agent test`: the tool call and result show as they happen', async () => {
    fake.enqueue({
      content: 'Let me compute that.',
      tool_calls: [{ id: 'call_calc', name: 'calculator', arguments: '{"expression":"49.99 * 3 * (1 - 0.15)"}' }],
    });
    fake.setDefault((req) => {
      const last = (req.body.messages as { role: string; content: string }[]).at(-1)!;
      return { content: last.role === 'tool' ? `The total is ${last.content}.` : 'ok' };
    });
    const r = await home.run(['agent', 'test', 'customer-support', 'What do 3 items at 49.99 cost with 15% off?']);
    fake.setDefault({ content: 'ok' });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('Let me compute that.');
    expect(r.stdout).toContain('The total is 127.4745.');
    expect(r.stderr).toContain('[tool] calculator({"expression":"49.99 * 3 * (1 - 0.15)"})');
    expect(r.stderr).toContain('[tool] calculator -> 127.4745');
    expect(r.stderr).toMatch(/tokens · \$\d+\.\d{6} · \d+ ms/);
    // What the model was sent: the calculator offered, then its result as a tool message.
    const sent = bodies();
    expect(sent).toHaveLength(2);
    expect(sent[0]!.tools!.map((t) => t.function.name)).toEqual(['calculator']);
    expect(sent[1]!.messages.at(-1)).toEqual({ role: 'tool', content: '127.4745', tool_call_id: 'call_calc' });
    // The execution row has the tool call, tokens and a cost from the model's prices.
    const row = db.prepare("SELECT * FROM agent_executions WHERE agent_name = 'customer-support' ORDER BY created_at DESC LIMIT 1").get() as ExecRow;
    expect(row).toMatchObject({ status: 'success', finish_reason: 'stop', iterations: 2 });
    expect(JSON.parse(row.tool_calls!)).toEqual([expect.objectContaining({ name: 'calculator', result: '127.4745', is_error: false })]);
    expect(row.tokens_input).toBeGreaterThan(0);
    expect(row.cost_usd).toBeGreaterThan(0);
  });

  it('runs parallel tool calls and returns both results to the model', async () => {
    fake.enqueue(
      {
        tool_calls: [
          { id: 'p1', name: 'calculator', arguments: '{"expression":"2^10"}' },
          { id: 'p2', name: 'current_time', arguments: '{"timezone":"UTC"}' },
        ],
      },
      { content: 'done' },
    );
    const res = await chat('mathy', { message: 'two things at once' });
    expect(res.status).toBe(200);
    const done = (await res.json()) as { reply: string; execution_id: string };
    expect(done.reply).toBe('done');
    const tools = bodies()[1]!.messages.filter((m) => m.role === 'tool');
    expect(tools.map((m) => m.tool_call_id)).toEqual(['p1', 'p2']);
    expect(tools[0]!.content).toBe('1024');
    expect(JSON.parse(tools[1]!.content!)).toMatchObject({ utc: expect.stringMatching(/^\d{4}-/) });
    expect(bodies()[0]).toMatchObject({ parallel_tool_calls: true });
  });

  it('ends with an explicit message and finish_reason max_iterations when the model never stops calling tools', async () => {
    fake.setDefault({ tool_calls: [{ name: 'calculator', arguments: '{"expression":"1+1"}' }] });
    const res = await chat('mathy', { message: 'loop forever' });
    fake.setDefault({ content: 'ok' });
    expect(res.status).toBe(200);
    const done = (await res.json()) as { reply: string; finish_reason: string; execution_id: string };
    expect(done.finish_reason).toBe('max_iterations');
    expect(done.reply).toMatch(/limit of 2 tool iterations/);
    expect(bodies()).toHaveLength(3);
    expect(exec(done.execution_id)).toMatchObject({ status: 'success', finish_reason: 'max_iterations' });
  });

  it('refuses, at call time, a tool the agent does not list, logs it, and tells the model', async () => {
    fake.enqueue({ tool_calls: [{ id: 'x1', name: 'http_fetch', arguments: '{"url":"https://example.com/"}' }] }, { content: 'I cannot fetch pages.' });
    const res = await chat('customer-support', { message: 'fetch example.com' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { reply: string }).reply).toBe('I cannot fetch pages.');
    const tool = bodies()[1]!.messages.find((m) => m.role === 'tool')!;
    expect(tool).toMatchObject({ tool_call_id: 'x1', content: 'error: tool http_fetch is not allowed for agent customer-support' });
    const log = await waitFor('the refusal in the log', () => {
      const text = readFileSync(home.logFile, 'utf8');
      return text.includes('tool call refused') ? text : '';
    });
    expect(log).toMatch(/"agent":"customer-support".*"tool":"http_fetch"/);
  });

  it('retries 429 twice (Retry-After) and then answers', async () => {
    fake.enqueue({ status: 429, retry_after: 1 }, { status: 429, retry_after: 1 }, { content: 'third time lucky' });
    const res = await chat('router', { message: 'hi' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { reply: string }).reply).toBe('third time lucky');
    expect(bodies()).toHaveLength(3);
    const log = await waitFor('retry lines in the log', () => {
      const lines = readFileSync(home.logFile, 'utf8');
      return lines.includes('retrying in 1000 ms') ? lines : '';
    });
    expect(log).not.toContain('sk-test-secret-key-123456');
  });

  it('a 500 that persists is an error the client sees, recorded as status error', async () => {
    fake.enqueue({ status: 500 }, { status: 500 }, { status: 500 });
    const res = await chat('router', { message: 'hi', stream: true });
    const events = parseSse(await res.text());
    expect(events).toContainEqual({ event: 'error', data: expect.objectContaining({ message: expect.stringContaining('provider openai (HTTP 500)') }) });
    const id = events.find((e) => e.data.execution_id)!.data.execution_id as string;
    expect(exec(id)).toMatchObject({ status: 'error', error_message: expect.stringMatching(/HTTP 500/) });
  });

  it('a malformed response from the server is an error, not an empty reply', async () => {
    fake.enqueue({ raw_body: '{"id": "x", "choices": [ broken' });
    const res = await chat('router', { message: 'hi' });
    expect(res.status).toBeGreaterThanOrEqual(500);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error).toMatchObject({ code: 'PROVIDER_ERROR', message: expect.stringMatching(/malformed response/) });
  });

  it('a provider that hangs times out and the execution row says timeout', async () => {
    fake.enqueue({ delay_ms: 20_000 });
    const res = await chat('router', { message: 'are you there?', stream: true });
    const events = parseSse(await res.text());
    expect(events).toContainEqual({ event: 'error', data: expect.objectContaining({ code: 'TIMEOUT' }) });
    const id = events.find((e) => e.data.execution_id)!.data.execution_id as string;
    expect(exec(id)).toMatchObject({ status: 'timeout', error_message: 'provider openai: no response within 1500 ms' });
  });

  it('a client that disconnects mid-stream cancels the run', async () => {
    fake.enqueue({ content: Array.from({ length: 40 }, (_, i) => `word${i}`).join(' '), chunk_delay_ms: 200 });
    const ac = new AbortController();
    const res = await chat('router', { message: 'tell me a long story', stream: true }, ac.signal);
    const seen = await collect(sseEvents(res), (e) => e.event === 'text_delta');
    const id = seen.find((e) => e.data.execution_id)!.data.execution_id as string;
    ac.abort();
    const row = await waitFor('the cancelled execution row', () => exec(id));
    expect(row).toMatchObject({ status: 'cancelled', error_message: expect.stringMatching(/cancelled/) });
    // The story never finished: no assistant message with the last word was stored.
    const last = db.prepare("SELECT content FROM messages WHERE content LIKE '%word39%'").get();
    expect(last).toBeUndefined();
  });

  it('a client that gives up on a JSON (non-streaming) request cancels the run too', async () => {
    fake.enqueue({ delay_ms: 1_200 });
    const before = (db.prepare('SELECT COUNT(*) AS n FROM agent_executions').get() as { n: number }).n;
    const ac = new AbortController();
    const pending = chat('router', { message: 'slow one' }, ac.signal).catch((e: Error) => e);
    await waitFor('the request to reach the provider', () => bodies().length === 1);
    ac.abort();
    expect(await pending).toBeInstanceOf(Error);
    await waitFor('the cancelled row', () => (db.prepare('SELECT COUNT(*) AS n FROM agent_executions').get() as { n: number }).n === before + 1);
    const row = db.prepare('SELECT * FROM agent_executions ORDER BY created_at DESC LIMIT 1').get() as ExecRow;
    // Cancelled, not the provider timeout (1500 ms) that would have come later.
    expect(row).toMatchObject({ agent_name: 'router', status: 'cancelled', error_message: 'run cancelled' });
  });
});
