#!/usr/bin/env node
/**
 * Benchmark: chat messages/s and p50 through the real daemon per store backend, and the scaling of
 * two nodes on one PostgreSQL. In one run, against one zero-latency fake Chat Completions server
 * (bench/lib/common.mjs), wrk (one thread per node) sends non-streaming `POST /api/agents/pinger/chat`
 * with an API key to:
 *   (a) sqlite  one daemon on its home's SQLite file (the embedded default);
 *   (b) pg      one daemon on a PostgreSQL database (`[database] url`, pool_size 10);
 *   (c) pg x2   two daemons on that same database, the clients split evenly across both
 *               (two wrk processes at once; msg/s is their sum, p50 the higher of the two nodes').
 * The PostgreSQL cluster is a throwaway one (bench/lib/pg.mjs) on a Unix socket, with fsync on, as a
 * real deployment runs it (BENCH_STORE_PG_FSYNC=off turns it off, as the tests do); the settings the
 * server reports are printed. At BENCH_STORE_CLIENTS (8,32) clients, for BENCH_STORE_SECS (5) s
 * each after a 1 s warm-up, in BENCH_STORE_ROUNDS (2) rounds with the order of (a), (b), (c)
 * rotating, so load changes hit all three alike; msg/s = all requests / all seconds, p50 = mean of
 * the rounds' p50s. Per message it also reports the CPU time of the setup's daemons (/proc, summed
 * over both nodes for (c)) and, on PostgreSQL, the database's committed transactions (each
 * statement outside BEGIN counts as one): what a message costs, less bent by machine load than msg/s.
 *
 * Goals (reported, not enforced), at the highest client count: (b) >= 0.5x (a)'s msg/s (a step
 * commit over the network, fsynced, against an embedded one); the scaling ratio (c)/(b) >= 1.0
 * (a second node never costs throughput). The ideal ratio is 2.0, but only with a core per node:
 * here the two daemons, PostgreSQL, the fake server and wrk all share the machine's cores, so on a
 * 2-core machine the ratio is bounded by the machine, not by the daemon.
 * Prints a table and writes bench/results/store-backends.json. Needs wrk and PostgreSQL.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import {
  disposeHome,
  envInt,
  installCleanupHooks,
  machineFacts,
  machineLine,
  requireBuild,
  requireWrk,
  round2,
  runWrk,
  startDaemonAgainst,
  startFakeChatServer,
  table,
  tempHome,
  userWithPinger,
  wrkScript,
  writeResult,
} from './lib/common.mjs';
import { createDatabase, pgMissingReason, startPgCluster } from './lib/pg.mjs';

const NAME = 'store-backends';
const SECS = envInt('BENCH_STORE_SECS', 5);
const ROUNDS = Math.max(1, envInt('BENCH_STORE_ROUNDS', 2));
const CLIENTS = (process.env.BENCH_STORE_CLIENTS ?? '8,32').split(',').map((c) => Number.parseInt(c, 10));
const FSYNC = process.env.BENCH_STORE_PG_FSYNC !== 'off';
const GOAL_PG_VS_SQLITE = 0.5;
const GOAL_SCALING = 1.0;
const SETUPS = ['sqlite', 'pg', 'pg x2'];

if (CLIENTS.some((c) => !Number.isInteger(c) || c < 2)) throw new Error('BENCH_STORE_CLIENTS: comma-separated client counts, each >= 2 (two nodes share them)');
requireBuild();
installCleanupHooks();
requireWrk();
const missing = pgMissingReason();
if (missing) throw new Error(`PostgreSQL is needed: ${missing}`);
const { default: pg } = await import('pg');

/**
 * One measurement: `clients` connections split evenly across `targets` ({url, script}), one wrk
 * each, all at once for `secs` seconds. Requests and errors are summed; p50/p99 are the highest
 * of the targets' (so no node is flattered).
 */
async function measure(targets, clients, secs) {
  const cpu0 = targets.map((t) => cpuMs(t.pid));
  const xacts0 = await xactsOf(targets);
  const runs = await Promise.all(
    targets.map((t, i) => runWrk(t.url, t.script, Math.floor(clients / targets.length) + (i < clients % targets.length ? 1 : 0), secs)),
  );
  return {
    requests: runs.reduce((a, r) => a + r.requests, 0),
    secs: Math.max(...runs.map((r) => r.secs)),
    errors: runs.reduce((a, r) => a + r.errors, 0),
    p50_ms: Math.max(...runs.map((r) => r.p50_ms)),
    p99_ms: Math.max(...runs.map((r) => r.p99_ms)),
    per_node_per_sec: runs.map((r) => r.per_sec),
    cpu_ms: targets.reduce((a, t, i) => a + cpuMs(t.pid) - cpu0[i], 0),
    xacts: xacts0 === undefined ? undefined : (await xactsOf(targets)) - xacts0,
  };
}

