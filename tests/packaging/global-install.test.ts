/**
 * `npm install -g` of the packed package into a temp prefix, as a user installs it: the `caxton` and
 * `ares` commands land in PREFIX/bin and run, the man pages in PREFIX/share/man/man1 where `man`
 * finds them, and the shipped systemd unit passes `systemd-analyze verify` with its
 * `Documentation=man:caxton(1)` resolved through that man path.
 *
 * Offline: installing the tarball itself would need every dependency's registry metadata in the npm
 * cache, which `npm ci` does not store (npm fails with ENOTCACHED). So the tarball is unpacked, its
 * `node_modules` linked to the checkout's installed dependencies, and that folder installed globally:
 * npm links its bins and man pages from the packed package.json exactly as for the tarball. No
 * lifecycle script runs (better-sqlite3's addon is the checkout's).
 *
 * Needs (Debian): man-db for `man`, systemd for systemd-analyze; each check is skipped, naming the
 * package, when its tool is missing.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, realpathSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, requireBuild } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { npm, npmEnv, pack } from './npm.js';

requireBuild();

const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** True when `name` runs from PATH (`sh -c 'command -v NAME'`). */
function onPath(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

const hasMan = onPath('man');
const hasSystemdAnalyze = onPath('systemd-analyze');

describe('npm install -g of the packed package into a temp prefix', { timeout: 60_000 }, () => {
  let prefix: string;
  let manDir: string;

  beforeAll(async () => {
    const work = tempDir('cx-pack-');
    const { filename } = await pack(work);
    const unpacked = join(work, 'unpacked');
    mkdirSync(unpacked);
    await execa('tar', ['-xzf', join(work, filename), '-C', unpacked]);
    const packageDir = join(unpacked, 'package');
    symlinkSync(realpathSync(join(REPO_ROOT, 'node_modules')), join(packageDir, 'node_modules'));
    prefix = join(work, 'prefix');
    await npm(['install', '--global', '--prefix', prefix, '--offline', '--ignore-scripts', packageDir], work, 45_000);
    manDir = join(prefix, 'share', 'man');
  }, 60_000);

  it('links caxton.1 and ares.1 into PREFIX/share/man/man1', () => {
    for (const page of ['caxton.1', 'ares.1']) expect(statSync(join(manDir, 'man1', page)).isFile(), page).toBe(true);
  });

  it('installs caxton and ares commands that run', async () => {
    for (const bin of ['caxton', 'ares']) {
      const r = await execa(join(prefix, 'bin', bin), ['--version'], { env: npmEnv(), reject: false, timeout: 20_000 });
      expect(r.exitCode, `${bin} --version: ${r.stderr}`).toBe(0);
      expect(r.stdout).toContain(version);
    }
  });

  it.skipIf(!hasMan)(hasMan ? '`man caxton` and `man ares` find the installed page' : 'man skipped: install the Debian package "man-db"', async () => {
    for (const name of ['caxton', 'ares']) {
      const r = await execa('man', ['-M', manDir, name], { env: { ...npmEnv(), MANPAGER: 'cat', PAGER: 'cat', MANWIDTH: '80', LC_ALL: 'C' }, reject: false });
      expect(r.exitCode, `man ${name}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(/caxton, ares\s+-\s+run and manage a local agent daemon/);
    }
  });

  it.skipIf(!hasMan || !hasSystemdAnalyze)(
    hasMan && hasSystemdAnalyze
      ? 'the shipped unit passes `systemd-analyze verify`, Documentation=man:caxton(1) included'
      : 'verify skipped: install the Debian packages "systemd" and "man-db"',
    async () => {
      // The unit as shipped, with ExecStart at the installed command instead of /usr/bin/caxton.
      const unit = readFileSync(join(prefix, 'lib', 'node_modules', 'caxton', 'systemd', 'caxton.service'), 'utf8');
      const rewritten = unit.replace(/^ExecStart=\/usr\/bin\/caxton /m, `ExecStart=${join(prefix, 'bin', 'caxton')} `);
      expect(rewritten).not.toBe(unit);
      const copy = join(tempDir('cx-unit-'), 'caxton.service');
      writeFileSync(copy, rewritten);

      const verify = (manpath: string) =>
        execa('systemd-analyze', ['verify', '--generators=no', copy], {
          env: { ...npmEnv(), MANPATH: manpath, SYSTEMD_LOG_LEVEL: 'info', SYSTEMD_COLORS: '0', SYSTEMD_PAGER: '' },
          reject: false,
          timeout: 20_000,
        });
      const installed = await verify(manDir);
      expect(`${installed.stdout}${installed.stderr}`.trim(), 'systemd-analyze verify output').toBe('');
      expect(installed.exitCode).toBe(0);

      // Without the installed man pages the same check fails on the Documentation= line.
      const without = await verify(tempDir('cx-noman-'));
      expect(without.exitCode).not.toBe(0);
      expect(without.stderr).toContain("Command 'man caxton(1)' failed");
    },
  );
});
