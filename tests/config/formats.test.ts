import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { decode } from '@toon-format/toon';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/config/diagnostics.js';
import { parseEntity, writeEntity } from '../../src/config/codec.js';
import { loadConfigTree } from '../../src/config/load.js';
import { migratePaths } from '../../src/config/migrate.js';
import { tempDir } from '../helpers/tmp.js';

const opts = { providers: ['openai'], defaultModel: 'balanced' };

function tree(files: Record<string, string>): string {
  const dir = tempDir('cx-fmt-');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, 'config', path, '..'), { recursive: true });
    writeFileSync(join(dir, 'config', path), text);
  }
  return join(dir, 'config');
}

const model = (name: string) => `name: ${name}\nprovider: openai\nmodel: gpt-4o-mini\n`;
const tool = (name: string) => `name: ${name}\n`;

// DIR-12 "What is TOON?" example, verbatim (line 8 is two spaces).
const DIR12_ORCHESTRATOR = [
  'name: orchestrator',
  'model: powerful',
  'max_tool_iterations: 10',
  'parallel_tools: false',
  'tools[2]: calculator,web_search',
  'system_prompt: |',
  '  You are an orchestrator agent that coordinates multiple specialized agents.',
  '  ',
  '  Your capabilities:',
  '  - Break down complex requests into subtasks',
  '  - Delegate to specialized agents',
  '  - Synthesize results from multiple sources',
  '',
].join('\n');

// ADR-0032 "New TOML Format" example, verbatim.
const ADR32_TOML = `name = "DataAnalyzer"
version = "1.0.0"
capabilities = ["data-analysis", "report-generation"]
tools = ["http_client", "csv_parser", "chart_generator"]

[memory]
enabled = true
scope = "agent"

[parameters]
max_file_size = "10MB"
supported_formats = ["csv", "json", "xlsx"]

system_prompt = '''
You are a data analysis expert who helps users understand their data.
You can fetch data from URLs, parse various formats, and create visualizations.

When you receive data analysis requests:
1. Check your memory for similar past analyses
2. Use appropriate tools to fetch and parse data
3. Generate clear insights and recommendations
4. Store successful patterns in memory for future use
'''

user_prompt_template = '''
Analyze the following data request: {{request}}

Available context from memory: {{memory_context}}
Data source: {{data_source}}
Requirements: {{requirements}}
'''

documentation = '''
# DataAnalyzer Agent

This agent specializes in data analysis tasks and can:
- Fetch data from HTTP endpoints
- Parse CSV, JSON, and Excel files
- Generate charts and visualizations
- Provide statistical summaries

## Usage Examples

Ask me to:
- "Analyze the sales data at https://example.com/sales.csv"
- "Create a chart showing monthly trends"
- "Summarize the key metrics in this dataset"
'''
`;

// ADR-0032 "Current Format Example" (Markdown + YAML frontmatter), verbatim.
const ADR32_MARKDOWN = `---
name: DataAnalyzer
version: "1.0.0"
capabilities: ["data-analysis", "report-generation"]
tools: ["http_client", "csv_parser"]
system_prompt: |
  You are a data analysis expert...

  When you receive requests:
  1. Check your memory
  2. Use appropriate tools
user_prompt_template: |
  Analyze: {{request}}
  Context: {{context}}
---
# DataAnalyzer Agent

Documentation content here...
`;

