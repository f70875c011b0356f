/**
 * `caxton test`, `caxton template` and `caxton validate` on scenario files through the built binary,
 * with no daemon: the shipped agents' and templates' suites pass (exit 0); a failing suite exits 1
 * with its failure shown and a JUnit XML report a real JUnit parser reads; usage errors exit 2.
 */
import { cpSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseJunit } from 'junit2json';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, closedPort, homeRegistry, openaiToml, requireBuild, type TestHome } from '../helpers/cli.js';

requireBuild();

const FAILING = `agent = "customer-support"
[[cases]]
name = "wrong total"
input = "3 items at 49.99 with 15% off?"
[[cases.replies]]
tool_calls = [{ name = "calculator", arguments = { expression = "49.99*3*0.85" } }]
[[cases.replies]]
text = "The total is 127.47."
[cases.expect]
contains = ["99.99"]

[[cases]]
name = "right total"
input = "3 items at 49.99 with 15% off?"
[[cases.replies]]
text = "The total is 127.47."
[cases.expect]
contains = ["127.47"]
`;

describe('caxton test (real binary, no daemon)', { timeout: 60_000 }, () => {
  const homes = homeRegistry();
  let home: TestHome;
  let templates: TestHome;
  beforeAll(async () => {
    const url = `http://127.0.0.1:${await closedPort()}/v1`;
    home = homes.create();
    home.writeAresToml(openaiToml(url));
    cpSync(join(REPO_ROOT, 'config'), join(home.dir, 'config'), { recursive: true });
    cpSync(join(REPO_ROOT, 'tests', 'scenarios', 'agents'), join(home.dir, 'tests'), { recursive: true });
    // The templates run as the agents of a home of their own (one shares its name with a shipped agent).
    templates = homes.create();
    templates.writeAresToml(openaiToml(url));
    for (const kind of ['models', 'tools']) cpSync(join(REPO_ROOT, 'config', kind), join(templates.dir, 'config', kind), { recursive: true });
    mkdirSync(join(templates.dir, 'config', 'agents'), { recursive: true });
    for (const f of readdirSync(join(REPO_ROOT, 'templates')).filter((n) => /\.(toon|toml)$/.test(n))) {
      cpSync(join(REPO_ROOT, 'templates', f), join(templates.dir, 'config', 'agents', f));
    }
  });
  afterAll(() => homes.cleanupAll());

  it("every shipped agent's suite passes from the home's tests/ by default (exit 0)", async () => {
    const r = await home.run(['test']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    for (const agent of ['customer-support', 'orchestrator', 'router']) expect(r.stdout).toContain(`✓ ${join(home.dir, 'tests', `${agent}.test.toml`)}`);
    expect(r.stdout).toMatch(/^ok: 5 of 5 cases passed/m);
  });

  it("every shipped template's suite passes", async () => {
    const r = await templates.run(['test', join(REPO_ROOT, 'tests', 'scenarios', 'templates')]);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ok: 4 of 4 cases passed/m);
  });

  it('--trace shows the prompt, template variables, each model call, each tool call and the end', async () => {
    const r = await templates.run(['test', join(REPO_ROOT, 'tests', 'scenarios', 'templates'), '--trace', '--filter', 'growth']);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('  prompt:\n    [system] You are a careful data analyst.');
    expect(r.stdout).toContain('Row limit: 500.');
    expect(r.stdout).toContain('    variables: parameters {"max_rows":500,"report_style":"bullet list with one number per finding"');
    expect(r.stdout).toContain('memory_context filled · user_prompt_template yes');
    expect(r.stdout).toMatch(/ {4}model call 1: 2 messages · [\d.]+ ms · 0 in \/ 0 out tokens · finish tool_calls · asks for calculator\n/);
    expect(r.stdout).toMatch(/ {4}tool calculator\(\{"expression":"\(1500-1200\)\/1200\*100"\}\) -> 25 · [\d.]+ ms · real\n/);
    expect(r.stdout).toMatch(/ {4}model call 2: 4 messages · .* finish stop\n {4}end: stop\n/);
  });

  it('a failing case exits 1 with the expectation, the reply, the tool calls and the prompt; JUnit XML parses', async () => {
    home.writeFile('more/failing.test.toml', FAILING);
    const xml = join(home.dir, 'report.xml');
    const r = await home.run(['test', join(home.dir, 'more'), '--reporter', 'junit', '--output', xml]);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain('  ✗ contains: expected the reply contains "99.99"\n    got: the reply was "The total is 127.47."');
    expect(r.stdout).toContain('    calculator({"expression":"49.99*3*0.85"}) -> 127.4745');
    expect(r.stdout).toContain('  prompt:\n    [system] You are a friendly, precise customer support agent.');
    expect(r.stdout).toMatch(/^FAILED: 1 of 2 cases passed/m);
    const report = (await parseJunit(readFileSync(xml, 'utf8'))) as {
      testsuite: Array<{ testcase: Array<{ name: string; failure?: Array<{ message: string }> }> }>;
    };
    const cases = report.testsuite[0]!.testcase;
    expect(cases.map((c) => [c.name, c.failure?.[0]?.message])).toEqual([
      ['wrong total', 'contains: expected the reply contains "99.99"; got the reply was "The total is 127.47."'],
      ['right total', undefined],
    ]);
  });

  it('--json gives every case with failures, tool calls and prompt; --filter picks cases', async () => {
    const r = await home.run(['--json', 'test', join(home.dir, 'more'), '--filter', 'wrong']);
    expect(r.exitCode).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ ok: false, passed: 0, failed: 1 });
    expect(out.cases[0]).toMatchObject({
      name: 'wrong total',
      failures: [{ assertion: 'contains' }],
      tool_calls: [{ name: 'calculator', result: '127.4745', mocked: false }],
      prompt: [{ role: 'system' }, { role: 'user', content: '3 items at 49.99 with 15% off?' }],
    });
  });

  it('usage errors exit 2: conflicting flags, a bad scenario file (located), no scenario files', async () => {
    const flags = await home.run(['test', '--record', '--replay']);
    expect([flags.exitCode, flags.stderr]).toEqual([2, 'error: --record cannot be combined with --replay or --update\n']);
    home.writeFile('bad/x.test.toml', 'agent = "customer-support"\n[[cases]]\nname = "n"\nimput = "hi"\n');
    const bad = await home.run(['test', join(home.dir, 'bad')]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain(
      `${join(home.dir, 'bad', 'x.test.toml')}:4:1: E_UNKNOWN_FIELD unknown field \`cases.0.imput\`\n  hint: did you mean \`input\`?`,
    );
    expect(bad.stderr).toMatch(/no case was run\n$/);
    const none = await home.run(['test', join(home.dir, 'config', 'models')]);
    expect(none.exitCode).toBe(2);
    const unknown = await home.run(['test', '--bogus']);
    expect(unknown.exitCode).toBe(2);
  });

  it('validate checks a scenario file, and takes --kind agent for a loose file', async () => {
    home.writeFile('loose/helper.toon', 'name: helper\ndescription: d\n');
    const asAgent = await home.run(['validate', '--kind', 'agent', join(home.dir, 'loose', 'helper.toon')]);
    expect(asAgent.exitCode).toBe(1);
    expect(asAgent.stdout).toContain('E_MISSING_FIELD missing required field `system_prompt`');
    const scenario = await home.run(['validate', join(home.dir, 'bad', 'x.test.toml')]);
    expect(scenario.exitCode).toBe(1);
    expect(scenario.stdout).toContain('did you mean `input`?');
  });

  it('template list and show give each template its metadata', async () => {
    const r = await home.run(['--json', 'template', 'list']);
    expect(r.exitCode).toBe(0);
    const list = JSON.parse(r.stdout) as Array<{ name: string; version: string; author: string; tags: string[]; examples: string[] }>;
    expect(list.map((t) => t.name)).toEqual(['chatbot', 'customer-support', 'data-analyzer', 'task-scheduler']);
    for (const t of list) {
      expect(t.version).toMatch(/^\d+\.\d+\.\d+$/);
      expect(t.author).not.toBe('');
      expect(t.tags.length).toBeGreaterThan(0);
      expect(t.examples.length).toBeGreaterThan(0);
    }
    const show = await home.run(['template', 'show', 'chatbot']);
    expect(show.stdout).toContain('caxton agent test my-chatbot "Explain what a context window is in two sentences."');
    const missing = await home.run(['template', 'show', 'nope']);
    expect([missing.exitCode, missing.stderr]).toEqual([1, expect.stringContaining('no template nope')]);
  });
});
