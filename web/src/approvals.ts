/**
 * Runs paused for approval of their tool calls (an agent's `approval[]`; docs/patterns.md "Approval
 * gate"): the caller's pending list (`GET /api/approvals`), kept current from the live stream (a run
 * pausing or resuming ends or starts a run, which bumps `runsVersion`), and the decision
 * (`POST /api/executions/ID/approve|reject`), whose answer streams the rest of the run like chat.
 */
import { signal } from '@preact/signals';
import { api, send } from './api';

/** A tool call waiting for a decision: `arguments` is the JSON text the model wrote. */
export interface PendingCall {
  id: string;
  name: string;
  arguments: string;
}

/** A paused run as `GET /api/approvals` lists it (times in ms since epoch). */
export interface PendingApproval {
  execution_id: string;
  agent: string;
  conversation_id?: string;
  calls: PendingCall[];
  input: string;
  created_at: number;
  expires_at: number;
}

/** The caller's paused runs, oldest first. */
export const pendingApprovals = signal<PendingApproval[]>([]);

let reads = 0;

/** Re-read the pending list (the newest read wins; a failed read keeps the list as it was). */
export async function loadPending(): Promise<void> {
  const seq = ++reads;
  const list = (await api<{ approvals: PendingApproval[] }>('/api/approvals')).approvals;
  if (seq === reads) pendingApprovals.value = list;
}

/**
 * Approve or reject the held calls of execution `id` (a rejection sends `reason` to the model). @returns
 * the raw response: on success the SSE of the resumed run; 404 (not yours or not paused) and 409
 * (already decided) as the daemon's error.
 */
export function decide(id: string, decision: 'approve' | 'reject', reason?: string): Promise<Response> {
  return send(`/api/executions/${encodeURIComponent(id)}/${decision}`, {
    method: 'POST',
    body: { stream: true, ...(reason ? { reason } : {}) },
    accept: 'text/event-stream',
  });
}

/** The chat page showing paused run `a` (its conversation, and the decision buttons). */
export function chatHref(a: PendingApproval): string {
  const q = new URLSearchParams({ agent: a.agent, approval: a.execution_id, ...(a.conversation_id ? { conversation: a.conversation_id } : {}) });
  return `/chat?${q.toString()}`;
}
