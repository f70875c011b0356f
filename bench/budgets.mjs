#!/usr/bin/env node
/**
 * Benchmark: the budget check per model call (src/runtime/budgets.ts), in process against the real
 * stores of dist/: reserving a call's worst case (prompt estimate + max_tokens at the model's prices,
 * one conditional upsert per counter in one transaction) and settling it with the real usage (one
 * more transaction). Rows:
 *   - `sqlite, user`                the user's day and month counters (2 counters; the usual setup);
 *   - `sqlite, user + key + agent`  every scope limited (6 counters);
 *   - `pg, user`, `pg, user + key + agent`: the same on PostgreSQL (a throwaway cluster, fsync on,
 *     bench/lib/pg.mjs), skipped with a note when PostgreSQL is missing.
 * Each sample is one reserve + settle, sequential (no concurrency), after BENCH_BUDGET_WARMUP (200)
 * unrecorded calls, BENCH_BUDGET_SAMPLES (2000) recorded. Columns: min, median, p90, mean, max in µs.
 *
 * Goal (reported, not enforced): SQLite median < 50 µs per model call (the "budget check
 * per model call"). On PostgreSQL the two round trips (and fsynced commits) dominate; its row is for
 * information. Prints a table and writes bench/results/budgets.json.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { envInt, importDist, machineFacts, machineLine, requireBuild, round2, summarize, table, verdict, writeResult } from './lib/common.mjs';
import { createDatabase, pgMissingReason, startPgCluster } from './lib/pg.mjs';

const NAME = 'budgets';
const WARMUP = envInt('BENCH_BUDGET_WARMUP', 200);
const SAMPLES = envInt('BENCH_BUDGET_SAMPLES', 2000);
const GOAL_US = 50;

requireBuild();
const { openSqliteStore } = await importDist('store/sqlite/database.js');
const { openPostgresStore } = await importDist('store/postgres/database.js');
const { createBudgets } = await importDist('runtime/budgets.js');

const model = { name: 'fast', provider: 'openai', model: 'gpt-4o-mini', max_tokens: 256, input_cost_per_mtok: 0.15, output_cost_per_mtok: 0.6 };
const huge = { usd_per_day: 1e9, usd_per_month: 1e9, tokens_per_day: 1e15, tokens_per_month: 1e15 };
const SETUPS = {
  user: { who: { userId: 'local', agentKey: 'pinger' }, apiKey: {} },
  'user + key + agent': { who: { userId: 'local', agentKey: 'pinger', apiKeyId: 'key_1', agentBudget: huge }, apiKey: huge },
};

/** Time `samples` reserve + settle calls (µs each) on `store` for the setup. */
async function measure(store, setup) {
  const budgets = createBudgets({ store: store.budgets, userDefaults: huge, apiKeyDefaults: setup.apiKey });
  const run = await budgets.forRun(setup.who);
  const request = () => ({
    model: 'gpt-4o-mini',
    messages: [
      { role: 'system', content: 'You are a terse assistant. Answer in one line.' },
      { role: 'user', content: 'ping' },
    ],
    sampling: { max_tokens: 256 },
  });
  const out = [];
  for (let i = 0; i < WARMUP + SAMPLES; i++) {
    const t0 = performance.now();
    const held = await run.reserve(request(), model);
    if ('limit_key' in held) throw new Error('refused: the budgets are meant to be unlimited in practice');
    await held.settle({ input_tokens: 12, output_tokens: 1 });
    if (i >= WARMUP) out.push((performance.now() - t0) * 1000);
  }
  return summarize(out);
}

const facts = machineFacts();
const rows = [];
const dir = mkdtempSync('/tmp/cxb-budgets-');
try {
  const sqlite = openSqliteStore(join(dir, 'ares.db'));
  for (const [name, setup] of Object.entries(SETUPS)) rows.push({ backend: 'sqlite', setup: name, ...(await measure(sqlite, setup)) });
  await sqlite.close();
  const missing = pgMissingReason();
  if (missing) rows.push({ backend: 'pg', setup: `skipped: ${missing}` });
  else {
    const cluster = startPgCluster();
    try {
      const { url } = await createDatabase(cluster, 'budgets');
      const pg = await openPostgresStore(url, { poolSize: 4 });
      for (const [name, setup] of Object.entries(SETUPS)) rows.push({ backend: 'pg', setup: name, ...(await measure(pg, setup)) });
      await pg.close();
    } finally {
      cluster.destroy();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const goal = rows.find((r) => r.backend === 'sqlite' && r.setup === 'user');
process.stdout.write(`\nbench/${NAME}: budget reserve + settle per model call, µs (${SAMPLES} samples)\n${machineLine(facts)}\n\n`);
process.stdout.write(
  `${table(
    ['backend', 'setup', 'min', 'median', 'p90', 'mean', 'max'],
    rows.map((r) => [r.backend, r.setup, r.min, r.median, r.p90, r.mean, r.max]),
  )}\n\n`,
);
process.stdout.write(`goal: sqlite user median < ${GOAL_US} µs: ${round2(goal.median)} µs ${verdict(goal.median, GOAL_US)}\n`);
process.stdout.write(`wrote ${writeResult(NAME, { machine: facts, samples: SAMPLES, warmup: WARMUP, goal_us: GOAL_US, rows })}\n`);
