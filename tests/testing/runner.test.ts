/**
 * The scenario runner in-process over the shipped config: a passing suite, each assertion kind
 * failing with its message, mocked tools whose real tool does not run, history, a workflow case (a hand-over),
 * and the judge (skipped without `[test] judge_model`, graded by the fake model with it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseResult } from '../../src/testing/runner.js';
import { closedPort } from '../helpers/cli.js';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';
import { scenarioHome, type ScenarioHome } from './home.js';

let home: ScenarioHome;
beforeAll(async () => {
  home = scenarioHome(`http://127.0.0.1:${await closedPort()}/v1`);
});
afterAll(() => home.remove());

/** One case of customer-support scripted to call the calculator, then say `reply`; `expect` is TOML. */
const toolCase = (name: string, expect: string, reply = 'The total is 127.47.') => `
[[cases]]
name = "${name}"
input = "3 items at 49.99 with 15% off?"
[[cases.replies]]
tool_calls = [{ name = "calculator", arguments = { expression = "49.99*3*0.85" } }]
[[cases.replies]]
text = "${reply}"
[cases.expect]
${expect}
`;

const byName = (cases: CaseResult[]) => Object.fromEntries(cases.map((c) => [c.name, c]));

describe('caxton test runner', { timeout: 30_000 }, () => {
  it('passes a suite whose expectations hold, with tool calls, arguments and results reported', async () => {
    home.write(
      'tests/pass.test.toml',
      `agent = "customer-support"\n${toolCase(
        'all hold',
        `contains = ["127.47"]
not_contains = ["sorry"]
icontains = ["TOTAL"]
regex = ["\\\\d+\\\\.\\\\d{2}"]
equals = "The total is 127.47."
tool_called = ["calculator"]
tool_not_called = ["web_search"]
tool_order = ["calculator"]
tool_args = { calculator = { expression = "49.99*3*0.85" } }
finish_reason = "stop"
max_iterations = 2
max_cost_usd = 0.01
max_latency_ms = 20000`,
      )}`,
    );
    const r = await home.run(['tests/pass.test.toml']);
    const c = r.cases[0]!;
    expect(c.failures).toEqual([]);
    expect([r.passed, r.failed]).toEqual([1, 0]);
    expect(c.tool_calls).toEqual([{ name: 'calculator', arguments: { expression: '49.99*3*0.85' }, result: '127.4745', is_error: false, mocked: false }]);
    expect(c.prompt[0]).toMatchObject({ role: 'system', content: expect.stringContaining('customer support agent') });
  });

  it('fails each assertion kind with what was expected and what happened', async () => {
    const cases = [
      toolCase('contains', 'contains = ["99.99"]'),
      toolCase('not_contains', 'not_contains = ["127"]'),
      toolCase('icontains', 'icontains = ["REFUND"]'),
      toolCase('regex', 'regex = ["^Total"]'),
      toolCase('equals', 'equals = "The total is 127.48."'),
      toolCase('json', 'json = true'),
      toolCase('json schema', 'json = { type = "object" }', '[1]'),
      toolCase('tool_called', 'tool_called = ["web_search"]'),
      toolCase('tool_not_called', 'tool_not_called = ["calculator"]'),
      toolCase('tool_order', 'tool_order = ["web_search", "calculator"]'),
      toolCase('tool_args', 'tool_args = { calculator = { expression = "1+1" } }'),
      toolCase('finish_reason', 'finish_reason = "length"'),
      toolCase('max_iterations', 'max_iterations = 1'),
      toolCase('max_cost_usd', 'max_cost_usd = 0'),
      toolCase('max_latency_ms', 'max_latency_ms = 0'),
    ];
    home.write('tests/fail.test.toml', `agent = "customer-support"\n${cases.join('')}`);
    const r = await home.run(['tests/fail.test.toml']);
    expect(r.failed).toBe(cases.length);
    const got = Object.fromEntries(r.cases.map((c) => [c.name, c.failures.map((f) => `${f.assertion}: ${f.expected} | ${f.actual}`)]));
    const reply = 'the reply was "The total is 127.47."';
    expect(got).toEqual({
      contains: [`contains: the reply contains "99.99" | ${reply}`],
      not_contains: [`not_contains: the reply does not contain "127" | ${reply}`],
      icontains: [`icontains: the reply contains "REFUND" (any case) | ${reply}`],
      regex: [`regex: the reply matches /^Total/ | ${reply}`],
      equals: [`equals: the reply equals "The total is 127.48." | ${reply}`],
      json: [expect.stringMatching(/^json: the reply is valid JSON \| it is not \(.*\): "The total is 127.47."$/)],
      'json schema': ['json: the reply is JSON valid against the schema | reply must be object'],
      tool_called: ['tool_called: web_search is called | tools called: calculator'],
      tool_not_called: ['tool_not_called: calculator is not called | tools called: calculator'],
      tool_order: ['tool_order: tools called in the order web_search -> calculator | tools called: calculator'],
      tool_args: ['tool_args: calculator called with arguments including {"expression":"1+1"} | called with {"expression":"49.99*3*0.85"}'],
      finish_reason: ['finish_reason: finish reason length | finish reason stop'],
      max_iterations: ['max_iterations: at most 1 model calls | 2 model calls'],
      max_cost_usd: [expect.stringMatching(/^max_cost_usd: cost at most \$0 \| cost \$0\.0000\d+$/)],
      max_latency_ms: [expect.stringMatching(/^max_latency_ms: at most 0 ms \| \d+ ms$/)],
    });
    expect(byName(r.cases).equals!.failures[0]!.diff).toContain('-The total is 127.48.\n+The total is 127.47.');
  });

  it('answers mocked tools with the canned result: the real tool does not run', async () => {
    home.write(
      'tests/mock.test.toml',
      `agent = "customer-support"
[[cases]]
name = "mocked calculator"
input = "1+1?"
[[cases.replies]]
tool_calls = [{ name = "calculator", arguments = { expression = "1+1" } }]
[[cases.replies]]
text = "It is 3."
[cases.mock_tools]
calculator = "3"
[cases.expect]
contains = ["3"]
`,
    );
    const c = (await home.run(['tests/mock.test.toml'])).cases[0]!;
    // The real calculator says 2.
    expect(c.tool_calls).toEqual([{ name: 'calculator', arguments: { expression: '1+1' }, result: '3', is_error: false, mocked: true }]);
    expect(c.passed).toBe(true);
  });

  it('sends the conversation as history before the input, and runs a workflow as the daemon does: the router hands over', async () => {
    home.write(
      'tests/history.test.toml',
      `workflow = "default"
[[cases]]
name = "history"
input = "and now?"
conversation = ["first question", "first answer"]
[[cases.replies]]
text = "customer-support"
[[cases.replies]]
text = "Your order ships tomorrow."
[cases.expect]
equals = "Your order ships tomorrow."
`,
    );
    const c = (await home.run(['tests/history.test.toml'])).cases[0]!;
    expect(c.failures).toEqual([]);
    expect(c.passed).toBe(true);
    expect(c.iterations).toBe(2); // the router's call, then customer-support's
    expect(c.target).toBe('workflow default');
    expect(c.prompt.map((m) => [m.role, m.role === 'system' ? 'router prompt' : m.content])).toEqual([
      ['system', 'router prompt'],
      ['user', 'first question'],
      ['assistant', 'first answer'],
      ['user', 'and now?'],
    ]);
    expect(c.prompt[0]!.content).toContain('which specialist should answer it');
  });

  it('fails a case whose scripted replies run out, naming the extra model call', async () => {
    home.write(
      'tests/short.test.toml',
      `agent = "customer-support"\n${toolCase('short', 'contains = ["x"]').replace(/\[\[cases\.replies\]\]\ntext = .*\n/, '')}`,
    );
    const c = (await home.run(['tests/short.test.toml'])).cases[0]!;
    expect(c.failures[0]).toMatchObject({ assertion: 'run', actual: expect.stringContaining('scripted provider scripted has no reply left') });
  });
});

