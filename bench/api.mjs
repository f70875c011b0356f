#!/usr/bin/env node
/**
 * Benchmark: the multi-tenant HTTP API (SPEC §6; STORY-008 "API responses under 50ms for simple
 * operations"). One daemon (`server start --port 0`) whose `openai` provider points at a minimal
 * fake Chat Completions server started here, then:
 *   (a) management operations under 32 concurrent clients, each with its own API key user:
 *       list, get, get ?format=toon, create, update, export, delete of user agents — p50/p99 per op;
 *   (b) chat throughput: non-streaming POST /api/agents/NAME/chat versus a bare `openai` SDK call
 *       to the same fake server (requests/s and latency, at 1 and 8 concurrent clients).
 * The load generator shares the machine's cores with the daemon, so figures are conservative.
 *
 * Targets (reported, not enforced): management p99 < 5 ms (ours) and < 50 ms (seed).
 * Env: BENCH_API_CLIENTS (32), BENCH_API_ROUNDS (20 per client), BENCH_API_CHATS (300).
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
  requireBuild,
  round2,
  summarize,
  table,
  tempHome,
  verdict,
  writeResult,
  percentile,
} from './lib/common.mjs';

const NAME = 'api';
const CLIENTS = envInt('BENCH_API_CLIENTS', 32);
const ROUNDS = envInt('BENCH_API_ROUNDS', 20);
const CHATS = envInt('BENCH_API_CHATS', 300);
const TARGET_OURS_MS = 5;
const TARGET_SEED_MS = 50;

requireBuild();
installCleanupHooks();

async function timed(fn) {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

async function expectOk(res, what) {
  const text = await res.text();
  if (!res.ok) throw new Error(`${what}: HTTP ${res.status} ${text.slice(0, 200)}`);
  return text;
}

const machine = machineFacts();
const fake = await startFakeChatServer();
const fakeUrl = `http://127.0.0.1:${fake.address().port}/v1`;
const home = tempHome('api');
const mgmt = {};
const chat = [];
try {
  const url = startDaemonAgainst(home, fakeUrl);

  // One user + API key per client, created by the admin over the control socket.
  const keys = [];
  for (let i = 0; i < CLIENTS; i++) {
    const r = cli(home, ['--json', 'user', 'create', `bench${i}@example.com`, '--key']);
    if (r.status !== 0) throw new Error(`user create failed: ${r.stderr}`);
    keys.push(JSON.parse(r.stdout).api_key.key);
  }
  process.stderr.write(`${NAME}: ${CLIENTS} clients x ${ROUNDS} rounds of management ops against ${url}\n`);

  const ops = ['list', 'get', 'get_toon', 'create', 'update', 'export', 'delete'];
  const agentBody = (name, prompt) => JSON.stringify({ name, model: 'fast', system_prompt: prompt, tools: ['calculator'] });
  /** Run `clients` closed-loop clients for ROUNDS rounds (+2 warmup); latencies per op in ms. */
  const runMgmt = async (clients, tag) => {
    const lat = Object.fromEntries(ops.map((op) => [op, []]));
    const client = async (i) => {
      const auth = { authorization: `Bearer ${keys[i]}` };
      const json = { ...auth, 'content-type': 'application/json' };
      for (let round = 0; round < ROUNDS + 2; round++) {
        const name = `agent-${tag}-${i}-${round}`;
        const sample = {};
        sample.create = await timed(async () =>
          expectOk(await fetch(`${url}/api/agents`, { method: 'POST', headers: json, body: agentBody(name, 'v1') }), 'create'),
        );
        sample.list = await timed(async () => expectOk(await fetch(`${url}/api/agents`, { headers: auth }), 'list'));
        sample.get = await timed(async () => expectOk(await fetch(`${url}/api/agents/${name}`, { headers: auth }), 'get'));
        sample.get_toon = await timed(async () => expectOk(await fetch(`${url}/api/agents/${name}?format=toon`, { headers: auth }), 'get toon'));
        sample.update = await timed(async () =>
          expectOk(await fetch(`${url}/api/agents/${name}`, { method: 'PUT', headers: json, body: agentBody(name, 'v2') }), 'update'),
        );
        sample.export = await timed(async () => expectOk(await fetch(`${url}/api/agents/${name}/export`, { headers: auth }), 'export'));
        sample.delete = await timed(async () => expectOk(await fetch(`${url}/api/agents/${name}`, { method: 'DELETE', headers: auth }), 'delete'));
        if (round >= 2) for (const op of ops) lat[op].push(sample[op]); // 2 warmup rounds per client
      }
    };
    const t0 = performance.now();
    await Promise.all(Array.from({ length: clients }, (_, i) => client(i)));
    const secs = (performance.now() - t0) / 1000;
    return { clients, lat, ops_per_sec: round2((clients * (ROUNDS + 2) * ops.length) / secs) };
  };
  mgmt.single = await runMgmt(1, 'one');
  mgmt.concurrent = await runMgmt(CLIENTS, 'many');

  // Chat: our API (HTTP -> runtime -> SDK -> fake) vs the bare SDK to the same fake.
  const auth = { authorization: `Bearer ${keys[0]}`, 'content-type': 'application/json' };
  await expectOk(await fetch(`${url}/api/agents`, { method: 'POST', headers: auth, body: agentBody('pinger', 'Reply pong.') }), 'create pinger');
  const sdk = new OpenAI({ apiKey: 'bench-key', baseURL: fakeUrl, maxRetries: 0 });
  const ways = {
    'HTTP API /chat': () =>
      fetch(`${url}/api/agents/pinger/chat`, { method: 'POST', headers: auth, body: JSON.stringify({ message: 'ping' }) }).then((r) => expectOk(r, 'chat')),
    'bare openai SDK': () =>
      sdk.chat.completions.create({
        model: 'fake',
        messages: [
          { role: 'system', content: 'Reply pong.' },
          { role: 'user', content: 'ping' },
        ],
      }),
  };
  for (const concurrency of [1, 8]) {
    for (const [way, fn] of Object.entries(ways)) {
      for (let i = 0; i < 20; i++) await fn(); // warmup
      const lat = [];
      let next = 0;
      const t1 = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next++ < CHATS) lat.push(await timed(fn));
        }),
      );
      const secs = (performance.now() - t1) / 1000;
      const s = summarize(lat);
      chat.push({
        way,
        concurrency,
        requests: CHATS,
        per_sec: round2(CHATS / secs),
        p50_ms: s.median,
        p99_ms: round2(
          percentile(
            [...lat].sort((a, b) => a - b),
            99,
          ),
        ),
      });
    }
  }
} finally {
  disposeHome(home);
  fake.close();
}

