#!/usr/bin/env node
/**
 * Benchmark: what the SSRF guard (src/tools/net-policy.ts) costs a user-tier MCP server over
 * Streamable HTTP. server-everything listens on 127.0.0.1; an McpConnection (dist/) talks to it with
 * the SDK's default fetch (trusted rows, unguarded) or with `guardedFetch`, the code path of
 * untrusted rows (undici's fetch on an Agent whose connector and DNS lookup check every address),
 * with a predicate that runs the real `isPrivateAddress` check but lets loopback through (the real
 * guard would refuse this server, which is the point of it).
 *
 * | row | what |
 * | --- | --- |
 * | call: default fetch | one `tools/call` of `echo` on a ready connection, SDK's global fetch |
 * | call: guarded fetch | the same through the guarded fetch (kept-alive sockets: no new check per call) |
 * | connect: default fetch | new connection: initialize + tools/list (+ close), by name `localhost` |
 * | connect: guarded fetch | the same with the guarded fetch: DNS lookup of every address + checks |
 *
 * Target (reported, not enforced): guarded call median within 0.5 ms of the default one.
 * Env: BENCH_MCP_GUARD_SAMPLES (default 1000), BENCH_MCP_GUARD_CONNECTS (default 60), BENCH_MCP_GUARD_WARMUP (default 100).
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  envInt,
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

const NAME = 'mcp-guard';
const SAMPLES = envInt('BENCH_MCP_GUARD_SAMPLES', 1000);
const CONNECTS = envInt('BENCH_MCP_GUARD_CONNECTS', 60);
const WARMUP = envInt('BENCH_MCP_GUARD_WARMUP', 100);
const TARGET_CALL_ADDED_MS = 0.5;

requireBuild();
const { McpConnection } = await importDist('tools/mcp/connection.js');
const { guardedFetch, isPrivateAddress } = await importDist('tools/net-policy.js');
const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');

const machine = machineFacts();
const quiet = { info() {}, warn() {}, error() {} };
const port = await new Promise((res) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => res(p));
  });
});
const child = spawn(process.execPath, [EVERYTHING_SERVER, 'streamableHttp'], {
  env: { ...process.env, PORT: String(port) },
  stdio: ['ignore', 'ignore', 'pipe'],
});
await new Promise((resolve) => child.stderr.on('data', (d) => d.toString().includes('listening') && resolve()));

const loopbackAllowed = guardedFetch((ip) => !/^(127\.0\.0\.1|::1|::ffff:127\.0\.0\.1)$/.test(ip) && isPrivateAddress(ip));
const transport = (fetch) => async (server) => ({ transport: new StreamableHTTPClientTransport(new URL(server.url), fetch ? { fetch } : undefined) });
const connection = (fetch) =>
  new McpConnection({
    server: { name: 'ev', enabled: true, url: `http://localhost:${port}/mcp`, args: [], env: {}, timeout_secs: 30 },
    log: quiet,
    createTransport: transport(fetch),
    env: {},
    backoff: { initialMs: 60_000, maxMs: 60_000 },
    clientInfo: { name: 'bench', version: '0' },
  });
const ctx = () => ({ agentName: 'bench', userId: 'u', signal: new AbortController().signal });

async function ready(fetch) {
  const c = connection(fetch);
  c.start();
  await c.settled();
  if (c.status().state !== 'ready') throw new Error(`not ready: ${c.status().last_error}`);
  return c;
}

try {
  const conns = { 'call: default fetch': await ready(undefined), 'call: guarded fetch': await ready(loopbackAllowed) };
  const samples = {};
  const callNames = Object.keys(conns);
  for (const n of callNames) samples[n] = [];
  process.stderr.write(`${NAME}: ${WARMUP} warmup + ${SAMPLES} calls per fetch, then ${CONNECTS} connects per fetch\n`);
  for (let i = 0; i < WARMUP + SAMPLES; i++) {
    for (let k = 0; k < callNames.length; k++) {
      const name = callNames[(i + k) % callNames.length];
      const t0 = performance.now();
      const r = await conns[name].call('ev.echo', { message: 'hi' }, ctx());
      const ms = performance.now() - t0;
      if (r.isError || r.content !== 'Echo: hi') throw new Error(`unexpected result ${JSON.stringify(r)}`);
      if (i >= WARMUP) samples[name].push(ms);
    }
  }
  await Promise.all(Object.values(conns).map((c) => c.close()));

  const connects = { 'connect: default fetch': undefined, 'connect: guarded fetch': loopbackAllowed };
  const connectNames = Object.keys(connects);
  for (const n of connectNames) samples[n] = [];
  for (let i = 0; i < CONNECTS + 5; i++) {
    for (let k = 0; k < connectNames.length; k++) {
      const name = connectNames[(i + k) % connectNames.length];
      const t0 = performance.now();
      const c = await ready(connects[name]);
      await c.close();
      const ms = performance.now() - t0;
      if (i >= 5) samples[name].push(ms);
    }
  }

  const names = [...callNames, ...connectNames];
  const summary = Object.fromEntries(names.map((n) => [n, summarize(samples[n])]));
  const added = {
    'call: guarded fetch': round2(summary['call: guarded fetch'].median - summary['call: default fetch'].median),
    'connect: guarded fetch': round2(summary['connect: guarded fetch'].median - summary['connect: default fetch'].median),
  };
  const targets = [
    {
      metric: 'guarded call - default call',
      measured: added['call: guarded fetch'],
      goal: `< ${TARGET_CALL_ADDED_MS} ms`,
      result: verdict(added['call: guarded fetch'], TARGET_CALL_ADDED_MS),
    },
  ];
  console.log(`\n== ${NAME}: user MCP server over Streamable HTTP, SDK default fetch vs the SSRF-guarded fetch ==`);
  console.log(machineLine(machine));
  console.log(`${SAMPLES} calls and ${CONNECTS} connects per fetch, order rotating; ms\n`);
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
    description: 'user MCP server over Streamable HTTP: one call and one connect, SDK default fetch vs the SSRF-guarded fetch',
    machine,
    config: { samples: SAMPLES, connects: CONNECTS, warmup: WARMUP },
    summary,
    added_median_ms: added,
    targets,
  });
  console.log(`results: ${out}`);
} finally {
  child.kill('SIGKILL');
}
