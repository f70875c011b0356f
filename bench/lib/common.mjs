/**
 * Shared helpers for the benchmarks in bench/*.mjs: repo paths, temp homes, daemon cleanup,
 * summary statistics, machine facts, plain-text tables and the JSON result files.
 * Plain Node (no dependencies). Not a benchmark itself: bench/run.mjs only runs bench/*.mjs.
 */
import { execFile, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

export const BENCH_DIR = dirname(dirname(fileURLToPath(import.meta.url)));
export const REPO = dirname(BENCH_DIR);
export const BIN = join(REPO, 'bin', 'caxton');
export const DIST_MAIN = join(REPO, 'dist', 'cli', 'main.js');
export const RESULTS_DIR = join(BENCH_DIR, 'results');
export const NODE = process.execPath;
/** Entry script of `@modelcontextprotocol/server-everything` (a dev dependency; run it with `node PATH stdio`). */
export const EVERYTHING_SERVER = createRequire(import.meta.url).resolve('@modelcontextprotocol/server-everything/dist/index.js');

/** Import a built module of ours, e.g. `importDist('tools/toolbox.js')` (needs `npm run build`). */
export const importDist = (p) => import(pathToFileURL(join(REPO, 'dist', p)).href);

/** Exit codes of the CLI (SPEC §5). */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2, NOT_RUNNING: 3 };

/** Integer from an environment variable, else `fallback` (lets you do quick runs: BENCH_SAMPLES=5). */
export function envInt(name, fallback) {
  const v = Number.parseInt(process.env[name] ?? '', 10);
  return Number.isInteger(v) && v >= 0 ? v : fallback;
}

/** Fail early with a hint when the CLI has not been built. */
export function requireBuild() {
  if (!existsSync(DIST_MAIN)) {
    throw new Error(`${relative(REPO, DIST_MAIN)} is missing: run \`npm run build\` (or \`npm run bench\`, which builds first)`);
  }
}

/** Environment for CLI children: no inherited home selection, so only --home decides. */
export function cliEnv() {
  const env = { ...process.env };
  delete env.CAXTON_HOME;
  delete env.ARES_HOME;
  return env;
}

// ---------------------------------------------------------------------------------------------
// Temp homes and daemon cleanup
// ---------------------------------------------------------------------------------------------

const homes = new Set();

/**
 * A fresh, empty temp home under /tmp with a short path (the control socket path must stay under
 * 108 bytes). Registered so `cleanupAll()` stops any daemon in it and removes it.
 */
export function tempHome(tag = 'h') {
  const home = mkdtempSync(join('/tmp', `cxb-${tag}-`));
  homes.add(home);
  return home;
}

/** Run the CLI synchronously: `node bin/caxton --home H ...args`. */
export function cli(home, args, timeoutMs = 30_000) {
  return spawnSync(NODE, [BIN, '--home', home, ...args], {
    cwd: REPO,
    env: cliEnv(),
    encoding: 'utf8',
    timeout: timeoutMs,
  });
}

