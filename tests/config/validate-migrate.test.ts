/**
 * validatePaths and migratePaths (the cores of `caxton validate` / `caxton migrate`) on real files in temp
 * dirs: files, kind directories, config trees and homes; migration of the ADR-0032 frontmatter example.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseEntity } from '../../src/config/codec.js';
import { formatDiagnostic } from '../../src/config/diagnostics.js';
import { migratePaths } from '../../src/config/migrate.js';
import { guessKind, validatePaths } from '../../src/config/validate.js';
import { tempDir } from '../helpers/tmp.js';

function files(map: Record<string, string | Buffer>): string {
  const dir = tempDir('cx-val-');
  for (const [path, text] of Object.entries(map)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const MODEL = 'name: balanced\nprovider: openai\nmodel: gpt-4o-mini\n';
const AGENT = 'name: helper\nsystem_prompt: hi\nmodel: balanced\n';

describe('validatePaths', () => {
  it('a home: checks ares.toml and the tree, with references against the home\'s providers', () => {
    const dir = files({
      'ares.toml': '[providers.local]\ntype = "offline"\n',
      'config/models/balanced.toon': MODEL,
      'config/agents/helper.toon': AGENT,
    });
    const r = validatePaths([dir], { cwd: dir });
    expect(r.files.sort()).toEqual(['ares.toml', 'config/agents/helper.toon', 'config/models/balanced.toon']);
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([
      'config/models/balanced.toon:2:1: E_REFERENCE model `balanced` uses provider `openai`, which ares.toml does not define\n  hint: add [providers.openai] to ares.toml',
      'config/agents/helper.toon:3:1: E_REFERENCE agent `helper` uses model `balanced`, which is not defined\n  hint: define it in config/models/ or pick an existing model',
    ]);
    expect(r.errors).toBe(2);
  });

  it('a tree without ares.toml: provider names are not checked, and a note says so', () => {
    const dir = files({ 'config/models/balanced.toon': MODEL.replace('openai', 'my-gpu'), 'config/agents/helper.toon': AGENT });
    const r = validatePaths(['config'], { cwd: dir });
    expect(r.diagnostics).toEqual([]);
    expect(r.notes).toEqual(['no ares.toml next to config: provider names were not checked']);
  });

  it('builtin tools need no file in config/tools (as in the daemon); unknown tools are still errors', () => {
    const agent = AGENT + 'tools[3]: current_time,memory_get,clock\n';
    const dir = files({ 'config/models/balanced.toon': MODEL, 'config/agents/helper.toon': agent });
    const r = validatePaths(['config'], { cwd: dir });
    expect(r.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([expect.stringMatching(/^E_REFERENCE .*`clock`/)]);
  });

  it('an invalid ares.toml is reported with its location', () => {
    const dir = files({ 'ares.toml': '[server]\nprot = 8080\n', 'config/models/balanced.toon': MODEL });
    const r = validatePaths(['.'], { cwd: dir });
    expect(r.diagnostics.map((d) => `${d.file}:${d.line} ${d.code} ${d.hint}`)).toEqual(['ares.toml:2 E_UNKNOWN_FIELD did you mean `port`?']);
  });

  it('loose files: kind from the directory name, else guessed from the fields, else --kind', () => {
    const dir = files({
      'agents/a.json': '{"name": "a", "system_prompt": "x", "tools": "calculator"}',
      'loose/m.toml': 'name = "m"\nprovider = "openai"\nmodel = "gpt"\ntemperature = 3\n',
      'loose/w.toon': 'name: w\nentry_agent: a\n',
    });
    const r = validatePaths(['agents/a.json', 'loose'], { cwd: dir });
    expect(r.diagnostics.map((d) => `${d.file}:${d.line}:${d.col} ${d.code} ${d.field}`)).toEqual([
      'agents/a.json:1:37 E_TYPE tools',
      'loose/m.toml:4:1 E_VALUE temperature',
    ]);
    expect(validatePaths(['loose/w.toon'], { cwd: dir, kind: 'agents' }).diagnostics.map((d) => d.code)).toEqual(['E_MISSING_FIELD', 'E_UNKNOWN_FIELD']);
    expect(guessKind('name: x\ncommand: npx\n', 'toon')).toBe('mcps');
    expect(guessKind('name: x\ndescription: y\n', 'toon')).toBe('tools');
  });

  it('missing paths, non-entity files and invalid UTF-8 are located errors, not crashes', () => {
    const dir = files({ 'notes.txt': 'hello', 'agents/bin.toon': Buffer.from([0x6e, 0x61, 0x6d, 0x65, 0x3a, 0x20, 0x0a, 0x61, 0xff, 0xfe, 0x0a]) });
    const r = validatePaths(['nope.toon', 'notes.txt', 'agents/bin.toon'], { cwd: dir });
    expect(r.diagnostics.map((d) => `${d.file}:${d.line}:${d.col} ${d.code} ${d.message}`)).toEqual([
      'nope.toon:1:1 E_SYNTAX no such file or directory',
      'notes.txt:1:1 E_SYNTAX not an entity file',
      'agents/bin.toon:2:2 E_SYNTAX the file is not valid UTF-8 text',
    ]);
  });

  it('the shipped config/ and templates-style trees validate clean', () => {
    const r = validatePaths(['config'], { cwd: join(__dirname, '../..') });
    expect(r.errors).toBe(0);
    expect(r.files.length).toBeGreaterThan(5);
  });
});

// ADR-0032 "Current Format Example" (Markdown + YAML frontmatter), as users have it on disk.
const LEGACY = `---
name: DataAnalyzer
version: "1.0.0"
capabilities: ["data-analysis", "report-generation"]
tools: ["http_client", "csv_parser"]
system_prompt: |
  You are a data analysis expert.

  Check your memory first.
---
# DataAnalyzer Agent

Notes for maintainers.
`;

describe('migratePaths', () => {
  it('writes a TOML next to the source, keeps the .md, and reports what changed', () => {
    const dir = files({ 'agents/DataAnalyzer.md': LEGACY });
    const [r] = migratePaths(['agents'], { cwd: dir });
    expect(r).toMatchObject({ source: 'agents/DataAnalyzer.md', target: 'agents/DataAnalyzer.toml', status: 'written' });
    expect(r!.changes.join('\n')).toMatch(/Markdown body -> `documentation` \(3 lines\)/);
    expect(r!.changes.join('\n')).toMatch(/defaults written out: max_tool_iterations = 10, parallel_tools = false/);
    expect(existsSync(join(dir, 'agents/DataAnalyzer.md'))).toBe(true);
    const toml = readFileSync(join(dir, 'agents/DataAnalyzer.toml'), 'utf8');
    expect(toml).toContain("system_prompt = '''\nYou are a data analysis expert.\n\nCheck your memory first.\n'''");
    const back = parseEntity('agents', toml, 'toml');
    const source = parseEntity('agents', LEGACY, 'markdown');
    expect(back.diagnostics).toEqual([]);
    expect(back.value).toEqual(source.value);
  });

  it('refuses to overwrite without --force, writes to --out, and fails invalid sources with their diagnostics', () => {
    const dir = files({ 'a.md': LEGACY, 'a.toml': 'existing', 'bad.md': '---\nname: bad\nsystem_prompt: hi\nmax_tool_iteration: 3\n---\n' });
    const results = migratePaths(['a.md', 'bad.md'], { cwd: dir });
    expect(results.map((r) => `${r.source} ${r.status} ${r.diagnostics.map((d) => `${d.code}@${d.line}`).join(',')}`)).toEqual([
      'a.md failed E_DUPLICATE@1',
      'bad.md failed E_UNKNOWN_FIELD@4',
    ]);
    expect(readFileSync(join(dir, 'a.toml'), 'utf8')).toBe('existing');
    expect(existsSync(join(dir, 'bad.toml'))).toBe(false);

    expect(migratePaths(['a.md'], { cwd: dir, out: 'out' })[0]!.status).toBe('written');
    expect(existsSync(join(dir, 'out/a.toml'))).toBe(true);
    expect(migratePaths(['a.md'], { cwd: dir, force: true })[0]!.status).toBe('written');
    expect(readFileSync(join(dir, 'a.toml'), 'utf8')).toMatch(/^name = "DataAnalyzer"/);
  });
});

describe('CLI registration', () => {
  it('schema offers exactly the entity kinds for --kind; validate takes them plural or singular', async () => {
    const { buildProgram } = await import('../../src/cli/main.js');
    const { ENTITY_KINDS } = await import('../../src/domain/entities.js');
    const program = buildProgram();
    const option = (name: string) => program.commands.find((c) => c.name() === name)!.options.find((o) => o.long === '--kind')!;
    expect(option('schema').argChoices).toEqual([...ENTITY_KINDS]);
    const parse = option('validate').parseArg!;
    for (const kind of ENTITY_KINDS) {
      expect(parse(kind, undefined)).toBe(kind);
      expect(parse(kind.slice(0, -1), undefined)).toBe(kind);
    }
    expect(() => parse('agnt', undefined)).toThrow(/invalid kind "agnt": expected one of agents, models, tools, workflows, mcps/);
  });
});
