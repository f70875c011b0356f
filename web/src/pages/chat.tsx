/**
 * Chat: pick an agent or a workflow, send a message and watch the reply stream in over SSE (`POST
 * /api/agents/NAME/chat` or `POST /api/workflows/NAME/run` with `stream: true`; a workflow shows
 * which agent answers and each hand-over), tool calls and their results shown as they happen, usage
 * and cost per turn; the caller's conversations with that agent (a workflow's: its entry agent's) to
 * continue one, and a new conversation. A run paused for approval shows its held calls with Approve
 * and Reject; the decision's answer (the resumed run) streams into the same conversation. The page
 * opens on `?agent=` or `?workflow=`, and `?conversation=` / `?approval=` (the pending list's links).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, errorOf, readSse, send } from '../api';
import { decide, loadPending, type PendingApproval } from '../approvals';
import { agents, runsVersion } from '../state';
import { step, Transcript, withApproval, type Entry } from './chat-transcript';

interface Conversation {
  id: string;
  agent_name: string;
  updated_at?: number;
  title?: string | null;
}

interface StoredMessage {
  role: string;
  content: string;
}

/** A workflow as `GET /api/workflows` lists it. */
interface WorkflowSummary {
  name: string;
  entry_agent: string;
}

/** The picker's value of workflow `name` (agent names never contain `:`). */
const WORKFLOW = 'workflow:';

/** The target the page opens on: `?workflow=NAME`, `?agent=NAME`, else the first agent. */
function initialTarget(q: URLSearchParams): string {
  const workflow = q.get('workflow');
  return workflow ? WORKFLOW + workflow : (q.get('agent') ?? agents.value[0]?.name ?? '');
}

/** The request that sends `message` to `target` (an agent name or `workflow:NAME`). */
function chatPath(target: string): string {
  return target.startsWith(WORKFLOW)
    ? `/api/workflows/${encodeURIComponent(target.slice(WORKFLOW.length))}/run`
    : `/api/agents/${encodeURIComponent(target)}/chat`;
}

