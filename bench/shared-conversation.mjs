#!/usr/bin/env node
/**
 * Benchmark: the overhead of a shared conversation (STORY-032) per message, against a plain chat turn.
 * One daemon (`server start --port 0`) whose `openai` provider is the zero-latency fake Chat
 * Completions server of lib/common.mjs; one user with an API key and two user agents (`pinger`,
 * `ponger`). Timed per message over HTTP, rotating the order every round:
 *
 *   chat        POST /api/agents/pinger/chat {message, conversation_id}: a plain turn;
 *   shared      POST /api/conversations/ID/messages {text, to: "pinger"}: one participant answers
 *               (the transcript read, the agent's view built, a stateless run, the authored messages appended);
 *   broadcast   the same with `to: "all"` over two participants, divided by two: per answer (information).
 *
 * Each arm continues its own conversation and starts a new one every BENCH_SHARED_TURNS messages, so
 * history lengths stay alike. Overhead = median(shared) - median(chat).
 * Target (reported, not enforced): overhead < 2 ms per message (seed).
 * Env: BENCH_SHARED_SAMPLES (300), BENCH_SHARED_WARMUP (30), BENCH_SHARED_TURNS (10).
 */
import {
  disposeHome,
  envInt,
  installCleanupHooks,
  machineFacts,
  machineLine,
  requireBuild,
  round2,
  sampleRotating,
  startDaemonAgainst,
  startFakeChatServer,
  summarize,
  table,
  tempHome,
  userWithPinger,
  verdict,
  writeResult,
} from './lib/common.mjs';

const NAME = 'shared-conversation';
const SAMPLES = envInt('BENCH_SHARED_SAMPLES', 300);
const WARMUP = envInt('BENCH_SHARED_WARMUP', 30);
const TURNS = envInt('BENCH_SHARED_TURNS', 10);
const TARGET_SEED_MS = 2;

requireBuild();
installCleanupHooks();
const machine = machineFacts();
// Set before `init`, so the home's models use the `openai` provider that points at the fake.
process.env.OPENAI_API_KEY = 'bench-key';
const fake = await startFakeChatServer();
const home = tempHome('shc');
let stats;
try {
  const url = startDaemonAgainst(home, `http://127.0.0.1:${fake.address().port}/v1`);
  const headers = await userWithPinger(home, url, 'bench@example.com');
  const post = async (path, body) => {
    const res = await fetch(`${url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`POST ${path}: HTTP ${res.status} ${await res.text()}`);
    return res.json();
  };
  await post('/api/agents', { name: 'ponger', model: 'fast', system_prompt: 'Reply pong too.' });

  /** A message sender that continues one conversation for TURNS messages, then starts another (untimed). */
  const rolling = (fresh, send) => {
    let id;
    let n = 0;
    return async () => {
      if (n++ % TURNS === 0) id = await fresh();
      await send(id);
    };
  };
  const sharedConv = async () => (await post('/api/conversations', { participants: ['pinger', 'ponger'] })).id;
  // A plain chat continues the conversation its first turn created; a new one every TURNS messages.
  let chatId;
  let chatN = 0;
  const paths = {
    chat: async () => {
      const fresh = chatN++ % TURNS === 0;
      chatId = (await post('/api/agents/pinger/chat', { message: 'ping', ...(fresh ? {} : { conversation_id: chatId }) })).conversation_id;
    },
    shared: rolling(sharedConv, (id) => post(`/api/conversations/${id}/messages`, { text: 'ping', to: 'pinger' })),
    broadcast: rolling(sharedConv, (id) => post(`/api/conversations/${id}/messages`, { text: 'ping', to: 'all' })),
  };
  process.stderr.write(`${NAME}: ${WARMUP} warmup + ${SAMPLES} rounds against ${url}\n`);
  const samples = await sampleRotating(paths, WARMUP, SAMPLES);
  samples.broadcast = samples.broadcast.map((ms) => ms / 2);
  stats = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summarize(v)]));
} finally {
  disposeHome(home);
  fake.close();
}

const overhead = round2(stats.shared.median - stats.chat.median);
const perAnswer = round2(stats.broadcast.median - stats.chat.median);
const labels = { chat: 'plain chat turn', shared: 'shared, one participant', broadcast: 'shared, to all (per answer, info)' };
console.log(`\n== ${NAME}: shared conversation message vs plain chat turn (zero-latency fake) ==`);
console.log(machineLine(machine));
console.log(
  table(
    ['arm', 'n', 'min ms', 'median ms', 'p90 ms', 'mean ms'],
    Object.entries(stats).map(([k, s]) => [labels[k], String(SAMPLES), s.min, s.median, s.p90, s.mean]),
  ),
);
console.log('');
console.log(
  table(
    ['target', 'measured', 'goal', 'PASS/FAIL'],
    [
      ['overhead per message (shared - chat)', `${overhead} ms`, `< ${TARGET_SEED_MS} ms (seed)`, verdict(overhead, TARGET_SEED_MS)],
      ['overhead per answer of a broadcast (info)', `${perAnswer} ms`, '-', '-'],
    ],
  ),
);
writeResult(NAME, {
  machine,
  samples: SAMPLES,
  warmup: WARMUP,
  turns: TURNS,
  stats,
  overhead_ms: overhead,
  per_answer_overhead_ms: perAnswer,
  target_seed_ms: TARGET_SEED_MS,
});
