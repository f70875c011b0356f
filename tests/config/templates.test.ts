/**
 * templates/ (STORY-012): every template is a canonical agent file that loads with no diagnostics
 * against the shipped models and tools, and is listed in templates/README.md.
 */
import { cpSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseEntity, writeEntity } from '../../src/config/codec.js';
import type { EntityFormat } from '../../src/domain/entities.js';
import { isWarning } from '../../src/config/diagnostics.js';
import { loadConfigTree } from '../../src/config/load.js';
import { tempDir } from '../helpers/tmp.js';

const ROOT = resolve(__dirname, '../..');
const TEMPLATES = join(ROOT, 'templates');
const files = readdirSync(TEMPLATES).filter((f) => f !== 'README.md').sort();
const readme = readFileSync(join(TEMPLATES, 'README.md'), 'utf8');

describe('templates/', () => {
  it('ships the four templates: chatbot, customer-support, data-analyzer, task-scheduler', () => {
    expect(files).toEqual(['chatbot.toon', 'customer-support.toon', 'data-analyzer.toml', 'task-scheduler.toml']);
  });

  it.each(files)('%s is canonical, documented, and named after its file', (file) => {
    const format = file.split('.').pop() as EntityFormat;
    const text = readFileSync(join(TEMPLATES, file), 'utf8');
    const r = parseEntity('agents', text, format, file);
    expect(r.diagnostics).toEqual([]);
    expect(writeEntity('agents', r.value!, format)).toBe(text);
    expect(`${r.value!.name}.${format}`).toBe(file);
    expect(r.value!.documentation).toMatch(/caxton agent test /);
    expect(readme).toContain(`\`${file}\``);
  });

  it.each(files)('%s loads against the shipped models and tools with no errors', (file) => {
    const dir = tempDir('cx-tpl-');
    cpSync(join(ROOT, 'config/models'), join(dir, 'config/models'), { recursive: true });
    cpSync(join(ROOT, 'config/tools'), join(dir, 'config/tools'), { recursive: true });
    cpSync(join(TEMPLATES, file), join(dir, 'config/agents', file));
    const snap = loadConfigTree(join(dir, 'config'), { providers: ['openai', 'ollama', 'offline'], defaultModel: 'balanced' });
    expect(snap.diagnostics.filter((d) => !isWarning(d))).toEqual([]);
    const agent = [...snap.agents.values()][0]!.value;
    expect(snap.models.has(agent.model!)).toBe(true);
    for (const tool of agent.tools) expect(snap.tools.has(tool)).toBe(true);
  });

  it('data-analyzer keeps every top-level key above its first [table] (the ADR-0032 trap, fixed)', () => {
    const text = readFileSync(join(TEMPLATES, 'data-analyzer.toml'), 'utf8');
    const firstTable = text.search(/^\[/m);
    expect(firstTable).toBeGreaterThan(0);
    expect(text.slice(firstTable)).not.toMatch(/^(system_prompt|user_prompt_template|model|tools) =/m);
    const agent = parseEntity('agents', text, 'toml').value!;
    expect(agent.parameters).toMatchObject({ max_rows: 500 });
    expect(agent.memory).toEqual({ enabled: true, scope: 'agent' });
  });
});
