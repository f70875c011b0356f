// Lints the shipped man page and systemd unit with the real tools.
//
// Needs (Debian): mandoc (or groff as a fallback) and systemd (for systemd-analyze).
// Each tool-based check is skipped, with the package to install in its name, when the
// tool is missing; the content checks always run.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const manPage = join(repo, 'man', 'caxton.1');
const aliasPage = join(repo, 'man', 'ares.1');
const unitFile = join(repo, 'systemd', 'caxton.service');

/** Absolute path of an executable found on PATH, or undefined. */
function which(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function run(cmd: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(cmd, args, {
    cwd: repo,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, LC_ALL: 'C', ...env },
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** The man page as plain words: macros, font escapes and quotes removed, `\-` turned into `-`. */
function manText(src: string): string {
  return src
    .split('\n')
    .filter((line) => !line.startsWith('.\\"'))
    .map((line) => line.replace(/^\.[A-Za-z]{1,2}\b\s*/, ''))
    .join(' ')
    .replace(/\\f(\[[^\]]*\]|\(..|.)/g, '')
    .replace(/\\-/g, '-')
    .replace(/\\ /g, ' ')
    .replace(/"/g, '')
    .replace(/\s+/g, ' ');
}

const mandoc = which('mandoc');
const groff = which('groff');
const systemdAnalyze = which('systemd-analyze');

describe('man/caxton.1', () => {
  const src = readFileSync(manPage, 'utf8');
  const text = manText(src);

  it.skipIf(!mandoc && !groff)(
    mandoc
      ? 'passes `mandoc -T lint -W warning` with no output'
      : groff
        ? 'passes `groff -man -ww -z` with no warnings (mandoc not installed)'
        : 'lint skipped: install the Debian package "mandoc" (or "groff")',
    () => {
      if (mandoc) {
        const r = run(mandoc, ['-T', 'lint', '-W', 'warning', manPage]);
        expect(r.stdout + r.stderr).toBe('');
        expect(r.status).toBe(0);
      } else {
        const r = run(groff!, ['-man', '-ww', '-z', manPage]);
        expect(r.stderr).toBe('');
        expect(r.status).toBe(0);
      }
    },
  );

  it('uses the man macros and has the expected sections', () => {
    expect(src).toMatch(/^\.TH CAXTON 1 /m);
    for (const section of ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'COMMANDS', 'OPTIONS', 'ENVIRONMENT', 'FILES', 'EXIT STATUS', 'EXAMPLES', 'SEE ALSO']) {
      expect(src, `section ${section}`).toMatch(new RegExp(`^\\.SH "?${section}"?\\s*$`, 'm'));
    }
  });

  it('documents every command and option', () => {
    const required = [
      // global options
      '--home DIR',
      '--json',
      '--help',
      '--version',
      // commands with their options
      'version',
      'init [--force] [--provider openai|ollama|offline]',
      'server start [--port N] [--host H] [--foreground]',
      'server stop',
      'server restart',
      'server status [--json]',
      'server logs [-n N] [-f]',
      'agent list',
      'agent test NAME MESSAGE [--conversation ID] [--no-stream]',
      'conversation create --agents A,B,C',
      'conversation send ID [--to AGENT|all] [--no-stream] MESSAGE',
      'conversation show ID',
      'workflow list',
      'workflow run NAME MESSAGE [--conversation ID] [--no-stream]',
      'run pending [--all]',
      'run approve ID [--no-stream]',
      'run reject ID [--reason TEXT] [--no-stream]',
      // the ones only named, with a pointer to --help
      'validate',
      'migrate',
      'schema',
      'agent create',
      'agent show',
      'agent export',
      'agent import',
      'agent update',
      'agent delete',
      'user',
      'key',
      'caxton --help',
    ];
    for (const phrase of required) expect(text, phrase).toContain(phrase);
  });

  it('documents environment, files, exit codes, providers and related pages', () => {
    for (const v of ['CAXTON_HOME', 'ARES_HOME', 'CAXTON_PORT', 'CAXTON_HOST', 'CAXTON_LOG_LEVEL', 'ARES_JWT_SECRET', 'OPENAI_API_KEY']) {
      expect(text, v).toContain(v);
    }
    for (const f of ['ares.toml', 'config/{agents,models,tools,workflows,mcps}/', 'data/ares.db', 'run/caxton.pid', 'run/caxton.sock', 'logs/caxton.log']) {
      expect(text, f).toContain(f);
    }
    const exitStatus = src.split(/^\.SH "?EXIT STATUS"?\s*$/m)[1]?.split(/^\.SH /m)[0] ?? '';
    for (const code of ['0', '1', '2', '3']) {
      expect(exitStatus, `exit status ${code}`).toMatch(new RegExp(`^\\.B ${code}\\s*$`, 'm'));
    }
    for (const p of ['openai', 'openai-compatible', 'offline', 'Ollama', 'base_url']) {
      expect(text, p).toContain(p);
    }
    expect(text).toContain('agent test router hello');
    expect(text).toContain('server status --json');
    expect(text).toMatch(/systemctl \(1\)/);
    expect(text).toMatch(/ares \(1\)/);
  });

  it('has ares.1 as a .so alias of caxton.1', () => {
    expect(readFileSync(aliasPage, 'utf8').trim()).toBe('.so man1/caxton.1');
  });
});

describe('systemd/caxton.service', () => {
  const unit = readFileSync(unitFile, 'utf8');
  const tmpDirs: string[] = [];
  afterAll(() => {
    for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
  });

  it('runs the daemon in the foreground with the expected settings', () => {
    const lines = unit.split('\n').map((l) => l.trim());
    const has = (l: string) => expect(lines, l).toContain(l);
    has('ExecStart=/usr/bin/caxton server start --foreground --home /var/lib/caxton');
    has('Type=simple');
    has('Restart=on-failure');
    has('User=caxton');
    has('Group=caxton');
    has('Environment=CAXTON_HOME=/var/lib/caxton');
    has('EnvironmentFile=-/etc/caxton/env');
    has('KillSignal=SIGTERM');
    has('StateDirectory=caxton');
    has('ReadWritePaths=/var/lib/caxton');
    has('Documentation=man:caxton(1)');
    has('WantedBy=multi-user.target');
    // The daemon's own shutdown grace is 10 s; systemd must wait longer before SIGKILL.
    const stop = /^TimeoutStopSec=(\d+)$/m.exec(unit);
    expect(stop, 'TimeoutStopSec').not.toBeNull();
    expect(Number(stop![1])).toBeGreaterThan(10);
  });

  it.skipIf(!systemdAnalyze)(
    systemdAnalyze
      ? 'passes `systemd-analyze verify` (ExecStart pointed at /bin/true)'
      : 'verify skipped: install the Debian package "systemd" for systemd-analyze',
    () => {
      // /usr/bin/caxton is not installed on a test box and `man caxton` would fail too, so
      // verify a copy whose ExecStart names an executable that exists, with --man=no.
      // --generators=no keeps it from running the system's generators (no systemd as PID 1
      // is needed). Syntax problems are reported on stderr with exit status 0, so the
      // output is what gets checked.
      const dir = mkdtempSync(join(tmpdir(), 'caxton-unit-'));
      tmpDirs.push(dir);
      const copy = join(dir, 'caxton.service');
      const rewritten = unit.replace(/^ExecStart=\/usr\/bin\/caxton /m, 'ExecStart=/bin/true ');
      expect(rewritten).not.toBe(unit);
      writeFileSync(copy, rewritten);

      const r = run(systemdAnalyze!, ['verify', '--man=no', '--generators=no', copy], { SYSTEMD_LOG_LEVEL: 'info', SYSTEMD_COLORS: '0', SYSTEMD_PAGER: '' });
      const output = (r.stdout + r.stderr)
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean);

      const fatal = /Unknown key|Unknown section|Unknown lvalue|Invalid|Failed to parse|ignoring|not executable|bad-setting/i;
      // The caxton user/group may not exist on the machine running the test.
      const acceptable = /\b(user|group)\b.*(caxton|not found|does not exist|no such)/i;

      const problems = output.filter((l) => fatal.test(l) || (l.includes('caxton.service') && !acceptable.test(l)));
      expect(problems, `systemd-analyze verify output:\n${output.join('\n')}`).toEqual([]);
      if (r.status !== 0) {
        const unexplained = output.filter((l) => !acceptable.test(l));
        expect(unexplained, `systemd-analyze exited ${r.status}:\n${output.join('\n')}`).toEqual([]);
      }
    },
  );
});
