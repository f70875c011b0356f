/**
 * Names others cannot hijack, through the CLI and the real daemon (SPEC §4): while Bob shares a
 * `helper` of his own, `caxton agent test helper` (the admin, over the control socket) and anonymous
 * loopback callers still run the system `helper`; `caxton agent test bob/helper` reaches Bob's public
 * one, and his private agents stay unreachable. The fake model records which system prompt ran.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeOpenAI } from '../helpers/fake-openai.js';
import { homeRegistry, requireBuild, type TestHome } from '../helpers/cli.js';

requireBuild();

const SYSTEM_PROMPT = 'You are the system helper.';
const BOB_PROMPT = "You are Bob's helper.";

describe("bare names stay the system's; OWNER/NAME reaches a user's public agent (real daemon)", { timeout: 60_000 }, () => {
  const homes = homeRegistry();
  let fake: FakeOpenAI;
  let home: TestHome;
  let url = '';

  beforeAll(async () => {
    ({ fake, home, url } = await homes.startWithFake({ default: { content: 'at your service' } }, (h) =>
      h.writeFile('config/agents/helper.toon', `name: helper\nmodel: fast\nsystem_prompt: ${SYSTEM_PROMPT}\n`),
    ));
  }, 30_000);
  afterAll(() => homes.cleanupAll());

  const lastSystemPrompt = () => String(fake.requests.at(-1)!.body.messages[0].content);

  it('user create --handle; Bob shares `helper`; the admin and anonymous callers still run the system one; bob/helper runs his', async () => {
    const created = await home.run(['user', 'create', 'robert@example.com', '--handle', 'bob']);
    expect(created.exitCode, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/created user robert@example\.com \(handle bob, id usr_\w+\)/);
    home.writeFile('bob-helper.toon', `name: helper\nmodel: fast\nsystem_prompt: ${BOB_PROMPT}\n`);
    const shared = await home.run(['--as', 'robert@example.com', 'agent', 'create', '--from-file', `${home.dir}/bob-helper.toon`, '--public']);
    expect(shared.exitCode, shared.stderr).toBe(0);
    expect(
      (await home.run(['--as', 'robert@example.com', 'agent', 'create', '--from-file', `${home.dir}/bob-helper.toon`, '--name', 'bobs-secret'])).exitCode,
    ).toBe(0);

    const bare = await home.run(['agent', 'test', 'helper', 'hi', '--no-stream']);
    expect(bare.exitCode, bare.stderr).toBe(0);
    expect(bare.stdout).toContain('at your service');
    expect(lastSystemPrompt()).toBe(SYSTEM_PROMPT);

    const anon = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'helper', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(anon.status).toBe(200);
    expect(lastSystemPrompt()).toBe(SYSTEM_PROMPT);

    const qualified = await home.run(['agent', 'test', 'bob/helper', 'hi', '--no-stream']);
    expect(qualified.exitCode, qualified.stderr).toBe(0);
    expect(lastSystemPrompt()).toBe(BOB_PROMPT);

    const show = await home.run(['agent', 'show', 'bob/helper']);
    expect(show.stderr).toMatch(/^# bob\/helper: community agent, model fast/);
    const list = JSON.parse((await home.run(['--json', 'agent', 'list', '--source', 'community'])).stdout) as { name: string }[];
    expect(list.map((a) => a.name)).toEqual(['bob/helper']);

    const secret = await home.run(['agent', 'test', 'bob/bobs-secret', 'hi', '--no-stream']);
    expect(secret.exitCode).toBe(1);
    expect(secret.stderr).toMatch(/not found/);
    expect((await fetch(`${url}/api/agents/bob%2Fbobs-secret`)).status).toBe(404);
  });
});
