/**
 * `caxton key create [--name N]` (SPEC §5, §6): create an API key for you (or `--as EMAIL`). The key is
 * printed once on stdout; only its hash is stored, and `key list` shows its prefix.
 */
import type { NewApiKey } from '../../domain/api-types.js';
import { requestJson } from '../../client/http.js';
import { homePaths, type GlobalOptions } from '../context.js';
import { printJson } from '../output.js';

/** Create a key. */
export async function run(_args: string[], opts: GlobalOptions & { name?: string }): Promise<number> {
  const key = await requestJson<NewApiKey>(homePaths(opts).socket, '/api/keys', { method: 'POST', body: opts.name ? { name: opts.name } : {} });
  if (opts.json) printJson(key);
  else {
    process.stdout.write(`${key.key}\n`);
    process.stderr.write(`key ${key.id} (prefix ${key.prefix}); shown once: use it as \`Authorization: Bearer <key>\`\n`);
  }
  return 0;
}