describe('judge expectations', { timeout: 30_000 }, () => {
  let fake: FakeOpenAI;
  let judged: ScenarioHome;
  beforeAll(async () => {
    fake = await startFakeOpenAI();
    judged = scenarioHome(fake.url, '\n[test]\njudge_model = "fast"\n');
  });
  afterAll(async () => {
    judged.remove();
    await fake.close();
  });

  const suite = `agent = "customer-support"
[[cases]]
name = "graded"
input = "hi"
[[cases.replies]]
text = "Hello!"
[cases.expect]
judge = "Greets the user"
`;

  it('is skipped with a note without [test] judge_model', async () => {
    home.write('tests/judge.test.toml', suite);
    const c = (await home.run(['tests/judge.test.toml'])).cases[0]!;
    expect([c.passed, c.notes]).toEqual([true, ['judge skipped: set [test] judge_model in ares.toml to grade it']]);
  });

  it("is graded by the judge model: FAIL fails the case with the judge's reason, PASS passes", async () => {
    judged.write('tests/judge.test.toml', suite);
    fake.enqueue({ content: 'FAIL: it does not greet' });
    const failed = (await judged.run(['tests/judge.test.toml'])).cases[0]!;
    expect(failed.failures).toEqual([{ assertion: 'judge', expected: 'Greets the user', actual: 'the judge said: FAIL: it does not greet' }]);
    expect(fake.requests.at(-1)!.body.messages[1].content).toBe('Rubric: Greets the user\n\nReply:\nHello!');
    fake.enqueue({ content: 'PASS: it greets' });
    expect((await judged.run(['tests/judge.test.toml'])).cases[0]!.passed).toBe(true);
  });
});
