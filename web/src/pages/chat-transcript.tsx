/**
 * The chat transcript: the SSE events of an agent run (`POST /api/agents/NAME/chat`), a workflow run
 * (`POST /api/workflows/NAME/run`: `agent_started` / `agent_finished` show which agent answers and
 * each hand-over) and a resumed run (`POST /api/executions/ID/approve|reject`) folded into entries,
 * and their rendering. A run paused for approval (`approval_required`) shows its held calls with
 * Approve and Reject.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { PendingCall } from '../approvals';

/** A paused run's decision as the transcript shows it; `closed`: decided elsewhere, timed out, or not yours (the daemon's error says which). */
export type ApprovalState = 'pending' | 'deciding' | 'approved' | 'rejected' | 'closed';

/** One entry of the transcript. */
export type Entry =
  | { kind: 'user' | 'assistant'; text: string }
  | { kind: 'tool'; id: string; name: string; args: string; result?: string; isError?: boolean }
  | { kind: 'turn'; tokensIn: number; tokensOut: number; costUsd: number; ms: number; finish: string }
  | { kind: 'handover'; text: string }
  | { kind: 'approval'; executionId: string; calls: PendingCall[]; expiresAt: number; state: ApprovalState }
  | { kind: 'error'; text: string };

/** The approval entry of execution `id` set to `state` (a copy). */
export function withApproval(entries: Entry[], id: string, state: ApprovalState): Entry[] {
  return entries.map((e) => (e.kind === 'approval' && e.executionId === id ? { ...e, state } : e));
}

/** The transcript entry of a workflow's `agent_started` / `agent_finished`, or undefined when it says nothing new. */
function handover(event: string, d: Record<string, unknown>): Entry | undefined {
  if (event === 'agent_started') return { kind: 'handover', text: `${String(d.agent)} answers` };
  if (event === 'agent_finished' && d.next) return { kind: 'handover', text: `${String(d.agent)} hands over to ${String(d.next)}` };
  return undefined;
}

/** The result of a call shown on its tool entry; a call not shown yet (a resumed run opened later) gets its own entry. */
function withResult(out: Entry[], d: Record<string, unknown>): void {
  const result = { result: String(d.result), isError: d.is_error === true };
  const i = out.findIndex((e) => e.kind === 'tool' && e.id === d.id);
  if (i >= 0) out[i] = { ...(out[i] as Extract<Entry, { kind: 'tool' }>), ...result };
  else out.push({ kind: 'tool', id: String(d.id), name: String(d.name), args: '', ...result });
}

/** Apply one run or workflow event to the transcript (a copy). */
export function step(entries: Entry[], event: string, d: Record<string, unknown>): Entry[] {
  const out = entries.slice();
  const last = out[out.length - 1];
  const hop = handover(event, d);
  if (hop) out.push(hop);
  else if (event === 'text_delta') {
    if (last?.kind === 'assistant') out[out.length - 1] = { ...last, text: last.text + String(d.text) };
    else out.push({ kind: 'assistant', text: String(d.text) });
  } else if (event === 'tool_call') {
    out.push({ kind: 'tool', id: String(d.id), name: String(d.name), args: String(d.arguments) });
  } else if (event === 'tool_result') {
    withResult(out, d);
  } else if (event === 'approval_required') {
    out.push({ kind: 'approval', executionId: String(d.execution_id), calls: d.calls as PendingCall[], expiresAt: Number(d.expires_at), state: 'pending' });
  } else if (event === 'done') {
    const u = d.usage as { input_tokens: number; output_tokens: number };
    out.push({
      kind: 'turn',
      tokensIn: u.input_tokens,
      tokensOut: u.output_tokens,
      costUsd: Number(d.cost_usd),
      ms: Number(d.duration_ms),
      finish: String(d.finish_reason),
    });
  } else if (event === 'error') {
    out.push({ kind: 'error', text: `${String(d.code)}: ${String(d.message)}` });
  }
  return out;
}

/** What the approval card's buttons do: approve, or reject with an optional reason for the model. */
export type Decide = (executionId: string, decision: 'approve' | 'reject', reason?: string) => void;

/** A paused run's held calls (tool name, arguments) with Approve, Reject and an optional reason; after the decision, its outcome. */
function ApprovalCard({ entry, onDecide }: { entry: Extract<Entry, { kind: 'approval' }>; onDecide: Decide }) {
  const [reason, setReason] = useState('');
  const open = entry.state === 'pending';
  const title = `approval-${entry.executionId}`;
  return (
    <li class="approval" data-testid="approval" role="group" aria-labelledby={title}>
      <strong id={title}>Waiting for your approval</strong>
      <ul>
        {entry.calls.map((c) => (
          <li key={c.id} data-testid="approval-call">
            tool <code>{c.name}</code> <code>{c.arguments}</code>
          </li>
        ))}
      </ul>
      {open ? (
        <div class="decision">
          <button type="button" onClick={() => onDecide(entry.executionId, 'approve')}>
            Approve
          </button>
          <label>
            Reason
            <input value={reason} placeholder="optional, for the model" onInput={(e) => setReason((e.currentTarget as HTMLInputElement).value)} />
          </label>
          <button type="button" onClick={() => onDecide(entry.executionId, 'reject', reason.trim() || undefined)}>
            Reject
          </button>
        </div>
      ) : (
        <p role="status" data-testid="approval-state">
          {entry.state === 'deciding' ? 'Deciding…' : entry.state === 'closed' ? 'no longer waits for a decision' : entry.state}
        </p>
      )}
      {open && <p class="note">Rejected by the daemon unless decided by {new Date(entry.expiresAt).toLocaleTimeString()}.</p>}
    </li>
  );
}

/** The conversation so far, scrolled to its end as it grows. */
export function Transcript({ entries, onDecide }: { entries: Entry[]; onDecide: Decide }) {
  const end = useRef<HTMLLIElement>(null);
  useEffect(() => end.current?.scrollIntoView?.({ block: 'end' }), [entries]);
  return (
    <ol class="transcript" aria-live="polite" aria-label="Conversation">
      {entries.map((e, i) => {
        if (e.kind === 'tool')
          return (
            <li key={i} class="tool" data-testid="tool-call">
              <strong>tool {e.name}</strong> <code>{e.args}</code>
              {e.result !== undefined && <div class={e.isError ? 'error' : 'result'}>→ {e.result}</div>}
            </li>
          );
        if (e.kind === 'turn')
          return (
            <li key={i} class="turn" data-testid="turn-usage">
              {e.tokensIn} in / {e.tokensOut} out tokens · ${e.costUsd.toFixed(6)} · {e.ms} ms · {e.finish}
            </li>
          );
        if (e.kind === 'approval') return <ApprovalCard key={i} entry={e} onDecide={onDecide} />;
        return (
          <li key={i} class={e.kind} data-testid={e.kind}>
            {e.text}
          </li>
        );
      })}
      <li ref={end} class="end" aria-hidden="true" />
    </ol>
  );
}
