/**
 * Every run ends in a stated state, and requests are rate limited (the real daemon, the official SDK
 * talking to the fake OpenAI server over HTTP, the SQLite file on disk):
 * - a repeated identical tool call (`loop_detected`), an empty reply and a tool call printed as text
 *   (`error`), and `max_run_seconds` (`timeout`) each end with their finish reason in the execution
 *   row, the JSON response, the SSE `done` event and `/v1` (OpenAI's closest value plus
 *   `caxton_finish_reason`); these runs go over the control socket, which is exempt from rate limits;
 * - a provider that keeps answering 429 ends the run as `rate_limited`;
 * - over TCP every limited response carries `RateLimit-Policy` and `RateLimit`, and the request past
 *   the quota is a 429 with `Retry-After`.
 */
import http from 'node:http';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { homeRegistry, openaiToml, requireBuild, type TestHome } from '../helpers/cli.js';
import { startFakeOpenAI, type FakeOpenAI, type FakeReply } from '../helpers/fake-openai.js';
import { parseSse } from '../helpers/sse.js';

requireBuild();

const QUOTA = 4;
const TOOLY = `name: tooly
model: balanced
max_tool_iterations: 10
tools[1]: calculator
system_prompt: "You do arithmetic with the calculator."
`;
const SLOW = `name: slow
model: balanced
max_run_seconds: 1
system_prompt: "You answer slowly."
`;

/** A response read in full. */
interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** What one stated end looks like through each entry point. */
interface Seen {
  finish: string;
  executionId: string;
  body: Record<string, any>;
}

