#!/usr/bin/env node
/**
 * Benchmark: config hot reload, save-to-serving. Starts one daemon (`server start --port 0`, shipped
 * config, offline provider), then per sample rewrites `config/agents/router.toon` with a new
 * system_prompt and measures
 *   (a) save-to-serving: from just before writeFileSync until GET /api/agents/router returns the new
 *       prompt (polled every 2 ms over a keep-alive connection);
 *   (b) the daemon's own reload time (`last_reload_ms` of GET /api/config/status: load + validate);
 *   (c) save-to-rejected: a broken file (max_tool_iterations out of range) until /api/config/status
 *       counts one more rejection (the old prompt keeps serving; checked).
 * Samples are spaced 200 ms apart so each is its own debounce burst.
 *
 * Targets (reported, not enforced): save-to-serving under 300 ms (ours) and under 1000 ms (the
 * seed's "reload under 1 s").
 *
 * Env: BENCH_RELOAD_SAMPLES (default 20), BENCH_RELOAD_WARMUP (default 2).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  cli,
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

const NAME = 'reload';
const SAMPLES = envInt('BENCH_RELOAD_SAMPLES', 20);
const WARMUP = envInt('BENCH_RELOAD_WARMUP', 2);
const POLL_MS = 2;
const SPACING_MS = 200;
const TIMEOUT_MS = 5000;
const TARGET_OURS_MS = 300;
const TARGET_SEED_MS = 1000;

requireBuild();
installCleanupHooks();

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const router = (prompt, extra = '') => `name: router\nmodel: fast\n${extra}system_prompt: "${prompt}"\n`;

/** Poll `check` every POLL_MS until truthy; returns ms since `t0`. Throws after TIMEOUT_MS. */
async function until(t0, what, check) {
  for (;;) {
    if (await check()) return round2(performance.now() - t0);
    if (performance.now() - t0 > TIMEOUT_MS) throw new Error(`no ${what} within ${TIMEOUT_MS} ms`);
    await sleep(POLL_MS);
  }
}

const machine = machineFacts();
const home = tempHome('rl');
const rows = [];
try {
  const start = cli(home, ['--json', 'server', 'start', '--port', '0']);
  if (start.status !== 0) throw new Error(`server start failed (exit ${start.status}):\n${start.stdout}${start.stderr}`);
  const { url } = JSON.parse(start.stdout);
  const file = join(home, 'config', 'agents', 'router.toon');
  const getJson = async (path) => (await fetch(`${url}${path}`)).json();
  const prompt = async () => (await getJson('/api/agents/router')).system_prompt;

  process.stderr.write(`${NAME}: ${WARMUP} warmup + ${SAMPLES} samples against ${url}\n`);
  for (let i = 0; i < WARMUP + SAMPLES; i++) {
    const good = `Prompt ${i}`;
    const t0 = performance.now();
    writeFileSync(file, router(good));
    const serving_ms = await until(t0, 'new prompt served', async () => (await prompt()) === good);
    const { last_reload_ms, rejected } = await getJson('/api/config/status');
    await sleep(SPACING_MS);

    const t1 = performance.now();
    writeFileSync(file, router(`Broken ${i}`, 'max_tool_iterations: 500\n'));
    const rejected_ms = await until(t1, 'rejection', async () => (await getJson('/api/config/status')).rejected > rejected);
    if ((await prompt()) !== good) throw new Error('a rejected reload changed the served prompt');
    await sleep(SPACING_MS);
    if (i >= WARMUP) rows.push({ serving_ms, reload_ms: last_reload_ms, rejected_ms });
  }
} finally {
  disposeHome(home);
}

const metrics = [
  ['serving_ms', '(a) save-to-serving (new prompt answered)'],
  ['reload_ms', '(b) daemon reload time (load + validate)'],
  ['rejected_ms', '(c) save-to-rejected (broken file)'],
];
const summary = Object.fromEntries(metrics.map(([m]) => [m, summarize(rows.map((r) => r[m]))]));
const med = summary.serving_ms.median;
const p90 = summary.serving_ms.p90;
const targets = [
  { metric: 'save-to-serving median', measured: med, target: `< ${TARGET_OURS_MS} ms (ours)`, result: verdict(med, TARGET_OURS_MS) },
  { metric: 'save-to-serving p90', measured: p90, target: `< ${TARGET_OURS_MS} ms (ours)`, result: verdict(p90, TARGET_OURS_MS) },
  { metric: 'save-to-serving p90', measured: p90, target: `< ${TARGET_SEED_MS} ms (seed)`, result: verdict(p90, TARGET_SEED_MS) },
];

console.log(`\n== ${NAME}: write config/agents/router.toon to the new agent being served ==`);
console.log(machineLine(machine));
console.log(`${SAMPLES} samples after ${WARMUP} warmup; polled every ${POLL_MS} ms; samples ${SPACING_MS} ms apart\n`);
console.log(
  table(
    ['measurement', 'min', 'median', 'p90', 'mean', 'max'],
    metrics.map(([m, label]) => {
      const s = summary[m];
      return [label, s.min, s.median, s.p90, s.mean, s.max];
    }),
  ),
);
console.log('');
console.log(
  table(
    ['target', 'measured', 'goal', 'PASS/FAIL'],
    targets.map((t) => [t.metric, `${t.measured} ms`, t.target, t.result]),
  ),
);

const out = writeResult(NAME, {
  benchmark: NAME,
  description: 'write router.toon -> GET /api/agents/router returns the new system_prompt; broken file -> /api/config/status counts a rejection',
  machine,
  config: { samples: SAMPLES, warmup: WARMUP, poll_ms: POLL_MS, spacing_ms: SPACING_MS, debounce_ms: 75 },
  summary,
  samples: rows,
  targets,
});
console.log(`results: ${out}`);