describe('TOON `key: |` block extension', () => {
  const base = { 'models/powerful.toon': model('powerful'), 'tools/calculator.toon': tool('calculator'), 'tools/web_search.toon': tool('web_search') };

  it('loads the DIR-12 orchestrator example with one W_DEPRECATED at the block line', () => {
    const snap = loadConfigTree(tree({ ...base, 'agents/orchestrator.toon': DIR12_ORCHESTRATOR }), opts);
    expect(snap.diagnostics.map(formatDiagnostic)).toEqual([
      'config/agents/orchestrator.toon:6:1: W_DEPRECATED `system_prompt: |` block is not TOON; read as a multi-line string\n' +
        '  hint: write it as one quoted line with \\n escapes (caxton export does this for you)',
    ]);
    const agent = snap.agents.get('orchestrator')!.value;
    expect(agent.system_prompt).toBe(
      'You are an orchestrator agent that coordinates multiple specialized agents.\n\nYour capabilities:\n' +
        '- Break down complex requests into subtasks\n- Delegate to specialized agents\n- Synthesize results from multiple sources',
    );
    expect(agent.tools).toEqual(['calculator', 'web_search']);
  });

  it('escapes quotes and backslashes, strips the common indent, and ends the block at the next key', () => {
    const text = 'name: q\nsystem_prompt: |\n    say "hi" \\ bye\n      indented\n\nmodel: powerful\n';
    const snap = loadConfigTree(tree({ ...base, 'agents/q.toon': text }), opts);
    // (q uses neither tool of `base`, hence the two W_UNUSED.)
    expect(snap.diagnostics.map((d) => `${d.code}@${d.line}`)).toEqual(['W_DEPRECATED@2', 'W_UNUSED@1', 'W_UNUSED@1']);
    expect(snap.agents.get('q')!.value).toMatchObject({ system_prompt: 'say "hi" \\ bye\n  indented', model: 'powerful' });
  });

  it('reports a syntax error after a block at its line in the original file', () => {
    const snap = loadConfigTree(tree({ ...base, 'agents/orchestrator.toon': `${DIR12_ORCHESTRATOR}capabilities[3]: a,b\n` }), opts);
    const text = snap.diagnostics.map(formatDiagnostic).join('\n');
    expect(text).toMatch(/config\/agents\/orchestrator\.toon:13:1: E_SYNTAX Expected 3 inline-form values, but got 2/);
    expect(snap.agents.size).toBe(0);
  });
});

describe('ADR-0032 TOML [parameters] trap', () => {
  it('says that system_prompt landed in [parameters] and how to fix it, instead of "missing system_prompt"', () => {
    const snap = loadConfigTree(tree({ 'models/balanced.toon': model('balanced'), 'agents/data.toml': ADR32_TOML }), opts);
    const text = snap.diagnostics.map(formatDiagnostic).join('\n');
    expect(text).toContain(
      'config/agents/data.toml:14:1: E_MISSING_FIELD `system_prompt` is inside the [parameters] table (line 10), so the agent has no top-level system_prompt\n' +
        '  hint: TOML keys after a [table] header belong to that table: move `system_prompt = ...` above the first [table] header (`[memory]`, line 6)',
    );
    expect(text).toMatch(/data\.toml:25:1: E_MISSING_FIELD `user_prompt_template` is inside the \[parameters\] table/);
    expect(text).not.toContain('missing required field `system_prompt`');
    expect(snap.agents.size).toBe(0);
  });

  it('reports a top-level field under [memory] as E_UNKNOWN_FIELD in place of the generic one', () => {
    const text = 'name = "m"\n\n[memory]\nenabled = true\nsystem_prompt = "hi"\n';
    const snap = loadConfigTree(tree({ 'models/balanced.toon': model('balanced'), 'agents/m.toml': text }), opts);
    expect(snap.diagnostics.map((d) => `${d.code}@${d.line} ${d.field}`)).toEqual(['E_UNKNOWN_FIELD@5 system_prompt']);
  });

  it('flags a field only the table has, not a parameter that shares the name of a field set above', () => {
    const text = 'name = "ok"\nsystem_prompt = "hi"\n\n[parameters]\nmodel = "not-a-top-level-field-here"\n';
    const snap = loadConfigTree(tree({ 'models/balanced.toon': model('balanced'), 'agents/ok.toml': text }), opts);
    expect(snap.diagnostics.map(formatDiagnostic).join('\n')).toMatch(/ok\.toml:5:1: E_MISSING_FIELD `model` is inside the \[parameters\] table/);
    const fixed = loadConfigTree(tree({ 'models/balanced.toon': model('balanced'), 'agents/ok.toml': 'name = "ok"\nsystem_prompt = "hi"\nmodel = "balanced"\n\n[parameters]\nmodel = "x"\n' }), opts);
    expect(fixed.diagnostics).toEqual([]);
    expect(fixed.agents.get('ok')!.value.parameters).toEqual({ model: 'x' });
  });
});

