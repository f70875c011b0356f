/**
 * Malformed-input corpus (SPEC §3 diagnostics): truncated files, wrong types, tabs, unknown keys, bad
 * references, duplicate names, invalid UTF-8, a 10 MB prompt, deep nesting. Each file is dropped into an
 * otherwise good config tree and loaded by the real loader: it must give a located diagnostic with the
 * right code, never throw, and the good entities around it must still load.
 * (The daemon-side check, that a running daemon keeps serving, is in tests/e2e/config-cli.test.ts.)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseEntity } from '../../src/config/codec.js';
import { isWarning } from '../../src/config/diagnostics.js';
import { MAX_DECODED_LINES, MAX_NESTING, MAX_STRING_CHARS } from '../../src/config/limits.js';
import { loadConfigTree } from '../../src/config/load.js';
import { tempDir } from '../helpers/tmp.js';

const opts = { providers: ['openai'], defaultModel: 'balanced' };
const GOOD = {
  'models/balanced.toon': 'name: balanced\nprovider: openai\nmodel: gpt-4o-mini\n',
  'tools/calculator.toon': 'name: calculator\n',
  'agents/good.toon': 'name: good\nsystem_prompt: "I still load."\ntools[1]: calculator\n',
};

function tree(files: Record<string, string | Buffer>): string {
  const dir = tempDir('cx-bad-');
  for (const [path, content] of Object.entries({ ...GOOD, ...files })) {
    mkdirSync(join(dir, 'config', path, '..'), { recursive: true });
    writeFileSync(join(dir, 'config', path), content);
  }
  return join(dir, 'config');
}

const DEEP = 10_000;
const bytes = (...parts: Array<string | number[]>) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

/** [label, file (under config/), content, expected code, expected line]. */
const CORPUS: Array<[string, string, string | Buffer, string, number]> = [
  ['truncated TOON string', 'agents/t1.toon', 'name: t1\nsystem_prompt: "You are', 'E_SYNTAX', 2],
  ['truncated TOON array', 'agents/t2.toon', 'name: t2\nsystem_prompt: x\ntools[3]: calculator,web', 'E_SYNTAX', 3],
  ['truncated TOML', 'agents/t3.toml', 'name = "t3"\nsystem_prompt = """never closed\n', 'E_SYNTAX', 2],
  ['truncated JSON', 'agents/t4.json', '{\n  "name": "t4",\n  "system_prompt": "x"', 'E_SYNTAX', 3],
  ['truncated frontmatter', 'agents/t5.md', '---\nname: t5\nsystem_prompt: x\n', 'E_SYNTAX', 1],
  ['empty JSON file', 'agents/t6.json', '', 'E_SYNTAX', 1],
  ['empty TOON file', 'agents/t7.toon', '', 'E_MISSING_FIELD', 1],
  ['array instead of object', 'models/t8.json', '[1, 2]', 'E_TYPE', 1],
  ['wrong type: number as word', 'agents/w1.toon', 'name: w1\nsystem_prompt: x\nmax_tool_iterations: many\n', 'E_TYPE', 3],
  ['wrong type: tools as string', 'agents/w2.json', '{\n  "name": "w2",\n  "system_prompt": "x",\n  "tools": "calculator"\n}', 'E_TYPE', 4],
  ['wrong type: temperature as string', 'models/w3.toml', 'name = "w3"\nprovider = "openai"\nmodel = "m"\ntemperature = "hot"\n', 'E_TYPE', 4],
  ['out of range', 'models/w4.toon', 'name: w4\nprovider: openai\nmodel: m\ntemperature: 9\n', 'E_VALUE', 4],
  ['bad name', 'agents/w5.toon', 'name: "9 lives"\nsystem_prompt: x\n', 'E_VALUE', 1],
  ['tab-indented TOON', 'agents/s1.toon', 'name: s1\nsystem_prompt: x\nmemory:\n\tenabled: true\n', 'E_SYNTAX', 4],
  ['tab-indented YAML', 'agents/s2.md', '---\nname: s2\nsystem_prompt: x\nmemory:\n\tenabled: true\n---\n', 'E_SYNTAX', 5],
  ['unknown key', 'agents/u1.toon', 'name: u1\nsystem_prompt: x\nmodle: balanced\n', 'E_UNKNOWN_FIELD', 3],
  ['unknown nested key', 'agents/u2.toml', 'name = "u2"\nsystem_prompt = "x"\n\n[memory]\nenable = true\n', 'E_UNKNOWN_FIELD', 5],
  ['bad model reference', 'agents/r1.toon', 'name: r1\nsystem_prompt: x\nmodel: balancd\n', 'E_REFERENCE', 3],
  ['bad tool reference', 'agents/r2.toon', 'name: r2\nsystem_prompt: x\ntools[2]: calculator,calculater\n', 'E_REFERENCE', 3],
  ['bad MCP reference', 'agents/r3.toon', 'name: r3\nsystem_prompt: x\ntools[1]: nowhere.*\n', 'E_REFERENCE', 3],
  ['bad provider', 'models/r4.toon', 'name: r4\nprovider: opnai\nmodel: m\n', 'E_REFERENCE', 2],
  ['bad workflow agent', 'workflows/r5.toon', 'name: r5\nentry_agent: goood\n', 'E_REFERENCE', 2],
  ['duplicate name', 'agents/zz-dup.toon', 'system_prompt: again\nname: good\n', 'E_DUPLICATE', 2],
  ['invalid UTF-8', 'agents/b1.toon', bytes('name: b1\nsystem_prompt: "caf', [0xc3, 0x28], '"\n'), 'E_SYNTAX', 2],
  ['UTF-16 file', 'agents/b2.json', Buffer.from('\uFEFF{"name":"b2"}', 'utf16le'), 'E_SYNTAX', 1],
  ['NUL bytes', 'agents/b3.toon', 'name: b3\nsystem_prompt: x\n\u0000\u0000\u0000\n', 'E_SYNTAX', 3],
  ['10 MB prompt', 'agents/p1.toon', `name: p1\nmodel: balanced\nsystem_prompt: "${'All work and no play. '.repeat(500_000)}"\n`, 'E_VALUE', 3],
  ['10 MB TOML prompt', 'agents/p2.toml', `name = "p2"\nsystem_prompt = "${'All work and no play. '.repeat(500_000)}"\n`, 'E_VALUE', 2],
  ['10 MB prompt in Markdown frontmatter', 'agents/p3.md', `---\nname: p3\nsystem_prompt: ${'All work and no play. '.repeat(500_000)}\n---\n`, 'E_VALUE', 3],
  ['10 MB of short TOML lines', 'agents/p4.toml', `name = "p4"\nsystem_prompt = "x"\n[parameters]\n${Array.from({ length: 400_000 }, (_, i) => `k${i} = "some value"`).join('\n')}\n`, 'E_VALUE', 1],
  ['20k-line TOON', 'agents/p5.toon', `name: p5\nsystem_prompt: x\nparameters:\n${Array.from({ length: 20_000 }, (_, i) => `  k${i}: v`).join('\n')}\n`, 'E_VALUE', MAX_DECODED_LINES.toon! + 1],
  ['5k-line YAML frontmatter', 'agents/p6.md', `---\nname: p6\nsystem_prompt: x\nparameters:\n${Array.from({ length: 5_000 }, (_, i) => `  k${i}: v`).join('\n')}\n---\n`, 'E_VALUE', MAX_DECODED_LINES.yaml! + 1],
  ['10k-deep JSON', 'agents/d1.json', `{"name":"d1","system_prompt":"x",\n"parameters":{"a":${'['.repeat(DEEP)}${']'.repeat(DEEP)}}}`, 'E_VALUE', 2],
  ['10k-deep TOML', 'agents/d2.toml', `name = "d2"\nsystem_prompt = "x"\n[parameters]\na = ${'['.repeat(DEEP)}${']'.repeat(DEEP)}\n`, 'E_SYNTAX', 4],
  ['10k-deep TOML inline tables', 'agents/d3.toml', `name = "d3"\nsystem_prompt = "x"\n[parameters]\na = ${'{b='.repeat(DEEP)}1${'}'.repeat(DEEP)}\n`, 'E_SYNTAX', 4],
  ['10k-deep YAML', 'agents/d4.md', `---\nname: d4\nsystem_prompt: x\nparameters: ${'['.repeat(DEEP)}${']'.repeat(DEEP)}\n---\n`, 'E_SYNTAX', 4],
  [
    '300-deep TOON',
    'agents/d5.toon',
    `name: d5\nsystem_prompt: x\nparameters:\n${Array.from({ length: 300 }, (_, i) => `${'  '.repeat(i + 1)}k:`).join('\n')} 1\n`,
    'E_SYNTAX',
    4 + 128,
  ],
  [
    `${MAX_NESTING + 1}-deep TOON (below the indent guard)`,
    'agents/d6.toon',
    `name: d6\nsystem_prompt: x\nparameters:\n${Array.from({ length: MAX_NESTING + 1 }, (_, i) => `${'  '.repeat(i + 1)}k:`).join('\n')} 1\n`,
    'E_VALUE',
    3,
  ],
];

