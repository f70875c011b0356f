#!/usr/bin/env node
/**
 * Benchmark: the cost of the request rate limits (dist/api/middleware/rate-limit.js) per request, as
 * the difference between an in-process Hono app with both limit middlewares (per client address,
 * user and API key, over BENCH_RATE_KEYS (10 000) distinct addresses and users, quota high enough
 * that nothing is refused) and the same app without them.
 *
 * BENCH_RATE_WARMUP (20 000) unrecorded requests per app, then BENCH_RATE_ROUNDS (10) rounds of
 * BENCH_RATE_BATCH (20 000) requests each, timed per round; reported: median µs per request of each
 * app and their difference.
 *
 * Target (reported, not enforced): the rate check adds < 50 µs per request (issue goal for the
 * budget + rate check per model call).
 */
import { performance } from 'node:perf_hooks';
import { Hono } from 'hono';
import { envInt, importDist, machineFacts, machineLine, requireBuild, round2, summarize, table, verdict, writeResult } from './lib/common.mjs';

const NAME = 'rate-limit';
const KEYS = envInt('BENCH_RATE_KEYS', 10_000);
const WARMUP = envInt('BENCH_RATE_WARMUP', 20_000);
const ROUNDS = envInt('BENCH_RATE_ROUNDS', 10);
const BATCH = envInt('BENCH_RATE_BATCH', 20_000);
const TARGET_US = 50;

requireBuild();
const { rateLimiter } = await importDist('api/middleware/rate-limit.js');

/** An app answering GET /x, request i coming from address and user number i (mod KEYS); with `limited`, behind both limit middlewares. */
function appOf(limited) {
  const app = new Hono();
  let i = 0;
  app.use(async (c, next) => {
    i = (i + 1) % KEYS;
    c.set('userId', `user-${i}`);
    c.set('addr', `10.0.${i >> 8}.${i & 255}`);
    return next();
  });
  if (limited) {
    const limits = rateLimiter({ requestsPerMinute: 1_000_000_000 }, { addressOf: (c) => c.get('addr'), users: { byId: async () => undefined } });
    app.use(limits.byAddress);
    app.use(limits.byPrincipal);
  }
  app.get('/x', (c) => c.text('ok'));
  return app;
}

/** µs per request of `app` over one batch. */
async function batch(app, n) {
  const t0 = performance.now();
  for (let k = 0; k < n; k++) await app.request('/x', {}, { transport: 'tcp' });
  return ((performance.now() - t0) * 1000) / n;
}

const results = {};
for (const [label, limited] of [
  ['without limits', false],
  ['with limits', true],
]) {
  const app = appOf(limited);
  await batch(app, WARMUP);
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) rounds.push(await batch(app, BATCH));
  results[label] = summarize(rounds);
}
const added = round2(results['with limits'].median - results['without limits'].median);
const machine = machineFacts();
console.log(`rate-limit bench · ${machineLine(machine)}`);
console.log(
  table(
    ['app', 'median µs/request', 'p90 µs/request'],
    Object.entries(results).map(([k, s]) => [k, s.median, s.p90]),
  ),
);
console.log(`rate check adds ${added} µs per request (target < ${TARGET_US} µs): ${verdict(added, TARGET_US)}`);
const file = writeResult(NAME, { machine, keys: KEYS, rounds: ROUNDS, batch: BATCH, results, added_us: added, target_us: TARGET_US });
console.log(`wrote ${file}`);
