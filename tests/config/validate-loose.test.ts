/**
 * `caxton validate` on a loose file (outside a kind directory), as a new user tries it: an
 * agent-looking file gets the agent diagnostics (the ADR-0032 [parameters] trap, did-you-mean for a
 * misspelt `system_prompt`), and a scenario file is validated as one, with located diagnostics.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/config/diagnostics.js';
import { guessKind, validatePaths } from '../../src/config/validate.js';
import { tempDir } from '../helpers/tmp.js';

function files(map: Record<string, string>): string {
  const dir = tempDir('cx-loose-');
  for (const [path, text] of Object.entries(map)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

// ADR-0032's DataAnalyzer in TOML: `system_prompt` written after [parameters], so TOML files it there.
const ADR_0032 = `name = "DataAnalyzer"
version = "1.0.0"
capabilities = ["data-analysis", "report-generation"]
tools = ["calculator"]

[parameters]
max_file_size = "10MB"
system_prompt = """
You are a data analysis expert.
"""
`;

const lines = (dir: string, path: string) => validatePaths([path], { cwd: dir }).diagnostics.map(formatDiagnostic);

describe('validate: loose files', () => {
  it('the ADR-0032 example gets the [parameters] diagnosis, as inside agents/', () => {
    const dir = files({ 'DataAnalyzer.toml': ADR_0032, 'agents/DataAnalyzer.toml': ADR_0032 });
    const loose = lines(dir, 'DataAnalyzer.toml');
    expect(loose).toEqual([
      expect.stringMatching(/^DataAnalyzer\.toml:8:1: E_MISSING_FIELD `system_prompt` is inside the \[parameters\] table \(line 6\), so the agent has no top-level system_prompt\n {2}hint: TOML keys after a \[table\] header belong to that table/),
    ]);
    expect(loose).toEqual(lines(dir, 'agents/DataAnalyzer.toml').map((l) => l.replace('agents/', '')));
  });

  it('a loose agent with `sytem_prompt` gets did-you-mean', () => {
    const dir = files({ 'helper.toon': 'name: helper\nsytem_prompt: hi\n' });
    expect(lines(dir, 'helper.toon')).toEqual([
      'helper.toon:1:1: E_MISSING_FIELD missing required field `system_prompt`\n  hint: add `system_prompt` to the file',
      'helper.toon:2:1: E_UNKNOWN_FIELD unknown field `sytem_prompt`\n  hint: did you mean `system_prompt`?',
    ]);
  });

  it('guesses other kinds by their fields', () => {
    expect(guessKind('name: x\ncommand: npx\n', 'toon')).toBe('mcps');
    expect(guessKind('name: x\ndescription: y\ntimeout_secs: 3\n', 'toon')).toBe('tools');
    expect(guessKind('name: x\nentry_agent: a\n', 'toon')).toBe('workflows');
    expect(guessKind('name: x\nmodel: balanced\ntools: []\n', 'toon')).toBe('agents');
    expect(guessKind('name: x\n', 'toon')).toBe('tools');
    expect(guessKind('sytem_prompt: x\n', 'toon')).toBe('agents');
  });

  it('a scenario file is validated as one, with did-you-mean and located errors', () => {
    const dir = files({
      'tests/ok.test.toml': 'agent = "a"\n[[cases]]\nname = "n"\ninput = "hi"\n[cases.expect]\ncontains = ["x"]\n',
      'tests/bad.test.toml': 'agent = "a"\n[[cases]]\nname = "n"\ninput = "hi"\n[cases.expect]\ncontain = ["x"]\nregex = ["("]\n',
    });
    expect(validatePaths(['tests/ok.test.toml'], { cwd: dir }).errors).toBe(0);
    const wholeDir = validatePaths(['tests'], { cwd: dir });
    expect([wholeDir.files, wholeDir.errors]).toEqual([['tests/bad.test.toml', 'tests/ok.test.toml'], 1]);
    expect(lines(dir, 'tests/bad.test.toml')).toEqual([
      'tests/bad.test.toml:6:1: E_UNKNOWN_FIELD unknown field `cases.0.expect.contain`\n  hint: did you mean `contains`?',
    ]);
    const dirRegex = files({ 'r.test.toml': 'agent = "a"\n[[cases]]\nname = "n"\ninput = "hi"\n[cases.expect]\nregex = ["("]\n' });
    expect(lines(dirRegex, 'r.test.toml')).toEqual([
      expect.stringMatching(/^r\.test\.toml:6:1: E_VALUE `cases\.0\.expect\.regex` is not a valid regular expression: .*\n {2}hint: JavaScript regular expression syntax/),
    ]);
  });

  it('scenario files and cassettes beside agents are not loaded as agents', () => {
    const dir = files({
      'ares.toml': '[providers.openai]\ntype = "offline"\n',
      'config/models/m.toon': 'name: m\nprovider: openai\nmodel: x\n',
      'config/agents/a.toon': 'name: a\nsystem_prompt: hi\nmodel: m\n',
      'config/agents/a.test.toml': 'agent = "a"\n[[cases]]\nname = "n"\ninput = "hi"\n',
      'config/agents/a.cassette.json': '{"version": 1, "interactions": [], "tools": []}',
    });
    const r = validatePaths(['.'], { cwd: dir });
    expect(r.diagnostics).toEqual([]);
    expect(r.files).not.toContain('config/agents/a.test.toml');
  });
});
