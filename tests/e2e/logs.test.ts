/**
 * Correlated logs end to end (STORY-021): the real daemon logging to logs/caxton.log, the official
 * SDK talking to the fake OpenAI server over HTTP. Every line of one chat request with a tool call
 * carries its `X-Request-Id`, its run's lines the execution id; `caxton server logs` filters by
 * request, run, agent, level and text, prints readable lines or (`--json`) the JSON lines; the
 * provider key never reaches the log.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { homeRegistry, openaiToml, requireBuild, waitFor, type TestHome } from '../helpers/cli.js';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';

requireBuild();

const KEY = 'sk-test-secret-log-key-987654';

type Line = Record<string, unknown>;

describe('correlated logs and `caxton server logs` (real daemon, fake OpenAI over HTTP)', { timeout: 30_000 }, () => {
  const homes = homeRegistry();
  let fake: FakeOpenAI;
  let home: TestHome;
  let url = '';
  let executionId = '';

  const fileLines = (): Line[] =>
    readFileSync(home.logFile, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Line);
  const logs = async (...args: string[]) => {
    const r = await home.run(['server', 'logs', '-n', '1000', ...args]);
    expect(r.exitCode, r.stderr).toBe(0);
    return r.stdout.split('\n').filter((l) => l !== '');
  };
  const chat = (message: string, requestId: string) =>
    fetch(`${url}/api/agents/customer-support/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': requestId },
      body: JSON.stringify({ message }),
    });

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    home = homes.create();
    home.writeAresToml(openaiToml(fake.url));
    home.env = { OPENAI_API_KEY: KEY };
    const init = await home.run(['init']);
    expect(init.exitCode, init.stderr).toBe(0);
    await home.start();
    url = (await home.status()).url;
    fake.enqueue({ tool_calls: [{ name: 'calculator', arguments: '{"expression":"6*7"}' }] }, { content: 'It is 42.' });
    const res = await chat('what is 6 times 7?', 'e2e-chat-1');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('e2e-chat-1');
    executionId = ((await res.json()) as { execution_id: string }).execution_id;
    fake.enqueue({ status: 500 });
    expect((await chat('fail please', 'e2e-chat-2')).status).toBe(502);
    await waitFor('both runs in the log', () => fileLines().filter((l) => l.msg === 'run finished').length >= 2);
  }, 30_000);
  afterAll(async () => {
    await homes.cleanupAll();
    await fake?.close();
  });

  it("every line of the chat request carries its request id; its run's lines carry the execution id", () => {
    const lines = fileLines().filter((l) => l.request_id === 'e2e-chat-1');
    expect(lines.map((l) => l.msg)).toEqual(['run started', 'tool call', 'run finished', 'request']);
    for (const l of lines.filter((x) => x.msg !== 'request'))
      expect(l).toMatchObject({ component: 'runtime', execution_id: executionId, agent: 'customer-support' });
    expect(lines.at(-1)).toMatchObject({ component: 'api', status: 200 });
    // Nothing else of that run was logged without the request id.
    expect(fileLines().filter((l) => l.execution_id === executionId && l.request_id !== 'e2e-chat-1')).toEqual([]);
  });

  it('every line of the daemon names its component', () => {
    const lines = fileLines();
    expect(lines.length).toBeGreaterThan(5);
    expect(lines.filter((l) => typeof l.component !== 'string')).toEqual([]);
  });

  it('server logs --request and --run keep that request or run; --json prints the JSON lines', async () => {
    const byRequest = (await logs('--request', 'e2e-chat-1', '--json')).map((l) => JSON.parse(l) as Line);
    expect(byRequest).toHaveLength(4);
    expect(byRequest.every((l) => l.request_id === 'e2e-chat-1')).toBe(true);
    const byRun = await logs('--run', executionId);
    expect(byRun).toHaveLength(3);
    expect(byRun[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z INFO {2}runtime run started .*execution_id=exec_/);
    expect(byRun[2]).toContain('run finished');
    expect(byRun[2]).toContain('status=success');
  });

  it('server logs --level, --agent and --grep filter; -n keeps the last matching lines', async () => {
    const warnings = (await logs('--level', 'warn', '--json')).map((l) => JSON.parse(l) as Line);
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings.every((l) => l.level === 'warn' || l.level === 'error' || l.level === 'fatal')).toBe(true);
    expect(warnings).toContainEqual(expect.objectContaining({ msg: 'run finished', status: 'error', request_id: 'e2e-chat-2' }));
    const tools = await logs('--agent', 'customer-support', '--grep', 'tool call');
    expect(tools).toHaveLength(1);
    expect(tools[0]).toContain('tool=calculator');
    const last = await home.run(['server', 'logs', '-n', '1', '--agent', 'customer-support', '--json']);
    expect(JSON.parse(last.stdout)).toMatchObject({ msg: 'run finished', request_id: 'e2e-chat-2' });
    expect(await logs('--request', 'no-such-request')).toEqual([]);
  });

  it('the provider key never reaches the log', () => {
    expect(readFileSync(home.logFile, 'utf8')).not.toContain(KEY);
  });
});
