/**
 * Shared conversations (STORY-032) on the real daemon with the fake OpenAI server, through the CLI:
 * `caxton conversation create --agents a,b,c`, `send --to all` (answers streamed in listed order,
 * each agent's request holding the earlier answers), `send --to AGENT` (one answer; an agent with
 * `conversation_visibility: addressed` in its config file does not see it later) and `show`
 * (participants and authored messages).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeOpenAI, FakeRequestLog } from '../helpers/fake-openai.js';
import { homeRegistry, requireBuild, type TestHome } from '../helpers/cli.js';

requireBuild();

const agentFile = (name: string, extra = '') => `name: ${name}\nmodel: fast\nsystem_prompt: "You are ${name}."\n${extra}`;
const agentOf = (r: FakeRequestLog) => /You are (\w+)\./.exec(r.body.messages[0].content)?.[1] ?? '?';

describe('shared conversation through the CLI (real daemon, fake OpenAI)', { timeout: 120_000 }, () => {
  const homes = homeRegistry();
  let fake: FakeOpenAI;
  let home: TestHome;
  const chats = () => fake.requests.filter((r) => r.path === '/v1/chat/completions');

  beforeAll(async () => {
    ({ fake, home } = await homes.startWithFake({ default: (req) => ({ content: `${agentOf(req)} says hi` }) }, (h) => {
      h.writeFile('config/agents/planner.toon', agentFile('planner'));
      h.writeFile('config/agents/coder.toon', agentFile('coder'));
      h.writeFile('config/agents/critic.toon', agentFile('critic', 'conversation_visibility: addressed\n'));
    }));
  }, 60_000);
  afterAll(() => homes.cleanupAll());

  it('creates, broadcasts in order, addresses one agent and shows the authored transcript', async () => {
    const created = await home.run(['conversation', 'create', '--agents', 'planner,coder,critic']);
    expect(created.exitCode, created.stderr).toBe(0);
    const id = created.stdout.trim();
    expect(id).toMatch(/^conv/);

    const all = await home.run(['conversation', 'send', id, '--to', 'all', 'Plan the release']);
    expect(all.exitCode, all.stderr).toBe(0);
    expect(all.stdout).toBe('planner: planner says hi\ncoder: coder says hi\ncritic: critic says hi\n');
    const round = chats().slice(-3);
    expect(round.map(agentOf)).toEqual(['planner', 'coder', 'critic']);
    expect(round[2]!.body.messages.slice(1).map((m: { content: string }) => m.content)).toEqual([
      'Plan the release',
      '[planner] planner says hi',
      '[coder] coder says hi',
    ]);

    const direct = await home.run(['conversation', 'send', id, '--to', 'coder', '--no-stream', 'Write the changelog']);
    expect(direct.stdout).toBe('coder: coder says hi\n');
    await home.run(['conversation', 'send', id, '--to', 'critic', 'Review']);
    expect(JSON.stringify(chats().at(-1)!.body.messages)).not.toContain('changelog');

    const shown = await home.run(['conversation', 'show', id]);
    expect(shown.exitCode, shown.stderr).toBe(0);
    expect(shown.stdout.split('\n').slice(0, 7)).toEqual([
      `conversation ${id}`,
      'participants: planner, coder, critic',
      'user -> all: Plan the release',
      'planner -> all: planner says hi',
      'coder -> all: coder says hi',
      'critic -> all: critic says hi',
      'user -> coder: Write the changelog',
    ]);

    const unknown = await home.run(['conversation', 'create', '--agents', 'planner,ghost']);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toContain('agent ghost not found');
  });
});
