/**
 * `caxton agent test NAME "message" [--conversation ID] [--no-stream] [--trace]` (SPEC §5): run an
 * agent once through the daemon. The reply streams to stdout as it arrives; a summary line (tokens,
 * cost, duration, conversation id, and the finish reason unless `stop`) goes to stderr so `>
 * reply.txt` captures just the reply. A run that ended as a stated failure (finish reason `error` or
 * `timeout`, docs/finish-reasons.md) exits 1 like a failed one. `--trace` records the run's trace
 * (docs/testing.md "Run traces") and prints it to stderr after the reply (a failed run's too); with
 * `--json` it is the result's `trace`. A run paused for
 * approval (finish reason `awaiting_approval`) prints the calls waiting and the `caxton run
 * approve|reject` commands.
 */
import type { ChatResult } from '../../domain/api-types.js';
import { requestJson, requestSse } from '../../client/http.js';
import { DomainError } from '../../domain/errors.js';
import { homePaths, type GlobalOptions } from '../context.js';
import { printJson } from '../output.js';
import { traceText } from '../trace-text.js';
import { fetchTrace } from './run-trace.js';

function summary(d: ChatResult, provider?: string, agent?: string): string {
  const via = `${agent ? ` · answered by ${agent}` : ''}${provider ? ` · via ${provider}` : ''}`;
  const finish = d.finish_reason === 'stop' ? '' : ` · finish_reason ${d.finish_reason}`;
  return `— ${d.usage.input_tokens} in / ${d.usage.output_tokens} out tokens · $${d.cost_usd.toFixed(6)} · ${d.duration_ms} ms${via}${finish} · conversation ${d.conversation_id}\n`;
}

/** Run the agent; exit 1 when the run fails. */
export async function run(args: string[], opts: ChatOptions): Promise<number> {
  const [name, message] = args as [string, string];
  return chatThrough(`/api/agents/${encodeURIComponent(name)}/chat`, message, opts);
}

/** `agent test`'s options (and `ask`'s). */
export type ChatOptions = GlobalOptions & { conversation?: string; stream?: boolean; trace?: boolean };

/**
 * Send `message` to a chat endpoint (`/api/agents/NAME/chat`, `/api/capabilities/TAG/chat`) and print
 * as `agent test` does; `named`: the summary names the agent that answered. Exit 1 when the run fails.
 */
export async function chatThrough(path: string, message: string, opts: ChatOptions, named = false): Promise<number> {
  const socket = homePaths(opts).socket;
  const body = { message, ...(opts.conversation ? { conversation_id: opts.conversation } : {}), ...(opts.trace ? { trace: true } : {}) };
  const printTrace = async (executionId: unknown) => {
    if (opts.trace && typeof executionId === 'string' && executionId) process.stderr.write(traceText(await fetchTrace(opts, executionId)));
  };

  if (opts.stream === false || opts.json) {
    const done = await requestJson<ChatResult & { agent?: string }>(socket, path, { method: 'POST', body: { ...body, stream: false }, timeoutMs: 10 * 60_000 });
    if (opts.json) printJson(opts.trace ? { ...done, trace: await fetchTrace(opts, done.execution_id) } : done);
    else {
      process.stdout.write(`${done.reply}\n`);
      if (done.approval) process.stderr.write(approvalNote(done.approval));
      process.stderr.write(summary(done, undefined, named ? done.agent : undefined));
      await printTrace(done.execution_id);
    }
    return done.error === undefined ? 0 : 1;
  }

  return streamRun(socket, path, { ...body, stream: true }, printTrace, named);
}

/**
 * Stream the run `POST path` answers with (SSE): text to stdout, tool calls and results, a pause for
 * approval (with the command that decides it) and the summary line to stderr (naming the agent that
 * answered when `named`); `afterRun` is given the run's execution id once it ended (e.g. to print its
 * trace). Exit status 1 when the run ended as a stated failure.
 * @throws DomainError for an `error` event or a stream cut short.
 */
export async function streamRun(
  socket: string,
  path: string,
  body: Record<string, unknown>,
  afterRun: (executionId: unknown) => Promise<void> = async () => undefined,
  named = false,
): Promise<number> {
  let provider: string | undefined;
  let agent: string | undefined;
  for await (const ev of requestSse(socket, path, { method: 'POST', body, timeoutMs: 10 * 60_000 })) {
    const data = JSON.parse(ev.data) as Record<string, unknown>;
    switch (ev.event) {
      case 'start':
        provider = String(data.provider);
        if (named) agent = String(data.agent);
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
      case 'approval_required':
        process.stderr.write(approvalNote(data as unknown as NonNullable<ChatResult['approval']>));
        break;
      case 'done':
        process.stdout.write('\n');
        process.stderr.write(summary(data as unknown as ChatResult, provider, agent));
        await afterRun(data.execution_id);
        return data.error === undefined ? 0 : 1;
      case 'error':
        process.stdout.write('\n');
        await afterRun(data.execution_id);
        throw new DomainError((data.code as DomainError['code']) ?? 'INTERNAL', String(data.message));
    }
  }
  throw new DomainError('INTERNAL', 'the daemon closed the stream before the run finished');
}

/** What a run paused for approval waits for, and the commands that decide it. */
export function approvalNote(a: NonNullable<ChatResult['approval']>): string {
  const calls = a.calls.map((c) => `  ${c.name}(${c.arguments})`).join('\n');
  return (
    `\n[approval] the run waits for your decision on:\n${calls}\n` +
    `[approval] caxton run approve ${a.execution_id}   |   caxton run reject ${a.execution_id} --reason "..."\n` +
    `[approval] rejected by system at ${new Date(a.expires_at).toISOString()} unless decided\n`
  );
}
