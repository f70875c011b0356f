/**
 * The Memory page's figures (`GET /api/memory/stats`): your items per scope and per embedder, the
 * embedder in use with the items still to embed, and the progress of a running re-embedding
 * (`embedder.progress`, read again every second while one runs, whoever started it). The admin gets
 * **Re-embed** (`POST /api/memory/reindex` with `Accept: text/event-stream`: `progress` {done, total}
 * events, then `done` {reindexed} or `error` {code, message}) with a progress bar.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, errorOf, readSse, send } from '../api';

/** Items done of the total a re-embedding found. */
interface Progress {
  done: number;
  total: number;
}

/** `GET /api/memory/stats`: counts of your items; the embedder's `pending` and `progress` count every user's. */
interface MemoryStats {
  items: number;
  by_scope: Record<string, number>;
  by_embedder: Record<string, number>;
  embedder: { name: string; dims: number | null; pending: number; reindexing: boolean; progress: Progress | null };
}

/** Poll interval (ms) of the stats while a re-embedding started elsewhere runs. */
const POLL_MS = 1000;

/** "a: 1, b: 2", or "none". */
const counts = (m: Record<string, number>) =>
  Object.entries(m)
    .map(([k, n]) => `${k}: ${n}`)
    .join(', ') || 'none';

/** A progress bar with its figures (indeterminate until the total is known). */
function ProgressBar({ p }: { p: Progress }) {
  return (
    <p class="reindex-progress">
      <progress aria-label="Re-embedding progress" max={p.total || undefined} value={p.total ? p.done : undefined} />{' '}
      <span data-testid="reindex-progress">
        {p.done} of {p.total} items
      </span>
    </p>
  );
}

/**
 * A re-embedding started here: `reindex` streams its progress into `streamed` (undefined when none
 * runs from this page) and ends with a `note` saying how it went, then calls `onReindexed`.
 */
function useReindex(onReindexed: () => void) {
  const [streamed, setStreamed] = useState<Progress | undefined>(undefined);
  const [note, setNote] = useState('');
  const reindex = async () => {
    setNote('');
    setStreamed({ done: 0, total: 0 });
    try {
      const res = await send('/api/memory/reindex', { method: 'POST', accept: 'text/event-stream' });
      if (!res.ok) throw await errorOf(res);
      for await (const { event, data } of readSse(res)) {
        const d = data as Progress & { reindexed?: number; message?: string };
        if (event === 'progress') setStreamed({ done: d.done, total: d.total });
        else if (event === 'done') setNote(`Re-embedded ${d.reindexed ?? 0} items.`);
        else if (event === 'error') setNote(`Re-embedding stopped: ${d.message ?? 'unknown error'}`);
      }
    } catch (err) {
      setNote(`Re-embedding failed: ${err instanceof ApiError ? err.message : String(err)}`);
    } finally {
      setStreamed(undefined);
      onReindexed();
    }
  };
  return { streamed, note, setNote, reindex };
}

/**
 * The stats, re-read when `version` changes and every POLL_MS while a re-embedding started elsewhere
 * runs (one streaming here, `streaming`, reports its own progress); a failed read goes to `onError`.
 */
function useMemoryStats(version: number, streaming: boolean, onError: (message: string) => void): MemoryStats | undefined {
  const [stats, setStats] = useState<MemoryStats | undefined>(undefined);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    void api<MemoryStats>('/api/memory/stats').then(setStats, (err: unknown) => onError(err instanceof ApiError ? err.message : String(err)));
  }, [version, tick]);
  const elsewhere = stats?.embedder.reindexing === true && !streaming;
  useEffect(() => {
    if (!elsewhere) return;
    const t = setTimeout(() => setTick((n) => n + 1), POLL_MS);
    return () => clearTimeout(t);
  }, [elsewhere, stats]);
  return stats;
}

/** Your items, by scope and by embedder, and the embedder in use with the items still to embed. */
function StatsFigures({ stats }: { stats: MemoryStats }) {
  return (
    <dl class="figures" data-testid="memory-stats">
      <dt>Items</dt>
      <dd data-stat="items">{stats.items}</dd>
      <dt>By scope</dt>
      <dd>{counts(stats.by_scope)}</dd>
      <dt>By embedder</dt>
      <dd>{counts(stats.by_embedder)}</dd>
      <dt>Embedder</dt>
      <dd>
        {stats.embedder.name}
        {stats.embedder.dims ? ` (${stats.embedder.dims} dimensions)` : ''}; {stats.embedder.pending} items (all users) still to embed
      </dd>
    </dl>
  );
}

/** The stats panel; `version` changes when items were added or deleted; `onReindexed` after a re-embedding ends. */
export function MemoryStatsPanel({ version, admin, onReindexed }: { version: number; admin: boolean; onReindexed: () => void }) {
  const { streamed, note, setNote, reindex } = useReindex(onReindexed);
  const stats = useMemoryStats(version, Boolean(streamed), setNote);
  const progress = streamed ?? (stats?.embedder.reindexing ? stats.embedder.progress : null);
  return (
    <section aria-labelledby="memory-stats-title" class="memory-stats">
      <h2 id="memory-stats-title">Stats</h2>
      {stats && <StatsFigures stats={stats} />}
      {progress && <ProgressBar p={progress} />}
      {admin && (
        <button type="button" disabled={Boolean(progress)} onClick={() => void reindex()}>
          Re-embed
        </button>
      )}
      {note && <p role="status">{note}</p>}
    </section>
  );
}
