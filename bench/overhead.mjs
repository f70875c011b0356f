#!/usr/bin/env node
/**
 * Benchmark: per-message overhead of the agent runtime (SPEC §7). A zero-latency fake OpenAI server
 * runs in a child process (its own core) and answers every `POST /v1/chat/completions` with the same
 * pre-built SSE stream (role chunk, three text chunks, finish, usage, [DONE]). Against it, in this
 * process, over keep-alive HTTP:
 *
 *   bare     the official `openai` SDK: `chat.completions.create({stream: true})`, drain the stream;
 *   runtime  `createRuntime(...).run()` from dist/: new conversation row, prompt, the openai provider
 *            (same SDK), events, and the step commit (messages + execution row) in SQLite (WAL file
 *            in a temp dir), drained to the `done` event.
 *
 * (1) Latency: BENCH_OVERHEAD_SAMPLES sequential messages per arm, interleaved in blocks of 50 so
 *     load changes hit all alike; median per-message ms of each and the ratio runtime/bare. An
 *     information arm runs the runtime over a store that writes nothing, splitting the overhead
 *     into runtime logic and the durable SQLite step commit.
 * (2) Throughput: BENCH_OVERHEAD_CONCURRENCY runs in flight for BENCH_OVERHEAD_SECONDS seconds per
 *     arm, in four alternating slices; completed messages per second.
 *
 * Targets (reported, not enforced): ratio <= 1.2x with durable step commits; runtime throughput > 1,000 messages/s.
 * Env: BENCH_OVERHEAD_SAMPLES (2000), BENCH_OVERHEAD_WARMUP (300), BENCH_OVERHEAD_SECONDS (5),
 * BENCH_OVERHEAD_CONCURRENCY (32).
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { envInt, machineFacts, machineLine, REPO, requireBuild, round2, summarize, table, writeResult } from './lib/common.mjs';

const NAME = 'overhead';
const SAMPLES = envInt('BENCH_OVERHEAD_SAMPLES', 2000);
const WARMUP = envInt('BENCH_OVERHEAD_WARMUP', 300);
const SECONDS = envInt('BENCH_OVERHEAD_SECONDS', 5);
const CONCURRENCY = envInt('BENCH_OVERHEAD_CONCURRENCY', 32);
const TARGET_RATIO = 1.2;
const TARGET_RATE = 1000;

// ---- the fake server (child process) ---------------------------------------------------------
if (process.argv[2] === '--serve') {
  const frame = (delta, finish, usage) =>
    `data: ${JSON.stringify({ id: 'chatcmpl-b', object: 'chat.completion.chunk', created: 0, model: 'fake-model', choices: usage ? [] : [{ index: 0, delta, logprobs: null, finish_reason: finish }], usage: usage ?? null })}\n\n`;
  const body = Buffer.from(
    [
      frame({ role: 'assistant', content: '' }, null),
      frame({ content: 'Hello' }, null),
      frame({ content: ' from the' }, null),
      frame({ content: ' fake.' }, null),
      frame({}, 'stop'),
      frame(null, null, { prompt_tokens: 12, completion_tokens: 4, total_tokens: 16 }),
      'data: [DONE]\n\n',
    ].join(''),
  );
  const headers = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'content-length': body.length };
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, headers);
      res.end(body);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.send?.({ port: server.address().port }));
  process.on('disconnect', () => process.exit(0));
} else {
  await main();
}

async function main() {
  requireBuild();
  const child = fork(fileURLToPath(import.meta.url), ['--serve'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m.port));
    child.once('exit', (code) => reject(new Error(`fake server exited (${code})`)));
  });
  const baseURL = `http://127.0.0.1:${port}/v1`;
  const dir = mkdtempSync(join(tmpdir(), 'cxb-ovh-'));
  try {
    await measure(baseURL, dir);
  } finally {
    child.disconnect();
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measure(baseURL, dir) {
  const dist = (p) => join(REPO, 'dist', p);
  const { default: OpenAI } = await import('openai');
  const { createRuntime } = await import(dist('runtime/run.js'));
  const { openSqliteStore } = await import(dist('store/sqlite/database.js'));
  const { createOpenAIProvider } = await import(dist('llm/openai.js'));
  const { AgentSchema, ModelSchema } = await import(dist('domain/entities.js'));

  const machine = machineFacts();
  const client = new OpenAI({ apiKey: 'bench', baseURL, maxRetries: 0, timeout: 30_000, logLevel: 'off' }); // as the provider's client
  const store = openSqliteStore(join(dir, 'ares.db'));
  const provider = createOpenAIProvider({ name: 'openai', type: 'openai', baseURL, apiKey: 'bench', timeoutMs: 30_000, maxRetries: 0 });
  const runtime = createRuntime({
    store,
    providers: { get: async () => provider },
    limits: { maxConcurrentPerAgent: 10_000, maxQueuedPerAgent: 10_000 },
  });
  // Information row: the same runtime over a store that writes nothing, to split the overhead into
  // runtime logic and the durable SQLite step commit.
  const nullStore = {
    conversations: store.conversations,
    executions: { record: async () => {}, commitStep: async () => {}, commitStepBatched: async () => {}, get: () => undefined },
  };
  const runtimeNoDb = createRuntime({
    store: nullStore,
    providers: { get: async () => provider },
    limits: { maxConcurrentPerAgent: 10_000, maxQueuedPerAgent: 10_000 },
  });
  const agent = AgentSchema.parse({ name: 'bench', system_prompt: 'You are a benchmark.' });
  const model = ModelSchema.parse({ name: 'balanced', provider: 'openai', model: 'fake-model', input_cost_per_mtok: 0.15, output_cost_per_mtok: 0.6 });

  const bare = async (i) => {
    const stream = await client.chat.completions.create({
      model: 'fake-model',
      messages: [
        { role: 'system', content: 'You are a benchmark.' },
        { role: 'user', content: `message ${i}` },
      ],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    if (text !== 'Hello from the fake.') throw new Error(`bare: unexpected reply ${JSON.stringify(text)}`);
  };
  const viaRuntime = async (i) => {
    let done;
    for await (const ev of runtime.run({ agent, source: 'system', model, message: `message ${i}`, userId: 'local' })) {
      if (ev.type === 'done') done = ev;
      else if (ev.type === 'error') throw new Error(`runtime: ${ev.code} ${ev.message}`);
    }
    if (done?.reply !== 'Hello from the fake.') throw new Error(`runtime: unexpected reply ${JSON.stringify(done?.reply)}`);
  };
  const viaRuntimeNoDb = async (i) => {
    for await (const ev of runtimeNoDb.run({ agent, source: 'system', model, message: `message ${i}`, userId: 'local' })) {
      if (ev.type === 'error') throw new Error(`runtime (no db): ${ev.code} ${ev.message}`);
    }
  };
  const arms = { bare, runtime: viaRuntime, nodb: viaRuntimeNoDb };

  // (1) sequential latency, interleaved blocks
  process.stderr.write(`overhead: warmup ${WARMUP}, ${SAMPLES} sequential messages per arm\n`);
  for (let i = 0; i < WARMUP; i++) {
    await bare(i);
    await viaRuntime(i);
    await viaRuntimeNoDb(i);
  }
  const samples = { bare: [], runtime: [], nodb: [] };
  const BLOCK = 50;
  for (let done = 0, round = 0; done < SAMPLES; done += BLOCK, round++) {
    const order = [
      ['bare', 'runtime', 'nodb'],
      ['runtime', 'nodb', 'bare'],
      ['nodb', 'bare', 'runtime'],
    ][round % 3];
    for (const arm of order) {
      for (let i = 0; i < Math.min(BLOCK, SAMPLES - done); i++) {
        const t0 = performance.now();
        await arms[arm](i);
        samples[arm].push(performance.now() - t0);
      }
    }
  }
  const sBare = summarize(samples.bare);
  const sRt = summarize(samples.runtime);
  const sNoDb = summarize(samples.nodb);
  const ratio = round2(sRt.median / sBare.median);

  // (2) sustained throughput with CONCURRENCY in flight: four alternating slices per arm (bare,
  // runtime, bare, runtime, ...) so drifts in machine load hit both alike.
  const totals = { bare: { count: 0, ms: 0 }, runtime: { count: 0, ms: 0 } };
  const SLICES = 4;
  for (let slice = 0; slice < SLICES * 2; slice++) {
    const arm = slice % 2 === 0 ? 'bare' : 'runtime';
    if (slice < 2) process.stderr.write(`overhead: ${arm} throughput, ${CONCURRENCY} in flight, ${SLICES} slices of ${SECONDS / SLICES} s\n`);
    let count = 0;
    const t0 = performance.now();
    const deadline = t0 + (SECONDS * 1000) / SLICES;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, w) => {
        while (performance.now() < deadline) {
          await arms[arm](w);
          count++;
        }
      }),
    );
    totals[arm].count += count;
    totals[arm].ms += performance.now() - t0;
  }
  const rate = { bare: Math.round(totals.bare.count / (totals.bare.ms / 1000)), runtime: Math.round(totals.runtime.count / (totals.runtime.ms / 1000)) };
  await store.close();

  const rows = [
    ['bare openai SDK', sBare.min, sBare.median, sBare.p90, sBare.mean, sBare.max, 1, rate.bare],
    ['runtime.run (SQLite, provider)', sRt.min, sRt.median, sRt.p90, sRt.mean, sRt.max, ratio, rate.runtime],
    ['(info) runtime.run, no store writes', sNoDb.min, sNoDb.median, sNoDb.p90, sNoDb.mean, sNoDb.max, round2(sNoDb.median / sBare.median), ''],
  ];
  const targets = [
    ['runtime/bare median ratio', ratio, `<= ${TARGET_RATIO}x`, ratio <= TARGET_RATIO ? 'PASS' : 'FAIL'],
    ['runtime messages/s', rate.runtime, `> ${TARGET_RATE}/s`, rate.runtime > TARGET_RATE ? 'PASS' : 'FAIL'],
  ];
  console.log(`\n== ${NAME}: per-message overhead of the runtime vs a bare SDK call (zero-latency fake server) ==`);
  console.log(machineLine(machine));
  console.log(table(['arm', 'min ms', 'median', 'p90', 'mean', 'max', 'x bare', `msg/s @${CONCURRENCY}`], rows));
  console.log('');
  console.log(table(['target', 'measured', 'goal', 'result'], targets));
  const file = writeResult(NAME, {
    machine,
    config: { samples: SAMPLES, warmup: WARMUP, seconds: SECONDS, concurrency: CONCURRENCY, block: BLOCK },
    latency: {
      bare: { summary: sBare, samples: samples.bare.map(round2) },
      runtime: { summary: sRt, samples: samples.runtime.map(round2) },
      runtime_no_store_writes: { summary: sNoDb, samples: samples.nodb.map(round2) },
    },
    overhead_ms: {
      total: round2(sRt.median - sBare.median),
      runtime_logic: round2(sNoDb.median - sBare.median),
      store_commit: round2(sRt.median - sNoDb.median),
    },
    ratio,
    throughput_per_s: rate,
    targets: targets.map(([target, measured, goal, result]) => ({ target, measured, goal, result })),
  });
  console.log(`\nresults: ${file}`);
}
