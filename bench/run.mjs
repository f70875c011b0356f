#!/usr/bin/env node
/**
 * Run every benchmark (bench/*.mjs except this file) in sequence, each in its own Node process with
 * output passed through. Exits non-zero only if a benchmark crashed (non-zero exit or a signal);
 * missed targets are reported by the benchmarks themselves and do not fail the run.
 *
 *   node bench/run.mjs                 # all
 *   node bench/run.mjs startup         # only the named ones (file name without .mjs)
 *   node bench/run.mjs mcp             # MCP tool-call overhead (manager/toolbox vs the SDK Client)
 *   node bench/run.mjs openai-history  # /v1/chat/completions with a 40-turn client-held history
 *   node bench/run.mjs user-tools      # per-user tool resolution on the tool path (system vs user tier)
 *   node bench/run.mjs mcp-guard       # SSRF guard on user MCP servers over HTTP (default vs guarded fetch)
 *   node bench/run.mjs budgets         # the budget reserve + settle per model call (SQLite, PostgreSQL)
 *   node bench/run.mjs store-backends  # chat through one node on SQLite, one on PostgreSQL, two on one PostgreSQL (needs wrk, PostgreSQL)
 *   node bench/run.mjs memory          # semantic memory at 100K items: search p50/p99, keyword, inserts, RSS
 *   node bench/run.mjs logging         # logging cost per run (request + run lines to the rotated log file)
 *   node bench/run.mjs scenarios       # caxton test per case with scripted replies
 *   node bench/run.mjs workflow        # a workflow hop vs a direct run (zero-latency fake)
 *
 * `npm run bench` builds first and then runs this.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const all = readdirSync(here)
  .filter((f) => f.endsWith('.mjs') && f !== 'run.mjs')
  .map((f) => f.slice(0, -'.mjs'.length))
  .sort();

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !all.includes(w));
if (unknown.length) {
  process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; available: ${all.join(', ')}\n`);
  process.exit(2);
}
const selected = wanted.length ? all.filter((b) => wanted.includes(b)) : all;

const outcomes = [];
for (const name of selected) {
  process.stderr.write(`\n>>> bench/${name}.mjs\n`);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [join(here, `${name}.mjs`)], { stdio: 'inherit', cwd: dirname(here) });
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  const crashed = r.error !== undefined || r.status !== 0;
  const how = r.error ? r.error.message : r.signal ? `signal ${r.signal}` : `exit ${r.status}`;
  outcomes.push({ name, crashed, how, secs });
}

console.log('\n== bench summary ==');
for (const o of outcomes) console.log(`${o.crashed ? 'CRASHED' : 'ok     '}  ${o.name.padEnd(16)} ${o.secs.padStart(6)} s${o.crashed ? `  (${o.how})` : ''}`);
console.log("(targets: see each table's PASS/FAIL column; results in bench/results/)");
process.exit(outcomes.some((o) => o.crashed) ? 1 : 0);
