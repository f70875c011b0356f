#!/usr/bin/env node
/**
 * Benchmark: daemon start-up. For each sample, spawn `node bin/caxton --home H server start --port 0
 * --json` and measure
 *   (a) CLI wall time: spawn until the `server start` process exits (it returns once the daemon
 *       reported ready over IPC and the URL is printed);
 *   (b) start-to-healthy: spawn until the first 200 from GET <url>/health, polling every 5 ms as
 *       soon as the URL has been read from the command's JSON output.
 * Each round uses a fresh, empty temp home twice: first start on the empty home (includes `init`:
 * writing ares.toml + config/, creating the database), stop, then a second start on the now
 * existing home. The two kinds are reported separately. Every daemon is stopped after its sample.
 *
 * Targets (reported, not enforced): start-to-healthy under 1000 ms (ours) and under 2000 ms (the
 * seed's STORY-002).
 *
 * Env: BENCH_STARTUP_SAMPLES (default 10) rounds, BENCH_STARTUP_WARMUP (default 1) unrecorded rounds.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import {
  BIN,
  NODE,
  REPO,
  cli,
  cliEnv,
  disposeHome,
  envInt,
  installCleanupHooks,
  machineFacts,
  machineLine,
  requireBuild,
  round2,
  summarize,
  table,
  tempHome,
  track,
  verdict,
  writeResult,
} from './lib/common.mjs';

const NAME = 'startup';
const SAMPLES = envInt('BENCH_STARTUP_SAMPLES', 10);
const WARMUP = envInt('BENCH_STARTUP_WARMUP', 1);
const POLL_MS = 5;
const TIMEOUT_MS = 20_000;
const TARGET_OURS_MS = 1000;
const TARGET_SEED_MS = 2000;

requireBuild();
installCleanupHooks();

/** One GET /health; resolves to the status code (0 on connection error). */
function probe(url) {
  return new Promise((resolve) => {
    const req = http.get(`${url}/health`, { agent: false, timeout: 1000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

/**
 * Spawn `server start --port 0 --json` in `home` and time it. Returns
 * `{ cli_ms, url_ms, healthy_ms, polls, pid, url }` (ms since spawn).
 */
function startSample(home) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = track(
      spawn(NODE, [BIN, '--home', home, 'server', 'start', '--port', '0', '--json'], {
        cwd: REPO,
        env: cliEnv(),
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    let out = '';
    let err = '';
    let info;
    let urlMs;
    let healthyMs;
    let exitMs;
    let exitCode;
    let polls = 0;
    let settled = false;
    const timer = setTimeout(() => finish(new Error(`no healthy daemon within ${TIMEOUT_MS} ms\n${out}${err}`)), TIMEOUT_MS);

    function finish(error) {
      if (settled) return;
      if (!error && (healthyMs === undefined || exitMs === undefined)) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve({ cli_ms: round2(exitMs), url_ms: round2(urlMs), healthy_ms: round2(healthyMs), polls, pid: info.pid, url: info.url });
    }

    async function poll() {
      while (!settled) {
        polls++;
        const code = await probe(info.url);
        if (code === 200) {
          healthyMs = performance.now() - t0;
          finish();
          return;
        }
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    }

    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (info) return;
      try {
        info = JSON.parse(out);
      } catch {
        return; // not complete yet
      }
      urlMs = performance.now() - t0;
      if (!info.started || !info.url) {
        finish(new Error(`server start did not start a daemon: ${out}`));
        return;
      }
      void poll();
    });
    child.stderr.on('data', (chunk) => {
      err += chunk;
    });
    child.on('error', finish);
    child.on('exit', (code) => {
      exitMs = performance.now() - t0;
      exitCode = code;
    });
    child.on('close', () => {
      if (exitCode !== 0) finish(new Error(`server start exited ${exitCode}\n${out}${err}`));
      else if (!info) finish(new Error(`server start printed no JSON\n${out}${err}`));
      else finish();
    });
  });
}

/** `server stop` in `home`; returns its wall time in ms. */
function stopSample(home) {
  const t0 = performance.now();
  const r = cli(home, ['server', 'stop']);
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`server stop failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
  return round2(ms);
}

const machine = machineFacts(); // before any work, so the load average is the machine's own

const kinds = {
  empty: { label: 'empty home (includes init)', rows: [] },
  existing: { label: 'existing home', rows: [] },
};

process.stderr.write(`${NAME}: ${WARMUP} warmup + ${SAMPLES} rounds (empty home, then existing home)\n`);
for (let round = 0; round < WARMUP + SAMPLES; round++) {
  const home = tempHome('su');
  try {
    for (const kind of ['empty', 'existing']) {
      const s = await startSample(home);
      s.stop_ms = stopSample(home);
      if (round >= WARMUP) kinds[kind].rows.push(s);
    }
  } finally {
    disposeHome(home);
  }
}

const metrics = [
  ['cli_ms', '(a) CLI `server start` wall'],
  ['url_ms', 'URL read from stdout'],
  ['healthy_ms', '(b) start-to-healthy'],
  ['stop_ms', 'CLI `server stop` wall (info)'],
];
const summary = {};
for (const [kind, k] of Object.entries(kinds)) {
  summary[kind] = Object.fromEntries(metrics.map(([m]) => [m, summarize(k.rows.map((r) => r[m]))]));
}

const targets = [];
for (const [kind, k] of Object.entries(kinds)) {
  const med = summary[kind].healthy_ms.median;
  const p90 = summary[kind].healthy_ms.p90;
  targets.push({ metric: `start-to-healthy median, ${k.label}`, measured: med, target: `< ${TARGET_OURS_MS} ms (ours)`, result: verdict(med, TARGET_OURS_MS) });
  targets.push({
    metric: `start-to-healthy median, ${k.label}`,
    measured: med,
    target: `< ${TARGET_SEED_MS} ms (seed STORY-002)`,
    result: verdict(med, TARGET_SEED_MS),
  });
  targets.push({ metric: `start-to-healthy p90, ${k.label}`, measured: p90, target: `< ${TARGET_OURS_MS} ms (ours)`, result: verdict(p90, TARGET_OURS_MS) });
}

console.log(`\n== ${NAME}: \`caxton server start --port 0\` to first 200 from /health ==`);
console.log(machineLine(machine));
console.log(
  `${SAMPLES} samples per kind after ${WARMUP} warmup round(s); ms since spawning the CLI; /health polled every ${POLL_MS} ms once the URL is read\n`,
);
const rows = [];
for (const [kind, k] of Object.entries(kinds)) {
  for (const [m, label] of metrics) {
    const s = summary[kind][m];
    rows.push([`${k.label}: ${label}`, s.min, s.median, s.p90, s.mean, s.max]);
  }
}
console.log(table(['measurement', 'min', 'median', 'p90', 'mean', 'max'], rows));
console.log('');
console.log(
  table(
    ['target', 'measured', 'goal', 'PASS/FAIL'],
    targets.map((t) => [t.metric, `${t.measured} ms`, t.target, t.result]),
  ),
);
const polls = Object.values(kinds).flatMap((k) => k.rows.map((r) => r.polls));
console.log(`\n/health polls until 200: min ${Math.min(...polls)}, max ${Math.max(...polls)} (1 = healthy on the first probe after the URL was printed)`);

const file = writeResult(NAME, {
  benchmark: NAME,
  description: 'spawn `node bin/caxton --home H server start --port 0 --json` -> (a) CLI exit, (b) first 200 from GET <url>/health',
  machine,
  config: { samples: SAMPLES, warmup_rounds: WARMUP, poll_ms: POLL_MS, home: 'fresh mkdtemp home under /tmp per round; empty start then existing-home start' },
  kinds: Object.fromEntries(Object.entries(kinds).map(([kind, k]) => [kind, { label: k.label, summary: summary[kind], samples: k.rows }])),
  targets,
});
console.log(`results: ${file}`);
