/**
 * Codec: one entity text <-> one validated entity. Round trips over every shipped file in config/ and
 * every fixture file (../shared/fixtures/ares-config, skipped with a message when absent), in all three
 * formats; exact reproduction of canonical text; the same located diagnostics as the tree loader.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseEntity, writeEntity } from '../../src/config/codec.js';
import { formatOfFile } from '../../src/config/formats/index.js';
import { ENTITY_FORMATS, ENTITY_KINDS, type EntityKind } from '../../src/domain/entities.js';
import { DomainError } from '../../src/domain/errors.js';

const SHIPPED = resolve(__dirname, '../../config');
const FIXTURES = resolve(__dirname, '../../../shared/fixtures/ares-config');

/** Every entity file of a config tree as [kind, path]. */
function entityFiles(dir: string): Array<[EntityKind, string]> {
  return ENTITY_KINDS.flatMap((kind) => {
    const sub = join(dir, kind);
    if (!existsSync(sub)) return [];
    return readdirSync(sub)
      .filter((f) => formatOfFile(f) && !/^readme\.md$/i.test(f))
      .map((f): [EntityKind, string] => [kind, join(sub, f)]);
  });
}

function roundTrips(dir: string, label: string) {
  const files = entityFiles(dir);
  it(`${label} has entity files`, () => {
    expect(files.length).toBeGreaterThan(5);
  });
  for (const [kind, path] of files) {
    it(`${label}: ${kind}/${path.split('/').pop()} round-trips through toon, toml and json`, () => {
      const source = parseEntity(kind, readFileSync(path, 'utf8'), formatOfFile(path)!, path);
      expect(source.diagnostics.filter((d) => !d.code.startsWith('W_'))).toEqual([]);
      expect(source.value).toBeDefined();
      for (const format of ENTITY_FORMATS) {
        const text = writeEntity(kind, source.value!, format);
        const back = parseEntity(kind, text, format);
        expect(back.diagnostics, `${format}:\n${text}`).toEqual([]);
        expect(back.value).toEqual(source.value);
        // Canonical text is a fixed point: writing what was read reproduces it byte for byte.
        expect(writeEntity(kind, back.value!, format)).toBe(text);
      }
    });
  }
}

describe('round trip of shipped config/', () => {
  roundTrips(SHIPPED, 'config');
});

describe.skipIf(!existsSync(FIXTURES))('round trip of ../shared/fixtures/ares-config', () => {
  roundTrips(FIXTURES, 'fixture');
});
if (!existsSync(FIXTURES)) {
  it.skip(`fixture round trip skipped: ${FIXTURES} is absent`, () => {});
}

