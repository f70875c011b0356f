/**
 * The README's MCP example works as written: the files under its `<!-- readme-example: PATH -->`
 * markers (an `npx -y @modelcontextprotocol/server-everything stdio` server and an agent naming its
 * tools) are copied verbatim into a home, the real daemon starts the server through npx, and the
 * agent is offered the server's tools and gets a real result from calling one (model: the fake
 * OpenAI server).
 *
 * No network: the home has a `node_modules` linking the checkout's installed dependencies (where the
 * server is a dev dependency), which npx resolves before any registry; the daemon's HOME is a temp
 * dir whose `.npmrc` sets `offline=true`, so a lookup that did reach for the registry would fail.
 */
import { mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode } from '@toon-format/toon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';
import { homeRegistry, REPO_ROOT, requireBuild, waitFor, type TestHome } from '../helpers/cli.js';

requireBuild();

/** Files of the README's marked examples: `<!-- readme-example: PATH -->` then a fenced block. */
function readmeExamples(): Map<string, string> {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const found = new Map<string, string>();
  for (const m of readme.matchAll(/^<!-- readme-example: (\S+) -->\n```[^\n]*\n([\s\S]*?)^```$/gm)) found.set(m[1]!, m[2]!);
  return found;
}

interface McpRow {
  name: string;
  state: string;
  tool_names: string[];
  last_error?: string;
}

describe("the README's MCP example (real daemon, npx, server-everything from npm)", { timeout: 60_000 }, () => {
  const homes = homeRegistry();
  const examples = readmeExamples();
  const serverFile = 'config/mcps/everything.toon';
  const agentFile = 'config/agents/helper.toon';
  let fake: FakeOpenAI;
  let home: TestHome;
  let npmHome: string;

  beforeAll(async () => {
    expect([...examples.keys()].sort()).toEqual([agentFile, serverFile]);
    fake = await startFakeOpenAI();
    home = await homes.createWithFake(fake.url);
    for (const [path, text] of examples) home.writeFile(path, text);
    symlinkSync(realpathSync(join(REPO_ROOT, 'node_modules')), join(home.dir, 'node_modules'));
    npmHome = mkdtempSync('/tmp/cx-npmhome-');
    writeFileSync(join(npmHome, '.npmrc'), 'offline=true\nupdate-notifier=false\n');
    home.env = { ...home.env, HOME: npmHome };
    await home.start();
  }, 60_000);
  afterAll(async () => {
    await homes.cleanupAll();
    await fake?.close();
    if (npmHome) rmSync(npmHome, { recursive: true, force: true });
  });

  it('starts the server with `npx -y` (no prompt in a child without a terminal)', () => {
    const server = decode(examples.get(serverFile)!) as { command: string; args: string[] };
    expect(server.command).toBe('npx');
    expect(server.args.slice(0, 2)).toEqual(['-y', '@modelcontextprotocol/server-everything']);
  });

  it('connects the server with the allowed tools', async () => {
    const row = await waitFor(
      'the everything server ready',
      async () => {
        const r = await home.run(['--json', 'mcp', 'list']);
        const found = (JSON.parse(r.stdout) as McpRow[]).find((s) => s.name === 'everything');
        if (found?.state === 'failed') throw new Error(`everything failed: ${found.last_error ?? ''}`);
        return found?.state === 'ready' ? found : undefined;
      },
      40_000,
    );
    expect([...row.tool_names].sort()).toEqual(['everything.echo', 'everything.get-sum']);
  });

  it("offers the agent the server's tools and returns a real tool result to the model", async () => {
    fake.enqueue({ tool_calls: [{ id: 'call_sum', name: 'everything__get-sum', arguments: JSON.stringify({ a: 2, b: 3 }) }] }, { content: 'It is 5.' });
    const r = await home.run(['agent', 'test', 'helper', 'What is 2 + 3?']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('It is 5.');

    const [first, second] = fake.requests.filter((q) => q.path.endsWith('/chat/completions')).slice(-2);
    const offered = ((first!.body?.tools ?? []) as { function: { name: string } }[]).map((t) => t.function.name).sort();
    expect(offered).toEqual(['everything__echo', 'everything__get-sum']);
    const messages = (second!.body?.messages ?? []) as { role: string; tool_call_id?: string; content: string }[];
    expect(messages.find((m) => m.role === 'tool' && m.tool_call_id === 'call_sum')?.content).toMatch(/\b5\b/);
  });
});