describe('Markdown + YAML frontmatter agents (.md, deprecated)', () => {
  const base = { 'models/balanced.toon': model('balanced'), 'tools/http_client.toon': tool('http_client'), 'tools/csv_parser.toon': tool('csv_parser') };

  it('loads the ADR-0032 example with W_DEPRECATED, the block prompt, and the body as documentation', () => {
    const snap = loadConfigTree(tree({ ...base, 'agents/DataAnalyzer.md': ADR32_MARKDOWN }), opts);
    expect(snap.diagnostics.map(formatDiagnostic)).toEqual([
      'config/agents/DataAnalyzer.md:1:1: W_DEPRECATED Markdown+YAML agents are deprecated (ADR-0032)\n  hint: run `caxton migrate FILE` to convert it to TOML',
    ]);
    expect(snap.agents.get('DataAnalyzer')!.value).toMatchObject({
      version: '1.0.0',
      tools: ['http_client', 'csv_parser'],
      system_prompt: 'You are a data analysis expert...\n\nWhen you receive requests:\n1. Check your memory\n2. Use appropriate tools\n',
      user_prompt_template: 'Analyze: {{request}}\nContext: {{context}}\n',
      documentation: '# DataAnalyzer Agent\n\nDocumentation content here...',
    });
  });

  it('reports malformed YAML as E_SYNTAX at its line in the file, and locates schema errors in the frontmatter', () => {
    const snap = loadConfigTree(
      tree({
        ...base,
        'agents/bad.md': '---\nname: bad\nsystem_prompt: hi\nname: again\n---\nbody\n',
        'agents/typo.md': '---\nname: typo\nsystem_prompt: hi\nmax_tool_iteration: 3\n---\nmax_tool_iteration: in the body\n',
      }),
      opts,
    );
    const text = snap.diagnostics.map(formatDiagnostic).join('\n');
    expect(text).toMatch(/config\/agents\/bad\.md:4:1: E_SYNTAX Map keys must be unique/);
    expect(text).toMatch(/config\/agents\/typo\.md:4:1: E_UNKNOWN_FIELD unknown field `max_tool_iteration`/);
    expect(snap.agents.size).toBe(0);
  });
});

describe('the seed examples through `caxton migrate` and the writers', () => {
  it('migrates the ADR-0032 frontmatter example verbatim to TOML that loads as the same agent', () => {
    const dir = tempDir('cx-mig-');
    writeFileSync(join(dir, 'DataAnalyzer.md'), ADR32_MARKDOWN);
    const [r] = migratePaths(['DataAnalyzer.md'], { cwd: dir });
    expect(r).toMatchObject({ status: 'written', target: 'DataAnalyzer.toml' });
    const toml = readFileSync(join(dir, 'DataAnalyzer.toml'), 'utf8');
    expect(parseEntity('agents', toml, 'toml').value).toEqual(parseEntity('agents', ADR32_MARKDOWN, 'markdown').value);
    // No [table] in the output: nothing for a later edit to fall into the [parameters] trap with.
    expect(toml.search(/^\[/m)).toBe(-1);
  });

  it('exports the DIR-12 `|` example as canonical TOON that the official decoder reads back', () => {
    const read = parseEntity('agents', DIR12_ORCHESTRATOR, 'toon');
    const toon = writeEntity('agents', read.value!, 'toon');
    expect(toon).not.toContain(': |');
    expect(decode(toon)).toMatchObject({ name: 'orchestrator', system_prompt: read.value!.system_prompt });
  });
});

describe('memory.summarize in every agent format', () => {
  const base = { 'models/balanced.toon': model('balanced') };

  it('reads it as a boolean from TOON, TOML and Markdown, and locates a value of the wrong type', () => {
    const snap = loadConfigTree(
      tree({
        ...base,
        'agents/a.toon': 'name: a\nsystem_prompt: hi\nmemory:\n  summarize: true\n',
        'agents/b.toml': 'name = "b"\nsystem_prompt = "hi"\n\n[memory]\nsummarize = true\n',
        'agents/c.md': '---\nname: c\nsystem_prompt: hi\nmemory:\n  summarize: true\n---\n',
        'agents/bad.toml': 'name = "bad"\nsystem_prompt = "hi"\n\n[memory]\nsummarize = "yes"\n',
      }),
      opts,
    );
    for (const name of ['a', 'b', 'c']) expect(snap.agents.get(name)!.value.memory).toMatchObject({ summarize: true });
    expect(snap.agents.has('bad')).toBe(false);
    const errors = snap.diagnostics.filter((d) => d.code.startsWith('E_')).map(formatDiagnostic);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/config\/agents\/bad\.toml:5:\d+: .*memory\.summarize/);
  });
});
