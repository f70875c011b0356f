/**
 * `caxton run pending`, `caxton run approve ID` and `caxton run reject ID [--reason TEXT]` (the
 * approval gate, docs/patterns.md): list the runs paused for approval of their tool calls, or decide
 * one through `POST /api/executions/ID/approve|reject`. A decision streams the rest of the run like
 * `caxton agent test` (`--no-stream` or `--json`: the result at the end). A run already decided, or
 * not yours, fails with exit 1.
 */
import type { ChatResult } from '../../domain/api-types.js';
import { requestJson } from '../../client/http.js';
import { homePaths, type GlobalOptions } from '../context.js';
import { printJson } from '../output.js';
import { approvalNote, streamRun } from './agent-test.js';

/** A paused run as `GET /api/approvals` lists it. Times in ms since epoch. */
interface Pending {
  execution_id: string;
  agent: string;
  input: string;
  calls: { id: string; name: string; arguments: string }[];
  created_at: number;
  expires_at: number;
}

/** `caxton run pending [--all]`: the paused runs, oldest first (`--all`: everyone's, for the admin). */
export async function pending(_args: string[], opts: GlobalOptions & { all?: boolean }): Promise<number> {
  const { approvals } = await requestJson<{ approvals: Pending[] }>(homePaths(opts).socket, `/api/approvals${opts.all ? '?all=true' : ''}`);
  if (opts.json) printJson(approvals);
  else if (approvals.length === 0) process.stdout.write('no run is waiting for approval\n');
  else {
    for (const a of approvals) {
      process.stdout.write(`${a.execution_id}  ${a.agent}  ${new Date(a.created_at).toISOString()}  "${a.input.slice(0, 60)}"\n`);
      for (const c of a.calls) process.stdout.write(`    ${c.name}(${c.arguments})\n`);
    }
  }
  return 0;
}

/** Decide on run `id` and show the rest of it. */
async function decide(id: string, action: 'approve' | 'reject', opts: GlobalOptions & { reason?: string; stream?: boolean }): Promise<number> {
  const socket = homePaths(opts).socket;
  const path = `/api/executions/${encodeURIComponent(id)}/${action}`;
  const body = opts.reason !== undefined ? { reason: opts.reason } : {};
  if (opts.stream === false || opts.json) {
    const done = await requestJson<ChatResult>(socket, path, { method: 'POST', body: { ...body, stream: false }, timeoutMs: 10 * 60_000 });
    if (opts.json) printJson(done);
    else {
      process.stdout.write(`${done.reply}\n`);
      if (done.approval) process.stderr.write(approvalNote(done.approval));
    }
    return done.error === undefined ? 0 : 1;
  }
  return streamRun(socket, path, { ...body, stream: true });
}

/** `caxton run approve ID`: the held calls run (once) and the run goes on. */
export const approve = (args: string[], opts: GlobalOptions & { stream?: boolean }) => decide(args[0]!, 'approve', opts);

/** `caxton run reject ID [--reason TEXT]`: the model gets `rejected by USER: reason` and the run goes on. */
export const reject = (args: string[], opts: GlobalOptions & { reason?: string; stream?: boolean }) => decide(args[0]!, 'reject', opts);
