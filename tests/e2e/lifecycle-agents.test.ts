/**
 * Agent lifecycle through the real binary (seed STORY-009): `caxton agent stop|start|
 * restart NAME` over the control socket; a stopped agent's runs are refused (exit 1, clear message)
 * while other agents answer; `--json` output; exit codes of SPEC §5 (1 refused, 2 usage, 3 not running).
 * Also `caxton server status`'s human output: provider passive health and the MCP summary line;
 * `caxton agent show`'s load and today's activity (STORY-009); and the daemon's probes and
 * `/metrics` over TCP (STORY-027, STORY-022).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode } from '@toon-format/toon';
import { homeRegistry, requireBuild, waitFor, type TestHome } from '../helpers/cli.js';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';
import { SERVER_SCRIPTS, stdioToon } from '../tools/mcp/servers.js';

requireBuild();

describe('caxton agent stop/start/restart (real daemon)', { timeout: 60_000 }, () => {
  const homes = homeRegistry();
  let fake: FakeOpenAI;
  let home: TestHome;

  beforeAll(async () => {
    fake = await startFakeOpenAI({ default: { content: 'at your service' } });
    home = await homes.createWithFake(fake.url);
    // MCP servers for the status summary: one no agent uses (idle), one that cannot start (failed).
    home.writeFile('config/mcps/spare.toon', stdioToon('spare', SERVER_SCRIPTS.everything, ['stdio']));
    home.writeFile('config/mcps/broken.toon', stdioToon('broken', '/nonexistent/server.js'));
    home.writeFile('config/agents/user.toon', encode({ name: 'user', model: 'balanced', system_prompt: 'You use tools.', tools: ['broken.*'] }));
    await home.start();
  }, 30_000);
  afterAll(async () => {
    await homes.cleanupAll();
    await fake.close();
  });

  it('a stopped agent refuses runs until it is started; other agents keep answering', async () => {
    const stopped = await home.run(['agent', 'stop', 'router']);
    expect(stopped.exitCode, stopped.stderr).toBe(0);
    expect(stopped.stdout).toBe('stopped system agent router: now stopped\n');

    const refused = await home.run(['agent', 'test', 'router', 'hello']);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain('agent router is stopped; start it again to serve requests');
    const other = await home.run(['agent', 'test', 'orchestrator', 'hello', '--no-stream']);
    expect(other.exitCode, other.stderr).toBe(0);
    expect(other.stdout).toContain('at your service');

    const shown = JSON.parse((await home.run(['--json', 'agent', 'show', 'router'])).stdout);
    expect(shown.lifecycle).toMatchObject({ state: 'stopped', active: 0, queued: 0 });
    expect((await home.run(['agent', 'show', 'router'])).stderr).toMatch(/^# router: system agent, .*, stopped\n/);

    const again = await home.run(['--json', 'agent', 'stop', 'router']);
    expect(again.exitCode).toBe(1);
    expect(JSON.parse(again.stdout).error.code).toBe('CONFLICT');

    const started = await home.run(['--json', 'agent', 'start', 'router']);
    expect(started.exitCode, started.stderr).toBe(0);
    expect(JSON.parse(started.stdout)).toMatchObject({ name: 'router', source: 'system', state: 'running' });
    const back = await home.run(['agent', 'test', 'router', 'hello', '--no-stream']);
    expect(back.exitCode, back.stderr).toBe(0);
    expect(back.stdout).toContain('at your service');
  });

  it('restart leaves the agent running; unknown agents exit 1, a missing name exits 2', async () => {
    const restarted = await home.run(['agent', 'restart', 'router']);
    expect(restarted.exitCode, restarted.stderr).toBe(0);
    expect(restarted.stdout).toContain('now running');
    const unknown = await home.run(['agent', 'stop', 'nobody']);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toContain('nobody');
    expect((await home.run(['agent', 'stop'])).exitCode).toBe(2);
  });

  it("server status shows a provider's last failed request (passive health), not only with --json", async () => {
    const healthy = await home.run(['server', 'status']);
    expect(healthy.stdout).toMatch(/providers:\n\s+openai\s+\(openai\) ready\n/);
    fake.enqueue({ status: 500 });
    const failed = await home.run(['agent', 'test', 'router', 'hello', '--no-stream']);
    expect(failed.exitCode).toBe(1);
    const status = await home.run(['server', 'status']);
    expect(status.exitCode, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/providers:\n\s+openai\s+\(openai\) ready: last request failed \d+ s ago: .*500/);
    // The next successful request clears it.
    expect((await home.run(['agent', 'test', 'router', 'hello', '--no-stream'])).exitCode).toBe(0);
    expect((await home.run(['server', 'status'])).stdout).toMatch(/\(openai\) ready\n/);
  });

  it('server status sums up MCP servers: how many are ready, and why the others are not', async () => {
    const line = await waitFor('broken MCP server reported failed', async () => {
      const out = (await home.run(['server', 'status'])).stdout;
      return /mcp: .*broken failed.*/.exec(out)?.[0];
    });
    expect(line).toMatch(/^mcp:\s+0\/2 servers ready, 0 tools; /);
    expect(line).toMatch(/broken failed \(.+\)/);
    expect(line).toContain('spare idle');
  });

  it("agent show prints the load and today's runs, tokens, cost and last error; TCP serves the probes and /metrics", async () => {
    const shown = await home.run(['agent', 'show', 'router']);
    expect(shown.exitCode, shown.stderr).toBe(0);
    expect(shown.stderr).toMatch(
      /^# {3}0 in flight, 0 queued; today \(\d{4}-\d{2}-\d{2}\): [1-9]\d* runs, [1-9]\d* tokens in \/ \d+ out, [\d.]+ USD; last activity \d\d:\d\d:\d\d UTC$/m,
    );
    expect(shown.stderr).toMatch(/^# {3}last error \d\d:\d\d:\d\d UTC \(error\): provider openai .*500/m);
    const json = JSON.parse((await home.run(['--json', 'agent', 'show', 'router'])).stdout);
    expect(json.activity.runs).toBeGreaterThan(0);

    const { url } = await home.status();
    expect((await fetch(`${url}/health/live`)).status).toBe(200);
    const ready = await fetch(`${url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { status: string }).status).toBe('ready');
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/^caxton_agent_runs_total\{agent="router",source="system",status="success",finish_reason="stop"\} [1-9]/m);
    expect(metrics).toMatch(/^caxton_mcp_server_state\{server="broken",state="failed"\} 1$/m);
  });

  it('without a daemon the commands exit 3', async () => {
    expect((await home.run(['server', 'stop'])).exitCode).toBe(0);
    const r = await home.run(['agent', 'start', 'router']);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain('not running');
  });
});
