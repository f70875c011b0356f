/**
 * Isolation under load (SPEC §7, seed STORY-024): agent A's provider hangs (every request to it
 * stalls) while agent B, served by another provider, keeps answering. A's runs occupy only A's concurrency slots; B's twenty
 * requests all complete while A's are still stuck, and A's runs end in a timeout of their own.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { homeRegistry, openaiToml, requireBuild, type TestHome } from '../helpers/cli.js';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';

requireBuild();

describe('agent A hangs, agent B keeps answering', { timeout: 60_000 }, () => {
  const homes = homeRegistry();
  let hung: FakeOpenAI;
  let healthy: FakeOpenAI;
  let home: TestHome;
  let url = '';

  beforeAll(async () => {
    hung = await startFakeOpenAI({ default: { delay_ms: 60_000 } });
    healthy = await startFakeOpenAI();
    home = homes.create();
    home.writeAresToml(
      `${openaiToml(hung.url).replace('max_retries = 0', 'max_retries = 0\ntimeout_ms = 8000')}
[providers.other]
type = "openai-compatible"
base_url = "${healthy.url}"
max_retries = 0

[runtime]
max_concurrent_runs_per_agent = 2
`,
    );
    home.env = { OPENAI_API_KEY: 'test-key' };
    expect((await home.run(['init'])).exitCode).toBe(0);
    home.writeFile('config/models/local.toon', 'name: local\nprovider: other\nmodel: fake-model\n');
    home.writeFile('config/agents/agent-a.toon', 'name: agent-a\nmodel: balanced\nsystem_prompt: "A"\n');
    home.writeFile('config/agents/agent-b.toon', 'name: agent-b\nmodel: local\nsystem_prompt: "B"\n');
    await home.start();
    url = (await home.status()).url;
  }, 30_000);
  afterAll(async () => {
    await homes.cleanupAll();
    await hung.close();
    await healthy.close();
  });

  const message = (agent: string, text: string) =>
    fetch(`${url}/agents/${agent}/message`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }) });

  it("B's requests complete while every one of A's is stuck", async () => {
    let aSettled = 0;
    const aRuns = Array.from({ length: 4 }, (_, i) =>
      message('agent-a', `a${i}`).then(async (r) => {
        aSettled++;
        return { status: r.status, body: (await r.json()) as { error?: { code: string } } };
      }),
    );
    // Wait until A's provider has its two in-flight requests (the other two of A's runs queue).
    while (hung.requests.filter((r) => r.path === '/v1/chat/completions').length < 2) await new Promise((r) => setTimeout(r, 20));

    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => message('agent-b', `b${i}`).then((r) => r.json() as Promise<{ reply: string }>)));
    expect(replies.map((r) => r.reply)).toEqual(Array.from({ length: 20 }, (_, i) => `echo: b${i}`));
    expect(aSettled).toBe(0); // all of B answered while A was still stuck
    // A's concurrency limit held: only two of its requests reached its provider.
    expect(hung.requests.filter((r) => r.path === '/v1/chat/completions')).toHaveLength(2);

    const aResults = await Promise.all(aRuns);
    expect(aResults.every((r) => r.body.error?.code === 'TIMEOUT')).toBe(true);
    const db = new Database(join(home.dir, 'data', 'ares.db'), { readonly: true });
    const rows = db.prepare('SELECT agent_name, status, COUNT(*) AS n FROM agent_executions GROUP BY agent_name, status ORDER BY agent_name').all();
    db.close();
    expect(rows).toEqual([
      { agent_name: 'agent-a', status: 'timeout', n: 4 },
      { agent_name: 'agent-b', status: 'success', n: 20 },
    ]);
  });
});
