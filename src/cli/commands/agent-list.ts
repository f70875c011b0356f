/** `caxton agent list [--source S] [--json]`: the agents you can use, as a table NAME SOURCE MODEL TOOLS (SPEC §5). */
import type { AgentSummary } from '../../domain/api-types.js';
import Table from 'cli-table3';
import { requestJson } from '../../client/http.js';
import { homePaths, type GlobalOptions } from '../context.js';
import { printJson } from '../output.js';

/** List agents through the daemon. */
export async function run(_args: string[], opts: GlobalOptions & { source?: string }): Promise<number> {
  const query = opts.source ? `?source=${encodeURIComponent(opts.source)}` : '';
  const { agents } = await requestJson<{ agents: AgentSummary[] }>(homePaths(opts).socket, `/api/agents${query}`);
  if (opts.json) {
    printJson(agents);
    return 0;
  }
  const table = new Table({ head: ['NAME', 'SOURCE', 'MODEL', 'TOOLS'], style: { head: [], border: [] } });
  for (const a of agents) table.push([a.name, a.source, a.model, a.tools.length ? a.tools.join(', ') : '-']);
  process.stdout.write(`${table.toString()}\n`);
  return 0;
}
