/**
 * Helpers for the end-to-end tests: run the REAL built binary (`node bin/caxton ...`) against a temp
 * home, find and stop the daemons it starts, and wait for things to happen on disk or in /proc.
 *
 * Every test home is a short `/tmp/cx-XXXXXX` directory (so the control socket path stays far below
 * the 107-byte limit), and every CLI run gets a clean environment: no OPENAI_API_KEY, CAXTON_* or
 * ARES_* from the developer's shell leak in unless a test passes them explicitly.
 */
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import type { StatusReport } from '../../src/domain/status.js';
import { processAlive } from '../../src/ipc/pidfile.js';
import { startFakeOpenAI, type FakeOpenAI } from './fake-openai.js';

export { processAlive };

/** Root of the repository (tests/helpers/ -> ../..). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CAXTON_BIN = join(REPO_ROOT, 'bin', 'caxton');
export const ARES_BIN = join(REPO_ROOT, 'bin', 'ares');
/** The build output the binaries run; e2e tests need it (the `test` script builds first). */
export const BUILT_CLI = join(REPO_ROOT, 'dist', 'cli', 'main.js');

/** Throw a clear error when `npm run build` has not been run (call at the top of every e2e file). */
export function requireBuild(): void {
  if (!existsSync(BUILT_CLI)) {
    throw new Error(`e2e tests run the built binary, but ${BUILT_CLI} is missing: run \`npm run build\` first (npm test does it)`);
  }
}

/** Output of one CLI run. `exitCode` is undefined only when the run was killed (timeout). */
export interface CliResult {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Options of one CLI run. `env` entries set to undefined are removed from the child's environment. */
export interface RunOptions {
  env?: Record<string, string | undefined>;
  /** `bin/ares` instead of `bin/caxton`. */
  bin?: 'caxton' | 'ares';
  timeoutMs?: number;
}

/** The environment a CLI run starts from: this process's, without keys or home/port overrides. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined) continue;
    if (k === 'OPENAI_API_KEY' || k.startsWith('CAXTON_') || k.startsWith('ARES_')) continue;
    if (k === 'NODE_OPTIONS' || k.startsWith('VITEST') || k === 'TEST' || k === 'NODE_ENV') continue;
    env[k] = v;
  }
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Run `node bin/caxton ARGS` (no --home added) and collect its output; never throws on exit code. */
export async function runCli(args: string[], opts: RunOptions = {}): Promise<CliResult> {
  const r = await spawnCli(args, opts);
  return {
    exitCode: r.exitCode,
    stdout: String(r.stdout ?? ''),
    stderr: String(r.stderr ?? ''),
    timedOut: r.timedOut === true,
  };
}

/** Start `node bin/caxton ARGS` without waiting: the execa subprocess, to read its output as it comes. */
export function spawnCli(args: string[], opts: RunOptions = {}) {
  const bin = opts.bin === 'ares' ? ARES_BIN : CAXTON_BIN;
  return execa(process.execPath, [bin, ...args], {
    cwd: REPO_ROOT,
    env: cleanEnv(opts.env),
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    timeout: opts.timeoutMs ?? 20_000,
    stripFinalNewline: false,
  });
}

/**
 * Pids of live daemon processes serving `home`: processes whose command line has `--foreground` and
 * `home` as an argument (how `server start` spawns the daemon, and how a user runs it under systemd).
 */
export function daemonPidsFor(home: string): number[] {
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return pids; // no /proc: callers fall back to the pid file
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    let args: string[];
    try {
      args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (args.includes('--foreground') && args.includes(home) && processAlive(pid)) pids.push(pid);
  }
  return pids;
}

/** Poll `check` every 25 ms until it returns a truthy value; throw `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A TCP port on 127.0.0.1 that nothing listens on (bound, read, released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** ares.toml pointing `[providers.openai]` at a (fake) OpenAI server; the key comes from `OPENAI_API_KEY`. */
export function openaiToml(baseUrl: string, extra = ''): string {
  return `[server]
host = "127.0.0.1"
port = 0

[providers.openai]
type = "openai"
base_url = "${baseUrl}"
api_key_env = "OPENAI_API_KEY"
max_retries = 0
${extra}`;
}

/** What `server start --json` prints when it started a daemon. */
export interface StartJson {
  started: boolean;
  already_running?: boolean;
  pid: number;
  url: string;
  socket: string;
}

/**
 * A temp home for one test, plus every daemon pid seen in it. `cleanup()` stops whatever still runs
 * (SIGTERM, then SIGKILL as the last resort) and removes the directory.
 */
export class TestHome {
  readonly dir: string;
  readonly pids = new Set<number>();
  /** Environment added to every CLI run in this home (e.g. OPENAI_API_KEY). */
  env: Record<string, string | undefined> = {};

  constructor(dir?: string) {
    this.dir = dir ?? mkdtempSync('/tmp/cx-');
    mkdirSync(this.dir, { recursive: true });
  }

  get aresToml(): string {
    return join(this.dir, 'ares.toml');
  }
  get runDir(): string {
    return join(this.dir, 'run');
  }
  get pidFile(): string {
    return join(this.runDir, 'caxton.pid');
  }
  get socket(): string {
    return join(this.runDir, 'caxton.sock');
  }
  get logFile(): string {
    return join(this.dir, 'logs', 'caxton.log');
  }

