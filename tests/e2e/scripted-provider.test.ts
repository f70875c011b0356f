/**
 * A scripted provider in ares.toml drives `caxton agent test` in the real daemon, no fake server and
 * no network (SPEC §2, §7): the script asks for the calculator, the real builtin
 * runs, and the scripted final answer streams back; the script loops for the next run, `server
 * status` shows the provider ready, and a missing script file stops `server start` with the reason.
 */
import { encode } from '@toon-format/toon';
import { afterAll, describe, expect, it } from 'vitest';
import { homeRegistry, requireBuild } from '../helpers/cli.js';

requireBuild();

const ARES_TOML = `[server]
host = "127.0.0.1"
port = 0

[providers.openai]
type = "openai"
api_key_env = "OPENAI_API_KEY"

[providers.script]
type = "scripted"
script = "scripts/math.toml"
`;

const SCRIPT = `# one run: ask for the calculator, then answer with its result
[[replies]]
text = "Let me compute that."
tool_calls = [{ name = "calculator", arguments = { expression = "6*7" } }]

[[replies]]
text = "The answer is 42."
usage = { input_tokens = 12, output_tokens = 5 }
`;

describe('scripted provider configured in ares.toml (real daemon)', { timeout: 60_000 }, () => {
  const homes = homeRegistry();
  afterAll(() => homes.cleanupAll());

  it('agent test replays the script: tool call, real tool result, final answer; and loops for the next run', async () => {
    const home = homes.create();
    home.writeAresToml(ARES_TOML);
    expect((await home.run(['init'])).exitCode).toBe(0);
    home.writeFile('scripts/math.toml', SCRIPT);
    home.writeFile('config/models/scripted.toon', encode({ name: 'scripted', provider: 'script', model: 'script-1' }));
    home.writeFile('config/agents/mathbot.toon', encode({ name: 'mathbot', model: 'scripted', system_prompt: 'You do arithmetic.', tools: ['calculator'] }));
    await home.start();

    for (const round of [1, 2]) {
      const r = await home.run(['agent', 'test', 'mathbot', 'what is 6 times 7?']);
      expect(r.exitCode, `${round}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toContain('Let me compute that.');
      expect(r.stdout).toContain('The answer is 42.');
      expect(r.stderr).toContain('[tool] calculator -> 42');
    }

    const status = JSON.parse((await home.run(['--json', 'server', 'status'])).stdout) as { models: { name: string; provider_type: string; state: string }[] };
    expect(status.models.find((m) => m.name === 'scripted')).toMatchObject({ provider_type: 'scripted', state: 'ready' });
  });

  it('a missing script file stops server start with the file and the reason', async () => {
    const home = homes.create();
    home.writeAresToml(ARES_TOML);
    expect((await home.run(['init'])).exitCode).toBe(0);
    const r = await home.run(['server', 'start', '--port', '0']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('[providers.script] script');
    expect(r.stderr).toContain('math.toml: file not found');
  });
});
