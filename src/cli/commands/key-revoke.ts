/** `caxton key revoke ID` (SPEC §5): revoke one of your API keys; requests with it get 401 from then on. */
import { requestJson } from '../../client/http.js';
import { homePaths, type GlobalOptions } from '../context.js';
import { printJson } from '../output.js';

/** Revoke a key. */
export async function run(args: string[], opts: GlobalOptions): Promise<number> {
  await requestJson(homePaths(opts).socket, `/api/keys/${encodeURIComponent(args[0]!)}`, { method: 'DELETE' });
  if (opts.json) printJson({ revoked: args[0] });
  else process.stdout.write(`revoked key ${args[0]}\n`);
  return 0;
}
