#!/usr/bin/env node
/**
 * Benchmark: `caxton test` per-case time with scripted replies (STORY-014: "< 500 ms per case"; ours
 * < 50 ms). A temp home with the shipped config/ and one scenario file of BENCH_SCENARIO_CASES (40)
 * cases for customer-support, each a tool call (the real calculator), a text reply and six
 * expectations. Measured in-process through dist/testing (the code `caxton test` runs):
 *
 * - per case, concurrency 1: each case's own wall time (CaseResult.duration_ms: runtime, provider,
 *   tool, expectations), over BENCH_SCENARIO_ROUNDS (5) rounds after one warm-up round;
 * - per case, concurrency 4: the round's wall time divided by its cases (throughput);
 * - session set-up and tear-down (buildServices over a temp SQLite store), for information;
 * - the whole `node bin/caxton test` process on the same file, for information (Node start and
 *   module loading included).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  BIN,
  cleanupAll,
  cliEnv,
  envInt,
  importDist,
  installCleanupHooks,
  machineFacts,
  machineLine,
  NODE,
  REPO,
  requireBuild,
  round2,
  summarize,
  table,
  tempHome,
  verdict,
  writeResult,
} from './lib/common.mjs';

const NAME = 'scenarios';
const CASES = envInt('BENCH_SCENARIO_CASES', 40);
const ROUNDS = envInt('BENCH_SCENARIO_ROUNDS', 5);
const TARGET_OURS_MS = 50;
const TARGET_SEED_MS = 500;

requireBuild();
installCleanupHooks();
const { loadSuites } = await importDist('testing/suites.js');
const { runSuites } = await importDist('testing/runner.js');
const { pathsFor } = await importDist('ipc/paths.js');

const home = tempHome('scn');
cpSync(join(REPO, 'config'), join(home, 'config'), { recursive: true });
writeFileSync(join(home, 'ares.toml'), '[providers.openai]\ntype = "openai"\nbase_url = "http://127.0.0.1:9/v1"\napi_key_env = "OPENAI_API_KEY"\n');
mkdirSync(join(home, 'tests'));
const cases = Array.from(
  { length: CASES },
  (_, i) => `
[[cases]]
name = "case ${i}"
input = "${i + 1} items at 49.99 with 15% off?"
conversation = ["hello", "Hi! How can I help?"]
[[cases.replies]]
tool_calls = [{ name = "calculator", arguments = { expression = "49.99*${i + 1}*0.85" } }]
[[cases.replies]]
text = "The total is ${(49.99 * (i + 1) * 0.85).toFixed(2)}."
[cases.expect]
contains = ["${(49.99 * (i + 1) * 0.85).toFixed(2)}"]
tool_called = ["calculator"]
tool_args = { calculator = { expression = "49.99*${i + 1}*0.85" } }
finish_reason = "stop"
max_iterations = 2
regex = ["\\\\d+\\\\.\\\\d{2}"]
`,
);
writeFileSync(join(home, 'tests', 'bench.test.toml'), `agent = "customer-support"\n${cases.join('')}`);
const paths = pathsFor(home);
const { suites, diagnostics } = loadSuites([], paths, home);
if (diagnostics.length) throw new Error(JSON.stringify(diagnostics));

/** One session: returns the report and its wall time (ms). */
async function session(concurrency) {
  const t0 = performance.now();
  const report = await runSuites(suites, { paths, mode: 'auto', concurrency, env: {} });
  if (report.failed) throw new Error(`a case failed: ${JSON.stringify(report.cases.find((c) => !c.passed).failures)}`);
  return { report, ms: performance.now() - t0 };
}

await session(1);
const perCase = [];
const perCaseParallel = [];
const sessionOverhead = [];
for (let r = 0; r < ROUNDS; r++) {
  const serial = await session(1);
  perCase.push(...serial.report.cases.map((c) => c.duration_ms));
  sessionOverhead.push(serial.ms - serial.report.cases.reduce((a, c) => a + c.duration_ms, 0));
  const parallel = await session(4);
  perCaseParallel.push(parallel.ms / CASES);
}
const processMs = [];
for (let r = 0; r < 3; r++) {
  const t0 = performance.now();
  const p = spawnSync(NODE, [BIN, '--home', home, 'test'], { env: cliEnv(), encoding: 'utf8' });
  processMs.push(performance.now() - t0);
  if (p.status !== 0) throw new Error(`caxton test exited ${p.status}: ${p.stderr}${p.stdout.slice(-500)}`);
}

const s = { perCase: summarize(perCase), parallel: summarize(perCaseParallel), overhead: summarize(sessionOverhead), process: summarize(processMs) };
const machine = machineFacts();
console.log(`caxton test with scripted replies: ${CASES} cases x ${ROUNDS} rounds (tool call + reply + 6 expectations each); times in ms`);
console.log(machineLine(machine));
console.log(
  table(
    ['row', 'n', 'min', 'median', 'p90', 'max'],
    [
      ['per case, concurrency 1', s.perCase.n, s.perCase.min, s.perCase.median, s.perCase.p90, s.perCase.max],
      ['per case, concurrency 4 (round / cases)', s.parallel.n, s.parallel.min, s.parallel.median, s.parallel.p90, s.parallel.max],
      ['session set-up + tear-down (info)', s.overhead.n, s.overhead.min, s.overhead.median, s.overhead.p90, s.overhead.max],
      [`node bin/caxton test, ${CASES} cases (info)`, s.process.n, s.process.min, s.process.median, s.process.p90, s.process.max],
    ],
  ),
);
const targets = [
  { target: 'median per case (ours)', measured_ms: s.perCase.median, goal_ms: TARGET_OURS_MS, result: verdict(s.perCase.median, TARGET_OURS_MS) },
  { target: 'p90 per case (ours)', measured_ms: s.perCase.p90, goal_ms: TARGET_OURS_MS, result: verdict(s.perCase.p90, TARGET_OURS_MS) },
  { target: 'p90 per case (seed)', measured_ms: s.perCase.p90, goal_ms: TARGET_SEED_MS, result: verdict(s.perCase.p90, TARGET_SEED_MS) },
];
console.log(
  table(
    ['target', 'measured ms', 'goal ms', 'result'],
    targets.map((t) => [t.target, round2(t.measured_ms), t.goal_ms, t.result]),
  ),
);
const file = writeResult(NAME, { machine, config: { cases: CASES, rounds: ROUNDS }, summaries: s, targets });
console.log(`\nwrote ${file}`);
cleanupAll();