describe('writeEntity', () => {
  const CANONICAL_TOON = [
    'name: helper',
    'system_prompt: "Line one.\\nLine two."',
    'model: fast',
    'tools[2]: calculator,web_search',
    'capabilities: []',
    'max_tool_iterations: 3',
    'parallel_tools: false',
    '',
  ].join('\n');

  it('reproduces a canonical TOON file exactly, and canonical TOML and JSON as well', () => {
    const toon = parseEntity('agents', CANONICAL_TOON, 'toon');
    expect(toon.diagnostics).toEqual([]);
    expect(writeEntity('agents', toon.value!, 'toon')).toBe(CANONICAL_TOON);
    for (const format of ['toml', 'json'] as const) {
      const text = writeEntity('agents', toon.value!, format);
      expect(writeEntity('agents', parseEntity('agents', text, format).value!, format)).toBe(text);
    }
  });

  it('writes keys in schema order whatever order the source used', () => {
    const parsed = parseEntity('models', 'model: gpt-4o\ntemperature: 0.5\nprovider: openai\nname: big\n', 'toon');
    expect(writeEntity('models', parsed.value!, 'toon')).toBe('name: big\nprovider: openai\nmodel: gpt-4o\ntemperature: 0.5\n');
  });

  it("TOML: top-level keys before tables and multi-line prompts as ''' blocks", () => {
    const agent = parseEntity(
      'agents',
      JSON.stringify({
        name: 'analyst',
        memory: { scope: 'user', enabled: true },
        parameters: { max_rows: 100, formats: ['csv', 'json'] },
        system_prompt: 'You analyse data.\n\nBe brief.',
        model: 'fast',
      }),
      'json',
    ).value!;
    const toml = writeEntity('agents', agent, 'toml');
    expect(toml).toContain("system_prompt = '''\nYou analyse data.\n\nBe brief.'''\n");
    const firstTable = toml.indexOf('\n[');
    expect(firstTable).toBeGreaterThan(toml.indexOf('parallel_tools ='));
    expect(toml.slice(firstTable)).toContain('[memory]\nenabled = true\nscope = "user"');
    expect(parseEntity('agents', toml, 'toml').value).toEqual(agent);
  });

  it("TOML: a prompt that cannot be a literal block (contains ''' or a carriage return) is written escaped", () => {
    for (const prompt of ["Quote it as '''x'''\nplease", 'Windows\r\nline', "ends with a quote\n'"]) {
      const agent = parseEntity('agents', JSON.stringify({ name: 'a', system_prompt: prompt }), 'json').value!;
      const toml = writeEntity('agents', agent, 'toml');
      expect(toml).toMatch(/^system_prompt = "/m);
      expect(parseEntity('agents', toml, 'toml').value!.system_prompt).toBe(prompt);
    }
  });

  it('TOON: the `key: |` block is read with a warning but never written', () => {
    const read = parseEntity('agents', 'name: a\nsystem_prompt: |\n  First.\n  Second.\n', 'toon');
    expect(read.diagnostics.map((d) => d.code)).toEqual(['W_DEPRECATED']);
    const text = writeEntity('agents', read.value!, 'toon');
    expect(text).toContain('system_prompt: "First.\\nSecond."');
    expect(text).not.toMatch(/: \|/);
  });

  it('keeps an explicitly empty optional object (tool parameters) but drops empty defaults', () => {
    const tool = parseEntity('tools', '{"name":"t","parameters":{},"config":{}}', 'json').value!;
    const text = writeEntity('tools', tool, 'json');
    expect(JSON.parse(text)).toEqual({ name: 't', enabled: true, timeout_secs: 30, type: 'builtin', parameters: {} });
    expect(parseEntity('tools', text, 'json').value).toEqual(tool);
  });

  it('refuses a null that TOML cannot hold instead of dropping it silently', () => {
    const agent = parseEntity('agents', '{"name":"a","system_prompt":"p","parameters":{"limit":null}}', 'json').value!;
    expect(() => writeEntity('agents', agent, 'toml')).toThrow(DomainError);
    expect(() => writeEntity('agents', agent, 'toml')).toThrow(/parameters\.limit/);
    expect(parseEntity('agents', writeEntity('agents', agent, 'toon'), 'toon').value).toEqual(agent);
  });
});

describe('parseEntity', () => {
  it('gives located diagnostics like the loader: syntax errors', () => {
    const r = parseEntity('agents', 'name = "a"\nsystem_prompt = "unterminated\n', 'toml', 'agents/a.toml');
    expect(r.value).toBeUndefined();
    expect(r.diagnostics).toMatchObject([{ code: 'E_SYNTAX', file: 'agents/a.toml', line: 2 }]);
  });

  it('unknown fields get a did-you-mean at their line', () => {
    const r = parseEntity('agents', 'name: a\nsystem_prompt: hi\nmax_tool_iteration: 3\n', 'toon', 'x.toon');
    expect(r.value).toBeUndefined();
    expect(r.diagnostics).toMatchObject([{ code: 'E_UNKNOWN_FIELD', line: 3, col: 1, hint: 'did you mean `max_tool_iterations`?' }]);
  });

  it('the ADR-0032 [parameters] trap is reported at the captured key', () => {
    const r = parseEntity('agents', 'name = "a"\n\n[parameters]\nx = 1\nsystem_prompt = "hi"\n', 'toml');
    expect(r.value).toBeUndefined();
    expect(r.diagnostics).toMatchObject([{ code: 'E_MISSING_FIELD', line: 5, field: 'system_prompt' }]);
    expect(r.diagnostics[0]!.hint).toMatch(/move `system_prompt = \.\.\.` above the first \[table\] header/);
  });

  it('reads Markdown+YAML frontmatter with a deprecation warning', () => {
    const r = parseEntity('agents', '---\nname: legacy\nsystem_prompt: Be kind.\n---\nNotes here.\n', 'markdown');
    expect(r.value).toMatchObject({ name: 'legacy', system_prompt: 'Be kind.', documentation: 'Notes here.' });
    expect(r.diagnostics.map((d) => d.code)).toEqual(['W_DEPRECATED']);
  });

  it('a non-object document is a located type error', () => {
    const r = parseEntity('models', '[1, 2]', 'json');
    expect(r.diagnostics).toMatchObject([{ code: 'E_TYPE', line: 1, col: 1 }]);
  });
});
