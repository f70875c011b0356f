/** `caxton agent delete NAME` (SPEC §5): delete one of your agents (system and community agents are read-only). */
import { requestJson } from '../../client/http.js';
import { homePaths, type GlobalOptions } from '../context.js';
import { printJson } from '../output.js';

/** Delete one agent. */
export async function run(args: string[], opts: GlobalOptions): Promise<number> {
  const name = args[0]!;
  await requestJson(homePaths(opts).socket, `/api/agents/${encodeURIComponent(name)}`, { method: 'DELETE' });
  if (opts.json) printJson({ deleted: name });
  else process.stdout.write(`deleted agent ${name}\n`);
  return 0;
}
