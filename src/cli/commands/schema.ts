/**
 * `caxton schema [--format markdown|json] [--kind K]` (SPEC §5): the entity schemas, generated from the
 * zod schemas the loader validates with. Markdown is the same text as docs/config-reference.md.
 */
import { schemaJson, schemaMarkdown } from '../../config/schema-docs.js';
import type { EntityKind } from '../../domain/entities.js';
import type { GlobalOptions } from '../context.js';
import { printJson } from '../output.js';

/** Print the schema; `--json` (global) means the same as `--format json`. */
export async function run(_args: string[], opts: GlobalOptions & { format?: 'markdown' | 'json'; kind?: EntityKind }): Promise<number> {
  if (opts.format === 'json' || opts.json) printJson(schemaJson(opts.kind));
  else process.stdout.write(schemaMarkdown(opts.kind));
  return 0;
}
