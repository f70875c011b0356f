/**
 * `caxton agent show NAME [--format toon|toml|json]` (SPEC §5): the agent as you see it. Without
 * `--format`: a short header on stderr (source, model, visibility, usage, lifecycle state; runs in
 * flight and queued; today's runs, tokens and cost, last activity and last error, STORY-009) and its
 * canonical TOON on stdout; with `--json`: the daemon's JSON (definition, source, lifecycle, activity).
 */
import type { AgentDetail } from '../../domain/api-types.js';
import { requestJson, requestText } from '../../client/http.js';
import { homePaths, type GlobalOptions } from '../context.js';
import { printJson } from '../output.js';

/** `HH:MM:SS UTC` of a time in ms since epoch. */
const clock = (ms: number) => `${new Date(ms).toISOString().slice(11, 19)} UTC`;

/** The header lines of the agent's load and today's activity (none for a daemon that does not report them). */
function healthLines(a: AgentDetail): string {
  const { lifecycle: l, activity: t } = a;
  if (!l || !t) return '';
  const last = t.last_activity_at === null ? 'no run today' : `last activity ${clock(t.last_activity_at)}`;
  let out = `#   ${l.active} in flight, ${l.queued} queued; today (${t.date}): ${t.runs} runs, ${t.tokens_input} tokens in / ${t.tokens_output} out, ${t.cost_usd.toFixed(4)} USD; ${last}\n`;
  if (t.last_error) out += `#   last error ${clock(t.last_error.at)} (${t.last_error.status}): ${t.last_error.message ?? 'no message'}\n`;
  return out;
}

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
    process.stderr.write(healthLines(a));
  }
  process.stdout.write(await requestText(socket, `${path}?format=${encodeURIComponent(opts.format ?? 'toon')}`));
  return 0;
}
