/**
 * Chat: pick an agent or a workflow, send a message and watch the reply stream in over SSE (`POST
 * /api/agents/NAME/chat` or `POST /api/workflows/NAME/run` with `stream: true`; a workflow shows
 * which agent answers and each hand-over), tool calls and their results shown as they happen, usage
 * and cost per turn; the caller's conversations with that agent (a workflow's: its entry agent's) to
 * continue one, and a new conversation. A run paused for approval shows its held calls with Approve
 * and Reject; the decision's answer (the resumed run) streams into the same conversation. The page
 * opens on `?agent=` or `?workflow=`, and `?conversation=` / `?approval=` (the pending list's links).
 */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { agents, runsVersion } from '../state';
import { openLinked, useChat, WORKFLOW } from './chat-session';
import { Transcript } from './chat-transcript';

/** A conversation as `GET /api/conversations` lists it (`updated_at` in ms since epoch). */
interface Conversation {
  id: string;
  agent_name: string;
  updated_at?: number;
  title?: string | null;
}

/** A workflow as `GET /api/workflows` lists it. */
interface WorkflowSummary {
  name: string;
  entry_agent: string;
}

/** The target the page opens on: `?workflow=NAME`, `?agent=NAME`, else the first agent. */
function initialTarget(q: URLSearchParams): string {
  const workflow = q.get('workflow');
  return workflow ? WORKFLOW + workflow : (q.get('agent') ?? agents.value[0]?.name ?? '');
}

/** The workflows the caller may run (`GET /api/workflows`; none when that fails), loaded once. */
function useWorkflows(): WorkflowSummary[] {
  const [workflows, setWorkflows] = useState<WorkflowSummary[]>([]);
  useEffect(() => {
    void api<{ workflows: WorkflowSummary[] }>('/api/workflows')
      .then((r) => setWorkflows(r.workflows))
      .catch(() => setWorkflows([]));
  }, []);
  return workflows;
}

/**
 * The caller's conversations with `target`'s agent (a workflow's: its entry agent's), among the 50
 * newest (`GET /api/conversations`), re-read when a run starts or ends anywhere (`runsVersion`).
 */
function useConversations(target: string, workflows: WorkflowSummary[]): Conversation[] {
  const [conversations, setConversations] = useState<Conversation[]>([]);
  const version = runsVersion.value;
  useEffect(() => {
    const agent = target.startsWith(WORKFLOW) ? workflows.find((w) => WORKFLOW + w.name === target)?.entry_agent : target;
    void api<{ conversations: Conversation[] }>('/api/conversations?limit=50')
      .then((r) => setConversations(r.conversations.filter((c) => c.agent_name === agent)))
      .catch(() => setConversations([]));
  }, [target, workflows, version]);
  return conversations;
}

/** The agent or workflow to talk to: the agents, then the workflows (when there are any). */
function TargetPicker({ target, workflows, onPick }: { target: string; workflows: WorkflowSummary[]; onPick: (target: string) => void }) {
  return (
    <label>
      Agent
      <select value={target} onChange={(e) => onPick((e.currentTarget as HTMLSelectElement).value)}>
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
  );
}

/** The conversations to continue, each a button (pressed for the open one) with its title (or id) and last time. */
function ConversationList({ conversations, openId, onOpen }: { conversations: Conversation[]; openId: string | undefined; onOpen: (id: string) => void }) {
  return (
    <ul class="conversations">
      {conversations.map((c) => (
        <li key={c.id}>
          <button type="button" aria-pressed={c.id === openId} onClick={() => onOpen(c.id)}>
            {c.title ?? c.id.slice(0, 8)}
            {c.updated_at ? ` · ${new Date(c.updated_at).toLocaleTimeString()}` : ''}
          </button>
        </li>
      ))}
    </ul>
  );
}

/** The message box: Enter (without Shift) or Send sends the trimmed text, unless it is empty or a run streams (`busy`). */
function Composer({ busy, disabled, onSend }: { busy: boolean; disabled: boolean; onSend: (message: string) => void }) {
  const [text, setText] = useState('');
  const submit = (e: Event) => {
    e.preventDefault();
    const message = text.trim();
    if (!message || busy) return;
    setText('');
    onSend(message);
  };
  return (
    <form onSubmit={submit} class="composer">
      <label class="grow">
        Message
        <textarea
          name="message"
          rows={2}
          value={text}
          onInput={(e) => setText((e.currentTarget as HTMLTextAreaElement).value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey) submit(e);
          }}
        />
      </label>
      <button type="submit" disabled={disabled}>
        {busy ? 'Running…' : 'Send'}
      </button>
    </form>
  );
}

/** The Chat page (module comment). */
export function ChatPage() {
  const query = new URLSearchParams(location.search);
  const [target, setTarget] = useState(() => initialTarget(query));
  const workflows = useWorkflows();
  const chat = useChat(target);
  useEffect(() => void openLinked(chat, query.get('conversation'), query.get('approval')), []);
  useEffect(() => {
    if (!target && agents.value[0]) setTarget(agents.value[0].name);
  }, [agents.value]);
  const conversations = useConversations(target, workflows);
  return (
    <section class="chat" aria-labelledby="chat-title">
      <h1 id="chat-title">Chat</h1>
      <div class="chat-grid">
        <aside aria-label="Conversations">
          <TargetPicker
            target={target}
            workflows={workflows}
            onPick={(t) => {
              setTarget(t);
              chat.fresh();
            }}
          />
          <button type="button" onClick={chat.fresh}>
            New conversation
          </button>
          <ConversationList conversations={conversations} openId={chat.conversationId} onOpen={(id) => void chat.open(id)} />
        </aside>
        <div class="chat-main">
          <Transcript entries={chat.entries} onDecide={(id, decision, reason) => void chat.onDecide(id, decision, reason)} />
          <Composer busy={chat.busy} disabled={chat.busy || !target} onSend={(message) => void chat.sendMessage(message)} />
        </div>
      </div>
    </section>
  );
}
