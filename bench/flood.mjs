#!/usr/bin/env node
/**
 * Benchmark: load shedding. One agent is flooded with BENCH_FLOOD_REQUESTS concurrent chats while
 * another agent is asked one message at a time; how long the other agent's runs take, and how the
 * flood is answered. Real daemon (`server start`), real HTTP; the model is a fake OpenAI server in a
 * child process that answers every chat after BENCH_FLOOD_MODEL_MS (a model's latency); the flood is
 * sent from another child process, so its client work does not delay the probes.
 *
 *   baseline  the other agent alone: BENCH_FLOOD_PROBES sequential chats;
 *   flood     the same probes, started once the flood is sent, while it lasts.
 *
 * Printed and saved (bench/results/flood.json): the other agent's p50/p99/max latency (ms) in both
 * phases, and the flood's answers: how many got 200 and 503, the p50/p99 time (ms) to a 503 (refused
 * early means small), and how long the whole flood took.
 * Target (reported, not enforced): the other agent's p99 under the flood < 2 x its baseline p99 +
 * the model's latency.
 * Env: BENCH_FLOOD_REQUESTS (1000), BENCH_FLOOD_PROBES (20), BENCH_FLOOD_MODEL_MS (200).
 */
import { fork } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import {
  cleanupAll,
  envInt,
  installCleanupHooks,
  machineFacts,
  machineLine,
  percentile,
  requireBuild,
  round2,
  startDaemonAgainst,
  table,
  tempHome,
  verdict,
  writeResult,
} from './lib/common.mjs';

const NAME = 'flood';
const REQUESTS = envInt('BENCH_FLOOD_REQUESTS', 1000);
const PROBES = envInt('BENCH_FLOOD_PROBES', 20);
const MODEL_MS = envInt('BENCH_FLOOD_MODEL_MS', 200);
const FLOODED = 'router';
const OTHER = 'customer-support';

// ---- the fake model (child process): every chat answered `pong` after MODEL_MS -------------------
if (process.argv[2] === '--serve') {
  const usage = { prompt_tokens: 12, completion_tokens: 1, total_tokens: 13 };
  const body = JSON.stringify({
    id: 'chatcmpl-f',
    object: 'chat.completion',
    created: 0,
    model: 'fake',
    choices: [{ index: 0, message: { role: 'assistant', content: 'pong' }, finish_reason: 'stop' }],
    usage,
  });
  const frames = [
    `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model: 'fake', choices: [{ index: 0, delta: { role: 'assistant', content: 'pong' }, finish_reason: null }] })}\n\n`,
    `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model: 'fake', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage })}\n\n`,
    'data: [DONE]\n\n',
  ].join('');
  const server = http.createServer((req, res) => {
    let data = '';
    req.on('data', (d) => (data += d));
    req.on('end', () =>
      setTimeout(() => {
        const stream = data.includes('"stream":true');
        res.writeHead(200, { 'content-type': stream ? 'text/event-stream' : 'application/json' });
        res.end(stream ? frames : body);
      }, MODEL_MS),
    );
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.send?.({ port: server.address().port }));
  process.on('disconnect', () => process.exit(0));
} else if (process.argv[2] === '--flood') {
  // The flood (child process, so its client work does not delay the probes): REQUESTS chats at once.
  process.once('message', async ({ url }) => {
    const answers = await Promise.all(Array.from({ length: REQUESTS }, (_, i) => chat(url, FLOODED, i)));
    process.send?.({ answers });
  });
  process.send?.({ ready: true });
} else {
  installCleanupHooks();
  await main();
}

/** One chat with `agent`: its status and duration (ms); status 0 when the connection failed. */
async function chat(url, agent, i) {
  const t0 = performance.now();
  try {
    const res = await fetch(`${url}/api/agents/${agent}/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: `message ${i}` }),
    });
    await res.arrayBuffer();
    return { status: res.status, ms: performance.now() - t0 };
  } catch {
    return { status: 0, ms: performance.now() - t0 };
  }
}

/** `PROBES` sequential chats with the other agent: their durations (ms), failures thrown. */
async function probe(url) {
  const out = [];
  for (let i = 0; i < PROBES; i++) {
    const r = await chat(url, OTHER, i);
    if (r.status !== 200) throw new Error(`the other agent answered ${r.status}`);
    out.push(r.ms);
  }
  return out;
}

/** Count, p50, p99 and max (ms) of `ms`. */
function stats(ms) {
  const s = [...ms].sort((a, b) => a - b);
  return { n: s.length, p50: round2(percentile(s, 50)), p99: round2(percentile(s, 99)), max: round2(s.at(-1) ?? NaN) };
}

async function main() {
  requireBuild();
  const child = fork(fileURLToPath(import.meta.url), ['--serve'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m.port));
    child.once('exit', (code) => reject(new Error(`fake model exited (${code})`)));
  });
  try {
    const machine = machineFacts();
    const url = startDaemonAgainst(tempHome('flood'), `http://127.0.0.1:${port}/v1`);
    await probe(url); // warm-up
    const baseline = stats(await probe(url));

    const flooder = fork(fileURLToPath(import.meta.url), ['--flood'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    await new Promise((resolve) => flooder.once('message', resolve));
    const t0 = performance.now();
    const flood = new Promise((resolve) => flooder.once('message', (m) => resolve(m.answers)));
    flooder.send({ url });
    const under = stats(await probe(url));
    const answers = await flood;
    const floodMs = performance.now() - t0;
    flooder.kill();
    const count = (s) => answers.filter((a) => a.status === s).length;
    const refused = stats(answers.filter((a) => a.status === 503).map((a) => a.ms));
    const result = {
      name: NAME,
      machine,
      params: { requests: REQUESTS, probes: PROBES, model_ms: MODEL_MS, flooded: FLOODED, other: OTHER },
      other_agent_ms: { baseline, under_flood: under },
      flood: { ok: count(200), unavailable: count(503), other: answers.length - count(200) - count(503), ms_to_503: refused, total_ms: round2(floodMs) },
    };
    const limit = 2 * baseline.p99 + MODEL_MS;
    console.log(`${NAME}: ${REQUESTS} concurrent chats to ${FLOODED}, ${PROBES} sequential chats to ${OTHER}; model latency ${MODEL_MS} ms`);
    console.log(machineLine(machine));
    console.log(
      table(
        ['other agent', 'n', 'p50 ms', 'p99 ms', 'max ms'],
        [
          ['alone', baseline.n, baseline.p50, baseline.p99, baseline.max],
          ['under the flood', under.n, under.p50, under.p99, under.max],
        ],
      ),
    );
    console.log(
      `flood: ${result.flood.ok} x 200, ${result.flood.unavailable} x 503 (p50 ${refused.p50} ms, p99 ${refused.p99} ms to the 503), ${result.flood.other} other; all answered in ${round2(floodMs)} ms`,
    );
    console.log(`target: other agent p99 under the flood < ${round2(limit)} ms (2 x alone p99 + model latency): ${verdict(under.p99, limit)}`);
    console.log(`saved ${writeResult(NAME, { ...result, target_ms: round2(limit), verdict: verdict(under.p99, limit) })}`);
  } finally {
    child.disconnect();
    child.kill();
    cleanupAll();
  }
}
