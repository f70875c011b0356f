/**
 * Runs: the caller's executions (`GET /api/executions`, newest first) filtered on the server by
 * agent, status, finish reason and time, a page of PAGE at a time ("Load more" follows the cursor);
 * the first page is re-read when a run starts or ends. A run's detail (run-detail.tsx) shows its
 * tree of sub-agent runs, each with its tool calls, tokens, cost, duration and trace.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { FINISH_REASONS } from '../../../src/domain/finish-reasons';
import { RUN_STATUSES } from '../../../src/domain/run-status';
import { api } from '../api';
import { agents, runsVersion } from '../state';
import { PendingApprovals } from './pending';
import { RunDetail } from './run-detail';

/** The fields of an execution row the list shows (tokens, cost in USD, duration in ms, times in ms since epoch). */
interface Run {
  id: string;
  agent_name: string;
  status: string;
  finish_reason?: string | null;
  tokens_input?: number;
  tokens_output?: number;
  cost_usd?: number;
  duration_ms: number;
  created_at: number;
}

/** Runs read per page. */
const PAGE = 50;

/** The time filter's windows (ms). */
const WINDOWS: Record<string, number> = { '15m': 15 * 60_000, '1h': 3_600_000, '24h': 86_400_000 };

/** The list's filters, each '' for any: agent name, status, finish reason and time window (a key of WINDOWS). */
interface Filters {
  agent: string;
  status: string;
  finish: string;
  window: string;
}

/** The filters as query parameters of `GET /api/executions` (the window's start taken now), plus `cursor` for a later page. */
function runsQuery({ agent, status, finish, window }: Filters, cursor?: string): URLSearchParams {
  return new URLSearchParams({
    limit: String(PAGE),
    ...(agent ? { agent } : {}),
    ...(status ? { status } : {}),
    ...(finish ? { finish_reason: finish } : {}),
    ...(window ? { since: String(Date.now() - WINDOWS[window]!) } : {}),
    ...(cursor ? { cursor } : {}),
  });
}

/**
 * The runs matching `filters`, first page re-read when they change or a run starts or ends
 * (`runsVersion`); `next` is the cursor of the page after the last read (undefined at the end) and
 * `read(next)` appends that page. An answer overtaken by a newer read is dropped.
 */
function useRuns(filters: Filters) {
  const [runs, setRuns] = useState<Run[]>([]);
  const [next, setNext] = useState<string | undefined>(undefined);
  const version = runsVersion.value;
  const reads = useRef(0);
  const read = async (cursor?: string) => {
    const seq = ++reads.current;
    const page = await api<{ executions: Run[]; next_cursor?: string }>(`/api/executions?${runsQuery(filters, cursor)}`);
    if (seq !== reads.current) return;
    setRuns((shown) => (cursor ? [...shown, ...page.executions] : page.executions));
    setNext(page.next_cursor);
  };
  useEffect(() => void read().catch(() => undefined), [filters.agent, filters.status, filters.finish, filters.window, version]);
  return { runs, next, read };
}

/** One filter: a select of `options`, with '' shown as "any". */
function FilterSelect({ label, value, set, options }: { label: string; value: string; set: (v: string) => void; options: string[] }) {
  return (
    <label>
      {label}
      <select value={value} onChange={(e) => set((e.currentTarget as HTMLSelectElement).value)}>
        <option value="">any</option>
        {options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </label>
  );
}

/** The filters by agent, status, finish reason and time window; `set` changes one. */
function RunFilters({ filters, set }: { filters: Filters; set: (key: keyof Filters, value: string) => void }) {
  return (
    <div class="filters">
      <FilterSelect label="Agent" value={filters.agent} set={(v) => set('agent', v)} options={agents.value.map((a) => a.name)} />
      <FilterSelect label="Status" value={filters.status} set={(v) => set('status', v)} options={[...RUN_STATUSES]} />
      <FilterSelect label="Finish reason" value={filters.finish} set={(v) => set('finish', v)} options={[...FINISH_REASONS]} />
      <FilterSelect label="Since" value={filters.window} set={(v) => set('window', v)} options={Object.keys(WINDOWS)} />
    </div>
  );
}

/** The runs, one row each; a run's start time is a button opening its detail. */
function RunsTable({ runs, onOpen }: { runs: Run[]; onOpen: (id: string) => void }) {
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Agent</th>
            <th scope="col">Status</th>
            <th scope="col">Finish</th>
            <th scope="col">Tokens</th>
            <th scope="col">Cost</th>
            <th scope="col">Duration</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((r) => (
            <tr key={r.id} data-run={r.id}>
              <td>
                <button type="button" class="link" onClick={() => onOpen(r.id)}>
                  {new Date(r.created_at).toLocaleString()}
                </button>
              </td>
              <td>{r.agent_name}</td>
              <td>{r.status}</td>
              <td>{r.finish_reason ?? '—'}</td>
              <td>{(r.tokens_input ?? 0) + (r.tokens_output ?? 0)}</td>
              <td>${(r.cost_usd ?? 0).toFixed(6)}</td>
              <td>{r.duration_ms} ms</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The Runs page (module comment). */
export function RunsPage() {
  const [filters, setFilters] = useState<Filters>({ agent: '', status: '', finish: '', window: '' });
  const [open, setOpen] = useState<string | undefined>(undefined);
  const { runs, next, read } = useRuns(filters);
  return (
    <section aria-labelledby="runs-title">
      <h1 id="runs-title">Runs</h1>
      <PendingApprovals />
      <RunFilters filters={filters} set={(key, value) => setFilters((f) => ({ ...f, [key]: value }))} />
      {open && <RunDetail id={open} open={setOpen} onClose={() => setOpen(undefined)} />}
      <RunsTable runs={runs} onOpen={setOpen} />
      {next && (
        <button type="button" onClick={() => void read(next).catch(() => undefined)}>
          Load more
        </button>
      )}
    </section>
  );
}
