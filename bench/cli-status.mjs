#!/usr/bin/env node
/**
 * Benchmark: latency of `caxton server status` (STORY-001: under 100 ms) against a running daemon,
 * next to `node -e 0` (Node's own start) on the same machine, with interleaved runs so drift in
 * machine load hits every variant alike. Also `server status` when no daemon runs (exit 3), and two
 * informational rows that split the time: importing the CLI entry module, and importing it plus the
 * status handler's module graph (no I/O).
 *
 * Prints a table and writes bench/results/cli-status.json. Targets are reported, not enforced: the
 * process exits 0 when the targets are missed, non-zero only if the benchmark itself failed.
 *
 * Env: BENCH_WARMUP (default 5) and BENCH_SAMPLES (default 40) runs per variant.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import {
  EXIT,
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
  verdict,
  writeResult,
} from './lib/common.mjs';

const NAME = 'cli-status';
const WARMUP = envInt('BENCH_WARMUP', 5);
const SAMPLES = envInt('BENCH_SAMPLES', 40);
const TARGET_STATUS_MS = 100;
const TARGET_RATIO = 2.0;

requireBuild();
installCleanupHooks();

const mainUrl = pathToFileURL(join(REPO, 'dist', 'cli', 'main.js')).href;
const statusUrl = pathToFileURL(join(REPO, 'dist', 'cli', 'commands', 'server-status.js')).href;

const machine = machineFacts(); // before any work, so the load average is the machine's own
const running = tempHome('st');
const stopped = tempHome('ns');
let daemonPid;

try {
  // A daemon on any free port in one home; a second home initialised but never started.
  const start = cli(running, ['server', 'start', '--port', '0', '--json']);
  if (start.status !== 0) throw new Error(`server start failed (exit ${start.status}):\n${start.stdout}${start.stderr}`);
  const started = JSON.parse(start.stdout);
  daemonPid = started.pid;
  const init = cli(stopped, ['init', '--provider', 'offline']);
  if (init.status !== 0) throw new Error(`init failed (exit ${init.status}):\n${init.stdout}${init.stderr}`);

  /** Variants, in the order they appear in the table. `target` marks the ones with a goal. */
  const variants = [
    { id: 'node', label: 'node -e 0', args: ['-e', '0'], exit: 0 },
    { id: 'import_main', label: 'import dist/cli/main.js (info)', args: ['-e', `import(${JSON.stringify(mainUrl)})`], exit: 0 },
    {
      id: 'import_status',
      label: 'import main.js + server-status.js (info)',
      args: ['-e', `Promise.all([import(${JSON.stringify(mainUrl)}), import(${JSON.stringify(statusUrl)})])`],
      exit: 0,
    },
    {
      id: 'status_not_running',
      label: 'caxton server status (not running)',
      args: ['bin/caxton', '--home', stopped, 'server', 'status'],
      exit: EXIT.NOT_RUNNING,
    },
    { id: 'status', label: 'caxton server status (running)', args: ['bin/caxton', '--home', running, 'server', 'status'], exit: EXIT.OK },
  ];
  for (const v of variants) v.samples = [];

  const runOnce = (v) => {
    const t0 = performance.now();
    const r = spawnSync(NODE, v.args, { cwd: REPO, env: cliEnv(), encoding: 'utf8', timeout: 30_000 });
    const ms = performance.now() - t0;
    if (r.error) throw r.error;
    if (r.status !== v.exit) {
      throw new Error(`${v.label}: expected exit ${v.exit}, got ${r.status ?? r.signal}\n${r.stdout}${r.stderr}`);
    }
    if (v.id === 'status' && !r.stdout.includes('caxton is running')) throw new Error(`unexpected status output:\n${r.stdout}`);
    return ms;
  };

  // Round-robin, rotating which variant goes first in each round.
  process.stderr.write(`${NAME}: ${WARMUP} warmup + ${SAMPLES} samples x ${variants.length} variants, interleaved\n`);
  for (let round = 0; round < WARMUP + SAMPLES; round++) {
    for (let k = 0; k < variants.length; k++) {
      const v = variants[(round + k) % variants.length];
      const ms = runOnce(v);
      if (round >= WARMUP) v.samples.push(round2(ms));
      // Give the event loop a turn so SIGINT/SIGTERM handlers (daemon cleanup) run between samples.
      await new Promise((r) => setImmediate(r));
    }
  }

  const stats = Object.fromEntries(variants.map((v) => [v.id, summarize(v.samples)]));
  const ratio = round2(stats.status.median / stats.node.median);
  const ratioNotRunning = round2(stats.status_not_running.median / stats.node.median);
  const targets = [
    {
      metric: 'server status (running) median',
      measured: stats.status.median,
      unit: 'ms',
      target: `< ${TARGET_STATUS_MS} ms`,
      result: verdict(stats.status.median, TARGET_STATUS_MS),
    },
    { metric: 'status / node -e 0 (medians)', measured: ratio, unit: 'x', target: `< ${TARGET_RATIO.toFixed(1)}x`, result: verdict(ratio, TARGET_RATIO) },
  ];

  console.log(`\n== ${NAME}: \`caxton server status\` latency vs \`node -e 0\` ==`);
  console.log(machineLine(machine));
  console.log(`${SAMPLES} samples per row after ${WARMUP} warmups, interleaved; wall time of spawnSync, ms\n`);
  console.log(
    table(
      ['command', 'min', 'median', 'p90', 'mean', 'max', 'x node', 'over node'],
      variants.map((v) => {
        const s = stats[v.id];
        return [v.label, s.min, s.median, s.p90, s.mean, s.max, round2(s.median / stats.node.median), round2(s.median - stats.node.median)];
      }),
    ),
  );
  console.log('');
  console.log(
    table(
      ['target', 'measured', 'goal', 'PASS/FAIL'],
      targets.map((t) => [t.metric, `${t.measured} ${t.unit}`, t.target, t.result]),
    ),
  );
  console.log('');

  const file = writeResult(NAME, {
    benchmark: NAME,
    description: 'wall time of spawning `node bin/caxton --home H server status` (daemon running / not running) vs `node -e 0`, interleaved',
    machine,
    config: { warmup: WARMUP, samples: SAMPLES, interleaved: true, daemon_pid: daemonPid, daemon_url: started.url },
    variants: variants.map((v) => ({ id: v.id, label: v.label, argv: [NODE, ...v.args], expected_exit: v.exit, summary: stats[v.id], samples_ms: v.samples })),
    ratio_status_to_node: ratio,
    ratio_status_not_running_to_node: ratioNotRunning,
    targets,
  });
  console.log(`results: ${file}`);
} finally {
  disposeHome(running);
  disposeHome(stopped);
}
