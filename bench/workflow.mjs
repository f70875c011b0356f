#!/usr/bin/env node
/**
 * Benchmark: what a workflow adds to agent runs (DIR-12 workflows). One daemon (`server start --port
 * 0`, shipped config) whose `openai` provider is the zero-latency fake of lib/common.mjs (every
 * reply is `pong`), and two workflows written into its config/workflows:
 *
 *   - `solo`: entry agent customer-support, no fallback: its reply `pong` is the answer (1 agent run);
 *   - `hop`: entry agent router, fallback customer-support: the router's `pong` names no agent, so
 *     the message goes on to customer-support, whose `pong` is the answer (2 agent runs, 1 hop).
 *
 * Rows (non-streaming HTTP, one client, closed loop, interleaved round-robin after the warmup):
 * `direct` = `POST /api/agents/customer-support/chat`; `workflow, 1 agent` = `POST
 * /api/workflows/solo/run`; `workflow, 1 hop` = `POST /api/workflows/hop/run`.
 * Added cost of running as a workflow = solo - direct; added cost of one hop = hop - solo - direct
 * (the hop's work beyond its agent's own run: the name lookup and the next run's start).
 *
 * Target (reported, not enforced): a hop adds < 1 ms (p50) over a direct run of its agent.
 * Env: BENCH_WORKFLOW_SAMPLES (400 per row), BENCH_WORKFLOW_WARMUP (40).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
  verdict,
  writeResult,
} from './lib/common.mjs';

const NAME = 'workflow';
const SAMPLES = envInt('BENCH_WORKFLOW_SAMPLES', 400);
const WARMUP = envInt('BENCH_WORKFLOW_WARMUP', 40);
const TARGET_HOP_MS = 1;

requireBuild();
installCleanupHooks();

/** POST `body` as JSON to `url`; @throws unless it answers 200 with the expected `path` length. */
async function post(url, body, agents) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = await res.json();
  if (res.status !== 200 || (agents !== undefined && json.path?.length !== agents)) throw new Error(`${url}: HTTP ${res.status} ${JSON.stringify(json)}`);
}

/** Wait until the daemon serves both bench workflows (hot reload of config/workflows). */
async function waitForWorkflows(url) {
  for (let i = 0; i < 200; i++) {
    const { workflows } = await (await fetch(`${url}/api/workflows`)).json();
    if (['hop', 'solo'].every((n) => workflows.some((w) => w.name === n))) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('the daemon did not load the bench workflows');
}

const machine = machineFacts();
const fake = await startFakeChatServer();
const home = tempHome('wf');
let rows;
try {
  const url = startDaemonAgainst(home, `http://127.0.0.1:${fake.address().port}/v1`);
  writeFileSync(join(home, 'config', 'workflows', 'solo.toon'), 'name: solo\nentry_agent: customer-support\n');
  writeFileSync(join(home, 'config', 'workflows', 'hop.toon'), 'name: hop\nentry_agent: router\nfallback_agent: customer-support\nmax_depth: 1\n');
  await waitForWorkflows(url);
  const body = { message: 'Where is my order?' };
  process.stderr.write(`${NAME}: ${SAMPLES} requests per row against ${url}\n`);
  const samples = await sampleRotating(
    {
      direct: () => post(`${url}/api/agents/customer-support/chat`, body),
      'workflow, 1 agent': () => post(`${url}/api/workflows/solo/run`, body, 1),
      'workflow, 1 hop': () => post(`${url}/api/workflows/hop/run`, body, 2),
    },
    WARMUP,
    SAMPLES,
  );
  rows = Object.entries(samples).map(([row, ms]) => ({ row, ...summarize(ms) }));
} finally {
  disposeHome(home);
  fake.close();
}

const p50 = (row) => rows.find((r) => r.row === row).median;
const wrapper = round2(p50('workflow, 1 agent') - p50('direct'));
const hop = round2(p50('workflow, 1 hop') - p50('workflow, 1 agent') - p50('direct'));
const targets = [
  { metric: 'workflow over a direct run (p50)', measured: wrapper, target: `< ${TARGET_HOP_MS} ms`, result: verdict(wrapper, TARGET_HOP_MS) },
  { metric: 'one hop beyond its agent run (p50)', measured: hop, target: `< ${TARGET_HOP_MS} ms`, result: verdict(hop, TARGET_HOP_MS) },
];

console.log(`\n== ${NAME}: a workflow hop vs a direct run, zero-latency fake, one client, closed loop ==`);
console.log(machineLine(machine));
console.log('');
console.log(
  table(
    ['row', 'n', 'min ms', 'p50 ms', 'p90 ms', 'mean ms'],
    rows.map((r) => [r.row, String(r.n), r.min, r.median, r.p90, r.mean]),
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
  description: 'HTTP latency of a direct agent run, a one-agent workflow and a one-hop workflow against a zero-latency fake',
  machine,
  config: { samples: SAMPLES, warmup: WARMUP },
  rows,
  targets,
});
console.log(`results: ${out}`);
