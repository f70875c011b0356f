import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/config/diagnostics.js';
import { loadConfigTree } from '../../src/config/load.js';
import { tempDir } from '../helpers/tmp.js';

const SHIPPED = resolve(__dirname, '../../config');
const FIXTURES = resolve(__dirname, '../../../shared/fixtures/ares-config');
const opts = { providers: ['openai', 'ollama', 'offline'], defaultModel: 'balanced' };

function tree(files: Record<string, string>): string {
  const dir = tempDir('cx-cfg-');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, 'config', path, '..'), { recursive: true });
    writeFileSync(join(dir, 'config', path), text);
  }
  return join(dir, 'config');
}

const MODEL = 'name: balanced\nprovider: openai\nmodel: gpt-4o-mini\n';

describe('config tree loader', () => {
  it('loads the shipped config/ with no diagnostics', () => {
    const snap = loadConfigTree(SHIPPED, opts);
    expect(snap.diagnostics.map(formatDiagnostic)).toEqual([]);
    expect([...snap.agents.keys()].sort()).toEqual(['customer-support', 'orchestrator', 'router']);
    expect([...snap.models.keys()].sort()).toEqual(['balanced', 'fast', 'powerful']);
    expect(snap.agents.get('router')!.value.system_prompt).toContain('\n');
  });

  it.skipIf(!existsSync(FIXTURES))('loads ARES\'s own config tree unchanged (skipped: ../shared/fixtures/ares-config absent)', () => {
    const dir = tempDir('cx-fx-');
    cpSync(FIXTURES, join(dir, 'config'), { recursive: true });
    const snap = loadConfigTree(join(dir, 'config'), { providers: ['ollama-local'], defaultModel: 'balanced' });
    // Only warnings: no agent uses the two MCP servers.
    expect(snap.diagnostics.map((d) => `${d.code} ${d.file}:${d.line}:${d.col}`)).toEqual([
      'W_UNUSED config/mcps/eruka.example.toon:1:1',
      'W_UNUSED config/mcps/filesystem.toon:1:1',
    ]);
    expect([...snap.agents.keys()].sort()).toEqual(['finance', 'hr', 'invoice', 'orchestrator', 'product', 'router', 'sales']);
    expect(snap.agents.get('hr')!.value.tools).toEqual([]);
    expect(snap.mcps.get('filesystem')!.value.args).toEqual(['-y', '@modelcontextprotocol/server-filesystem', '/home', '/tmp']);
    expect(snap.workflows.get('research')!.value.parallel_subagents).toBe(true);
    expect(snap.models.get('powerful')!.value).toMatchObject({ provider: 'ollama-local', model: 'qwen3-vl:2b', top_p: 0.9 });
  });

  it('reads TOML and JSON agents into the same shape as TOON', () => {
    const dir = tree({
      'models/balanced.toon': MODEL,
      'agents/a.toon': 'name: a\nsystem_prompt: "Hi\\nthere"\ntools[0]:\n',
      'agents/b.toml': "name = \"b\"\nsystem_prompt = '''\nHi\nthere'''\ntools = []\n",
      'agents/c.json': '{"name": "c", "system_prompt": "Hi\\nthere", "tools": []}',
    });
    const snap = loadConfigTree(dir, opts);
    expect(snap.diagnostics).toEqual([]);
    const strip = (n: string) => ({ ...snap.agents.get(n)!.value, name: 'x' });
    expect(strip('b')).toEqual(strip('a'));
    expect(strip('c')).toEqual(strip('a'));
    expect(strip('a').max_tool_iterations).toBe(10);
  });

  it('collects every problem in one pass, each located with a code and a hint', () => {
    const dir = tree({
      'models/balanced.toon': MODEL,
      'models/cheap.toon': 'name: cheap\nprovider: opanai\nmodel: x\n',
      'agents/typo.toon': 'name: typo\nsystem_prompt: hi\nmax_tool_iteration: 3\n',
      'agents/noprompt.toml': 'name = "noprompt"\n',
      'agents/badref.toon': 'name: badref\nsystem_prompt: hi\nmodel: balancd\n',
      'agents/broken.toon': 'name: broken\nsystem_prompt: hi\n  block\n',
      'agents/dup.toon': 'name: typo2\nsystem_prompt: hi\n',
      'agents/dup2.toon': 'name: typo2\nsystem_prompt: hi\n',
    });
    const snap = loadConfigTree(dir, opts);
    const text = snap.diagnostics.map(formatDiagnostic).join('\n');
    expect(text).toMatch(/config\/agents\/typo\.toon:3:1: E_UNKNOWN_FIELD unknown field `max_tool_iteration`\n {2}hint: did you mean `max_tool_iterations`\?/);
    expect(text).toMatch(/config\/agents\/noprompt\.toml:\d+:\d+: E_MISSING_FIELD missing required field `system_prompt`/);
    expect(text).toMatch(/config\/agents\/badref\.toon:3:1: E_REFERENCE .*`balancd`.*\n {2}hint: did you mean `balanced`\?/);
    expect(text).toMatch(/config\/models\/cheap\.toon:2:1: E_REFERENCE .*provider `opanai`.*\n {2}hint: did you mean `openai`\?/);
    expect(text).toMatch(/config\/agents\/broken\.toon:3:1: E_SYNTAX/);
    expect(text).toMatch(/config\/agents\/dup2\.toon:1:1: E_DUPLICATE .*already defined in config\/agents\/dup\.toon/);
    // Only the valid agent survives; bad ones are left out, not half-loaded.
    expect([...snap.agents.keys()]).toEqual(['typo2']);
  });

  it('checks agents[]: each sub-agent must be defined and not the agent itself; capability entries need only a valid tag', () => {
    const dir = tree({
      'models/balanced.toon': MODEL,
      'agents/helper.toon': 'name: helper\nsystem_prompt: hi\n',
      'agents/boss.toon': 'name: boss\nsystem_prompt: hi\nagents[3]: helpr,"capability:billing",boss\n',
      'agents/bad.toon': 'name: bad\nsystem_prompt: hi\nagents[1]: "capability:"\n',
    });
    const snap = loadConfigTree(dir, opts);
    const text = snap.diagnostics.map(formatDiagnostic).join('\n');
    expect(text).toMatch(/config\/agents\/boss\.toon:3:\d+: E_REFERENCE agent `boss` delegates to agent `helpr`, which is not defined\n {2}hint: did you mean `helper`\?/);
    expect(text).toMatch(/config\/agents\/boss\.toon:3:\d+: E_REFERENCE agent `boss` lists itself as a sub-agent/);
    expect(text).toMatch(/config\/agents\/bad\.toon:3:\d+: E_\w+ .*agent name or `capability:TAG`/);
    expect([...snap.agents.keys()]).toEqual(['helper']);
  });

  it('ignores editor leftovers, README.md notes and unknown extensions', () => {
    const dir = tree({ 'models/balanced.toon': MODEL, 'agents/.a.toon.swp': 'junk', 'agents/notes.txt': 'junk', 'agents/README.md': '# What these agents do\n' });
    expect(loadConfigTree(dir, opts).diagnostics).toEqual([]);
  });
});

