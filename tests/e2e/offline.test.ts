/**
 * No model reachable (SPEC §7 offline provider): a fresh home without OPENAI_API_KEY, and an
 * OpenAI-compatible server that is not listening. Agents still answer, with a reply that says it is
 * offline and how to connect a model; `server status` shows each model offline with the reason.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { closedPort, homeRegistry, requireBuild } from '../helpers/cli.js';

requireBuild();

describe('offline fallback (real binary)', { timeout: 20_000 }, () => {
  const homes = homeRegistry();
  afterEach(() => homes.cleanupAll());

  it('fresh home, no OPENAI_API_KEY: agent test answers offline and says how to connect; status shows why', async () => {
    const home = homes.create();
    home.env = { OPENAI_API_KEY: undefined }; // removed from the child's environment
    await home.start(); // initialises the empty home with the defaults

    const test = await home.run(['agent', 'test', 'router', 'hi']);
    expect(test.exitCode, test.stderr).toBe(0);
    expect(test.stdout).toContain('offline');
    expect(test.stdout).toContain('OPENAI_API_KEY');
    expect(test.stdout).toContain('"hi"'); // echoes what the user said
    expect(test.stderr).toContain('via offline');

    const noStream = await home.run(['agent', 'test', 'router', 'hi again', '--no-stream']);
    expect(noStream.exitCode, noStream.stderr).toBe(0);
    expect(noStream.stdout).toContain('offline');
    expect(noStream.stdout).toContain('OPENAI_API_KEY');

    const status = await home.run(['server', 'status']);
    expect(status.exitCode, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/offline: OPENAI_API_KEY is not set/);

    const st = await home.status();
    expect(st.models.length).toBeGreaterThan(0);
    for (const m of st.models) {
      expect(m.state).toBe('offline');
      expect(m.reason).toContain('OPENAI_API_KEY');
    }
  });

  it('OpenAI-compatible server not listening: replies offline, status says it is not reachable', async () => {
    const port = await closedPort();
    const base = `http://127.0.0.1:${port}/v1`;
    const home = homes.create();
    home.writeAresToml(`[providers.local]
type = "openai-compatible"
base_url = "${base}"
max_retries = 0
`);
    const init = await home.run(['init']); // keeps our ares.toml, copies config/
    expect(init.exitCode, init.stderr).toBe(0);
    // Point the shipped model aliases at the provider above.
    for (const alias of ['fast', 'balanced', 'powerful']) {
      home.writeFile(`config/models/${alias}.toon`, `name: ${alias}\nprovider: local\nmodel: llama3.2:3b\n`);
    }
    await home.start();

    const test = await home.run(['agent', 'test', 'router', 'anyone there?']);
    expect(test.exitCode, test.stderr).toBe(0);
    expect(test.stdout).toContain('offline');
    expect(test.stdout).toContain('not reachable');
    expect(test.stdout).toContain('OPENAI_API_KEY'); // the how-to-connect hint

    const st = await home.status();
    expect(st.config.errors).toBe(0);
    for (const m of st.models) {
      expect(m.provider).toBe('local');
      expect(m.state).toBe('offline');
      expect(m.reason).toContain(base);
      expect(m.reason).toContain('not reachable');
    }
    const status = await home.run(['server', 'status']);
    expect(status.stdout).toContain('not reachable');
  });
});