describe('stated ends and rate limits (real daemon, fake OpenAI over HTTP)', { timeout: 60_000 }, () => {
  const homes = homeRegistry();
  let fake: FakeOpenAI;
  let home: TestHome;
  let url = '';
  let db: Database.Database;

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    home = homes.create();
    home.writeAresToml(openaiToml(fake.url, `\n[limits]\nrequests_per_minute = ${QUOTA}\n\n[runtime]\nrepeat_tool_call_limit = 3\n`));
    home.env = { OPENAI_API_KEY: 'sk-test-secret-key-123456' };
    const init = await home.run(['init']);
    expect(init.exitCode, init.stderr).toBe(0);
    home.writeFile('config/agents/tooly.toon', TOOLY);
    home.writeFile('config/agents/slow.toon', SLOW);
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

  /** POST JSON over the control socket (the local admin; exempt from rate limits). */
  const socketPost = (path: string, body: unknown): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const data = JSON.stringify(body);
      const req = http.request(
        { socketPath: home.socket, path, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
        },
      );
      req.on('error', reject);
      req.end(data);
    });

  const row = (id: string) =>
    db.prepare('SELECT status, finish_reason, error_message, output FROM agent_executions WHERE id = ?').get(id) as
      { status: string; finish_reason: string; error_message: string | null; output: string } | undefined;

  /** The data of the SSE `done` event in `text`. */
  const doneEvent = (text: string): Record<string, any> => {
    const done = parseSse(text).find((e) => e.event === 'done');
    expect(done, `no done event in:\n${text}`).toBeDefined();
    return done!.data as Record<string, any>;
  };

  /** Run agent `agent` once per entry point (JSON, SSE, /v1, /v1 streaming), each time after scripting `script`. */
  async function everyEntryPoint(agent: string, script: FakeReply[]): Promise<Seen[]> {
    const seen: Seen[] = [];
    const next = () => {
      for (const r of script) fake.enqueue(r);
    };
    next();
    const json = await socketPost(`/api/agents/${agent}/chat`, { message: 'what is 2+2?' });
    expect(json.status, json.text).toBe(200);
    const result = JSON.parse(json.text) as Record<string, any>;
    seen.push({ finish: result.finish_reason, executionId: result.execution_id, body: result });

    next();
    const sse = await socketPost(`/api/agents/${agent}/chat`, { message: 'what is 2+2?', stream: true });
    expect(sse.status, sse.text).toBe(200);
    const done = doneEvent(sse.text);
    seen.push({ finish: done.finish_reason, executionId: done.execution_id, body: done });

    next();
    const v1 = await socketPost('/v1/chat/completions', { model: agent, messages: [{ role: 'user', content: 'what is 2+2?' }] });
    expect(v1.status, v1.text).toBe(200);
    const completion = JSON.parse(v1.text) as Record<string, any>;
    const choice = completion.choices[0];
    seen.push({ finish: choice.caxton_finish_reason, executionId: String(completion.id).replace('chatcmpl-', ''), body: choice });

    next();
    const v1s = await socketPost('/v1/chat/completions', { model: agent, stream: true, messages: [{ role: 'user', content: 'what is 2+2?' }] });
    expect(v1s.status, v1s.text).toBe(200);
    const chunks = parseSse(v1s.text)
      .map((e) => e.data)
      .filter((d): d is Record<string, any> => typeof d === 'object');
    const last = chunks.find((c) => c.choices?.[0]?.finish_reason);
    expect(last, v1s.text).toBeDefined();
    seen.push({ finish: last!.choices[0].caxton_finish_reason, executionId: String(last!.id).replace('chatcmpl-', ''), body: last!.choices[0] });
    return seen;
  }

  const calc = { tool_calls: [{ name: 'calculator', arguments: '{"expression": "2+2"}' }] };

  it('the same tool call three times ends the run as loop_detected, with a final message, and the third call does not run', async () => {
    const seen = await everyEntryPoint('tooly', [calc, calc, calc]);
    for (const s of seen) {
      expect(s.finish).toBe('loop_detected');
      const r = row(s.executionId);
      expect(r).toMatchObject({ status: 'success', finish_reason: 'loop_detected' });
      expect(r!.output).toMatch(/same arguments 3 times.*repeat_tool_call_limit/);
    }
    expect(seen[0]!.body.reply).toMatch(/\[stopped\].*avoid a loop/);
    expect(seen[2]!.body.finish_reason).toBe('length');
    // Per run: three model calls, two calculator rounds sent back, never a fourth model call.
    expect(fake.requests.filter((r) => r.path === '/v1/chat/completions')).toHaveLength(12);
  });

  it('an empty model reply is a stated error, not a successful empty answer', async () => {
    const seen = await everyEntryPoint('tooly', [{ content: '' }]);
    for (const s of seen) {
      expect(s.finish).toBe('error');
      expect(row(s.executionId)).toMatchObject({ status: 'error', finish_reason: 'error', error_message: expect.stringMatching(/empty reply/) });
    }
    expect(seen[0]!.body.error).toMatch(/empty reply/);
    expect(seen[1]!.body.error).toMatch(/empty reply/);
    expect(seen[2]!.body).toMatchObject({ finish_reason: 'stop', caxton_error: expect.stringMatching(/empty reply/) });
    // `caxton agent test` states it and exits 1.
    fake.enqueue({ content: '' });
    const cli = await home.run(['agent', 'test', 'tooly', 'what is 2+2?']);
    expect(cli.exitCode).toBe(1);
    expect(cli.stdout).toMatch(/empty reply/);
    expect(cli.stderr).toMatch(/finish_reason error/);
  });

  it('a tool call printed as text instead of called is a stated error naming the cause', async () => {
    const printed = { content: '{"name": "calculator", "arguments": {"expression": "2+2"}}' };
    const seen = await everyEntryPoint('tooly', [printed]);
    for (const s of seen) {
      expect(s.finish).toBe('error');
      expect(row(s.executionId)).toMatchObject({ status: 'error', finish_reason: 'error', error_message: expect.stringMatching(/tool call as text/) });
    }
    expect(seen[0]!.body.reply).toMatch(/tool call as text/);
    fake.enqueue({ content: 'Let me check. <tool_call>{"name": "calculator", "arguments": {"expression": "2+2"}}</tool_call>' });
    const markup = JSON.parse((await socketPost('/api/agents/tooly/chat', { message: 'hi' })).text) as Record<string, any>;
    expect(markup).toMatchObject({ finish_reason: 'error', error: expect.stringMatching(/tool call as text/) });
  });

  it('max_run_seconds ends a run whose model hangs as timeout, with a final message', async () => {
    const seen = await everyEntryPoint('slow', [{ content: 'too late', delay_ms: 20_000 }]);
    for (const s of seen) {
      expect(s.finish).toBe('timeout');
      expect(row(s.executionId)).toMatchObject({ status: 'timeout', finish_reason: 'timeout', error_message: expect.stringMatching(/max_run_seconds/) });
    }
    expect(seen[0]!.body.reply).toMatch(/time limit of 1 s \(max_run_seconds\)/);
    expect(seen[2]!.body.finish_reason).toBe('length');
  });

  it('a provider that keeps answering 429 ends the run as rate_limited', async () => {
    fake.enqueue({ status: 429 });
    const res = await socketPost('/api/agents/tooly/chat', { message: 'hi' });
    expect(res.status).toBe(502);
    expect(JSON.parse(res.text).error.message).toMatch(/rate limiting requests \(HTTP 429\)/);
    const last = db.prepare('SELECT status, finish_reason FROM agent_executions ORDER BY created_at DESC, id DESC LIMIT 1').get();
    expect(last).toEqual({ status: 'error', finish_reason: 'rate_limited' });
  });

  it('over TCP: RateLimit headers on every response, then 429 with Retry-After; the socket stays exempt', async () => {
    const get = () => fetch(`${url}/api/agents`);
    for (let i = QUOTA - 1; i >= 0; i--) {
      const res = await get();
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit-policy')).toBe(`"address";q=${QUOTA};w=60`);
      expect(res.headers.get('ratelimit')).toMatch(new RegExp(`^"address";r=${i};t=\\d+$`));
    }
    const refused = await get();
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.headers.get('ratelimit')).toMatch(/^"address";r=0;t=\d+$/);
    expect(((await refused.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'TOO_MANY_REQUESTS',
      message: expect.stringMatching(/4 requests per minute per client address/),
    });
    // Probes stay reachable, and the control socket is never limited.
    expect((await fetch(`${url}/health`)).status).toBe(200);
    const viaSocket = await socketPost('/api/agents/tooly/chat', { message: 'hello' });
    expect(viaSocket.status).toBe(200);
    expect(viaSocket.headers['ratelimit']).toBeUndefined();
  });
});