function readPid(home) {
  try {
    const pid = Number.parseInt(readFileSync(join(home, 'run', 'caxton.pid'), 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

function sleepSync(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** SIGTERM `pid`, wait up to 5 s, then SIGKILL. */
function terminate(pid, why) {
  process.stderr.write(`bench: ${why}; sending SIGTERM to pid ${pid}\n`);
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  for (let i = 0; i < 100 && alive(pid); i++) sleepSync(50);
  if (alive(pid)) {
    process.stderr.write(`bench: pid ${pid} ignored SIGTERM; sending SIGKILL\n`);
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

/**
 * Pids of live processes whose command line names `home` as an argument (a daemon spawned by a
 * `server start` that was interrupted before it could report the pid). Linux only (/proc).
 */
function processesUsing(home) {
  const found = [];
  let entries;
  try {
    entries = readdirSync('/proc');
  } catch {
    return found;
  }
  for (const e of entries) {
    const pid = Number(e);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (argv.includes(home) && alive(pid)) found.push(pid);
    } catch {
      /* gone or not ours to read */
    }
  }
  return found;
}

/**
 * Make sure no daemon runs in `home`: `server stop` first, then SIGTERM / SIGKILL to the pid in the
 * pid file if the CLI could not do it, then to any process still started with this home.
 * Synchronous so it also works from an 'exit' handler. Returns true when something had to be stopped.
 */
export function ensureStopped(home) {
  let stopped = false;
  const pid = readPid(home);
  if (pid !== undefined && alive(pid)) {
    stopped = true;
    const r = cli(home, ['server', 'stop'], 35_000);
    if (alive(pid)) terminate(pid, `\`server stop\` did not stop the daemon (exit ${r.status})`);
  }
  for (const stray of processesUsing(home)) {
    stopped = true;
    terminate(stray, `process still running with --home ${home}`);
  }
  return stopped;
}

/** Stop any daemon in `home` and delete it. */
export function disposeHome(home) {
  ensureStopped(home);
  rmSync(home, { recursive: true, force: true });
  homes.delete(home);
}

const inFlight = new Set();

/**
 * Register an asynchronous child (e.g. a `server start` being timed) so `cleanupAll()` waits for
 * it to exit before stopping daemons: a start cut short must not leave its daemon behind.
 */
export function track(child) {
  inFlight.add(child);
  child.once('exit', () => inFlight.delete(child));
  return child;
}

/** Stop every daemon this process started and remove every temp home. Idempotent. */
export function cleanupAll() {
  for (const child of inFlight) {
    // `server start` returns once the daemon is ready or failed (at most its 15 s start timeout).
    for (let i = 0; i < 400 && child.pid !== undefined && alive(child.pid); i++) sleepSync(50);
    if (child.pid !== undefined && alive(child.pid)) terminate(child.pid, 'a timed CLI command is still running at exit');
  }
  inFlight.clear();
  for (const home of [...homes]) {
    try {
      disposeHome(home);
    } catch (err) {
      process.stderr.write(`bench: cleanup of ${home} failed: ${err?.message ?? err}\n`);
    }
  }
}

let hooked = false;
/** Clean up on normal exit, uncaught errors and Ctrl-C / SIGTERM (daemons must never be left behind). */
export function installCleanupHooks() {
  if (hooked) return;
  hooked = true;
  process.on('exit', cleanupAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      cleanupAll();
      process.exit(128 + (os.constants.signals[sig] ?? 1));
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Statistics
// ---------------------------------------------------------------------------------------------

/** Percentile `p` (0..100) with linear interpolation between closest ranks (numpy's default). */
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const idx = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(idx);
  const hi = Math.ceil(idx);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (idx - lo);
}

/** min, median, p90, mean, max, stdev (ms, rounded to 0.01) of `samples`. */
export function summarize(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const n = s.length;
  const mean = n ? s.reduce((a, b) => a + b, 0) / n : NaN;
  const stdev = n > 1 ? Math.sqrt(s.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  const r = (x) => Math.round(x * 100) / 100;
  return { n, min: r(s[0]), median: r(percentile(s, 50)), p90: r(percentile(s, 90)), mean: r(mean), max: r(s[n - 1]), stdev: r(stdev) };
}

export const round2 = (x) => Math.round(x * 100) / 100;

// ---------------------------------------------------------------------------------------------
// Machine facts, tables, result files
// ---------------------------------------------------------------------------------------------

function gitCommit() {
  const r = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO, encoding: 'utf8' });
  const dirty = spawnSync('git', ['status', '--porcelain', '--', 'src', 'dist'], { cwd: REPO, encoding: 'utf8' });
  if (r.status !== 0) return 'unknown';
  return `${r.stdout.trim()}${dirty.status === 0 && dirty.stdout.trim() ? '+dirty' : ''}`;
}

/** Facts about this machine and build, stored with every result. */
export function machineFacts() {
  const cpus = os.cpus();
  let build;
  try {
    build = JSON.parse(readFileSync(join(REPO, 'dist', 'build-info.json'), 'utf8'));
  } catch {
    build = undefined;
  }
  return {
    date: new Date().toISOString(), // when the benchmark started
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform} ${os.release()}`,
    arch: process.arch,
    cpu_model: cpus[0]?.model?.trim() ?? 'unknown',
    cpu_cores: cpus.length,
    available_parallelism: os.availableParallelism?.() ?? cpus.length,
    total_mem_mb: Math.round(os.totalmem() / 2 ** 20),
    loadavg_at_start: os.loadavg().map(round2),
    git_commit: gitCommit(),
    dist_built_at: build?.built_at,
  };
}

/** One-line description of the machine for the table header. */
export function machineLine(m) {
  return `node ${m.node} | ${m.cpu_model} x${m.cpu_cores} | ${m.platform} | load ${m.loadavg_at_start.join(' ')} | ${m.date}`;
}

/** Plain-text table: `columns` = header names, `rows` = arrays of cells (numbers right-aligned). */
export function table(columns, rows) {
  const cells = rows.map((row) => row.map((c) => (c === undefined || c === null ? '' : typeof c === 'number' ? fmt(c) : String(c))));
  const widths = columns.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const numeric = columns.map((_, i) => rows.every((r) => typeof r[i] === 'number' || r[i] === undefined || r[i] === null || r[i] === ''));
  const line = (r) =>
    r
      .map((c, i) => (numeric[i] ? (c ?? '').padStart(widths[i]) : (c ?? '').padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(columns), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

function fmt(n) {
  if (!Number.isFinite(n)) return String(n);
  return Math.abs(n) >= 100 ? n.toFixed(1) : n.toFixed(2);
}

/** 'PASS' / 'FAIL' for `value < limit`. */
export const verdict = (value, limit) => (value < limit ? 'PASS' : 'FAIL');

/** Write bench/results/<name>.json and return its path (relative to the repo). */
export function writeResult(name, data) {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${name}.json`);
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return relative(REPO, file);
}

/**
 * A minimal zero-latency fake Chat Completions server on 127.0.0.1 (random port): every request gets
 * the reply `pong` with fixed usage (12 in, 1 out), as JSON or as SSE when `stream` is set.
 * Resolves with the listening http.Server.
 */
export function startFakeChatServer() {
  const usage = { prompt_tokens: 12, completion_tokens: 1, total_tokens: 13 };
  const server = createServer((req, res) => {
    let data = '';
    req.on('data', (d) => (data += d));
    req.on('end', () => {
      const { model = 'fake', stream } = data ? JSON.parse(data) : {};
      if (stream) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(
          `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model, choices: [{ index: 0, delta: { role: 'assistant', content: 'pong' }, finish_reason: null }] })}\n\n`,
        );
        res.write(
          `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage })}\n\n`,
        );
        res.end('data: [DONE]\n\n');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: 'chatcmpl-fake',
          object: 'chat.completion',
          created: 0,
          model,
          choices: [{ index: 0, message: { role: 'assistant', content: 'pong' }, finish_reason: 'stop' }],
          usage,
        }),
      );
    });
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r(server)));
}

/**
 * `caxton init` in `home`, an ares.toml whose `openai` provider is the fake server at `fakeUrl`
 * (no retries, warn-level logs, OPENAI_API_KEY set for the daemon), then `server start --port 0`.
 * `databaseUrl` (optional): `[database] url`, e.g. a PostgreSQL database shared by several daemons;
 * without it the daemon uses its home's SQLite file. Returns the daemon's URL.
 * @throws with the CLI's output when a step fails.
 */
export function startDaemonAgainst(home, fakeUrl, { databaseUrl } = {}) {
  // Set before `init`, which points the shipped models at the `openai` provider only when it sees a key.
  process.env.OPENAI_API_KEY = 'bench-key';
  const init = cli(home, ['init']);
  if (init.status !== 0) throw new Error(`init failed: ${init.stderr}`);
  const database = databaseUrl ? `\n[database]\nurl = ${JSON.stringify(databaseUrl)}\n` : '';
  writeFileSync(
    join(home, 'ares.toml'),
    `[server]\nhost = "127.0.0.1"\nport = 0\n\n[providers.openai]\ntype = "openai"\nbase_url = "${fakeUrl}"\napi_key_env = "OPENAI_API_KEY"\nmax_retries = 0\n\n[logging]\nlevel = "warn"\n${database}`,
  );
  const start = cli(home, ['--json', 'server', 'start', '--port', '0']);
  if (start.status !== 0) throw new Error(`server start failed (exit ${start.status}):\n${start.stdout}${start.stderr}`);
  return JSON.parse(start.stdout).url;
}

/**
 * A user with an API key (`caxton user create --key` over `home`'s control socket) and their user
 * agent `pinger` (model `fast`, created over HTTP at `url`). Returns the request headers that
 * authenticate as them (`authorization: Bearer KEY`, JSON content type). @throws when a step fails.
 */
export async function userWithPinger(home, url, email) {
  const user = cli(home, ['--json', 'user', 'create', email, '--key']);
  if (user.status !== 0) throw new Error(`user create failed: ${user.stderr}`);
  const headers = { authorization: `Bearer ${JSON.parse(user.stdout).api_key.key}`, 'content-type': 'application/json' };
  const created = await fetch(`${url}/api/agents`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ name: 'pinger', model: 'fast', system_prompt: 'Reply pong.' }),
  });
  if (!created.ok) throw new Error(`create pinger: HTTP ${created.status} ${await created.text()}`);
  return headers;
}

