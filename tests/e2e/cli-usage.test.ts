/**
 * CLI conventions (SPEC §1, §5): usage errors exit 2 with a message, `--help` exits 0 everywhere,
 * `version` works under both names (`caxton` and `ares` are the same program), and a command that
 * needs the daemon exits 3 when none runs. None of these start a daemon.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, daemonPidsFor, homeRegistry, requireBuild, runCli } from '../helpers/cli.js';

requireBuild();

const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

describe('CLI usage (real binary)', { timeout: 20_000 }, () => {
  const homes = homeRegistry();
  const home = homes.create();
  afterAll(() => homes.cleanupAll());

  it.each([
    [['server', 'start', '--port', 'notaport'], /notaport/],
    [['server', 'start', '--port', '70000'], /70000/],
    [['nosuchcommand'], /nosuchcommand/],
    [['agent', 'test'], /missing required argument/],
    [['server', 'start', '--no-such-flag'], /--no-such-flag/],
  ])('usage error %j -> exit 2 with a message on stderr, nothing started', async (args, mentions) => {
    const r = await home.run(args);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/error/i);
    expect(r.stderr).toMatch(mentions);
    expect(r.stdout).toBe('');
    expect(daemonPidsFor(home.dir)).toEqual([]);
  });

  it.each([
    [['--help'], /Usage: caxton/],
    [['server', 'start', '--help'], /Usage: caxton server start[\s\S]*--port[\s\S]*--foreground/],
    [['agent', 'test', '--help'], /Usage: caxton agent test[\s\S]*<name>[\s\S]*<message>[\s\S]*--conversation/],
    [['workflow', 'run', '--help'], /Usage: caxton workflow run[\s\S]*<name>[\s\S]*<message>[\s\S]*--conversation[\s\S]*--no-stream/],
  ])('%j -> exit 0 with usage on stdout', async (args, usage) => {
    const r = await home.run(args);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(usage);
    expect(daemonPidsFor(home.dir)).toEqual([]);
  });

  it('top-level help lists the commands and the exit codes', async () => {
    const r = await runCli(['--help']);
    expect(r.exitCode).toBe(0);
    for (const cmd of ['version', 'init', 'server', 'agent']) expect(r.stdout).toMatch(new RegExp(`^\\s+${cmd}\\b`, 'm'));
    expect(r.stdout).toMatch(/3 daemon not running/);
  });

  it.each(['caxton', 'ares'] as const)('`%s version` prints the package version and the Node version', async (bin) => {
    const r = await runCli(['version'], { bin });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(version);
    expect(r.stdout).toContain(process.version);

    const json = await runCli(['--json', 'version'], { bin });
    expect(json.exitCode, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ version, node: process.version });

    const flag = await runCli(['--version'], { bin });
    expect(flag.exitCode).toBe(0);
    expect(flag.stdout.trim()).toBe(version);
  });

  it('`ares --help` names itself ares (same program under its second name)', async () => {
    const r = await runCli(['--help'], { bin: 'ares' });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/Usage: ares/);
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(pkg.bin).toMatchObject({ caxton: 'bin/caxton', ares: 'bin/ares' });
  });

  it('a command that needs the daemon exits 3 when none runs, and says how to start it', async () => {
    const r = await home.run(['agent', 'list']);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain('not running');
    expect(r.stderr).toContain('caxton server start');
    const stop = await home.run(['server', 'stop']);
    expect(stop.exitCode).toBe(3);
  });
});
