/**
 * `caxton agent show NAME [--format toon|toml|json]` (SPEC §5): the agent as you see it. Without
 * `--format`: a short header (source, model, visibility, usage, lifecycle state) on stderr and its canonical TOON on
 * stdout; with `--json`: the daemon's JSON (definition + source).
 */
import type { AgentDetail } from '../../domain/api-types.js';
import { requestJson, requestText } from '../../client/http.js';
import { homePaths, type GlobalOptions } from '../context.js';
import { printJson } from '../output.js';

/** Show one agent. */
export async function run(args: string[], opts: GlobalOptions & { format?: string }): Promise<number> {
  const socket = homePaths(opts).socket;
  const path = `/api/agents/${encodeURIComponent(args[0]!)}`;
  if (opts.json && !opts.format) {
    printJson(await requestJson(socket, path));
    return 0;
  }
  if (!opts.format) {
    const a = await requestJson<AgentDetail>(socket, path);
    const vis = a.source === 'user' ? (a.is_public ? 'public' : 'private') : a.source;
    const state = a.state ? `, ${a.state}${a.lifecycle?.reason ? ` (${a.lifecycle.reason})` : ''}` : '';
    process.stderr.write(`# ${a.name}: ${a.source} agent, model ${a.model}, ${vis}${a.usage_count !== undefined ? `, ${a.usage_count} uses` : ''}${state}\n`);
  }
  process.stdout.write(await requestText(socket, `${path}?format=${encodeURIComponent(opts.format ?? 'toon')}`));
  return 0;
}
