#!/usr/bin/env node
/**
 * Benchmark: HTTP throughput of a chat request through the daemon against the bare `openai` SDK
 * (targets: HTTP chat >= 0.7x the bare SDK's requests/s at 32
 * clients, added p50 < 1 ms at 1 client). In one run, against one zero-latency fake Chat Completions
 * server (bench/lib/common.mjs):
 *   - daemon: wrk (a C load generator, so the client side costs little) sends non-streaming
 *     `POST /api/agents/pinger/chat` with an API key to the real daemon (`server start --port 0`),
 *     whose `openai` provider points at the fake;
 *   - bare SDK: a separate Node process runs closed-loop `chat.completions.create` calls to the fake.
 * At 1, 8 and 32 concurrent clients each, for BENCH_HTTP_SECS seconds (default 5) after a 1 s warm-up.
 * For scale, the HTTP layer alone: wrk on a keyed `GET /api/agents/pinger` (no run, no provider call).
 * Prints a table and writes bench/results/http.json. Needs `wrk` on PATH (Debian: `apt-get install wrk`).
 */
import {
  disposeHome,
  envInt,
  execFileAsync,
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

const NAME = 'http';
const SECS = envInt('BENCH_HTTP_SECS', 5);
const CONCURRENCY = [1, 8, 32];
const GOAL_RATIO_32 = 0.7;
const GOAL_ADDED_P50_MS = 1;

requireBuild();
installCleanupHooks();
requireWrk();

/** Closed-loop bare `openai` SDK calls in a child process (so it does not share an event loop with the fake). */
const SDK_LOOP = `
import OpenAI from 'openai';
const [baseURL, clients, secs] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
const sdk = new OpenAI({ apiKey: 'bench-key', baseURL, maxRetries: 0 });
const call = () => sdk.chat.completions.create({ model: 'fake', messages: [{ role: 'system', content: 'Reply pong.' }, { role: 'user', content: 'ping' }] });
async function loop(until, lat) { while (performance.now() < until) { const t0 = performance.now(); await call(); lat?.push(performance.now() - t0); } }
await Promise.all(Array.from({ length: clients }, () => loop(performance.now() + 1000)));
const lat = []; const t0 = performance.now();
await Promise.all(Array.from({ length: clients }, () => loop(t0 + secs * 1000, lat)));
const took = (performance.now() - t0) / 1000; lat.sort((a, b) => a - b);
const q = (p) => lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))];
console.log(JSON.stringify({ requests: lat.length, secs: took, p50_ms: q(50), p99_ms: q(99) }));
`;

async function runSdk(fakeUrl, clients, secs) {
  const r = await execFileAsync(process.execPath, ['--input-type=module', '-e', SDK_LOOP, fakeUrl, String(clients), String(secs)], {
    timeout: (secs + 30) * 1000,
  });
  const o = JSON.parse(r.stdout.trim().split('\n').pop());
  return { per_sec: round2(o.requests / o.secs), p50_ms: round2(o.p50_ms), p99_ms: round2(o.p99_ms), requests: o.requests, errors: 0 };
}

const machine = machineFacts();
const fake = await startFakeChatServer();
const fakeUrl = `http://127.0.0.1:${fake.address().port}/v1`;
const home = tempHome('http');
const rows = [];
try {
  const url = startDaemonAgainst(home, fakeUrl);
  const headers = await userWithPinger(home, url, 'bench-http@example.com');
  const script = wrkScript(JSON.stringify({ message: 'ping' }), headers);
  const chatUrl = `${url}/api/agents/pinger/chat`;
  const getScript = wrkScript(undefined, { authorization: headers.authorization }, 'GET');
  for (const clients of CONCURRENCY) {
    process.stderr.write(`${NAME}: ${clients} client(s), ${SECS} s each way\n`);
    await runWrk(chatUrl, script, clients, 1); // warm-up
    const daemon = await runWrk(chatUrl, script, clients, SECS);
    const sdk = await runSdk(fakeUrl, clients, SECS);
    // The HTTP layer alone (router, boundary, auth with the API key, catalog lookup, JSON): a keyed GET of the agent.
    const httpOnly = await runWrk(`${url}/api/agents/pinger`, getScript, clients, SECS);
    rows.push({ clients, daemon, sdk, http_only: httpOnly, ratio: round2(daemon.per_sec / sdk.per_sec), added_p50_ms: round2(daemon.p50_ms - sdk.p50_ms) });
  }
} finally {
  disposeHome(home);
  fake.close();
}

const at = (c) => rows.find((r) => r.clients === c);
const goals = {
  ratio_at_32: { value: at(32).ratio, goal: `>= ${GOAL_RATIO_32}`, met: at(32).ratio >= GOAL_RATIO_32 },
  added_p50_ms_at_1: { value: at(1).added_p50_ms, goal: `< ${GOAL_ADDED_P50_MS}`, met: at(1).added_p50_ms < GOAL_ADDED_P50_MS },
};
console.log(`\n== ${NAME}: POST /api/agents/NAME/chat through the daemon (wrk) vs the bare openai SDK, same zero-latency fake ==`);
console.log(machineLine(machine));
console.log(
  table(
    ['clients', 'daemon req/s', 'daemon p50', 'daemon p99', 'errors', 'SDK req/s', 'SDK p50', 'SDK p99', 'ratio', 'added p50 ms', 'GET req/s', 'GET p50'],
    rows.map((r) => [
      String(r.clients),
      r.daemon.per_sec,
      r.daemon.p50_ms,
      r.daemon.p99_ms,
      String(r.daemon.errors),
      r.sdk.per_sec,
      r.sdk.p50_ms,
      r.sdk.p99_ms,
      r.ratio,
      r.added_p50_ms,
      r.http_only.per_sec,
      r.http_only.p50_ms,
    ]),
  ),
);
console.log(
  `goals: ratio at 32 clients ${goals.ratio_at_32.value} (${goals.ratio_at_32.goal}: ${goals.ratio_at_32.met ? 'met' : 'not met'}); added p50 at 1 client ${goals.added_p50_ms_at_1.value} ms (${goals.added_p50_ms_at_1.goal}: ${goals.added_p50_ms_at_1.met ? 'met' : 'not met'})`,
);
const file = writeResult(NAME, {
  benchmark: NAME,
  description:
    'non-streaming POST /api/agents/NAME/chat through the daemon (wrk, API key) vs closed-loop bare openai SDK calls, both against the same zero-latency fake; http_only: a keyed GET /api/agents/NAME (the HTTP layer without a run); latency in ms',
  machine,
  config: { secs: SECS, concurrency: CONCURRENCY },
  rows,
  goals,
});
console.log(`wrote ${file}`);
