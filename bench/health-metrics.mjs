#!/usr/bin/env node
/**
 * Benchmark: latency of the probes and of `/metrics` under chat load (STORY-009 / STORY-022 goal:
 * under 10 ms). The real daemon (`server start --port 0`, SQLite) serves a user agent whose
 * `openai` provider points at a zero-latency fake Chat Completions server (bench/lib/common.mjs).
 * For each of `GET /health`, `/health/live`, `/health/ready` and `/metrics`, wrk (one connection)
 * measures it for BENCH_HEALTH_SECS seconds (default 5): once idle, and once while a second wrk
 * sends non-streaming chat requests with BENCH_HEALTH_CHAT_CLIENTS (default 32) connections (every
 * run adds series to /metrics).
 * Prints a table and writes bench/results/health-metrics.json. Needs `wrk` on PATH (Debian: `apt-get install wrk`).
 */
import {
  disposeHome,
  envInt,
  installCleanupHooks,
  machineFacts,
  machineLine,
  requireBuild,
  requireWrk,
  round2,
  runWrk,
  startDaemonAgainst,
  startFakeChatServer,
  table,
  tempHome,
  userWithPinger,
  wrkScript,
  writeResult,
} from './lib/common.mjs';

const NAME = 'health-metrics';
const SECS = envInt('BENCH_HEALTH_SECS', 5);
const CHAT_CLIENTS = envInt('BENCH_HEALTH_CHAT_CLIENTS', 32);
const PATHS = ['/health', '/health/live', '/health/ready', '/metrics'];
const GOAL_P99_MS = 10;

requireBuild();
installCleanupHooks();
requireWrk();

const machine = machineFacts();
const fake = await startFakeChatServer();
const fakeUrl = `http://127.0.0.1:${fake.address().port}/v1`;
const home = tempHome('health');
const rows = [];
try {
  const url = startDaemonAgainst(home, fakeUrl);
  const headers = await userWithPinger(home, url, 'bench-health@example.com');
  const chat = wrkScript(JSON.stringify({ message: 'ping' }), headers);
  const get = wrkScript(undefined, {}, 'GET');
  await runWrk(`${url}/api/agents/pinger/chat`, chat, CHAT_CLIENTS, 1); // warm-up: runs, series in /metrics
  for (const path of PATHS) {
    process.stderr.write(`${NAME}: ${path}, ${SECS} s idle and ${SECS} s under chat load\n`);
    const idle = await runWrk(`${url}${path}`, get, 1, SECS);
    const [loaded, load] = await Promise.all([runWrk(`${url}${path}`, get, 1, SECS), runWrk(`${url}/api/agents/pinger/chat`, chat, CHAT_CLIENTS, SECS)]);
    rows.push({ path, idle, loaded, chat_per_sec: load.per_sec, chat_errors: load.errors });
  }
} finally {
  disposeHome(home);
  fake.close();
}

const worst = Math.max(...rows.map((r) => r.loaded.p99_ms));
const goals = { p99_under_load_ms: { value: round2(worst), goal: `< ${GOAL_P99_MS}`, met: worst < GOAL_P99_MS } };
console.log(`\n== ${NAME}: probe and /metrics latency, idle and under ${CHAT_CLIENTS}-connection chat load (wrk, 1 connection each) ==`);
console.log(machineLine(machine));
console.log(
  table(
    ['path', 'idle p50', 'idle p99', 'load p50', 'load p99', 'errors', 'chat req/s', 'chat errors'],
    rows.map((r) => [
      r.path,
      r.idle.p50_ms,
      r.idle.p99_ms,
      r.loaded.p50_ms,
      r.loaded.p99_ms,
      String(r.idle.errors + r.loaded.errors),
      r.chat_per_sec,
      String(r.chat_errors),
    ]),
  ),
);
console.log(`goal: p99 under load ${goals.p99_under_load_ms.value} ms (${goals.p99_under_load_ms.goal}: ${goals.p99_under_load_ms.met ? 'met' : 'not met'})`);
const file = writeResult(NAME, {
  benchmark: NAME,
  description: `GET /health, /health/live, /health/ready and /metrics with wrk (1 connection), idle and while ${CHAT_CLIENTS} connections send non-streaming chat requests to a user agent over a zero-latency fake; latency in ms`,
  machine,
  config: { secs: SECS, chat_clients: CHAT_CLIENTS },
  rows,
  goals,
});
console.log(`wrote ${file}`);
