/**
 * `caxton agent update NAME --from-file FILE [--public | --private]` (SPEC §5): replace one of your
 * agents with the file's definition (any supported format). System and community agents are read-only.
 */
import { requestJson } from '../../client/http.js';
import { DomainError } from '../../domain/errors.js';
import { homePaths, type GlobalOptions } from '../context.js';
import { printJson } from '../output.js';
import { bodyFromFile, createdLine } from './agent-files.js';
import type { AgentCreated } from '../../domain/api-types.js';

/** Update one agent. */
export async function run(args: string[], opts: GlobalOptions & { fromFile?: string; public?: boolean; private?: boolean }): Promise<number> {
  if (!opts.fromFile) throw new DomainError('BAD_REQUEST', 'agent update needs --from-file FILE');
  const visibility = opts.public ? '?public=true' : opts.private ? '?public=false' : '';
  const path = `/api/agents/${encodeURIComponent(args[0]!)}${visibility}`;
  const updated = await requestJson<AgentCreated>(homePaths(opts).socket, path, { method: 'PUT', text: await bodyFromFile(opts.fromFile) });
  if (opts.json) printJson(updated);
  else process.stdout.write(createdLine('updated', updated));
  return 0;
}
