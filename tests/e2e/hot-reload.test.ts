/**
 * Hot reload in the real daemon (SPEC §2 hot reload): edit an agent file -> the next run uses it; write
 * a broken file -> the old agent keeps serving and `GET /api/config/status` (and `server status`)
 * show the error with its file and line; fix it -> the new version is served; `config/agents`
 * replaced (mv swap, rm -rf + mkdir) while requests are served -> the next edit is served.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigStatus } from '../../src/domain/status.js';
import { requestJson } from '../../src/client/http.js';
import type { FakeOpenAI } from '../helpers/fake-openai.js';
import { homeRegistry, requireBuild, waitFor, type TestHome } from '../helpers/cli.js';

requireBuild();

const ROUTER = 'config/agents/router.toon';
const router = (prompt: string, extra = '') => `name: router\nmodel: fast\n${extra}system_prompt: "${prompt}"\n`;

describe('config hot reload (real daemon)', { timeout: 30_000 }, () => {
  const homes = homeRegistry();
  let fake: FakeOpenAI;
  let home: TestHome;
  let url = '';

  beforeAll(async () => {
    ({ fake, home, url } = await homes.startWithFake());
  }, 20_000);
  afterAll(() => homes.cleanupAll());

  /** Ask the router once; the system prompt the daemon sent to the (fake) model. */
  const routerPrompt = async (): Promise<string> => {
    const before = fake.requests.length;
    const res = await fetch(`${url}/agents/router/message`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'where is my order?' }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    const chat = fake.requests.slice(before).find((r) => r.path === '/v1/chat/completions');
    const messages = (chat?.body as { messages: { role: string; content: string }[] }).messages;
    expect(messages[0]?.role).toBe('system');
    return messages[0]!.content;
  };
  /** The admin's view (over the control socket, as the CLI): anonymous TCP callers get a summary without diagnostics. */
  const configStatus = (): Promise<ConfigStatus> => requestJson<ConfigStatus>(home.socket, '/api/config/status');

  it('edit -> served; broken -> old kept and error shown with file:line; fixed -> served', async () => {
    expect(await routerPrompt()).toMatch(/^You read one user request/);

    home.writeFile(ROUTER, router('Prompt A'));
    await waitFor('the edited prompt to be sent', async () => (await routerPrompt()) === 'Prompt A', 5000);
    const afterEdit = await configStatus();
    expect(afterEdit).toMatchObject({ reloads: expect.any(Number), rejected: 0, last_errors: [], errors: 0 });
    expect(afterEdit.reloads).toBeGreaterThanOrEqual(1);

    // max_tool_iterations must be 1-100: an error on line 3 of the router file.
    home.writeFile(ROUTER, router('Prompt broken', 'max_tool_iterations: 500\n'));
    const rejected = await waitFor(
      'the broken file to be rejected',
      async () => {
        const st = await configStatus();
        return st.rejected > 0 ? st : undefined;
      },
      5000,
    );
    // The bad field, plus what it breaks elsewhere (the default workflow names the router).
    expect(rejected.last_errors[0]).toMatchObject({ code: 'E_VALUE', file: ROUTER, line: 3, col: 1, field: 'max_tool_iterations' });
    expect(rejected.last_errors).toContainEqual(expect.objectContaining({ code: 'E_REFERENCE', file: 'config/workflows/default.toon' }));
    expect(rejected.errors).toBe(0); // the snapshot being served is still the good one
    expect(await routerPrompt()).toBe('Prompt A');

    const text = await home.run(['server', 'status']);
    expect(text.exitCode, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/reloaded \d+ times, rejected 1/);
    expect(text.stdout).toContain(`! ${ROUTER}:3:1: E_VALUE`);
    const json = await home.status();
    expect(json.config.last_errors[0]).toMatchObject({ file: ROUTER, line: 3 });

    home.writeFile(ROUTER, router('Prompt B'));
    await waitFor('the fixed prompt to be sent', async () => (await routerPrompt()) === 'Prompt B', 5000);
    const fixed = await configStatus();
    expect(fixed.last_errors).toEqual([]);
    expect(fixed.rejected).toBe(1);
    expect(fixed.last_success_at).toBeGreaterThan(afterEdit.last_success_at);
  });

  it('config/agents replaced by mv or rm -rf + mkdir while serving: every request answered, the next edit served', async () => {
    const agentsDir = join(home.dir, 'config', 'agents');
    // The agent files with the router's prompt set to `prompt`, written into `dir`.
    const files = Object.fromEntries(readdirSync(agentsDir).map((f) => [f, readFileSync(join(agentsDir, f), 'utf8')]));
    const fill = (dir: string, prompt: string) => {
      for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), f === 'router.toon' ? router(prompt) : text);
    };
    // Requests keep coming while the directory is replaced.
    let serving = true;
    const statuses: number[] = [];
    const load = Array.from({ length: 3 }, async () => {
      while (serving) {
        const res = await fetch(`${url}/agents/router/message`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ text: 'busy' }),
        });
        statuses.push(res.status);
        await res.arrayBuffer();
      }
    });
    try {
      const rewatches = (await configStatus()).rewatches;
      mkdirSync(`${agentsDir}.new`);
      fill(`${agentsDir}.new`, 'Swapped in');
      renameSync(agentsDir, `${agentsDir}.old`);
      renameSync(`${agentsDir}.new`, agentsDir);
      await waitFor('the swapped directory to be watched', async () => (await configStatus()).rewatches > rewatches, 5000);
      await waitFor('the swapped directory to be served', async () => (await routerPrompt()) === 'Swapped in', 5000);
      home.writeFile(ROUTER, router('Edited after the swap'));
      await waitFor('an edit after the swap to be served', async () => (await routerPrompt()) === 'Edited after the swap', 5000);

      const again = (await configStatus()).rewatches;
      rmSync(agentsDir, { recursive: true });
      mkdirSync(agentsDir);
      fill(agentsDir, 'Recreated');
      await waitFor('the recreated directory to be watched', async () => (await configStatus()).rewatches > again, 5000);
      await waitFor('the recreated directory to be served', async () => (await routerPrompt()) === 'Recreated', 5000);
      home.writeFile(ROUTER, router('Edited after rm and mkdir'));
      await waitFor('an edit after rm + mkdir to be served', async () => (await routerPrompt()) === 'Edited after rm and mkdir', 5000);
    } finally {
      serving = false;
      await Promise.all(load);
    }
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    const st = await configStatus();
    expect(st.watch_error).toBeUndefined();
    expect(st.last_errors).toEqual([]);
  });

  it('50 rapid writes -> the last one is served', async () => {
    for (let i = 1; i <= 50; i++) home.writeFile(ROUTER, router(`Burst ${i}`));
    await waitFor('the last write to be served', async () => (await routerPrompt()) === 'Burst 50', 5000);
    expect((await configStatus()).last_errors).toEqual([]);
  });
});
