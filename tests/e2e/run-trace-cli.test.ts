/**
 * Run traces through the CLI on the real daemon with the fake OpenAI server (docs/testing.md "Run
 * traces"): `caxton agent test NAME "msg" --trace` prints the reply, then the run's trace (prompt,
 * variables, messages, model calls with time and tokens, the tool call with arguments, result and
 * time, and the end); `caxton run trace ID` prints the stored trace, `--kind` filters it, `--json`
 * gives it whole; a run without --trace has none (exit 1).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { homeRegistry, openaiToml, requireBuild, type TestHome } from '../helpers/cli.js';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';

requireBuild();

const MATHY = `name: mathy
model: balanced
max_tool_iterations: 3
tools[1]: calculator
parameters:
  shop: Acme
user_prompt_template: "For {{parameters.shop}}: {{message}}"
system_prompt: "You do arithmetic with the calculator."
`;

describe('caxton agent test --trace and caxton run trace (real daemon)', { timeout: 60_000 }, () => {
  const homes = homeRegistry();
  let fake: FakeOpenAI;
  let home: TestHome;

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    home = homes.create();
    home.writeAresToml(openaiToml(fake.url));
    home.env = { OPENAI_API_KEY: 'sk-test-secret-key-123456' };
    expect((await home.run(['init'])).exitCode).toBe(0);
    home.writeFile('config/agents/mathy.toon', MATHY);
    await home.start();
  }, 30_000);
  afterAll(async () => {
    await homes.cleanupAll();
    await fake.close();
  });

  const toolReplies = () =>
    fake.enqueue(
      { tool_calls: [{ name: 'calculator', arguments: '{"expression": "6 * 7"}' }], usage: { prompt_tokens: 50, completion_tokens: 7 } },
      { content: 'It is 42.', usage: { prompt_tokens: 70, completion_tokens: 4 } },
    );

  it('agent test --trace prints the reply, then every step of the run', async () => {
    toolReplies();
    const res = await home.run(['agent', 'test', 'mathy', 'what is 6 times 7?', '--trace']);
    expect(res.exitCode, res.stderr).toBe(0);
    expect(res.stdout.trim()).toBe('It is 42.');
    const err = res.stderr;
    expect(err).toMatch(/trace of exec_\S+/);
    expect(err).toContain('You do arithmetic with the calculator.');
    expect(err).toContain('parameters: {"shop":"Acme"}');
    expect(err).toContain('user prompt: For Acme: what is 6 times 7?');
    expect(err).toMatch(/messages sent: 2 · no history trimmed/);
    expect(err).toMatch(/model call 1 · gpt-4o-mini · 2 messages · [\d.]+ ms · 50 in \/ 7 out tokens · finish tool_calls/);
    expect(err).toContain('asks for calculator({"expression": "6 * 7"})');
    expect(err).toMatch(/tool calculator\(\{"expression": "6 \* 7"\}\) -> 42 · \d+ ms · round 1/);
    expect(err).toMatch(/model call 2 · .* 70 in \/ 4 out tokens · finish stop\n\s+text: It is 42\./);
    expect(err).toMatch(/end: success · finish_reason stop/);
  });

  it('run trace ID prints the stored trace; --kind filters it; --json gives it whole', async () => {
    toolReplies();
    const ran = await home.run(['agent', 'test', 'mathy', 'again?', '--trace', '--json']);
    expect(ran.exitCode, ran.stderr).toBe(0);
    const result = JSON.parse(ran.stdout) as { execution_id: string; trace: { steps: { kind: string }[] } };
    expect(result.trace.steps.map((s) => s.kind)).toEqual(['prompt', 'messages', 'model_call', 'tool_call', 'model_call', 'end']);

    const text = await home.run(['run', 'trace', result.execution_id]);
    expect(text.exitCode, text.stderr).toBe(0);
    expect(text.stdout).toContain(`trace of ${result.execution_id}`);
    expect(text.stdout).toMatch(/ 4\. tool calculator/);

    const tools = await home.run(['run', 'trace', result.execution_id, '--kind', 'tool_call', '--json']);
    expect(tools.exitCode, tools.stderr).toBe(0);
    expect(JSON.parse(tools.stdout).steps).toEqual([expect.objectContaining({ kind: 'tool_call', name: 'calculator', result: '42' })]);

    const bad = await home.run(['run', 'trace', result.execution_id, '--kind', 'tools']);
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toContain('unknown step kind tools');
  });

  it('a run without --trace stores none: run trace fails saying so', async () => {
    fake.enqueue({ content: 'Hi.' });
    const ran = await home.run(['agent', 'test', 'mathy', 'hello', '--json']);
    const { execution_id } = JSON.parse(ran.stdout) as { execution_id: string };
    const res = await home.run(['run', 'trace', execution_id]);
    expect(res.exitCode).toBe(1);
    expect(res.stderr).toContain(`no trace recorded for execution ${execution_id}`);
  });
});