/** Fail early with a hint when wrk (the C load generator) is missing. */
export function requireWrk() {
  if (spawnSync('wrk', ['--version']).error) throw new Error('wrk is not installed (Debian: apt-get install -y wrk)');
}

/**
 * A wrk Lua script in a temp dir (removed by `cleanupAll()`): `method` (with `body` unless
 * undefined) and `headers`; at the end it prints one JSON line: requests, secs, errors (connect,
 * read, write, non-2xx status, timeout), p50/p99 latency in µs. Returns the script's path.
 */
export function wrkScript(body, headers, method = 'POST') {
  const file = join(tempHome('wrk'), 'req.lua');
  const setHeaders = Object.entries(headers)
    .map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`)
    .join('\n');
  writeFileSync(
    file,
    `wrk.method = "${method}"\n${body === undefined ? '' : `wrk.body = ${JSON.stringify(body)}\n`}${setHeaders}\n
function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout
  io.write(string.format('{"requests":%d,"secs":%f,"errors":%d,"p50_us":%f,"p99_us":%f}\\n', summary.requests, summary.duration / 1e6, errors, latency:percentile(50), latency:percentile(99)))
end\n`,
  );
  return file;
}

/** Run a child without blocking this process's event loop (a fake server may live in it). */
export const execFileAsync = promisify(execFile);

/**
 * wrk (one thread) against `url` with `clients` connections for `secs` seconds, using `script`
 * from `wrkScript`. Returns `{per_sec, p50_ms, p99_ms, requests, errors, secs}`.
 */
export async function runWrk(url, script, clients, secs) {
  const r = await execFileAsync('wrk', ['-t1', `-c${clients}`, `-d${secs}s`, '-s', script, url], { timeout: (secs + 30) * 1000 });
  const line = r.stdout.split('\n').find((l) => l.startsWith('{'));
  if (!line) throw new Error(`wrk printed no result: ${r.stderr}${r.stdout}`);
  const o = JSON.parse(line);
  return {
    per_sec: round2(o.requests / o.secs),
    p50_ms: round2(o.p50_us / 1000),
    p99_ms: round2(o.p99_us / 1000),
    requests: o.requests,
    errors: o.errors,
    secs: o.secs,
  };
}

/**
 * Time each of `paths` (name -> async fn) once per round, `warmup + samples` rounds, rotating the
 * order every round so drifts in machine load hit every path alike. Returns name -> samples in ms
 * (warmup rounds dropped).
 */
export async function sampleRotating(paths, warmup, samples) {
  const names = Object.keys(paths);
  const out = Object.fromEntries(names.map((n) => [n, []]));
  for (let i = 0; i < warmup + samples; i++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(i + k) % names.length];
      const t0 = performance.now();
      await paths[name]();
      const ms = performance.now() - t0;
      if (i >= warmup) out[name].push(ms);
    }
  }
  return out;
}
