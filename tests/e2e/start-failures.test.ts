/**
 * `server start` failures a user hits (SPEC §5, §8): port in use, a broken ares.toml (detached and
 * --foreground), a bad or unreachable database URL, a home whose socket path is too long. Each exits 1 with a message that says what to
 * do, and leaves no daemon, pid file or socket behind.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { closedPort, daemonPidsFor, homeRegistry, requireBuild, waitFor, type TestHome } from '../helpers/cli.js';

requireBuild();

describe('server start failures (real binary)', { timeout: 20_000 }, () => {
  const homes = homeRegistry();
  let occupier: Server | undefined;

  afterEach(async () => {
    await homes.cleanupAll();
    if (occupier) await new Promise<void>((r) => occupier!.close(() => r()));
    occupier = undefined;
  });

  /** No daemon process (it may take a moment to exit after reporting its error), pid file or socket. */
  async function expectNothingLeft(home: TestHome): Promise<void> {
    await waitFor(`no daemon process for ${home.dir}`, () => daemonPidsFor(home.dir).length === 0, 5000);
    expect(home.exists(home.pidFile)).toBe(false);
    expect(home.exists(home.socket)).toBe(false);
  }

  it('port already in use -> exit 1, stderr names the port and says "in use"; no daemon left', async () => {
    occupier = createServer();
    await new Promise<void>((r) => occupier!.listen(0, '127.0.0.1', r));
    const addr = occupier.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;

    const home = homes.create();
    const r = await home.run(['server', 'start', '--port', String(port)]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(String(port));
    expect(r.stderr).toContain('in use');
    expect(r.stderr).toContain('--port');
    await expectNothingLeft(home);

    const status = await home.run(['server', 'status']);
    expect(status.exitCode).toBe(3);
  });

  it('broken ares.toml -> exit 1 with ares.toml:LINE:COL, detached and --foreground; no daemon left', async () => {
    const home = homes.create();
    home.writeAresToml('[server]\nport = = 1\n');

    const detached = await home.run(['server', 'start', '--port', '0']);
    expect(detached.exitCode).toBe(1);
    expect(detached.stderr).toMatch(/ares\.toml:2:\d+:/);
    await expectNothingLeft(home);

    const fg = await home.run(['server', 'start', '--port', '0', '--foreground'], { timeoutMs: 10_000 });
    expect(fg.timedOut).toBe(false);
    expect(fg.exitCode).toBe(1);
    expect(fg.stderr).toMatch(/ares\.toml:2:\d+:/);
    await expectNothingLeft(home);
  });

  it('a schema error in ares.toml is located too (unknown key, with its line)', async () => {
    const home = homes.create();
    home.writeAresToml('[server]\nhost = "127.0.0.1"\nprot = 8080\n');
    const r = await home.run(['server', 'start', '--port', '0']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/ares\.toml:3:\d+:/);
    expect(r.stderr).toContain('prot');
    await expectNothingLeft(home);
  });

  it('a bad or unreachable CAXTON_DATABASE_URL -> exit 1 saying so, its password in no output or log; no daemon left', async () => {
    const home = homes.create();
    const bad = await home.run(['server', 'start', '--port', '0'], { env: { CAXTON_DATABASE_URL: 'mysql://caxton:pw-e2e-secret-1@db/caxton' } });
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toMatch(/CAXTON_DATABASE_URL: not a PostgreSQL URL: use postgres:\/\//);
    await expectNothingLeft(home);

    const url = `postgres://caxton:pw-e2e-secret-2@127.0.0.1:${await closedPort()}/caxton`;
    const down = await home.run(['server', 'start', '--port', '0', '--foreground'], { env: { CAXTON_DATABASE_URL: url }, timeoutMs: 15_000 });
    expect(down.exitCode).toBe(1);
    expect(down.stderr).toMatch(/database|PostgreSQL/);
    await expectNothingLeft(home);
    const log = home.exists(home.logFile) ? readFileSync(home.logFile, 'utf8') : '';
    expect(log).toMatch(/failed to start/);
    for (const text of [bad.stdout, bad.stderr, down.stdout, down.stderr, log]) expect(text).not.toMatch(/pw-e2e-secret/);
  });

  it('socket path too long for the OS -> exit 1, says so and suggests a shorter --home', async () => {
    const base = homes.create();
    // /tmp/cx-XXXXXX/ + padding: a home of ~120 characters, so run/caxton.sock is > 107 bytes.
    const dir = join(base.dir, 'h'.repeat(120 - base.dir.length - 1));
    mkdirSync(dir);
    expect(dir.length).toBe(120);
    const home = homes.create(dir);

    const r = await home.run(['server', 'start', '--port', '0']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/socket path/i);
    expect(r.stderr).toContain('--home');
    await expectNothingLeft(home);

    const fg = await home.run(['server', 'start', '--port', '0', '--foreground'], { timeoutMs: 10_000 });
    expect(fg.exitCode).toBe(1);
    expect(fg.stderr).toMatch(/socket path/i);
    expect(fg.stderr).toContain('--home');
    await expectNothingLeft(home);
  });
});
