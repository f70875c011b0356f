/**
 * `caxton workflow list` and `caxton workflow run NAME "message" [--conversation ID] [--no-stream]`
 * (DIR-12 "workflows"; src/api/workflow-run.ts says how a workflow runs). `run` streams the answering
 * agent's reply to stdout; each hand-over (`[router -> customer-support]`) and a summary line (tokens,
 * cost, duration, path, conversation id, and the finish reason unless `stop`) go to stderr, so
 * `> reply.txt` captures just the answer. A workflow that ended at a limit or as a stated failure
 * (its `error` is set) exits 1.
 */
import Table from 'cli-table3';
import type { WorkflowResult, WorkflowSummary } from '../../domain/api-types.js';
import { requestJson, requestSse } from '../../client/http.js';
import { DomainError } from '../../domain/errors.js';
import { homePaths, type GlobalOptions } from '../context.js';
import { printJson } from '../output.js';

/** The stderr summary of a finished workflow run. */
function summary(d: WorkflowResult, provider?: string): string {
  const via = provider ? ` · via ${provider}` : '';
  const finish = d.finish_reason === 'stop' ? '' : ` · finish_reason ${d.finish_reason}`;
  const error = d.error ? `error: ${d.error}\n` : '';
  return `${error}— path ${d.path.join(' -> ')} · ${d.usage.input_tokens} in / ${d.usage.output_tokens} out tokens · $${d.cost_usd.toFixed(6)} · ${d.duration_ms} ms${via}${finish} · conversation ${d.conversation_id}\n`;
}

/** List the workflows as a table NAME ENTRY FALLBACK MAX_DEPTH MAX_ITERATIONS. */
export async function list(_args: string[], opts: GlobalOptions): Promise<number> {
  const { workflows } = await requestJson<{ workflows: WorkflowSummary[] }>(homePaths(opts).socket, '/api/workflows');
  if (opts.json) {
    printJson(workflows);
    return 0;
  }
  const table = new Table({ head: ['NAME', 'ENTRY', 'FALLBACK', 'MAX_DEPTH', 'MAX_ITERATIONS'], style: { head: [], border: [] } });
  for (const w of workflows) table.push([w.name, w.entry_agent, w.fallback_agent ?? '-', w.max_depth, w.max_iterations]);
  process.stdout.write(`${table.toString()}\n`);
  return 0;
}

/** Run the workflow; exit 1 when it fails or ends at a limit. */
export async function run(args: string[], opts: GlobalOptions & { conversation?: string; stream?: boolean }): Promise<number> {
  const [name, message] = args as [string, string];
  const socket = homePaths(opts).socket;
  const path = `/api/workflows/${encodeURIComponent(name)}/run`;
  const body = { message, ...(opts.conversation ? { conversation_id: opts.conversation } : {}) };
  const timeoutMs = 10 * 60_000;

  if (opts.stream === false || opts.json) {
    const done = await requestJson<WorkflowResult>(socket, path, { method: 'POST', body: { ...body, stream: false }, timeoutMs });
    if (opts.json) printJson(done);
    else {
      process.stdout.write(`${done.reply}\n`);
      process.stderr.write(summary(done));
    }
    return done.error === undefined ? 0 : 1;
  }

  let provider: string | undefined;
  for await (const ev of requestSse(socket, path, { method: 'POST', body: { ...body, stream: true }, timeoutMs })) {
    const data = JSON.parse(ev.data) as Record<string, unknown>;
    switch (ev.event) {
      case 'start':
        provider = String(data.provider);
        break;
      case 'agent_finished':
        if (data.next) process.stderr.write(`[${String(data.agent)} -> ${String(data.next)}]\n`);
        break;
      case 'text_delta':
        process.stdout.write(String(data.text));
        break;
      case 'tool_call':
        process.stderr.write(`\n[tool] ${String(data.name)}(${String(data.arguments)})\n`);
        break;
      case 'done':
        process.stdout.write('\n');
        process.stderr.write(summary(data as unknown as WorkflowResult, provider));
        return data.error === undefined ? 0 : 1;
      case 'error':
        process.stdout.write('\n');
        throw new DomainError((data.code as DomainError['code']) ?? 'INTERNAL', String(data.message));
    }
  }
  throw new DomainError('INTERNAL', 'the daemon closed the stream before the workflow finished');
}
