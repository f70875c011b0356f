#!/usr/bin/env node
/**
 * Benchmark: what per-user tool resolution (SPEC §4: user -> community -> system for tools and MCP
 * servers) adds to the tool path of a run. Real parts from dist/: the SQLite store in
 * a temp dir, the catalog over the shipped config, the builtin tools, the MCP manager and the user
 * MCP pool (server-everything over stdio). Each sample is what a run with one tool call does:
 * `toolbox.prepare` + `toolbox.forAgent` + one `toolbox.call`.
 *
 * | row | what |
 * | --- | --- |
 * | calc: system only | the toolbox as before this change (no user): `calculator` |
 * | calc: user, no rows | the per-user toolbox, a user with no tool rows (the common case, cached) |
 * | calc: user row (cached) | the user's own `calculator` row (builtin narrowed) |
 * | calc: user row (uncached) | the same with the resolution cache emptied first: the SQLite lookups |
 * | echo: system server | `ev.echo` on the system MCP server `ev`, run as a user without rows |
 * | echo: user server | `ev.echo` on the user's own `ev` server row (pool connection), same child kind |
 *
 * Target (reported, not enforced): user-tier median - system-only median < 0.1 ms for the calculator
 * rows (cached), and user MCP echo median within 1 ms of the system server's.
 *
 * Env: BENCH_USER_TOOLS_SAMPLES (default 3000), BENCH_USER_TOOLS_WARMUP (default 300).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  envInt,
  sampleRotating,
  EVERYTHING_SERVER,
  importDist,
  machineFacts,
  machineLine,
  REPO,
  requireBuild,
  round2,
  summarize,
  table,
  verdict,
  writeResult,
} from './lib/common.mjs';

const NAME = 'user-tools';
const SAMPLES = envInt('BENCH_USER_TOOLS_SAMPLES', 3000);
const WARMUP = envInt('BENCH_USER_TOOLS_WARMUP', 300);
const TARGET_CALC_ADDED_MS = 0.1;
const TARGET_ECHO_ADDED_MS = 1;

requireBuild();
const { createMcpManager } = await importDist('tools/mcp/manager.js');
const { createMcpPool } = await importDist('tools/mcp/pool.js');
const { createScopedSets } = await importDist('tools/scoped-sets.js');
const { createToolbox } = await importDist('tools/toolbox.js');
const { createBuiltinTools } = await importDist('tools/builtin/index.js');
const { openSqliteStore } = await importDist('store/sqlite/database.js');
const { createCatalog } = await importDist('catalog/catalog.js');
const { loadConfigTree } = await importDist('config/load.js');

const machine = machineFacts();
const quiet = { info() {}, warn() {}, error() {} };
const dir = mkdtempSync(join(tmpdir(), 'cxb-ut-'));
const store = openSqliteStore(join(dir, 'ares.db'));
const snapshot = loadConfigTree(join(REPO, 'config'), { providers: ['openai', 'ollama', 'offline'], defaultModel: 'balanced' });
const catalog = createCatalog({ snapshot: () => snapshot, defaultModel: 'balanced', tenants: store.tenants.entities });

const ev = { name: 'ev', enabled: true, command: process.execPath, args: [EVERYTHING_SERVER, 'stdio'], env: {}, timeout_secs: 30 };
const ann = (await store.tenants.users.create({ email: 'ann@example.com' })).id;
const bob = (await store.tenants.users.create({ email: 'bob@example.com' })).id;
await store.tenants.entities.insert(
  'tools',
  ann,
  { name: 'calculator', enabled: true, type: 'builtin', description: 'ann math', timeout_secs: 5, config: {} },
  false,
);
await store.tenants.entities.insert('mcps', ann, { ...ev, timeout_secs: 29 }, false);

const manager = createMcpManager({ log: quiet });
manager.reconcile([ev]);
const pool = createMcpPool({ log: quiet });
const builtins = createBuiltinTools({ memory: store.memory, entities: () => snapshot.tools });
const entity = (r) => r && { value: r.value, source: r.source, ...(r.entity ? { key: r.entity.id } : {}) };
const scoped = createScopedSets({
  builtins,
  system: manager,
  pool,
  resolveMcp: async (n, u) => entity(await catalog.lookup('mcps', n, u)),
  resolveTool: async (n, u) => entity(await catalog.lookup('tools', n, u)),
});
const systemOnly = createToolbox({ sets: () => [builtins, ...manager.sets()] });
const perUser = createToolbox({ sets: scoped.sets, prepare: scoped.prepare });
await manager.settled();

const agent = (tools) => ({
  name: 'bench',
  system_prompt: 'x',
  tools,
  capabilities: [],
  max_tool_iterations: 10,
  parallel_tools: false,
  parameters: {},
  extra: {},
});
const calcAgent = agent(['calculator']);
const echoAgent = agent(['ev.echo']);
const ctx = (userId) => ({ agentName: 'bench', userId, signal: new AbortController().signal });

async function runOnce(toolbox, a, userId, offered, args, expect) {
  await toolbox.prepare(a, userId);
  const { tools } = await toolbox.forAgent(a, userId);
  if (tools.length !== 1) throw new Error(`expected one tool for ${userId}, got ${tools.length}`);
  const r = await toolbox.call(a, offered, args, ctx(userId));
  if (r.content !== expect) throw new Error(`unexpected result ${JSON.stringify(r)}`);
}

const calc = { expression: '6*7' };
const echo = { message: 'hello' };
const paths = {
  'calc: system only': () => runOnce(systemOnly, calcAgent, undefined, 'calculator', calc, '42'),
  'calc: user, no rows': () => runOnce(perUser, calcAgent, bob, 'calculator', calc, '42'),
  'calc: user row (cached)': () => runOnce(perUser, calcAgent, ann, 'calculator', calc, '42'),
  'calc: user row (uncached)': () => {
    scoped.invalidate();
    return runOnce(perUser, calcAgent, ann, 'calculator', calc, '42');
  },
  'echo: system server': () => runOnce(perUser, echoAgent, bob, 'ev__echo', echo, 'Echo: hello'),
  'echo: user server': () => runOnce(perUser, echoAgent, ann, 'ev__echo', echo, 'Echo: hello'),
};
const names = Object.keys(paths);

try {
  process.stderr.write(`${NAME}: ${WARMUP} warmup + ${SAMPLES} rounds of ${names.length} paths\n`);
  const samples = await sampleRotating(paths, WARMUP, SAMPLES);
  const summary = Object.fromEntries(names.map((n) => [n, summarize(samples[n])]));
  const base = summary['calc: system only'].median;
  const added = Object.fromEntries(names.filter((n) => n.startsWith('calc')).map((n) => [n, round2(summary[n].median - base)]));
  added['echo: user server'] = round2(summary['echo: user server'].median - summary['echo: system server'].median);
  const targets = [
    {
      metric: 'calc user, no rows - system only',
      measured: added['calc: user, no rows'],
      goal: `< ${TARGET_CALC_ADDED_MS} ms`,
      result: verdict(added['calc: user, no rows'], TARGET_CALC_ADDED_MS),
    },
    {
      metric: 'calc user row (cached) - system only',
      measured: added['calc: user row (cached)'],
      goal: `< ${TARGET_CALC_ADDED_MS} ms`,
      result: verdict(added['calc: user row (cached)'], TARGET_CALC_ADDED_MS),
    },
    {
      metric: 'echo user server - system server',
      measured: added['echo: user server'],
      goal: `< ${TARGET_ECHO_ADDED_MS} ms`,
      result: verdict(added['echo: user server'], TARGET_ECHO_ADDED_MS),
    },
  ];

  console.log(`\n== ${NAME}: prepare + forAgent + one call, per-user resolution vs system only ==`);
  console.log(machineLine(machine));
  console.log(`${SAMPLES} rounds after ${WARMUP} warmup, order rotating; ms\n`);
  console.log(
    table(
      ['path', 'min', 'median', 'p90', 'mean', 'max', 'added (median)'],
      names.map((n) => {
        const s = summary[n];
        return [n, s.min, s.median, s.p90, s.mean, s.max, added[n] ?? ''];
      }),
    ),
  );
  console.log('');
  console.log(
    table(
      ['target', 'measured', 'goal', 'PASS/FAIL'],
      targets.map((t) => [t.metric, `${t.measured} ms`, t.goal, t.result]),
    ),
  );
  const out = writeResult(NAME, {
    benchmark: NAME,
    description: 'toolbox prepare + forAgent + one call: system-only vs per-user resolution (cached/uncached), system vs user MCP server',
    machine,
    config: { samples: SAMPLES, warmup: WARMUP },
    summary,
    added_median_ms: added,
    targets,
  });
  console.log(`results: ${out}`);
} finally {
  await Promise.all([manager.close(), pool.close()]);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
