#!/usr/bin/env node
/**
 * Token counts of agent definitions in TOON vs JSON vs TOML (the seed DIR-12 claims TOON saves
 * 30-60% of tokens against JSON). Each agent is parsed once and written by the codec (dist/config/codec.js)
 * in canonical TOON, TOML and pretty JSON (2-space indent, what `agent export --format json` prints),
 * plus compact JSON (no whitespace, what an API body usually is), and counted with gpt-tokenizer's
 * o200k_base (GPT-4o family) and cl100k_base (GPT-4 / 3.5) encodings, both bundled (no download).
 *
 * Agents: the shipped config/agents, the templates, and the ARES fixture agents when
 * ../shared/fixtures/ares-config exists. Savings = 1 - TOON / other, per encoding, over the sum.
 * Counting is deterministic: no samples, no targets; the seed's claim is shown against the result.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { countTokens as o200k } from 'gpt-tokenizer/encoding/o200k_base';
import { countTokens as cl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { machineFacts, machineLine, REPO, requireBuild, round2, table, writeResult } from './lib/common.mjs';

const NAME = 'tokens';
requireBuild();
const { parseEntity, writeEntity } = await import(join(REPO, 'dist/config/codec.js'));
const { formatOfFile } = await import(join(REPO, 'dist/config/formats/index.js'));

const FIXTURES = join(REPO, '..', 'shared', 'fixtures', 'ares-config', 'agents');
const sources = [['config', join(REPO, 'config', 'agents')], ['templates', join(REPO, 'templates')], ...(existsSync(FIXTURES) ? [['fixture', FIXTURES]] : [])];

const FORMATS = ['toon', 'toml', 'json', 'json-compact'];
const agents = [];
for (const [tag, dir] of sources) {
  for (const f of readdirSync(dir).sort()) {
    const format = formatOfFile(f);
    if (!format || f === 'README.md') continue;
    const r = parseEntity('agents', readFileSync(join(dir, f), 'utf8'), format, f);
    if (!r.value) throw new Error(`${tag}/${f} does not validate: ${JSON.stringify(r.diagnostics)}`);
    const texts = {
      toon: writeEntity('agents', r.value, 'toon'),
      toml: writeEntity('agents', r.value, 'toml'),
      json: writeEntity('agents', r.value, 'json'),
      'json-compact': JSON.stringify(JSON.parse(writeEntity('agents', r.value, 'json'))),
    };
    const counts = {};
    for (const fmt of FORMATS) counts[fmt] = { o200k: o200k(texts[fmt]), cl100k: cl100k(texts[fmt]), bytes: Buffer.byteLength(texts[fmt]) };
    agents.push({ agent: `${tag}/${r.value.name}`, counts });
  }
}

const pct = (toon, other) => round2((1 - toon / other) * 100);
const rows = agents.map((a) => [
  a.agent,
  ...FORMATS.map((f) => String(a.counts[f].o200k)),
  `${pct(a.counts.toon.o200k, a.counts.json.o200k)}%`,
  `${pct(a.counts.toon.o200k, a.counts['json-compact'].o200k)}%`,
]);
const totals = {};
for (const enc of ['o200k', 'cl100k', 'bytes']) {
  totals[enc] = Object.fromEntries(FORMATS.map((f) => [f, agents.reduce((s, a) => s + a.counts[f][enc], 0)]));
}
const savings = {};
for (const enc of ['o200k', 'cl100k']) {
  savings[enc] = Object.fromEntries(FORMATS.filter((f) => f !== 'toon').map((f) => [`vs_${f}`, pct(totals[enc].toon, totals[enc][f])]));
}

const machine = machineFacts();
console.log(`tokens per agent definition (o200k_base), canonical writer output; ${agents.length} agents`);
console.log(machineLine(machine));
console.log(table(['agent', 'TOON', 'TOML', 'JSON (pretty)', 'JSON (compact)', 'TOON vs pretty', 'TOON vs compact'], rows));
console.log('');
console.log(
  table(
    ['encoding', 'TOON', 'TOML', 'JSON pretty', 'JSON compact', 'saved vs TOML', 'saved vs pretty', 'saved vs compact'],
    ['o200k', 'cl100k'].map((enc) => [
      `${enc} (sum)`,
      ...FORMATS.map((f) => String(totals[enc][f])),
      `${savings[enc].vs_toml}%`,
      `${savings[enc].vs_json}%`,
      `${savings[enc]['vs_json-compact']}%`,
    ]),
  ),
);
console.log(
  `\nseed claim: TOON saves 30-60% vs JSON. Measured on these agents (o200k): ${savings.o200k.vs_json}% vs pretty JSON, ${savings.o200k['vs_json-compact']}% vs compact JSON.`,
);
console.log('Agent files are mostly one long prompt string, which costs the same in every format; TOON saves on keys, quotes and arrays only.');
const file = writeResult(NAME, {
  machine,
  config: { encodings: ['o200k_base', 'cl100k_base'], sources: sources.map(([t]) => t) },
  agents,
  totals,
  savings_percent: savings,
});
console.log(`\nwrote ${file}`);
