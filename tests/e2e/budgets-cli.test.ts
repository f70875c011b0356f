/**
 * Budgets through the real daemon and CLI (one daemon): `caxton limits show|set` over the control
 * socket, a spent budget answered 429 over TCP before the fake OpenAI server sees the request, and
 * `caxton usage` tables and JSON.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { homeRegistry, openaiToml, requireBuild, type TestHome } from '../helpers/cli.js';
import type { FakeOpenAI } from '../helpers/fake-openai.js';

requireBuild();

describe('caxton limits and usage against the real daemon', { timeout: 60_000 }, () => {
  const homes = homeRegistry();
  let fake: FakeOpenAI;
  let home: TestHome;
  let url = '';

  beforeAll(async () => {
    ({ fake, home, url } = await homes.startWithFake({ default: { content: 'ok', usage: { prompt_tokens: 900, completion_tokens: 0 } } }, (h, f) =>
      h.writeAresToml(openaiToml(f.url, '[limits]\ntokens_per_month = 100000\n')),
    ));
  }, 30_000);
  afterAll(() => homes.cleanupAll());

  const chat = () =>
    fetch(`${url}/api/agents/router/chat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: 'hi' }) });

  it('shows the [limits] default, sets an override, refuses a spent budget with 429 and reports usage', async () => {
    const shown = await home.run(['limits', 'show']);
    expect(shown.exitCode).toBe(0);
    expect(shown.stdout).toMatch(/overrides none/);
    expect(shown.stdout).toMatch(/tokens_per_month\s*│\s*100000/);

    const set = await home.run(['limits', 'set', '--user', 'local', '--tokens-per-day', '1000']);
    expect(set.exitCode).toBe(0);
    expect(set.stdout).toMatch(/overrides tokens_per_day=1000/);

    expect((await chat()).status).toBe(200);
    const seen = fake.requests.length;
    const refused = await chat();
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(
      /user budget tokens_per_day \(limit 1000 tokens, used 900 tokens\)/,
    );
    expect(fake.requests.length).toBe(seen);

    const table = await home.run(['usage', '--by', 'agent']);
    expect(table.exitCode).toBe(0);
    expect(table.stdout).toMatch(/router\s*│\s*1\s*│\s*900\s*│\s*0/);
    const json = JSON.parse((await home.run(['--json', 'usage', '--user', 'local', '--by', 'day'])).stdout);
    expect(json.rows).toEqual([expect.objectContaining({ runs: 1, tokens_input: 900 })]);
    expect(json.budgets).toContainEqual(expect.objectContaining({ limit_key: 'tokens_per_day', used: 900, remaining: 100 }));

    const bad = await home.run(['limits', 'set', '--user', 'local', '--usd-per-day', '-1']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/invalid amount "-1"/);
  });
});
