/**
 * Failed agents and the MCP SSRF guard through the real binary and daemon:
 * - the `failed` state: a user agent whose model file is removed (hot reload) is shown failed
 *   with the reason by `caxton agent show`, its runs are refused, `agent restart` says why while it is
 *   still broken, and once the model is back `agent restart` makes it answer again; other agents serve.
 * - the SSRF guard in the daemon and `caxton mcp list` with user-tier rows: a row a
 *   non-admin user made while `[mcp] allow_private_urls = true` points at 127.0.0.1; after a restart
 *   without it, that row is refused at connect time (the admin's own row to the same server connects),
 *   the user's `mcp list` shows their row failed with the reason, the admin's shows both with owners.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { encode } from '@toon-format/toon';
import { Agent as UndiciAgent, request as undiciRequest } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';
import { closedPort, homeRegistry, openaiToml, requireBuild, waitFor, type TestHome } from '../helpers/cli.js';
import { SERVER_SCRIPTS } from '../tools/mcp/servers.js';

requireBuild();

const DORA = 'dora@example.com';
const spareModel = encode({ name: 'spare', provider: 'openai', model: 'gpt-4o-mini' });

describe('failed agents and the MCP SSRF guard (real daemon)', { timeout: 90_000 }, () => {
  const homes = homeRegistry();
  let fake: FakeOpenAI;
  let home: TestHome;
  let mcpServer: ChildProcess;
  let mcpUrl = '';

  /** POST over the control socket, as the admin or (`as`) another user. */
  const post = async (path: string, body: unknown, as?: string) => {
    const dispatcher = new UndiciAgent({ connect: { socketPath: home.socket } });
    try {
      const r = await undiciRequest(`http://caxton${path}`, {
        method: 'POST',
        dispatcher,
        headers: { 'content-type': 'application/json', ...(as ? { 'x-caxton-as': as } : {}) },
        body: JSON.stringify(body),
      });
      return { status: r.statusCode, text: await r.body.text() };
    } finally {
      await dispatcher.close();
    }
  };

  beforeAll(async () => {
    fake = await startFakeOpenAI({ default: { content: 'drafted' } });
    home = await homes.createWithFake(fake.url);
    home.writeFile('config/models/spare.toon', spareModel);
    const port = await closedPort();
    mcpServer = spawn(process.execPath, [SERVER_SCRIPTS.everything, 'streamableHttp'], {
      env: { ...process.env, PORT: String(port) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    await new Promise<void>((resolve) => mcpServer.stderr!.on('data', (d: Buffer) => d.toString().includes('listening') && resolve()));
    mcpUrl = `http://127.0.0.1:${port}/mcp`;
    home.writeAresToml(openaiToml(fake.url, '\n[mcp]\nallow_private_urls = true\n'));
    await home.start();
    expect((await home.run(['user', 'create', DORA])).exitCode).toBe(0);
  }, 40_000);
  afterAll(async () => {
    await homes.cleanupAll();
    mcpServer?.kill('SIGKILL');
    await fake.close();
  });

  it('failed -> restart -> running for a user agent whose model file was removed', async () => {
    home.writeFile('drafter.toon', encode({ name: 'drafter', model: 'spare', system_prompt: 'Draft things.' }));
    const created = await home.run(['--as', DORA, 'agent', 'create', '--from-file', join(home.dir, 'drafter.toon'), '--public']);
    expect(created.exitCode, created.stderr).toBe(0);
    expect((await home.run(['agent', 'test', 'dora/drafter', 'hi', '--no-stream'])).stdout).toContain('drafted');

    rmSync(join(home.dir, 'config/models/spare.toon'));
    const shown = await waitFor('drafter to show as failed', async () => {
      const r = await home.run(['agent', 'show', 'dora/drafter']);
      return r.stderr.includes(', failed (') ? r : undefined;
    });
    expect(shown.stderr).toMatch(/^# dora\/drafter: community agent, model spare, .*failed \(agent drafter uses model spare, which does not exist/);

    const refused = await home.run(['agent', 'test', 'dora/drafter', 'hi']);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/failed: .*model spare.*restart it/);
    const broken = await home.run(['agent', 'restart', 'dora/drafter']);
    expect(broken.exitCode).toBe(1);
    expect(broken.stderr).toContain('model spare');
    const other = await home.run(['agent', 'test', 'router', 'hi', '--no-stream']);
    expect(other.exitCode, other.stderr).toBe(0);

    home.writeFile('config/models/spare.toon', spareModel);
    const restarted = await waitFor('restart to succeed once the model is back', async () => {
      const r = await home.run(['--json', 'agent', 'restart', 'dora/drafter']);
      return r.exitCode === 0 ? r : undefined;
    });
    expect(JSON.parse(restarted.stdout)).toMatchObject({ name: 'dora/drafter', state: 'running' });
    const back = await home.run(['--as', DORA, 'agent', 'test', 'drafter', 'hi', '--no-stream']);
    expect(back.exitCode, back.stderr).toBe(0);
    expect(back.stdout).toContain('drafted');
  });

  it("a non-admin's private MCP URL is refused at connect time; mcp list shows it per caller", async () => {
    // Made while allow_private_urls = true: both rows point at the same server on 127.0.0.1.
    expect((await post('/api/mcps', { name: 'sneaky', url: mcpUrl, timeout_secs: 10 }, DORA)).status).toBe(201);
    expect((await post('/api/agents', { name: 'sneakbot', model: 'fast', system_prompt: 'x', tools: ['sneaky.echo'] }, DORA)).status).toBe(201);
    expect((await post('/api/mcps', { name: 'lan', url: mcpUrl, timeout_secs: 10 })).status).toBe(201);
    expect((await post('/api/agents', { name: 'lanbot', model: 'fast', system_prompt: 'x', tools: ['lan.echo'] })).status).toBe(201);

    expect((await home.run(['server', 'stop'])).exitCode).toBe(0);
    home.writeAresToml(openaiToml(fake.url));
    await home.start();

    // Creation is refused now, with the field and the hint.
    const again = await post('/api/mcps', { name: 'sneaky2', url: mcpUrl }, DORA);
    expect(again.status).toBe(400);
    expect(JSON.parse(again.text).error.details[0]).toMatchObject({ field: 'url', hint: expect.stringContaining('allow_private_urls') });

    expect((await home.run(['--as', DORA, 'agent', 'test', 'sneakbot', 'hi', '--no-stream'])).exitCode).toBe(0);
    expect((await home.run(['agent', 'test', 'lanbot', 'hi', '--no-stream'])).exitCode).toBe(0);

    const mine = JSON.parse((await home.run(['--as', DORA, '--json', 'mcp', 'list'])).stdout) as {
      name: string;
      source: string;
      state: string;
      last_error: string | null;
      owner?: string;
    }[];
    expect(mine.find((r) => r.name === 'sneaky')).toMatchObject({
      source: 'user',
      state: 'failed',
      last_error: expect.stringMatching(/127\.0\.0\.1 is a private or loopback address.*allow_private_urls/),
    });
    expect(mine.some((r) => r.name === 'lan' || r.owner !== undefined)).toBe(false);

    const all = JSON.parse((await home.run(['--json', 'mcp', 'list'])).stdout) as typeof mine;
    expect(all.find((r) => r.name === 'sneaky')).toMatchObject({ state: 'failed', owner: DORA });
    expect(all.find((r) => r.name === 'lan')).toMatchObject({ state: 'ready', last_error: null });
    const table = await home.run(['mcp', 'list']);
    expect(table.stdout).toMatch(/NAME\s+│\s+SOURCE\s+│\s+OWNER\s+│\s+STATE/);
    expect(table.stdout).toMatch(/sneaky\s+│\s+user\s+│\s+dora@example\.com\s+│\s+failed/);
  });
});
