#!/usr/bin/env node
/**
 * Benchmark: overhead of one MCP tool call through our MCP manager (seed STORY-033 "MCP tool
 * calls complete within 10 ms for simple operations"). Two children of
 * `@modelcontextprotocol/server-everything` over stdio, both called with `echo {message}`:
 *   - direct:  the official SDK `Client` with its `StdioClientTransport` (the floor);
 *   - manager: `createMcpManager` from dist/ -> the server's ToolSet `.call('everything.echo')`;
 *   - toolbox: the same ToolSet behind `createToolbox` (permission check at call time, timeout
 *     bookkeeping, the model-facing name `everything__echo`), i.e. the path an agent's call takes.
 * Per round the three single calls run one after another in rotating order, so machine load hits
 * all rows alike. Then throughput: sequential calls/s and calls/s with 16 calls in flight.
 *
 * Targets (reported, not enforced): added median latency (manager - direct and toolbox - direct)
 * < 2 ms (ours); toolbox call median < 10 ms (seed).
 *
 * Env: BENCH_MCP_SAMPLES (default 2000), BENCH_MCP_WARMUP (default 200), BENCH_MCP_THROUGHPUT (default 2000 calls).
 */
import { performance } from 'node:perf_hooks';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import {
  envInt,
  sampleRotating,
  EVERYTHING_SERVER,
  importDist,
  machineFacts,
  machineLine,
  requireBuild,
  round2,
  summarize,
  table,
  verdict,
  writeResult,
} from './lib/common.mjs';

const NAME = 'mcp';
const SAMPLES = envInt('BENCH_MCP_SAMPLES', 2000);
const WARMUP = envInt('BENCH_MCP_WARMUP', 200);
const THROUGHPUT = envInt('BENCH_MCP_THROUGHPUT', 2000);
const IN_FLIGHT = 16;
const TARGET_ADDED_MS = 2;
const TARGET_SEED_MS = 10;

requireBuild();
const { createMcpManager } = await importDist('tools/mcp/manager.js');
const { createToolbox } = await importDist('tools/toolbox.js');

const machine = machineFacts();
const quiet = { info() {}, warn() {}, error() {} };
const server = { name: 'everything', enabled: true, command: process.execPath, args: [EVERYTHING_SERVER, 'stdio'], env: {}, timeout_secs: 30 };
const agent = {
  name: 'bench',
  system_prompt: 'x',
  tools: ['everything.echo'],
  capabilities: [],
  max_tool_iterations: 10,
  parallel_tools: false,
  parameters: {},
  extra: {},
};
const args = { message: 'hello' };

const direct = new Client({ name: 'bench-direct', version: '1' });
await direct.connect(new StdioClientTransport({ command: process.execPath, args: [EVERYTHING_SERVER, 'stdio'], stderr: 'ignore' }));
await direct.listTools(); // as the manager does on connect (the SDK caches tool metadata from it)
const manager = createMcpManager({ log: quiet });
manager.reconcile([server]);
await manager.settled();
const [set] = manager.sets();
if (!set || set.list().length === 0) throw new Error(`MCP manager did not connect: ${JSON.stringify(manager.status())}`);
const toolbox = createToolbox({ sets: () => manager.sets() });
const ctx = () => ({ agentName: 'bench', userId: 'local', signal: new AbortController().signal });

const paths = {
  direct: async () => {
    const r = await direct.callTool({ name: 'echo', arguments: args });
    if (r.content[0].text !== 'Echo: hello') throw new Error('direct: unexpected result');
  },
  manager: async () => {
    const r = await set.call('everything.echo', args, ctx());
    if (r.content !== 'Echo: hello') throw new Error(`manager: unexpected result ${JSON.stringify(r)}`);
  },
  toolbox: async () => {
    const r = await toolbox.call(agent, 'everything__echo', args, ctx());
    if (r.content !== 'Echo: hello') throw new Error(`toolbox: unexpected result ${JSON.stringify(r)}`);
  },
};
const names = Object.keys(paths);

try {
  process.stderr.write(`mcp: ${WARMUP} warmup + ${SAMPLES} rounds of ${names.join('/')}\n`);
  const samples = await sampleRotating(paths, WARMUP, SAMPLES);

  const throughput = {};
  for (const name of names) {
    let t0 = performance.now();
    for (let i = 0; i < THROUGHPUT; i++) await paths[name]();
    const sequential = THROUGHPUT / ((performance.now() - t0) / 1000);
    t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next++ < THROUGHPUT) await paths[name]();
      }),
    );
    const concurrent = THROUGHPUT / ((performance.now() - t0) / 1000);
    throughput[name] = { sequential_calls_per_s: Math.round(sequential), concurrent_calls_per_s: Math.round(concurrent), in_flight: IN_FLIGHT };
  }

  const summary = Object.fromEntries(names.map((n) => [n, summarize(samples[n])]));
  const added = {
    manager: round2(summary.manager.median - summary.direct.median),
    toolbox: round2(summary.toolbox.median - summary.direct.median),
  };
  const targets = [
    { metric: 'manager - direct, median', measured: added.manager, target: `< ${TARGET_ADDED_MS} ms (ours)`, result: verdict(added.manager, TARGET_ADDED_MS) },
    { metric: 'toolbox - direct, median', measured: added.toolbox, target: `< ${TARGET_ADDED_MS} ms (ours)`, result: verdict(added.toolbox, TARGET_ADDED_MS) },
    {
      metric: 'toolbox call, median',
      measured: summary.toolbox.median,
      target: `< ${TARGET_SEED_MS} ms (seed)`,
      result: verdict(summary.toolbox.median, TARGET_SEED_MS),
    },
  ];

  console.log(`\n== ${NAME}: one echo call to server-everything over stdio ==`);
  console.log(machineLine(machine));
  console.log(`${SAMPLES} rounds after ${WARMUP} warmup, order rotating; throughput over ${THROUGHPUT} calls\n`);
  console.log(
    table(
      ['path', 'min', 'median', 'p90', 'mean', 'max', 'added (median)', 'calls/s seq', `calls/s x${IN_FLIGHT}`],
      names.map((n) => {
        const s = summary[n];
        return [
          n,
          s.min,
          s.median,
          s.p90,
          s.mean,
          s.max,
          n === 'direct' ? '' : added[n],
          throughput[n].sequential_calls_per_s,
          throughput[n].concurrent_calls_per_s,
        ];
      }),
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
    description: 'echo on @modelcontextprotocol/server-everything over stdio: SDK Client directly vs our MCP manager ToolSet vs the toolbox',
    machine,
    config: { samples: SAMPLES, warmup: WARMUP, throughput_calls: THROUGHPUT, in_flight: IN_FLIGHT },
    summary,
    added_median_ms: added,
    throughput,
    samples,
    targets,
  });
  console.log(`results: ${out}`);
} finally {
  await direct.close();
  await manager.close();
}
