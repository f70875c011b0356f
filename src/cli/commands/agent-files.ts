/**
 * Shared by the agent commands: turn an entity file into a request body the daemon imports by
 * Content-Type (SPEC §6 `/api/agents/import`), and the query string of `--name` / `--public`.
 * Markdown+YAML agents (legacy) are read here with the config codec and sent as JSON.
 */
import type { AgentCreated } from '../../domain/api-types.js';
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { DomainError } from '../../domain/errors.js';

/** Content-Type per file extension. */
const TYPES: Record<string, string> = { '.toon': 'text/x-toon', '.toml': 'application/toml', '.json': 'application/json' };

/** The text body for `file`. @throws DomainError BAD_REQUEST (unsupported extension, unreadable, bad Markdown). */
export async function bodyFromFile(file: string): Promise<{ content: string; type: string }> {
  const ext = extname(file).toLowerCase();
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (err) {
    throw new DomainError('BAD_REQUEST', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (TYPES[ext]) return { content, type: TYPES[ext] };
  if (ext === '.md') {
    const { parseEntity } = await import('../../config/codec.js');
    const parsed = parseEntity('agents', content, 'markdown', file);
    const errors = parsed.diagnostics.filter((d) => !d.code.startsWith('W_'));
    if (!parsed.value) throw new DomainError('BAD_REQUEST', `${file} is not a valid agent`, errors);
    return { content: JSON.stringify(parsed.value), type: 'application/json' };
  }
  throw new DomainError('BAD_REQUEST', `unsupported file type ${ext || '(none)'} for ${file}`, [
    { message: 'expected .toon, .toml, .json or .md', hint: 'see `caxton agent create --help`' },
  ]);
}

/** `?name=N&public=true` for import/create requests. */
export function importQuery(opts: { name?: string; public?: boolean }): string {
  const q = new URLSearchParams();
  if (opts.name) q.set('name', opts.name);
  if (opts.public) q.set('public', 'true');
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** One line for humans about a created/updated agent (warnings go to stderr first). */
export function createdLine(verb: string, c: AgentCreated, file = 'input'): string {
  for (const w of c.warnings ?? [])
    process.stderr.write(`${file}:${w.line ?? 1}:${w.col ?? 1}: ${w.code ?? 'W'} ${w.message}${w.hint ? `\n  hint: ${w.hint}` : ''}\n`);
  return `${verb} agent ${c.name} (${c.is_public ? 'public' : 'private'}, id ${c.id}); chat at ${c.api_endpoint}\n`;
}
