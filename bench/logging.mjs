#!/usr/bin/env node
/**
 * Logging cost per run (STORY-021 seed: < 1 ms per operation). In process, over the daemon's own
 * logger (dist/daemon/logger.js: pino, synchronous writes to a rotated file, redaction, and the secret
 * scrubber on every line with three configured secrets) writing to a temp file. One "run" is what
 * one chat request with one tool call logs at the default level: the request's child logger (with
 * its request id), the run's child (execution id, agent, component), `run started`, `tool call`,
 * `run finished` and the `request` line — 2 children and 4 lines.
 *
 * Rows: the same sequence at level `silent` (children made, nothing written: the floor), and at
 * `info` (everything written). `BENCH_SAMPLES` (40) samples of `BENCH_RUNS` (2000) runs each, after
 * `BENCH_WARMUP` (5) unrecorded samples; columns in µs per run. Target: `info` median < 1000 µs.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { envInt, importDist, machineFacts, machineLine, requireBuild, summarize, table, verdict, writeResult } from './lib/common.mjs';

const NAME = 'logging';
const TARGET_US = 1000;
requireBuild();
const { createLogger } = await importDist('daemon/logger.js');
const { SecretScrubber } = await importDist('domain/secrets.js');

const WARMUP = envInt('BENCH_WARMUP', 5);
const SAMPLES = envInt('BENCH_SAMPLES', 40);
const RUNS = envInt('BENCH_RUNS', 2000);
const dir = mkdtempSync(join(tmpdir(), 'cxb-log-'));
const secrets = new SecretScrubber(['sk-bench-secret-key-0123456789', 'jwt-bench-secret-abcdefghijkl', 'pg-password-bench-42']);

/** What one chat request with one tool call logs (src/api/middleware/request-log.ts, src/runtime/*). */
function oneRun(root, i) {
  const req = root.child({ request_id: `bench-${i}` });
  const run = req.child({ component: 'runtime', execution_id: `exec_0193bench${i}`, agent: 'customer-support' });
  run.info({ user: 'local', source: 'system', model: 'balanced', provider: 'openai' }, 'run started');
  run.info({ tool: 'calculator', iteration: 1, is_error: false, duration_ms: 1 }, 'tool call');
  const end = {
    status: 'success',
    finish_reason: 'stop',
    iterations: 2,
    tokens_input: 420,
    tokens_output: 37,
    cost_usd: 0.0001,
    tool_calls: 1,
    duration_ms: 12,
  };
  run.info(end, 'run finished');
  req.info({ component: 'api', method: 'POST', path: '/api/agents/customer-support/chat', status: 200, user: 'local', duration_ms: 13.2 }, 'request');
}

/** µs per run of `RUNS` runs through `root`. */
function sample(root) {
  const t0 = performance.now();
  for (let i = 0; i < RUNS; i++) oneRun(root, i);
  return ((performance.now() - t0) * 1000) / RUNS;
}

try {
  const file = join(dir, 'logs', 'caxton.log');
  const opts = { file, destination: 'file', echo: false, maxFileBytes: 10_485_760, maxFiles: 2, scrub: secrets.scrub };
  const loggers = { silent: createLogger({ ...opts, level: 'silent' }), info: createLogger({ ...opts, level: 'info' }) };
  const samples = { silent: [], info: [] };
  for (let s = 0; s < WARMUP + SAMPLES; s++) {
    for (const level of s % 2 ? ['info', 'silent'] : ['silent', 'info']) {
      const us = sample(loggers[level]);
      if (s >= WARMUP) samples[level].push(us);
    }
  }
  const stats = { silent: summarize(samples.silent), info: summarize(samples.info) };
  const machine = machineFacts();
  console.log(`logging cost per run (2 child loggers + 4 lines to a rotated file, secret scrubbing on), µs per run; ${SAMPLES} samples x ${RUNS} runs`);
  console.log(machineLine(machine));
  console.log(
    table(
      ['level', 'min', 'median', 'p90', 'mean', 'max', 'target', 'verdict'],
      ['silent', 'info'].map((l) => [
        l,
        stats[l].min,
        stats[l].median,
        stats[l].p90,
        stats[l].mean,
        stats[l].max,
        l === 'info' ? `< ${TARGET_US}` : '-',
        l === 'info' ? verdict(stats.info.median, TARGET_US) : '-',
      ]),
    ),
  );
  const one = join(dir, 'one', 'caxton.log');
  const sizing = createLogger({ ...opts, file: one, level: 'info' });
  for (let i = 0; i < 100; i++) oneRun(sizing, i);
  const bytesPerRun = Math.round(statSync(one).size / 100);
  console.log(`log bytes per run: ${bytesPerRun}`);
  console.log(`wrote ${writeResult(NAME, { machine, runs_per_sample: RUNS, bytes_per_run: bytesPerRun, target_us: TARGET_US, us_per_run: stats })}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
