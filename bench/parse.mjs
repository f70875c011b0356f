#!/usr/bin/env node
/**
 * Benchmark: parse + normalize + validate of one entity file (`parseEntity` of dist/config/codec.js, the
 * same function the loader runs per file), on typical files: every shipped file in config/, every
 * template, the ARES fixture tree when ../shared/fixtures/ares-config exists, and the shipped
 * customer-support agent re-encoded as TOML and JSON so every format is covered. Also times a whole
 * `loadConfigTree` of the shipped config/ (read + parse + validate + references) for information.
 *
 * Per file: BENCH_PARSE_WARMUP (200) unrecorded calls, then BENCH_PARSE_SAMPLES (2000) calls, each
 * timed alone with performance.now(). Reported per file and over all files: median and p99, in ms.
 *
 * Targets (reported, not enforced): median per file < 1 ms (ours), < 10 ms (the seed's figure).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { envInt, machineFacts, machineLine, percentile, REPO, requireBuild, round2, summarize, table, verdict, writeResult } from './lib/common.mjs';

const NAME = 'parse';
const WARMUP = envInt('BENCH_PARSE_WARMUP', 200);
const SAMPLES = envInt('BENCH_PARSE_SAMPLES', 2000);
const TREE_SAMPLES = envInt('BENCH_PARSE_TREE_SAMPLES', 200);
const TARGET_OURS_MS = 1;
const TARGET_SEED_MS = 10;

requireBuild();
const { parseEntity, writeEntity } = await import(join(REPO, 'dist/config/codec.js'));
const { formatOfFile } = await import(join(REPO, 'dist/config/formats/index.js'));
const { loadConfigTree } = await import(join(REPO, 'dist/config/load.js'));

const KINDS = ['agents', 'models', 'tools', 'workflows', 'mcps'];
const FIXTURES = join(REPO, '..', 'shared', 'fixtures', 'ares-config');

/** [label, kind, format, text] of every input. */
const inputs = [];
const addTree = (dir, tag) => {
  for (const kind of KINDS) {
    const sub = join(dir, kind);
    if (!existsSync(sub)) continue;
    for (const f of readdirSync(sub).sort()) {
      const format = formatOfFile(f);
      if (format && f.toLowerCase() !== 'readme.md') inputs.push([`${tag}/${kind}/${f}`, kind, format, readFileSync(join(sub, f), 'utf8')]);
    }
  }
};
addTree(join(REPO, 'config'), 'config');
for (const f of readdirSync(join(REPO, 'templates'))
  .filter((n) => formatOfFile(n) && n !== 'README.md')
  .sort()) {
  inputs.push([`templates/${f}`, 'agents', formatOfFile(f), readFileSync(join(REPO, 'templates', f), 'utf8')]);
}
const support = parseEntity('agents', readFileSync(join(REPO, 'config/agents/customer-support.toon'), 'utf8'), 'toon').value;
for (const format of ['toml', 'json']) inputs.push([`customer-support as ${format}`, 'agents', format, writeEntity('agents', support, format)]);
let fixtures = 'absent (skipped)';
if (existsSync(FIXTURES)) {
  addTree(FIXTURES, 'fixture');
  fixtures = relative(REPO, FIXTURES);
}

const all = [];
const rows = [];
const perFile = {};
for (const [label, kind, format, text] of inputs) {
  const first = parseEntity(kind, text, format, label);
  if (!first.value) throw new Error(`${label} does not validate: ${JSON.stringify(first.diagnostics)}`);
  for (let i = 0; i < WARMUP; i++) parseEntity(kind, text, format, label);
  const samples = new Array(SAMPLES);
  for (let i = 0; i < SAMPLES; i++) {
    const t0 = performance.now();
    parseEntity(kind, text, format, label);
    samples[i] = performance.now() - t0;
  }
  all.push(...samples);
  const sortedFile = [...samples].sort((a, b) => a - b);
  const us = (p) => round2(percentile(sortedFile, p) * 1000);
  perFile[label] = { bytes: Buffer.byteLength(text), format, median_us: us(50), p99_us: us(99), max_us: us(100) };
  rows.push([label, format, String(Buffer.byteLength(text)), us(50), us(99), us(100)]);
}

const sorted = [...all].sort((a, b) => a - b);
const overall = { n: all.length, median_ms: Math.round(percentile(sorted, 50) * 1e4) / 1e4, p99_ms: Math.round(percentile(sorted, 99) * 1e4) / 1e4 };

// Whole shipped tree, for information (includes readdir/readFile and reference checks).
const treeSamples = [];
const opts = { providers: ['openai', 'ollama', 'offline'], defaultModel: 'balanced' };
for (let i = 0; i < 20; i++) loadConfigTree(join(REPO, 'config'), opts);
for (let i = 0; i < TREE_SAMPLES; i++) {
  const t0 = performance.now();
  loadConfigTree(join(REPO, 'config'), opts);
  treeSamples.push(performance.now() - t0);
}
const tree = summarize(treeSamples);

const machine = machineFacts();
console.log(`parse + normalize + validate per file (parseEntity), ${SAMPLES} samples each after ${WARMUP} warm-up; times in µs`);
console.log(machineLine(machine));
console.log(table(['file', 'format', 'bytes', 'median µs', 'p99 µs', 'max µs'], rows));
console.log(`\nall files: ${overall.n} calls, median ${round2(overall.median_ms * 1000)} µs, p99 ${round2(overall.p99_ms * 1000)} µs`);
console.log(
  `whole shipped config/ tree (loadConfigTree, ${inputs.filter((i) => i[0].startsWith('config/')).length} files): median ${tree.median} ms, p90 ${tree.p90} ms`,
);
console.log(`fixtures: ${fixtures}\n`);
const targets = [
  { target: 'median per file (ours)', measured_ms: overall.median_ms, goal_ms: TARGET_OURS_MS, result: verdict(overall.median_ms, TARGET_OURS_MS) },
  { target: 'p99 per file (ours)', measured_ms: overall.p99_ms, goal_ms: TARGET_OURS_MS, result: verdict(overall.p99_ms, TARGET_OURS_MS) },
  { target: 'median per file (seed)', measured_ms: overall.median_ms, goal_ms: TARGET_SEED_MS, result: verdict(overall.median_ms, TARGET_SEED_MS) },
];
console.log(
  table(
    ['target', 'measured ms', 'goal ms', 'result'],
    targets.map((t) => [t.target, t.measured_ms, t.goal_ms, t.result]),
  ),
);
const file = writeResult(NAME, {
  machine,
  config: { warmup: WARMUP, samples: SAMPLES, tree_samples: TREE_SAMPLES, fixtures },
  overall,
  tree: { summary: tree },
  files: perFile,
  targets,
});
console.log(`\nwrote ${file}`);