  /** Write `ares.toml` in the home. */
  writeAresToml(text: string): void {
    writeFileSync(this.aresToml, text);
  }

  /** Write `text` to `relPath` inside the home, creating parent directories. */
  writeFile(relPath: string, text: string): void {
    const file = join(this.dir, relPath);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }

  /** The pid recorded in run/caxton.pid, or undefined when there is no pid file. */
  pidFromFile(): number | undefined {
    try {
      const pid = Number.parseInt(readFileSync(this.pidFile, 'utf8').trim(), 10);
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /** True when `path` exists (lstat, so a socket or dangling file counts). */
  exists(path: string): boolean {
    try {
      lstatSync(path);
      return true;
    } catch {
      return false;
    }
  }

  /** Run the CLI with `--home <this home>` first. */
  async run(args: string[], opts: RunOptions = {}): Promise<CliResult> {
    const r = await runCli(['--home', this.dir, ...args], { ...opts, env: { ...this.env, ...opts.env } });
    for (const pid of daemonPidsFor(this.dir)) this.pids.add(pid);
    return r;
  }

  /** Start the CLI with `--home <this home>` first, without waiting (see `spawnCli`). */
  spawn(args: string[], opts: RunOptions = {}) {
    return spawnCli(['--home', this.dir, ...args], { ...opts, env: { ...this.env, ...opts.env } });
  }

  /** `server start --port 0 --json`; asserts it worked and returns the parsed answer. */
  async start(extraArgs: string[] = []): Promise<StartJson> {
    const r = await this.run(['--json', 'server', 'start', '--port', '0', ...extraArgs]);
    if (r.exitCode !== 0) throw new Error(`server start failed (exit ${r.exitCode}):\n${r.stderr}${r.stdout}`);
    const out = JSON.parse(r.stdout) as StartJson;
    this.pids.add(out.pid);
    return out;
  }

  /** `server status --json` of a running daemon (throws when it is not running). */
  async status(): Promise<StatusReport> {
    const r = await this.run(['--json', 'server', 'status']);
    if (r.exitCode !== 0) throw new Error(`server status failed (exit ${r.exitCode}):\n${r.stderr}${r.stdout}`);
    return JSON.parse(r.stdout) as StatusReport;
  }

  /** Stop every daemon of this home still alive: SIGTERM, then SIGKILL after `graceMs`. Remove the home. */
  async cleanup(graceMs = 3000): Promise<void> {
    const fromFile = this.pidFromFile();
    if (fromFile !== undefined) this.pids.add(fromFile);
    for (const pid of daemonPidsFor(this.dir)) this.pids.add(pid);
    const alive = [...this.pids].filter((pid) => pid !== process.pid && processAlive(pid) && isOurDaemon(pid, this.dir));
    for (const pid of alive) signal(pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (alive.some(processAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    for (const pid of alive) if (processAlive(pid)) signal(pid, 'SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

/** Guard against pid reuse: only signal processes whose command line names this home. */
function isOurDaemon(pid: number, home: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(home);
  } catch {
    return true; // no /proc: trust the pid we recorded ourselves
  }
}

/** Create homes in a test file and clean all of them up in one call (use in afterEach/afterAll). */
export function homeRegistry() {
  const homes: TestHome[] = [];
  const fakes: FakeOpenAI[] = [];
  return {
    /** A fresh temp home (or one at `dir`), cleaned up by `cleanupAll`. */
    create(dir?: string): TestHome {
      const h = new TestHome(dir);
      homes.push(h);
      return h;
    },
    /**
     * A fresh home initialised with the shipped config, whose `openai` provider is the fake server at
     * `fakeUrl` (with OPENAI_API_KEY set). @throws when `caxton init` fails.
     */
    async createWithFake(fakeUrl: string): Promise<TestHome> {
      const h = this.create();
      h.writeAresToml(openaiToml(fakeUrl));
      h.env = { OPENAI_API_KEY: 'test-key' };
      const init = await h.run(['init']);
      if (init.exitCode !== 0) throw new Error(`caxton init failed (exit ${init.exitCode}): ${init.stderr}`);
      return h;
    },
    /**
     * The usual e2e setup: a fake OpenAI server (`fakeOpts` as for startFakeOpenAI), a home wired to it
     * (`createWithFake`), `setup` for anything extra before start, then a started daemon and its URL.
     * `cleanupAll` stops the daemon and closes the fake server.
     */
    async startWithFake(
      fakeOpts?: Parameters<typeof startFakeOpenAI>[0],
      setup?: (home: TestHome, fake: FakeOpenAI) => void | Promise<void>,
    ): Promise<{ fake: FakeOpenAI; home: TestHome; url: string }> {
      const fake = await startFakeOpenAI(fakeOpts);
      fakes.push(fake);
      const home = await this.createWithFake(fake.url);
      await setup?.(home, fake);
      await home.start();
      return { fake, home, url: (await home.status()).url };
    },
    async cleanupAll(): Promise<void> {
      const all = homes.splice(0);
      await Promise.all(all.map((h) => h.cleanup()));
      await Promise.all(fakes.splice(0).map((f) => f.close()));
    },
  };
}