describe('malformed-input corpus through the loader', () => {
  it.each(CORPUS)('%s: located %s, nothing thrown, the good agent still loads', (_label, file, content, code, line) => {
    const snap = loadConfigTree(tree({ [file]: content }), opts);
    const mine = snap.diagnostics.filter((d) => d.file === `config/${file}` && !isWarning(d));
    expect(mine.length, JSON.stringify(snap.diagnostics).slice(0, 1000)).toBeGreaterThan(0);
    expect(mine[0], JSON.stringify(mine).slice(0, 1000)).toMatchObject({ code, line });
    expect(mine[0]!.col).toBeGreaterThanOrEqual(1);
    expect(mine[0]!.message.length).toBeLessThan(500); // never echoes a huge value back
    expect(snap.agents.has('good')).toBe(true);
  });

  it('did-you-mean hints on unknown keys and references', () => {
    const snap = loadConfigTree(tree({ 'agents/u1.toon': CORPUS[15]![2], 'agents/r1.toon': CORPUS[17]![2] }), opts);
    const hints = snap.diagnostics.filter((d) => !isWarning(d)).map((d) => `${d.code} ${d.hint}`);
    expect(hints).toContain('E_UNKNOWN_FIELD did you mean `model`?');
    expect(hints).toContain('E_REFERENCE did you mean `balanced`?');
  });

  it('all of the corpus at once: one pass reports every bad file, good entities load', () => {
    const files = Object.fromEntries(CORPUS.map(([, file, content]) => [file, content]));
    const snap = loadConfigTree(tree(files), opts);
    const bad = new Set(snap.diagnostics.filter((d) => !isWarning(d)).map((d) => d.file));
    for (const [, file] of CORPUS) expect(bad, file).toContain(`config/${file}`);
    expect(snap.agents.has('good')).toBe(true);
    expect(snap.models.has('balanced')).toBe(true);
  });

  it.each(['json', 'toon', 'toml'] as const)('a prompt just under the limit loads (%s)', (format) => {
    const prompt = 'x'.repeat(MAX_STRING_CHARS);
    const text = { json: JSON.stringify({ name: 'big', system_prompt: prompt }), toon: `name: big\nsystem_prompt: ${prompt}\n`, toml: `name = "big"\nsystem_prompt = "${prompt}"\n` }[format];
    const r = parseEntity('agents', text, format);
    expect(r.diagnostics).toEqual([]);
    expect(r.value!.system_prompt.length).toBe(MAX_STRING_CHARS);
  });

  it('a string one character over the limit is refused at its key, before or after decoding', () => {
    for (const [format, text] of [['json', `{"name": "big",\n"system_prompt": "${'x'.repeat(MAX_STRING_CHARS + 1)}"}`], ['toml', `name = "big"\nsystem_prompt = '''\n${'x'.repeat(MAX_STRING_CHARS + 1)}'''\n`]] as const) {
      const r = parseEntity('agents', text, format);
      expect(r.diagnostics, format).toMatchObject([{ code: 'E_VALUE', line: 2, field: 'system_prompt' }]);
    }
  });
});
