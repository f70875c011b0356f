/**
 * The state of the Chat page (chat.tsx): the transcript of the open conversation, kept current as
 * the SSE answer of a message (`POST /api/agents/NAME/chat` or `POST /api/workflows/NAME/run`) or
 * of an approval decision (`POST /api/executions/ID/approve|reject`) streams in; opening a stored
 * conversation (`GET /api/conversations/ID`) or the paused run the page was linked to.
 */
import { useRef, useState } from 'preact/hooks';
import { api, errorOf, readSse, send } from '../api';
import { decide, loadPending, type PendingApproval } from '../approvals';
import { step, withApproval, type Entry } from './chat-transcript';

/** A message of a stored conversation, as `GET /api/conversations/ID` returns it. */
interface StoredMessage {
  role: string;
  content: string;
}

/** The picker's value of workflow `name` (agent names never contain `:`). */
export const WORKFLOW = 'workflow:';

/** The request that sends `message` to `target` (an agent name or `workflow:NAME`). */
function chatPath(target: string): string {
  return target.startsWith(WORKFLOW)
    ? `/api/workflows/${encodeURIComponent(target.slice(WORKFLOW.length))}/run`
    : `/api/agents/${encodeURIComponent(target)}/chat`;
}

/**
 * The open conversation: its id (undefined until the daemon names a new one) and its transcript.
 * `current` is the transcript as the newest event left it (async handlers read it, not a stale
 * render's copy); `show` replaces it, `add` appends one entry.
 */
export function useConversation() {
  const [conversationId, setConversationId] = useState<string | undefined>(undefined);
  const [entries, setEntries] = useState<Entry[]>([]);
  const current = useRef<Entry[]>([]);
  const show = (next: Entry[]) => setEntries((current.current = next));
  const add = (entry: Entry) => show([...current.current, entry]);
  /** Open stored conversation `id` (its user and assistant messages). */
  const open = async (id: string) => {
    const c = await api<{ messages: StoredMessage[] }>(`/api/conversations/${encodeURIComponent(id)}`);
    setConversationId(id);
    show(
      c.messages
        .filter((m) => (m.role === 'user' || m.role === 'assistant') && m.content)
        .map((m) => ({ kind: m.role as 'user' | 'assistant', text: m.content })),
    );
  };
  /** Start a new conversation (an empty transcript). */
  const fresh = () => {
    setConversationId(undefined);
    show([]);
  };
  /** Fold the SSE answer `res` into the transcript (an error answer as an error entry). */
  const stream = async (res: Response): Promise<void> => {
    if (!res.ok) {
      const err = await errorOf(res);
      add({ kind: 'error', text: `${err.code}: ${err.message}` });
      return;
    }
    for await (const ev of readSse(res)) {
      const d = ev.data as Record<string, unknown>;
      if (ev.event === 'start' && d.conversation_id) setConversationId(String(d.conversation_id));
      show(step(current.current, ev.event, d));
    }
  };
  return { conversationId, entries, current, show, add, open, fresh, stream };
}

/** What `useConversation` returns. */
export type ConversationState = ReturnType<typeof useConversation>;

/** Open the conversation and the paused run (execution id `approval`) the page was linked to, if any. */
export async function openLinked(conv: ConversationState, conversation: string | null, approval: string | null): Promise<void> {
  if (conversation) await conv.open(conversation).catch(() => undefined);
  if (!approval) return;
  const { approvals } = await api<{ approvals: PendingApproval[] }>('/api/approvals');
  const a = approvals.find((p) => p.execution_id === approval);
  if (a) conv.add({ kind: 'approval', executionId: a.execution_id, calls: a.calls, expiresAt: a.expires_at, state: 'pending' });
  else conv.add({ kind: 'error', text: 'That run no longer waits for approval.' });
}

/**
 * The conversation with `target` (an agent name or `workflow:NAME`) and what the user does in it:
 * `sendMessage` sends a message and streams the answer in, `onDecide` approves or rejects a paused
 * run and streams the resumed run in; `busy` while either streams.
 */
export function useChat(target: string) {
  const conv = useConversation();
  const [busy, setBusy] = useState(false);
  const sendMessage = async (message: string) => {
    setBusy(true);
    conv.add({ kind: 'user', text: message });
    try {
      const body = { message, stream: true, ...(conv.conversationId ? { conversation_id: conv.conversationId } : {}) };
      await conv.stream(await send(chatPath(target), { method: 'POST', body, accept: 'text/event-stream' }));
    } finally {
      setBusy(false);
    }
  };
  const onDecide = async (id: string, decision: 'approve' | 'reject', reason?: string) => {
    setBusy(true);
    conv.show(withApproval(conv.current.current, id, 'deciding'));
    try {
      const res = await decide(id, decision, reason);
      // A 503 (agent stopped or busy) took no decision: the card stays open to try again.
      const state = res.ok ? (decision === 'approve' ? 'approved' : 'rejected') : res.status === 503 ? 'pending' : 'closed';
      conv.show(withApproval(conv.current.current, id, state));
      await conv.stream(res);
    } finally {
      setBusy(false);
      void loadPending().catch(() => undefined);
    }
  };
  return { ...conv, busy, sendMessage, onDecide };
}
