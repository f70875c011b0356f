/**
 * ARES's own `config/` tree must load unchanged (SPEC §3): copy the shipped fixture into a home,
 * define the `ollama-local` provider its models name (pointed at the fake server), and use it.
 */
import { cpSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bySystemPrompt, startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';
import { REPO_ROOT, homeRegistry, requireBuild, type TestHome } from '../helpers/cli.js';

requireBuild();

const FIXTURE = resolve(REPO_ROOT, '..', 'shared', 'fixtures', 'ares-config');
const haveFixture = existsSync(join(FIXTURE, 'agents'));

describe('ARES config fixture loads unchanged (real binary)', { timeout: 20_000 }, () => {
  if (!haveFixture) {
    it.skip(`needs the ARES fixture tree at ${FIXTURE} (../shared/fixtures/ares-config from the repo root); not found`, () => {});
    return;
  }

  const homes = homeRegistry();
  let fake: FakeOpenAI;
  let home: TestHome;

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    home = homes.create();
    cpSync(FIXTURE, join(home.dir, 'config'), { recursive: true });
    home.writeAresToml(`[providers.ollama-local]
type = "openai-compatible"
base_url = "${fake.url}"
max_retries = 0
`);
    await home.start();
  }, 20_000);
  afterAll(async () => {
    await homes.cleanupAll();
    await fake?.close();
  });

  it('agent list --json lists the seven ARES agents, all from the system tier', async () => {
    const r = await home.run(['--json', 'agent', 'list']);
    expect(r.exitCode, r.stderr).toBe(0);
    const agents = JSON.parse(r.stdout) as { name: string; source: string; model: string }[];
    expect(agents.map((a) => a.name).sort()).toEqual(['finance', 'hr', 'invoice', 'orchestrator', 'product', 'router', 'sales']);
    for (const a of agents) expect(a.source).toBe('system');
    expect(agents.find((a) => a.name === 'sales')?.model).toBe('balanced');
  });

  it('status shows no config errors and the models on ollama-local', async () => {
    const st = await home.status();
    expect(st.config.errors, JSON.stringify(st.config.diagnostics, null, 2)).toBe(0);
    expect(st.counts.agents).toBe(7);
    expect(st.models.map((m) => m.name).sort()).toEqual(['balanced', 'fast', 'powerful']);
    for (const m of st.models) {
      expect(m.provider).toBe('ollama-local');
      expect(m.provider_type).toBe('openai-compatible');
    }
  });

  it('agent test sales reaches the fake server with model ministral-3:3b and prints its reply', async () => {
    fake.enqueue({ content: 'Q3 revenue is up 12 percent.' });
    const r = await home.run(['agent', 'test', 'sales', 'hi']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('Q3 revenue is up 12 percent.');
    expect(r.stderr).toContain('via ollama-local');
    const chats = fake.requests.filter((q) => q.path === '/v1/chat/completions');
    expect(chats).toHaveLength(1);
    const body = chats[0]!.body as { model: string; messages: { role: string; content: string }[] };
    expect(body.model).toBe('ministral-3:3b');
    expect(body.messages[0]?.role).toBe('system');
    expect(body.messages[0]?.content).toMatch(/^You are a Sales Agent/);
    expect(body.messages.at(-1)).toEqual({ role: 'user', content: 'hi' });
  });

  it("the fixture's default workflow runs: its router names invoice, which answers; an unknown name goes to the orchestrator", async () => {
    const routerSays = { content: 'invoice' };
    fake.setDefault(
      bySystemPrompt([
        [/^You are a routing agent/, routerSays],
        [/^You are an Invoice Agent/, { content: 'Invoice 7 is paid.' }],
        [/^You are an orchestrator agent/, { content: 'Coordinated answer.' }],
      ]),
    );
    const r = await home.run(['--json', 'workflow', 'run', 'default', 'Is invoice 7 paid?']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ reply: 'Invoice 7 is paid.', path: ['router', 'invoice'], finish_reason: 'stop' });
    routerSays.content = 'legal';
    const fallback = await home.run(['--json', 'workflow', 'run', 'default', 'Review this contract']);
    expect(fallback.exitCode, fallback.stderr).toBe(0);
    expect(JSON.parse(fallback.stdout)).toMatchObject({ reply: 'Coordinated answer.', path: ['router', 'orchestrator'] });
  });
});
