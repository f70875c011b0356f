#!/usr/bin/env node
/**
 * Benchmark: multi-agent overhead (sub-agents as tools and capability routing), in-process from dist/.
 *
 * (1) Routing: `CapabilityIndex.route()` (dist/catalog/capabilities.js) among BENCH_DELEGATION_AGENTS
 *     agents offering one capability, over a catalog stub that answers at once: the decision itself
 *     (candidate states, fewest in flight, round-robin) plus the cached map lookup. Target < 0.5 ms
 *     (seed STORY-006: < 10 ms).
 * (2) Delegation hop: `createRuntime().run()` over a SQLite file and a zero-latency in-process
 *     provider. `direct`: agent `helper` answers (one model step). `delegated`: agent `boss` calls
 *     `agent__helper`, then answers (its two model steps, its tool round, and helper's whole run as a
 *     child). `boss with a plain tool`: boss's same two steps with a tool round answered by a tool
 *     it does not have (so no child run). Hop cost = delegated - (plain tool + direct): what the
 *     delegation adds beyond the child's own run and the parent's extra step. Target < 1 ms.
 * Arms are interleaved in blocks of 50. Env: BENCH_DELEGATION_SAMPLES (1000), BENCH_DELEGATION_WARMUP
 * (200), BENCH_DELEGATION_AGENTS (8).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { envInt, importDist, machineFacts, machineLine, requireBuild, round2, summarize, table, verdict, writeResult } from './lib/common.mjs';

const SAMPLES = envInt('BENCH_DELEGATION_SAMPLES', 1000);
const WARMUP = envInt('BENCH_DELEGATION_WARMUP', 200);
const AGENTS = envInt('BENCH_DELEGATION_AGENTS', 8);
const ROUTE_TARGET_MS = 0.5;
const HOP_TARGET_MS = 1;

requireBuild();
const { createCapabilityIndex } = await importDist('catalog/capabilities.js');
const { createRuntime } = await importDist('runtime/run.js');
const { openStore } = await importDist('store/open.js');
const { AgentSchema } = await importDist('domain/entities.js');

const model = { name: 'fast', provider: 'zero', model: 'zero' };
const agent = (name, over = {}) => AgentSchema.parse({ name, model: 'fast', system_prompt: `ROLE ${name}`, ...over });

// ---- (1) routing ---------------------------------------------------------------------------
const listings = Array.from({ length: AGENTS }, (_, i) => ({
  name: `a${i}`,
  agent: agent(`a${i}`, { capabilities: ['billing'] }),
  source: 'system',
  modelName: 'fast',
}));
const catalog = {
  listAgents: async () => listings,
  resolveAgent: async (name) => ({ ...listings.find((l) => l.name === name), model }),
};
const index = createCapabilityIndex(catalog, () => ({ state: 'running', active: 0 }));
await index.route('billing', 'u');
const routeSamples = [];
for (let i = 0; i < WARMUP + SAMPLES; i++) {
  const t0 = performance.now();
  await index.route('billing', 'u');
  if (i >= WARMUP) routeSamples.push(performance.now() - t0);
}

// ---- (2) delegation hop --------------------------------------------------------------------
/** Zero-latency provider: the first turn of `boss` calls its tool, every other turn answers. */
const provider = {
  name: 'zero',
  type: 'scripted',
  async *chat(request) {
    const last = request.messages.at(-1);
    const role = /ROLE (\S+)/.exec(request.messages[0].content)[1];
    if (role.startsWith('boss') && last.role !== 'tool') {
      yield { type: 'tool_call', call: { id: 'c1', type: 'function', function: { name: 'agent__helper', arguments: '{"input":"x"}' } } };
      yield { type: 'usage', input_tokens: 5, output_tokens: 1 };
      yield { type: 'finish', reason: 'tool_calls' };
      return;
    }
    yield { type: 'text_delta', text: `${role} answers` };
    yield { type: 'usage', input_tokens: 5, output_tokens: 2 };
    yield { type: 'finish', reason: 'stop' };
  },
};
const helper = agent('helper', { description: 'helps' });
const boss = agent('boss', { agents: ['helper'] });
const plain = agent('bossplain');
const dir = mkdtempSync(join(tmpdir(), 'cxb-delegation-'));
const store = await openStore({ path: join(dir, 'caxton.db') });
const userId = (await store.tenants.users.create({ email: 'bench@example.com' })).id;
const runtime = createRuntime({
  store,
  providers: { get: async () => provider },
  subAgents: {
    agent: async (name) => (name === 'helper' ? { agent: helper, model, source: 'system', agentKey: 'helper' } : undefined),
    offering: async () => [],
    route: async () => {
      throw new Error('no routing here');
    },
  },
});
const runOnce = async (a) => {
  for await (const ev of runtime.run({ agent: a, source: 'system', model, message: 'go', userId, history: [] })) {
    if (ev.type === 'error') throw new Error(ev.message);
    if (ev.type === 'done' && a === boss && ev.reply !== 'boss answers') throw new Error(`unexpected reply ${ev.reply}`);
  }
};
// `bossplain`'s first turn calls agent__helper too, which it does not list: a tool error, no child run.
const arms = { direct: helper, delegated: boss, 'boss with a plain tool': plain };
const samples = Object.fromEntries(Object.keys(arms).map((k) => [k, []]));
for (let done = 0; done < WARMUP + SAMPLES; done += 50) {
  for (const [name, a] of Object.entries(arms)) {
    for (let i = 0; i < 50; i++) {
      const t0 = performance.now();
      await runOnce(a);
      if (done >= WARMUP) samples[name].push(performance.now() - t0);
    }
  }
}
await store.close();
rmSync(dir, { recursive: true, force: true });

const facts = machineFacts();
const route = summarize(routeSamples);
const runs = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summarize(v)]));
const hop = round2(runs.delegated.median - runs['boss with a plain tool'].median - runs.direct.median);
console.log(machineLine(facts));
console.log(
  table(
    ['arm', 'n', 'min', 'median', 'p90', 'max'],
    [
      [`route among ${AGENTS}`, route.n, route.min, route.median, route.p90, route.max],
      ...Object.entries(runs).map(([k, s]) => [k, s.n, s.min, s.median, s.p90, s.max]),
    ],
  ),
);
console.log(`routing decision median ${route.median} ms (target < ${ROUTE_TARGET_MS} ms): ${verdict(route.median, ROUTE_TARGET_MS)}`);
console.log(`delegation hop ${hop} ms = delegated - plain tool - direct (target < ${HOP_TARGET_MS} ms): ${verdict(hop, HOP_TARGET_MS)}`);
writeResult('delegation', { machine: facts, agents: AGENTS, route, runs, hop_ms: hop, targets: { route_ms: ROUTE_TARGET_MS, hop_ms: HOP_TARGET_MS } });
