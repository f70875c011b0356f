/**
 * Memory: your memory items, the memory you can inspect (docs/memory.md; issue requirement "memory
 * you can inspect", as Mastra Studio shows an agent's memory). The list (`GET /api/memory`, newest
 * first, 100 at a time) filtered on the server by agent, scope and text; a search
 * (`POST /api/memory/search`, semantic, keyword or hybrid) showing each result's score; a form to
 * add an item (`POST /api/memory`) and Delete on each item (`DELETE /api/memory/ID`); the figures and
 * re-embedding in memory-stats.tsx. Under 600 px wide each item is a card (style.css `table.cards`).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api } from '../api';
import { agents, me } from '../state';
import { MemoryStatsPanel } from './memory-stats';
import type { MemoryItemView } from '../../../src/domain/memory-items';
import { MEMORY_SCOPES } from '../../../src/domain/memory-scope';

const MODES = ['hybrid', 'semantic', 'keyword'];

/** Items listed per read. */
const LIMIT = 100;

/** The message of a failed request, with the fields the daemon names. */
const messageOf = (err: unknown) =>
  err instanceof ApiError ? [err.message, ...err.details.map((d) => (d.field ? `${d.field}: ${d.message}` : d.message))].join('; ') : String(err);

/** A labelled select over `options` (`any` first when `anyLabel` is given). */
function Select(props: { label: string; value: string; set: (v: string) => void; options: readonly string[]; anyLabel?: string }) {
  return (
    <label>
      {props.label}
      <select value={props.value} onChange={(e) => props.set((e.currentTarget as HTMLSelectElement).value)}>
        {props.anyLabel !== undefined && <option value="">{props.anyLabel}</option>}
        {props.options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </label>
  );
}

/** Items as a table (cards when narrow), with each one's score when `scores` is given, and Delete. */
function ItemsTable({ items, scores, label, onDelete }: { items: MemoryItemView[]; scores?: number[]; label: string; onDelete: (i: MemoryItemView) => void }) {
  return (
    <div class="table-wrap">
      <table class="cards" aria-label={label}>
        <thead>
          <tr>
            {scores && <th scope="col">Score</th>}
            <th scope="col">Text</th>
            <th scope="col">Scope</th>
            <th scope="col">Agent</th>
            <th scope="col">Metadata</th>
            <th scope="col">Embedder</th>
            <th scope="col">Created</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {items.map((i, n) => (
            <tr key={i.id} data-memory={i.id}>
              {scores && (
                <td data-label="Score" data-testid="score">
                  {scores[n]!.toPrecision(3)}
                </td>
              )}
              <td data-label="Text">{i.text}</td>
              <td data-label="Scope">
                {i.scope}
                {i.conversation_id ? ` ${i.conversation_id}` : ''}
              </td>
              <td data-label="Agent">{i.agent ?? '—'}</td>
              <td data-label="Metadata">{Object.keys(i.metadata).length ? JSON.stringify(i.metadata) : '—'}</td>
              <td data-label="Embedder">{i.embedder ?? 'not yet'}</td>
              <td data-label="Created">{new Date(i.created_at).toLocaleString()}</td>
              <td data-label="Actions">
                <button type="button" aria-label={`Delete memory item ${i.id}`} onClick={() => onDelete(i)}>
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The add form; `onAdded` after the daemon stored the item. */
function AddItem({ onAdded }: { onAdded: () => void }) {
  const [text, setText] = useState('');
  const [scope, setScope] = useState<string>('user');
  const [agent, setAgent] = useState('');
  const [conversation, setConversation] = useState('');
  const [metadata, setMetadata] = useState('');
  const [error, setError] = useState('');
  const submit = async (e: Event) => {
    e.preventDefault();
    setError('');
    try {
      const meta = metadata.trim() ? (JSON.parse(metadata) as unknown) : undefined;
      const body = {
        text,
        scope,
        ...(agent ? { agent } : {}),
        ...(scope === 'conversation' ? { conversation_id: conversation } : {}),
        ...(meta ? { metadata: meta } : {}),
      };
      await api('/api/memory', { method: 'POST', body });
      setText('');
      setMetadata('');
      onAdded();
    } catch (err) {
      setError(err instanceof SyntaxError ? `Metadata: not JSON (${err.message})` : messageOf(err));
    }
  };
  return (
    <form class="memory-add" aria-labelledby="memory-add-title" onSubmit={(e) => void submit(e)}>
      <h2 id="memory-add-title">Add an item</h2>
      <label>
        Text
        <textarea required rows={2} value={text} onInput={(e) => setText((e.currentTarget as HTMLTextAreaElement).value)} />
      </label>
      <div class="filters">
        <Select label="Scope" value={scope} set={setScope} options={MEMORY_SCOPES} />
        <Select label="Agent" value={agent} set={setAgent} options={agents.value.map((a) => a.name)} anyLabel="none" />
        {scope === 'conversation' && (
          <label>
            Conversation
            <input required value={conversation} onInput={(e) => setConversation((e.currentTarget as HTMLInputElement).value)} />
          </label>
        )}
        <label class="grow">
          Metadata (JSON, optional)
          <input value={metadata} placeholder='{"topic": "billing"}' onInput={(e) => setMetadata((e.currentTarget as HTMLInputElement).value)} />
        </label>
        <button type="submit">Add</button>
      </div>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
    </form>
  );
}

/** The search form and its results (best first, with scores). */
function SearchItems({ version, onDelete }: { version: number; onDelete: (i: MemoryItemView) => void }) {
  const [query, setQuery] = useState('');
  const [mode, setMode] = useState('hybrid');
  const [results, setResults] = useState<{ item: MemoryItemView; score: number }[] | undefined>(undefined);
  const [error, setError] = useState('');
  const search = async () => {
    setError('');
    try {
      setResults((await api<{ results: { item: MemoryItemView; score: number }[] }>('/api/memory/search', { method: 'POST', body: { query, mode } })).results);
    } catch (err) {
      setError(messageOf(err));
    }
  };
  // After an add or a delete, the shown results are searched again.
  useEffect(() => void (results && query && search()), [version]);
  return (
    <section aria-labelledby="memory-search-title">
      <h2 id="memory-search-title">Search</h2>
      <form
        class="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          void search();
        }}
      >
        <label class="grow">
          Query
          <input type="search" required value={query} onInput={(e) => setQuery((e.currentTarget as HTMLInputElement).value)} />
        </label>
        <Select label="Mode" value={mode} set={setMode} options={MODES} />
        <button type="submit">Search</button>
      </form>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {results &&
        (results.length ? (
          <ItemsTable label="Search results" items={results.map((r) => r.item)} scores={results.map((r) => r.score)} onDelete={onDelete} />
        ) : (
          <p role="status">Nothing found.</p>
        ))}
    </section>
  );
}

export function MemoryPage() {
  const [items, setItems] = useState<MemoryItemView[]>([]);
  const [agent, setAgent] = useState('');
  const [scope, setScope] = useState('');
  const [text, setText] = useState('');
  const [version, setVersion] = useState(0);
  const [error, setError] = useState('');
  const reads = useRef(0);
  const changed = () => setVersion((v) => v + 1);
  useEffect(() => {
    const seq = ++reads.current;
    const q = new URLSearchParams({ limit: String(LIMIT), ...(agent ? { agent } : {}), ...(scope ? { scope } : {}), ...(text ? { text } : {}) });
    api<{ items: MemoryItemView[] }>(`/api/memory?${q}`).then(
      (r) => seq === reads.current && setItems(r.items),
      (err: unknown) => setError(messageOf(err)),
    );
  }, [agent, scope, text, version]);
  const remove = async (i: MemoryItemView) => {
    if (!confirm(`Delete the memory item "${i.text.slice(0, 60)}"?`)) return;
    setError('');
    try {
      await api(`/api/memory/${i.id}`, { method: 'DELETE' });
      changed();
    } catch (err) {
      setError(messageOf(err));
    }
  };
  return (
    <section aria-labelledby="memory-title" class="memory">
      <h1 id="memory-title">Memory</h1>
      <MemoryStatsPanel version={version} admin={me.value?.acting_admin === true} onReindexed={changed} />
      <AddItem onAdded={changed} />
      <SearchItems version={version} onDelete={(i) => void remove(i)} />
      <section aria-labelledby="memory-list-title">
        <h2 id="memory-list-title">Items</h2>
        <div class="filters">
          <Select label="Agent" value={agent} set={setAgent} options={agents.value.map((a) => a.name)} anyLabel="any" />
          <Select label="Scope" value={scope} set={setScope} options={MEMORY_SCOPES} anyLabel="any" />
          <label>
            Containing
            <input type="search" value={text} onInput={(e) => setText((e.currentTarget as HTMLInputElement).value)} />
          </label>
        </div>
        {error && (
          <p role="alert" class="error">
            {error}
          </p>
        )}
        {items.length ? <ItemsTable label="Memory items" items={items} onDelete={(i) => void remove(i)} /> : <p>No items.</p>}
      </section>
    </section>
  );
}