describe('W_UNUSED', () => {
  it('warns about models, tools and MCP servers no agent uses, at their name key, and still loads them', () => {
    const dir = tree({
      'agents/a.toon': 'name: a\nsystem_prompt: hi\nmodel: used\ntools[2]: calc,fs.*\n',
      'models/used.toon': MODEL.replace('balanced', 'used'),
      'models/balanced.toon': MODEL,
      'models/spare.toml': '# spare\n\nname = "spare"\nprovider = "openai"\nmodel = "gpt-4o"\n',
      'tools/calc.toon': 'name: calc\n',
      'tools/idle.json': '{\n  "enabled": true,\n  "name": "idle"\n}\n',
      'mcps/fs.toon': 'name: fs\ncommand: npx\n',
      'mcps/other.toon': 'enabled: false\nname: other\ncommand: npx\n',
    });
    const snap = loadConfigTree(dir, opts);
    expect(snap.diagnostics.map((d) => `${d.file}:${d.line}:${d.col}: ${d.code} ${d.message}`)).toEqual([
      'config/models/spare.toml:3:1: W_UNUSED model `spare` is defined but no agent uses it',
      'config/tools/idle.json:3:3: W_UNUSED tool `idle` is defined but no agent uses it',
      'config/mcps/other.toon:2:1: W_UNUSED MCP server `other` is defined but no agent uses it',
    ]);
    // `balanced` is the [defaults] model, so it counts as used; the unused ones still load.
    expect(snap.models.has('spare')).toBe(true);
    expect(snap.tools.has('idle')).toBe(true);
  });

  it('a model whose agent has a bad tool reference is not also reported unused', () => {
    const dir = tree({
      'agents/a.toon': 'name: a\nsystem_prompt: hi\nmodel: m\ntools[1]: nope\n',
      'models/m.toon': MODEL.replace('balanced', 'm'),
      'models/balanced.toon': MODEL,
    });
    expect(loadConfigTree(dir, opts).diagnostics.map((d) => d.code)).toEqual(['E_REFERENCE']);
  });
});
