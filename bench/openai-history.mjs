#!/usr/bin/env node
/**
 * Benchmark: what a conversation's history costs on the OpenAI-compatible endpoint. OpenAI clients
 * send the whole conversation on every call; the daemon turns the earlier messages into the run's
 * history (validate, convert, trim to the context window) and stores no conversation for them. One
 * daemon (`server start --port 0`) whose `openai` provider points at a minimal fake Chat Completions
 * server started here; closed-loop, one client, the official `openai` SDK for every row, rows
 * interleaved round-robin after 30 warmup rounds:
 *
 *   - bare SDK -> fake, the same 42 messages the agent's model receives (the floor);
 *   - SDK -> daemon /v1, 1 message;
 *   - SDK -> daemon /v1, 40 earlier turns + the new message (JSON, then streaming).
 *
 * Target (reported, not enforced): the 40-turn history adds < 2 ms (p50) over a 1-message call.
 * Env: BENCH_HISTORY_REQUESTS (300 per row), BENCH_HISTORY_TURNS (40).
 */
import { performance } from 'node:perf_hooks';
import OpenAI from 'openai';
import {
  cli,
  disposeHome,
  startDaemonAgainst,
  startFakeChatServer,
  envInt,
  installCleanupHooks,
  machineFacts,
  machineLine,
  percentile,
  requireBuild,
  round2,
  summarize,
  table,
  tempHome,
  verdict,
  writeResult,
} from './lib/common.mjs';

const NAME = 'openai-history';
const REQUESTS = envInt('BENCH_HISTORY_REQUESTS', 300);
const TURNS = envInt('BENCH_HISTORY_TURNS', 40);
const TARGET_EXTRA_MS = 2;

requireBuild();
installCleanupHooks();

/** `turns` earlier messages alternating user/assistant (~200 characters each), then the new user message. */
function conversation(turns) {
  const text = (i) => `turn ${i}: ${'the quick brown fox jumps over the lazy dog '.repeat(4)}`;
  const messages = Array.from({ length: turns }, (_, i) => ({ role: i % 2 === 0 ? 'user' : 'assistant', content: text(i) }));
  return [...messages, { role: 'user', content: 'and now?' }];
}

const machine = machineFacts();
const fake = await startFakeChatServer();
const fakeUrl = `http://127.0.0.1:${fake.address().port}/v1`;
const home = tempHome('hist');
const rows = [];
try {
  const url = startDaemonAgainst(home, fakeUrl);
  const key = cli(home, ['--json', 'key', 'create', '--name', 'bench']);
  if (key.status !== 0) throw new Error(`key create failed: ${key.stderr}`);

  const daemon = new OpenAI({ apiKey: JSON.parse(key.stdout).key, baseURL: `${url}/v1`, maxRetries: 0 });
  const bare = new OpenAI({ apiKey: 'bench-key', baseURL: fakeUrl, maxRetries: 0 });
  const long = conversation(TURNS);
  const system = { role: 'system', content: 'You read one user request and name the specialist.' };
  const drain = async (stream) => {
    for await (const _ of stream) {
      /* consume */
    }
  };
  const ways = [
    ['bare SDK -> fake', `${TURNS + 2}`, () => bare.chat.completions.create({ model: 'fake', messages: [system, ...long] })],
    ['SDK -> daemon /v1', '1', () => daemon.chat.completions.create({ model: 'router', messages: [{ role: 'user', content: 'and now?' }] })],
    ['SDK -> daemon /v1', `${TURNS + 1}`, () => daemon.chat.completions.create({ model: 'router', messages: long })],
    ['SDK -> daemon /v1 stream', `${TURNS + 1}`, () => daemon.chat.completions.create({ model: 'router', messages: long, stream: true }).then(drain)],
  ];
  process.stderr.write(`${NAME}: ${REQUESTS} requests per row against ${url}\n`);
  // Rows interleaved round-robin (rotating which goes first), so load changes hit every row alike.
  const lat = ways.map(() => []);
  for (let round = 0; round < REQUESTS + 30; round++) {
    for (let k = 0; k < ways.length; k++) {
      const i = (round + k) % ways.length;
      const t0 = performance.now();
      await ways[i][2]();
      if (round >= 30) lat[i].push(performance.now() - t0); // 30 warmup rounds
    }
  }
  ways.forEach(([way, messages], i) => {
    const s = summarize(lat[i]);
    rows.push({
      way,
      messages,
      n: s.n,
      p50_ms: s.median,
      p90_ms: s.p90,
      p99_ms: round2(
        percentile(
          [...lat[i]].sort((a, b) => a - b),
          99,
        ),
      ),
    });
  });
} finally {
  disposeHome(home);
  fake.close();
}

const p50 = (i) => rows[i].p50_ms;
const extra = round2(p50(2) - p50(1));
const targets = [
  { metric: `${TURNS}-turn history over 1 message (p50)`, measured: extra, target: `< ${TARGET_EXTRA_MS} ms`, result: verdict(extra, TARGET_EXTRA_MS) },
];

console.log(`\n== ${NAME}: /v1/chat/completions with the client's history, one client, closed loop ==`);
console.log(machineLine(machine));
console.log('');
console.log(
  table(
    ['path', 'messages', 'n', 'p50 ms', 'p90 ms', 'p99 ms'],
    rows.map((r) => [r.way, r.messages, String(r.n), r.p50_ms, r.p90_ms, r.p99_ms]),
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
  description: 'latency of /v1/chat/completions (official SDK) with 1 message vs a long client-held history, and of the bare SDK to the same fake',
  machine,
  config: { requests: REQUESTS, turns: TURNS },
  rows,
  targets,
});
console.log(`results: ${out}`);