/** The Chat page (module comment). */
export function ChatPage() {
  const query = new URLSearchParams(location.search);
  const [target, setTarget] = useState(() => initialTarget(query));
  const [workflows, setWorkflows] = useState<WorkflowSummary[]>([]);
  const [conversationId, setConversationId] = useState<string | undefined>(undefined);
  const [entries, setEntries] = useState<Entry[]>([]);
  const [conversations, setConversations] = useState<Conversation[]>([]);
  const [busy, setBusy] = useState(false);
  const [text, setText] = useState('');
  const version = runsVersion.value;
  /** The transcript as the newest event left it (async handlers read it, not a stale render's copy). */
  const current = useRef<Entry[]>([]);
  const show = (next: Entry[]) => setEntries((current.current = next));
  const agentOf = (t: string) => (t.startsWith(WORKFLOW) ? workflows.find((w) => WORKFLOW + w.name === t)?.entry_agent : t);

  useEffect(() => {
    void api<{ workflows: WorkflowSummary[] }>('/api/workflows')
      .then((r) => setWorkflows(r.workflows))
      .catch(() => setWorkflows([]));
    void openLinked(query.get('conversation'), query.get('approval'));
  }, []);
  useEffect(() => {
    if (!target && agents.value[0]) setTarget(agents.value[0].name);
  }, [agents.value]);
  useEffect(() => {
    const agent = agentOf(target);
    void api<{ conversations: Conversation[] }>('/api/conversations?limit=50')
      .then((r) => setConversations(r.conversations.filter((c) => c.agent_name === agent)))
      .catch(() => setConversations([]));
  }, [target, workflows, version]);

  const open = async (id: string) => {
    const c = await api<{ messages: StoredMessage[] }>(`/api/conversations/${encodeURIComponent(id)}`);
    setConversationId(id);
    show(
      c.messages
        .filter((m) => (m.role === 'user' || m.role === 'assistant') && m.content)
        .map((m) => ({ kind: m.role as 'user' | 'assistant', text: m.content })),
    );
  };
  /** Open the conversation and the paused run the page was linked to, if any. */
  const openLinked = async (conversation: string | null, approval: string | null) => {
    if (conversation) await open(conversation).catch(() => undefined);
    if (!approval) return;
    const { approvals } = await api<{ approvals: PendingApproval[] }>('/api/approvals');
    const a = approvals.find((p) => p.execution_id === approval);
    if (a) show([...current.current, { kind: 'approval', executionId: a.execution_id, calls: a.calls, expiresAt: a.expires_at, state: 'pending' }]);
    else show([...current.current, { kind: 'error', text: 'That run no longer waits for approval.' }]);
  };
  const fresh = () => {
    setConversationId(undefined);
    show([]);
  };
  /** Fold the SSE answer `res` into the transcript (an error answer as an error entry). */
  const stream = async (res: Response): Promise<void> => {
    if (!res.ok) {
      const err = await errorOf(res);
      show([...current.current, { kind: 'error', text: `${err.code}: ${err.message}` }]);
      return;
    }
    for await (const ev of readSse(res)) {
      const d = ev.data as Record<string, unknown>;
      if (ev.event === 'start' && d.conversation_id) setConversationId(String(d.conversation_id));
      show(step(current.current, ev.event, d));
    }
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    const message = text.trim();
    if (!message || busy) return;
    setText('');
    setBusy(true);
    show([...current.current, { kind: 'user', text: message }]);
    try {
      const body = { message, stream: true, ...(conversationId ? { conversation_id: conversationId } : {}) };
      await stream(await send(chatPath(target), { method: 'POST', body, accept: 'text/event-stream' }));
    } finally {
      setBusy(false);
    }
  };
  const onDecide = async (id: string, decision: 'approve' | 'reject', reason?: string) => {
    setBusy(true);
    show(withApproval(current.current, id, 'deciding'));
    try {
      const res = await decide(id, decision, reason);
      // A 503 (agent stopped or busy) took no decision: the card stays open to try again.
      const state = res.ok ? (decision === 'approve' ? 'approved' : 'rejected') : res.status === 503 ? 'pending' : 'closed';
      show(withApproval(current.current, id, state));
      await stream(res);
    } finally {
      setBusy(false);
      void loadPending().catch(() => undefined);
    }
  };

  return (
    <section class="chat" aria-labelledby="chat-title">
      <h1 id="chat-title">Chat</h1>
      <div class="chat-grid">
        <aside aria-label="Conversations">
          <label>
            Agent
            <select
              value={target}
              onChange={(e) => {
                setTarget((e.currentTarget as HTMLSelectElement).value);
                fresh();
              }}
            >
              <optgroup label="Agents">
                {agents.value.map((a) => (
                  <option key={a.name} value={a.name}>
                    {a.display_name ?? a.name}
                  </option>
                ))}
              </optgroup>
              {workflows.length > 0 && (
                <optgroup label="Workflows">
                  {workflows.map((w) => (
                    <option key={w.name} value={WORKFLOW + w.name}>
                      workflow {w.name}
                    </option>
                  ))}
                </optgroup>
              )}
            </select>
          </label>
          <button type="button" onClick={fresh}>
            New conversation
          </button>
          <ul class="conversations">
            {conversations.map((c) => (
              <li key={c.id}>
                <button type="button" aria-pressed={c.id === conversationId} onClick={() => void open(c.id)}>
                  {c.title ?? c.id.slice(0, 8)}
                  {c.updated_at ? ` · ${new Date(c.updated_at).toLocaleTimeString()}` : ''}
                </button>
              </li>
            ))}
          </ul>
        </aside>
        <div class="chat-main">
          <Transcript entries={entries} onDecide={(id, decision, reason) => void onDecide(id, decision, reason)} />
          <form onSubmit={(e) => void submit(e)} class="composer">
            <label class="grow">
              Message
              <textarea
                name="message"
                rows={2}
                value={text}
                onInput={(e) => setText((e.currentTarget as HTMLTextAreaElement).value)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter' && !e.shiftKey) void submit(e);
                }}
              />
            </label>
            <button type="submit" disabled={busy || !target}>
              {busy ? 'Running…' : 'Send'}
            </button>
          </form>
        </div>
      </div>
    </section>
  );
}