/** CPU time (user + system, ms) the process `pid` has used so far, from /proc (Linux; clock ticks of 10 ms). */
function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * Transactions committed so far in the database of `targets` (`pg_stat_database.xact_commit`: a
 * statement outside BEGIN counts as one), or undefined when they use no PostgreSQL. Read after
 * clearing the statistics snapshot; PostgreSQL 15 publishes a busy connection's counters at most
 * once a second (an idle one's within 10 s), so a round's count may carry some of the one before
 * (its warm-up): an approximation over all rounds, not an exact count.
 */
async function xactsOf(targets) {
  if (!targets[0].pg) return undefined;
  await targets[0].pg.query('SELECT pg_stat_clear_snapshot()');
  return (await targets[0].pg.query('SELECT xact_commit::bigint AS n FROM pg_stat_database WHERE datname = current_database()')).rows[0].n * 1;
}

/** Health of the daemon at `url`: its store backend, or a thrown error when it is not healthy. */
async function backendOf(url) {
  const res = await fetch(`${url}/health`);
  const body = await res.json();
  if (!res.ok || body.database?.ok === false) throw new Error(`${url}/health: HTTP ${res.status} ${JSON.stringify(body)}`);
  return body.database?.backend;
}

const machine = machineFacts();
const fake = await startFakeChatServer();
const fakeUrl = `http://127.0.0.1:${fake.address().port}/v1`;
const cluster = startPgCluster({ fsync: FSYNC });
const homes = { sqlite: tempHome('sq'), pg1: tempHome('pg1'), pg2: tempHome('pg2') };
const samples = Object.fromEntries(SETUPS.map((s) => [s, Object.fromEntries(CLIENTS.map((c) => [c, []]))]));
let pgSettings;
let admin;
try {
  const db = await createDatabase(cluster, 'caxton_bench');
  pgSettings = db.settings;
  const urls = {
    sqlite: startDaemonAgainst(homes.sqlite, fakeUrl),
    pg1: startDaemonAgainst(homes.pg1, fakeUrl, { databaseUrl: db.url }),
    pg2: startDaemonAgainst(homes.pg2, fakeUrl, { databaseUrl: db.url }),
  };
  const backends = await Promise.all([backendOf(urls.sqlite), backendOf(urls.pg1), backendOf(urls.pg2)]);
  if (backends.join() !== 'sqlite,postgres,postgres') throw new Error(`unexpected backends: ${backends.join(', ')}`);
  // One user and agent per database: on PostgreSQL, created through node 1 and served by node 2 from the shared rows.
  const sqliteHeaders = await userWithPinger(homes.sqlite, urls.sqlite, 'bench-store@example.com');
  const pgHeaders = await userWithPinger(homes.pg1, urls.pg1, 'bench-store@example.com');
  const body = JSON.stringify({ message: 'ping' });
  admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
  const chat = (home, headers, client) => ({
    url: `${urls[home]}/api/agents/pinger/chat`,
    script: wrkScript(body, headers),
    pid: Number.parseInt(readFileSync(join(homes[home], 'run', 'caxton.pid'), 'utf8'), 10),
    pg: client,
  });
  const nodes = { sqlite: chat('sqlite', sqliteHeaders), pg1: chat('pg1', pgHeaders, admin), pg2: chat('pg2', pgHeaders, admin) };
  const check = await fetch(nodes.pg2.url, { method: 'POST', headers: pgHeaders, body });
  if (!check.ok) throw new Error(`node 2 cannot serve the agent created on node 1: HTTP ${check.status} ${await check.text()}`);
  const targets = { sqlite: [nodes.sqlite], pg: [nodes.pg1], 'pg x2': [nodes.pg1, nodes.pg2] };

  for (let round = 0; round < ROUNDS; round++) {
    for (const [ci, clients] of CLIENTS.entries()) {
      for (let k = 0; k < SETUPS.length; k++) {
        const setup = SETUPS[(round + ci + k) % SETUPS.length];
        process.stderr.write(`${NAME}: round ${round + 1}/${ROUNDS}, ${clients} clients, ${setup}, ${SECS} s\n`);
        await measure(targets[setup], clients, 1); // warm-up
        samples[setup][clients].push(await measure(targets[setup], clients, SECS));
      }
    }
  }
} finally {
  await admin?.end();
  for (const home of Object.values(homes)) disposeHome(home);
  cluster.destroy();
  fake.close();
}

const rows = [];
for (const clients of CLIENTS) {
  for (const setup of SETUPS) {
    const runs = samples[setup][clients];
    const requests = runs.reduce((a, r) => a + r.requests, 0);
    const secs = runs.reduce((a, r) => a + r.secs, 0);
    rows.push({
      setup,
      clients,
      per_sec: round2(requests / secs),
      p50_ms: round2(runs.reduce((a, r) => a + r.p50_ms, 0) / runs.length),
      p99_ms: round2(Math.max(...runs.map((r) => r.p99_ms))),
      errors: runs.reduce((a, r) => a + r.errors, 0),
      cpu_ms_per_msg: round2(runs.reduce((a, r) => a + r.cpu_ms, 0) / requests),
      xacts_per_msg: setup === 'sqlite' ? null : round2(runs.reduce((a, r) => a + r.xacts, 0) / requests),
      rounds: runs,
    });
  }
}
const at = (setup, clients) => rows.find((r) => r.setup === setup && r.clients === clients);
const ratios = CLIENTS.map((c) => ({
  clients: c,
  pg_vs_sqlite: round2(at('pg', c).per_sec / at('sqlite', c).per_sec),
  scaling: round2(at('pg x2', c).per_sec / at('pg', c).per_sec),
}));
const top = ratios.at(-1);
const goals = {
  pg_vs_sqlite: { clients: top.clients, value: top.pg_vs_sqlite, goal: `>= ${GOAL_PG_VS_SQLITE}`, met: top.pg_vs_sqlite >= GOAL_PG_VS_SQLITE },
  scaling: { clients: top.clients, value: top.scaling, goal: `>= ${GOAL_SCALING}`, met: top.scaling >= GOAL_SCALING },
};
const cores = os.availableParallelism?.() ?? os.cpus().length;

console.log(`\n== ${NAME}: POST /api/agents/NAME/chat (wrk) through one node on SQLite, one on PostgreSQL, two on one PostgreSQL ==`);
console.log(machineLine(machine));
console.log(
  `PostgreSQL ${pgSettings?.server_version} (Unix socket, same machine): fsync=${pgSettings?.fsync}, synchronous_commit=${pgSettings?.synchronous_commit}, wal_sync_method=${pgSettings?.wal_sync_method}, shared_buffers=${pgSettings?.shared_buffers}; pool_size 10 per node. SQLite: WAL, synchronous=NORMAL.`,
);
console.log(
  table(
    ['clients', 'setup', 'msg/s', 'p50 ms', 'p99 ms', 'errors', 'x sqlite', 'x pg', 'cpu ms/msg', 'xacts/msg', 'per node msg/s'],
    rows.map((r) => [
      String(r.clients),
      r.setup,
      r.per_sec,
      r.p50_ms,
      r.p99_ms,
      String(r.errors),
      round2(r.per_sec / at('sqlite', r.clients).per_sec),
      round2(r.per_sec / at('pg', r.clients).per_sec),
      r.cpu_ms_per_msg,
      r.xacts_per_msg ?? '',
      r.setup === 'pg x2' ? r.rounds.map((x) => x.per_node_per_sec.map(Math.round).join(' + ')).join(', ') : '',
    ]),
  ),
);
console.log(
  `goals at ${top.clients} clients: pg / sqlite ${goals.pg_vs_sqlite.value} (${goals.pg_vs_sqlite.goal}: ${goals.pg_vs_sqlite.met ? 'met' : 'not met'}); scaling pg x2 / pg ${goals.scaling.value} (${goals.scaling.goal}: ${goals.scaling.met ? 'met' : 'not met'})`,
);
console.log(
  `note: ${cores} cores shared by both daemons, PostgreSQL, the fake server and wrk: the scaling ratio is bounded by this machine (2.0 needs a core per node and spare cores for the database and the load).`,
);
const file = writeResult(NAME, {
  benchmark: NAME,
  description:
    "non-streaming POST /api/agents/NAME/chat through the real daemon (wrk, API key) against a zero-latency fake: one node on SQLite, one node on PostgreSQL, two nodes on the same PostgreSQL with the clients split across both; latency in ms; msg/s summed over nodes, p50/p99 the highest node; cpu_ms_per_msg = CPU ms of the setup's daemons per message; xacts_per_msg = PostgreSQL committed transactions per message",
  machine,
  postgres: { ...pgSettings, pool_size: 10 },
  config: { secs: SECS, rounds: ROUNDS, clients: CLIENTS, pg_fsync: FSYNC, cores },
  rows,
  ratios,
  goals,
});
console.log(`wrote ${file}`);
