/** `caxton agent import FILE [--name N] [--public]` (SPEC §5): create a user agent from a TOON, TOML, JSON or Markdown file. */
import type { CreateOptions } from './agent-create.js';
import { run as create } from './agent-create.js';

/** Import `args[0]`. */
export async function run(args: string[], opts: CreateOptions): Promise<number> {
  return create([], { ...opts, fromFile: args[0]!, interactive: false, template: undefined } as CreateOptions);
}
