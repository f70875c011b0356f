/**
 * `caxton capability list` and `caxton ask CAPABILITY "message"` (Caxton STORY-006 capability
 * routing): the capabilities your agents offer as a table CAPABILITY AGENTS (each agent with its
 * state), from `GET /api/capabilities`; and one message to the agent routing chooses
 * (`POST /api/capabilities/TAG/chat`), printed as `agent test` prints, the summary naming who answered.
 */
import Table from 'cli-table3';
import { requestJson } from '../../client/http.js';
import type { GlobalOptions } from '../context.js';
import { homePaths } from '../context.js';
import { printJson } from '../output.js';
import { chatThrough, type ChatOptions } from './agent-test.js';

interface Listing {
  capability: string;
  agents: { agent: string; state: string; in_flight: number; reason?: string }[];
}

/** Print the capabilities (JSON with --json). Exit 3 when the daemon is not running. */
export async function list(_args: string[], opts: GlobalOptions): Promise<number> {
  const { capabilities } = await requestJson<{ capabilities: Listing[] }>(homePaths(opts).socket, '/api/capabilities');
  if (opts.json) {
    printJson(capabilities);
    return 0;
  }
  if (!capabilities.length) {
    process.stdout.write("no capabilities: list some in an agent's capabilities[]\n");
    return 0;
  }
  const table = new Table({ head: ['CAPABILITY', 'AGENTS'], style: { head: [], border: [] } });
  for (const c of capabilities) table.push([c.capability, c.agents.map((a) => `${a.agent} (${a.reason ? `${a.state}: ${a.reason}` : a.state})`).join(', ')]);
  process.stdout.write(`${table.toString()}\n`);
  return 0;
}

/** Ask the agent routing chooses for the capability; exit 1 when the run fails. */
export async function ask(args: string[], opts: ChatOptions): Promise<number> {
  const [capability, message] = args as [string, string];
  return chatThrough(`/api/capabilities/${encodeURIComponent(capability)}/chat`, message, opts, true);
}
