/**
 * Chat: pick an agent, send a message and watch the reply stream in over the chat endpoint's SSE
 * (`POST /api/agents/NAME/chat` with `stream: true`), tool calls and their results shown as they
 * happen, usage and cost per turn; the caller's conversations with that agent to continue one, and a
 * new conversation.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, errorOf, readSse, send } from '../api';
import { agents, runsVersion } from '../state';

/** One entry of the transcript. */
type Entry =
  | { kind: 'user' | 'assistant'; text: string }
  | { kind: 'tool'; id: string; name: string; args: string; result?: string; isError?: boolean }
  | { kind: 'turn'; tokensIn: number; tokensOut: number; costUsd: number; ms: number; finish: string }
  | { kind: 'error'; text: string };

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

/** Apply one run event to the transcript (a copy). */
function step(entries: Entry[], event: string, d: Record<string, unknown>): Entry[] {
  const out = entries.slice();
  const last = out[out.length - 1];
  if (event === 'text_delta') {
    if (last?.kind === 'assistant') out[out.length - 1] = { ...last, text: last.text + String(d.text) };
    else out.push({ kind: 'assistant', text: String(d.text) });
  } else if (event === 'tool_call') {
    out.push({ kind: 'tool', id: String(d.id), name: String(d.name), args: String(d.arguments) });
  } else if (event === 'tool_result') {
    const i = out.findIndex((e) => e.kind === 'tool' && e.id === d.id);
    if (i >= 0) out[i] = { ...(out[i] as Extract<Entry, { kind: 'tool' }>), result: String(d.result), isError: d.is_error === true };
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

function Transcript({ entries }: { entries: Entry[] }) {
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

export function ChatPage() {
  const initial = new URLSearchParams(location.search).get('agent') ?? agents.value[0]?.name ?? '';
  const [agent, setAgent] = useState(initial);
  const [conversationId, setConversationId] = useState<string | undefined>(undefined);
  const [entries, setEntries] = useState<Entry[]>([]);
  const [conversations, setConversations] = useState<Conversation[]>([]);
  const [busy, setBusy] = useState(false);
  const [text, setText] = useState('');
  const version = runsVersion.value;

  useEffect(() => {
    if (!agent && agents.value[0]) setAgent(agents.value[0].name);
  }, [agents.value]);
  useEffect(() => {
    void api<{ conversations: Conversation[] }>('/api/conversations?limit=50')
      .then((r) => setConversations(r.conversations.filter((c) => c.agent_name === agent)))
      .catch(() => setConversations([]));
  }, [agent, version]);

  const open = async (id: string) => {
    const c = await api<{ messages: StoredMessage[] }>(`/api/conversations/${encodeURIComponent(id)}`);
    setConversationId(id);
    setEntries(c.messages.filter((m) => m.role === 'user' || m.role === 'assistant').map((m) => ({ kind: m.role as 'user' | 'assistant', text: m.content })));
  };
  const fresh = () => {
    setConversationId(undefined);
    setEntries([]);
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    const message = text.trim();
    if (!message || busy) return;
    setText('');
    setBusy(true);
    let current: Entry[] = [...entries, { kind: 'user', text: message }];
    setEntries(current);
    try {
      const res = await send(`/api/agents/${encodeURIComponent(agent)}/chat`, {
        method: 'POST',
        body: { message, stream: true, ...(conversationId ? { conversation_id: conversationId } : {}) },
        accept: 'text/event-stream',
      });
      if (!res.ok) {
        const err = await errorOf(res);
        current = [...current, { kind: 'error', text: `${err.code}: ${err.message}` }];
      } else {
        for await (const ev of readSse(res)) {
          const d = ev.data as Record<string, unknown>;
          if (ev.event === 'start' && d.conversation_id) setConversationId(String(d.conversation_id));
          current = step(current, ev.event, d);
          setEntries(current);
        }
      }
    } finally {
      setEntries(current);
      setBusy(false);
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
              value={agent}
              onChange={(e) => {
                setAgent((e.currentTarget as HTMLSelectElement).value);
                fresh();
              }}
            >
              {agents.value.map((a) => (
                <option key={a.name} value={a.name}>
                  {a.display_name ?? a.name}
                </option>
              ))}
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
          <Transcript entries={entries} />
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
            <button type="submit" disabled={busy || !agent}>
              {busy ? 'Running…' : 'Send'}
            </button>
          </form>
        </div>
      </div>
    </section>
  );
}
