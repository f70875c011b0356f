/** `caxton key list` (SPEC §5): your API keys by id and prefix (never the key), with last use and revocation. */
import type { ApiKeyListing } from '../../domain/api-types.js';
import Table from 'cli-table3';
import { requestJson } from '../../client/http.js';
import { homePaths, type GlobalOptions } from '../context.js';
import { printJson } from '../output.js';

const when = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z'));

/** List keys. */
export async function run(_args: string[], opts: GlobalOptions): Promise<number> {
  const { keys } = await requestJson<{ keys: ApiKeyListing[] }>(homePaths(opts).socket, '/api/keys');
  if (opts.json) {
    printJson(keys);
    return 0;
  }
  const table = new Table({ head: ['ID', 'PREFIX', 'NAME', 'CREATED', 'LAST USED', 'STATUS'], style: { head: [], border: [] } });
  for (const k of keys)
    table.push([
      k.id,
      `${k.prefix}…`,
      k.name ?? '-',
      when(k.created_at),
      when(k.last_used_at),
      k.revoked_at === null ? 'active' : `revoked ${when(k.revoked_at)}`,
    ]);
  process.stdout.write(`${table.toString()}\n`);
  return 0;
}
