/**
 * `caxton run trace ID [--kind K] [--json]` (STORY-018 debugging, docs/testing.md "Run traces"): the
 * step-by-step trace stored with execution ID (`GET /api/executions/ID/trace`), as readable text or
 * JSON; `--kind model_call,tool_call` keeps only those step kinds. Fails (exit 1) when the run
 * recorded no trace or is not yours.
 */
import { requestJson } from '../../client/http.js';
import type { RunTrace } from '../../domain/run-trace.js';
import { homePaths, type GlobalOptions } from '../context.js';
import { printJson } from '../output.js';
import { traceText } from '../trace-text.js';

/** The trace of execution `id` through the daemon's socket, filtered by `kind` (comma-separated step kinds). */
export function fetchTrace(opts: GlobalOptions, id: string, kind?: string): Promise<RunTrace> {
  const query = kind ? `?kind=${encodeURIComponent(kind)}` : '';
  return requestJson<RunTrace>(homePaths(opts).socket, `/api/executions/${encodeURIComponent(id)}/trace${query}`);
}

/** Print the trace of execution `args[0]`. */
export async function run(args: string[], opts: GlobalOptions & { kind?: string }): Promise<number> {
  const trace = await fetchTrace(opts, args[0]!, opts.kind);
  if (opts.json) printJson(trace);
  else process.stdout.write(traceText(trace));
  return 0;
}
