/**
 * Sub-agents and capability routing through the CLI and the real daemon (fake OpenAI over HTTP,
 * SQLite on disk): `agent test` of an agent that delegates, `run show ID` printing the request's
 * runs as an indented tree, `capability list` and `ask CAPABILITY` naming the agent that answered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { homeRegistry, openaiToml, requireBuild, type TestHome } from '../helpers/cli.js';
import { startFakeOpenAI, type FakeOpenAI, type FakeReply, type FakeRequestLog } from '../helpers/fake-openai.js';

requireBuild();

/** The boss calls agent__helper once, then repeats what it got; every other agent says hi. */
function reply(req: FakeRequestLog): FakeReply {
  const messages = req.body.messages as { role: string; content: string | null }[];
  const role = /ROLE (\S+)/.exec(messages[0]!.content ?? '')?.[1] ?? 'unknown';
  const last = messages.at(-1)!;
  if (last.role === 'tool') return { content: `${role} got: ${last.content}` };
  if (role === 'boss') return { tool_calls: [{ name: 'agent__helper', arguments: '{"input":"help me"}' }] };
  return { content: `${role} says hi` };
}

const agent = (name: string, extra = '') => `name: ${name}\nmodel: fast\n${extra}system_prompt: "ROLE ${name}"\n`;

describe('sub-agents and capabilities from the CLI (real daemon)', { timeout: 60_000 }, () => {
  const homes = homeRegistry();
  let fake: FakeOpenAI;
  let home: TestHome;

  beforeAll(async () => {
    fake = await startFakeOpenAI({ default: reply });
    home = homes.create();
    home.writeAresToml(openaiToml(fake.url));
    home.env = { OPENAI_API_KEY: 'sk-test' };
    expect((await home.run(['init'])).exitCode).toBe(0);
    home.writeFile('config/agents/boss.toon', agent('boss', 'agents[1]: helper\n'));
    home.writeFile('config/agents/helper.toon', agent('helper', 'description: Helps out\n'));
    home.writeFile('config/agents/invoice.toon', agent('invoice', 'capabilities[1]: billing\n'));
    home.writeFile('config/agents/finance.toon', agent('finance', 'capabilities[1]: billing\n'));
    await home.start();
  }, 60_000);
  afterAll(async () => {
    await homes.cleanupAll();
    await fake.close();
  });

  it('a delegating run answers with the sub-agent result, and run show prints the tree', async () => {
    const run = await home.run(['agent', 'test', 'boss', 'go', '--json']);
    expect(run.exitCode, run.stderr).toBe(0);
    const done = JSON.parse(run.stdout) as { reply: string; execution_id: string };
    expect(done.reply).toBe('boss got: helper says hi');
    const show = await home.run(['run', 'show', done.execution_id]);
    expect(show.exitCode, show.stderr).toBe(0);
    const lines = show.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^boss ${done.execution_id} success \\(stop\\) .*with sub-agents`));
    expect(lines).toContain('  tool agent__helper');
    expect(lines.some((l) => /^ {2}helper exec_\S+ success \(stop\)/.test(l))).toBe(true);
    const missing = await home.run(['run', 'show', 'exec_nope']);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain('execution exec_nope not found');
  });

  it('capability list shows the pool; ask routes and names who answered', async () => {
    const list = await home.run(['capability', 'list']);
    expect(list.exitCode, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/billing\s.*finance \(\w+\), invoice \(\w+\)/);
    const asked = await home.run(['ask', 'billing', 'my bill', '--no-stream']);
    expect(asked.exitCode, asked.stderr).toBe(0);
    const who = /answered by (\w+)/.exec(asked.stderr)?.[1];
    expect(['finance', 'invoice']).toContain(who);
    expect(asked.stdout.trim()).toBe(`${who} says hi`);
    const none = await home.run(['ask', 'nothing', 'hi']);
    expect(none.exitCode).toBe(1);
    expect(none.stderr).toContain('capability nothing not found');
  });
});
