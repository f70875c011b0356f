/**
 * Agent lifecycle through the real binary (issue 4, exposed this round): `caxton agent stop|start|
 * restart NAME` over the control socket; a stopped agent's runs are refused (exit 1, clear message)
 * while other agents answer; `--json` output; exit codes of SPEC §5 (1 refused, 2 usage, 3 not running).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { homeRegistry, requireBuild, type TestHome } from '../helpers/cli.js';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';

requireBuild();

describe('caxton agent stop/start/restart (real daemon)', { timeout: 60_000 }, () => {
  const homes = homeRegistry();
  let fake: FakeOpenAI;
  let home: TestHome;

  beforeAll(async () => {
    fake = await startFakeOpenAI({ default: { content: 'at your service' } });
    home = await homes.createWithFake(fake.url);
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

  it('without a daemon the commands exit 3', async () => {
    expect((await home.run(['server', 'stop'])).exitCode).toBe(0);
    const r = await home.run(['agent', 'start', 'router']);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain('not running');
  });
});