const OPS = ['list', 'get', 'get_toon', 'create', 'update', 'export', 'delete'];
const rowsOf = (run) =>
  [...OPS, 'all'].map((op) => {
    const s = (op === 'all' ? OPS.flatMap((o) => run.lat[o]) : run.lat[op]).sort((a, b) => a - b);
    return { op, clients: run.clients, n: s.length, p50: round2(percentile(s, 50)), p99: round2(percentile(s, 99)), max: round2(s.at(-1)) };
  });
const rows = [...rowsOf(mgmt.single), ...rowsOf(mgmt.concurrent)];
const p99Of = (clients) => rows.find((r) => r.op === 'all' && r.clients === clients).p99;
const targets = [
  {
    metric: `management p99, ${CLIENTS} clients`,
    measured: p99Of(CLIENTS),
    target: `< ${TARGET_OURS_MS} ms (ours)`,
    result: verdict(p99Of(CLIENTS), TARGET_OURS_MS),
  },
  {
    metric: `management p99, ${CLIENTS} clients`,
    measured: p99Of(CLIENTS),
    target: `< ${TARGET_SEED_MS} ms (seed)`,
    result: verdict(p99Of(CLIENTS), TARGET_SEED_MS),
  },
  { metric: 'management p99, 1 client', measured: p99Of(1), target: `< ${TARGET_OURS_MS} ms (ours)`, result: verdict(p99Of(1), TARGET_OURS_MS) },
];

console.log(`\n== ${NAME}: management operations over HTTP with API keys, 1 and ${CLIENTS} concurrent clients ==`);
console.log(machineLine(machine));
console.log(
  `${ROUNDS} rounds per client after 2 warmup rounds; ${mgmt.single.ops_per_sec} ops/s with 1 client, ${mgmt.concurrent.ops_per_sec} ops/s with ${CLIENTS}\n`,
);
console.log(
  table(
    ['operation', 'clients', 'n', 'p50 ms', 'p99 ms', 'max ms'],
    rows.map((r) => [r.op, String(r.clients), String(r.n), r.p50, r.p99, r.max]),
  ),
);
console.log('');
console.log(
  table(
    ['target', 'measured', 'goal', 'PASS/FAIL'],
    targets.map((t) => [t.metric, `${t.measured} ms`, t.target, t.result]),
  ),
);
console.log(`\n== ${NAME}: chat throughput, HTTP API vs bare SDK to the same fake server ==`);
console.log(
  table(
    ['path', 'clients', 'requests', 'req/s', 'p50 ms', 'p99 ms'],
    chat.map((c) => [c.way, String(c.concurrency), String(c.requests), c.per_sec, c.p50_ms, c.p99_ms]),
  ),
);

const out = writeResult(NAME, {
  benchmark: NAME,
  description: 'management ops p50/p99 under concurrent API-key clients; non-streaming chat via the HTTP API vs a bare openai SDK call to the same fake server',
  machine,
  config: { clients: CLIENTS, rounds: ROUNDS, chats: CHATS },
  management: rows,
  management_ops_per_sec: { single: mgmt.single.ops_per_sec, concurrent: mgmt.concurrent.ops_per_sec },
  chat,
  targets,
});
console.log(`results: ${out}`);
