/**
 * `caxton agent test NAME "message" [--conversation ID] [--no-stream] [--trace]` (SPEC §5): run an
 * agent once through the daemon. The reply streams to stdout as it arrives; a summary line (tokens,
 * cost, duration, conversation id, and the finish reason unless `stop`) goes to stderr so `>
 * reply.txt` captures just the reply. A run that ended as a stated failure (finish reason `error` or
 * `timeout`, docs/finish-reasons.md) exits 1 like a failed one. `--trace` records the run's trace
 * (docs/testing.md "Run traces") and prints it to stderr after the reply (a failed run's too); with
 * `--json` it is the result's `trace`.
 */
import type { ChatResult } from '../../domain/api-types.js';
import { requestJson, requestSse } from '../../client/http.js';
import { DomainError } from '../../domain/errors.js';
import { homePaths, type GlobalOptions } from '../context.js';
import { printJson } from '../output.js';
import { traceText } from '../trace-text.js';
import { fetchTrace } from './run-trace.js';

function summary(d: ChatResult, provider?: string): string {
  const via = provider ? ` · via ${provider}` : '';
  const finish = d.finish_reason === 'stop' ? '' : ` · finish_reason ${d.finish_reason}`;
  return `— ${d.usage.input_tokens} in / ${d.usage.output_tokens} out tokens · $${d.cost_usd.toFixed(6)} · ${d.duration_ms} ms${via}${finish} · conversation ${d.conversation_id}\n`;
}

/** Run the agent; exit 1 when the run fails. */
export async function run(args: string[], opts: GlobalOptions & { conversation?: string; stream?: boolean; trace?: boolean }): Promise<number> {
  const [name, message] = args as [string, string];
  const socket = homePaths(opts).socket;
  const path = `/api/agents/${encodeURIComponent(name)}/chat`;
  const body = { message, ...(opts.conversation ? { conversation_id: opts.conversation } : {}), ...(opts.trace ? { trace: true } : {}) };
  const printTrace = async (executionId: unknown) => {
    if (opts.trace && typeof executionId === 'string' && executionId) process.stderr.write(traceText(await fetchTrace(opts, executionId)));
  };

  if (opts.stream === false || opts.json) {
    const done = await requestJson<ChatResult>(socket, path, { method: 'POST', body: { ...body, stream: false }, timeoutMs: 10 * 60_000 });
    if (opts.json) printJson(opts.trace ? { ...done, trace: await fetchTrace(opts, done.execution_id) } : done);
    else {
      process.stdout.write(`${done.reply}\n`);
      process.stderr.write(summary(done));
      await printTrace(done.execution_id);
    }
    return done.error === undefined ? 0 : 1;
  }

  let provider: string | undefined;
  for await (const ev of requestSse(socket, path, { method: 'POST', body: { ...body, stream: true }, timeoutMs: 10 * 60_000 })) {
    const data = JSON.parse(ev.data) as Record<string, unknown>;
    switch (ev.event) {
      case 'start':
        provider = String(data.provider);
        break;
      case 'text_delta':
        process.stdout.write(String(data.text));
        break;
      case 'tool_call':
        process.stderr.write(`\n[tool] ${String(data.name)}(${String(data.arguments)})\n`);
        break;
      case 'tool_result':
        process.stderr.write(`[tool] ${String(data.name)} ${data.is_error ? 'failed:' : '->'} ${String(data.result).slice(0, 500)}\n`);
        break;
      case 'done':
        process.stdout.write('\n');
        process.stderr.write(summary(data as unknown as ChatResult, provider));
        await printTrace(data.execution_id);
        return data.error === undefined ? 0 : 1;
      case 'error':
        process.stdout.write('\n');
        await printTrace(data.execution_id);
        throw new DomainError((data.code as DomainError['code']) ?? 'INTERNAL', String(data.message));
    }
  }
  throw new DomainError('INTERNAL', 'the daemon closed the stream before the run finished');
}
