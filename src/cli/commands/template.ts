/**
 * `caxton template list` and `caxton template show NAME` (STORY-048 template discovery): the shipped
 * agent templates (`templates/` of the package) with their metadata: the agent's `description` and
 * `version`, and `[extra.template]` `author`, `tags` and `examples` (example inputs). Each template is
 * validated as an agent file on the way, so a broken one is reported with its located diagnostics.
 */
import { readFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { parseEntity } from '../../config/codec.js';
import { formatDiagnostic } from '../../config/diagnostics.js';
import { formatOfFile } from '../../config/formats/index.js';
import { listEntityFiles } from '../../config/load.js';
import type { Agent } from '../../domain/entities.js';
import { DomainError } from '../../domain/errors.js';
import type { GlobalOptions } from '../context.js';
import { printJson } from '../output.js';
import { templatesDir } from './agent-create.js';

/** One template's metadata as `template list --json` prints it. */
export interface TemplateInfo {
  name: string;
  file: string;
  description: string;
  version: string;
  author: string;
  tags: string[];
  /** Example inputs to try (`caxton agent test NAME "INPUT"`). */
  examples: string[];
  model?: string;
  tools: string[];
}

/** The metadata of a parsed template agent. */
function infoOf(agent: Agent, file: string): TemplateInfo {
  const meta = (agent.extra.template ?? {}) as { author?: string; tags?: string[]; examples?: string[] };
  return {
    name: basename(file, extname(file)),
    file,
    description: agent.description ?? '',
    version: agent.version ?? '',
    author: meta.author ?? '',
    tags: meta.tags ?? [],
    examples: meta.examples ?? [],
    ...(agent.model ? { model: agent.model } : {}),
    tools: agent.tools,
  };
}

/** Every shipped template. @throws DomainError CONFIG_INVALID naming the first template that does not validate. */
export function templates(dir = templatesDir()): Array<TemplateInfo & { text: string }> {
  return listEntityFiles(dir).map((path) => {
    const text = readFileSync(path, 'utf8');
    const parsed = parseEntity('agents', text, formatOfFile(path)!, path);
    if (!parsed.value) throw new DomainError('CONFIG_INVALID', `template ${path} is invalid:\n${parsed.diagnostics.map(formatDiagnostic).join('\n')}`);
    return { ...infoOf(parsed.value, join(dir, basename(path))), text };
  });
}

/** `template list`: a table, or the metadata as JSON. */
export async function list(_args: string[], opts: GlobalOptions): Promise<number> {
  const all = templates().map(({ text: _text, ...info }) => info);
  if (opts.json) {
    printJson(all);
    return 0;
  }
  const rows = [['NAME', 'VERSION', 'TAGS', 'DESCRIPTION'], ...all.map((t) => [t.name, t.version, t.tags.join(','), t.description])];
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) process.stdout.write(`${r.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c)).join('  ')}\n`);
  return 0;
}

/** `template show NAME`: metadata, example inputs and the file itself. @throws DomainError NOT_FOUND. */
export async function show(args: string[], opts: GlobalOptions): Promise<number> {
  const all = templates();
  const t = all.find((x) => x.name === args[0]);
  if (!t)
    throw new DomainError('NOT_FOUND', `no template ${args[0]}`, [
      { field: 'name', message: String(args[0]), hint: `templates: ${all.map((x) => x.name).join(', ')}` },
    ]);
  const { text, ...info } = t;
  if (opts.json) {
    printJson({ ...info, text });
    return 0;
  }
  const lines = [
    `${info.name} ${info.version} by ${info.author || 'unknown'}: ${info.description}`,
    `tags: ${info.tags.join(', ') || '-'} · model: ${info.model ?? '(default)'} · tools: ${info.tools.join(', ') || '-'}`,
    'try:',
    ...info.examples.map(
      (e) => `  caxton agent create --template ${info.name} --name my-${info.name} && caxton agent test my-${info.name} ${JSON.stringify(e)}`,
    ),
    `file: ${info.file}`,
    '',
    text,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
