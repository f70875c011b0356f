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

export function RunsPage() {
  const [runs, setRuns] = useState<Run[]>([]);
  const [next, setNext] = useState<string | undefined>(undefined);
  const [agent, setAgent] = useState('');
  const [status, setStatus] = useState('');
  const [finish, setFinish] = useState('');
  const [window, setWindow] = useState('');
  const [open, setOpen] = useState<string | undefined>(undefined);
  const version = runsVersion.value;
  const reads = useRef(0);
  /** The filters as query parameters (the window's start taken now), plus `cursor` for a later page. */
  const query = (cursor?: string) =>
    new URLSearchParams({
      limit: String(PAGE),
      ...(agent ? { agent } : {}),
      ...(status ? { status } : {}),
      ...(finish ? { finish_reason: finish } : {}),
      ...(window ? { since: String(Date.now() - WINDOWS[window]!) } : {}),
      ...(cursor ? { cursor } : {}),
    });
  /** Read the first page (or the page after `cursor`); an answer overtaken by a newer read is dropped. */
  const read = async (cursor?: string) => {
    const seq = ++reads.current;
    const page = await api<{ executions: Run[]; next_cursor?: string }>(`/api/executions?${query(cursor)}`);
    if (seq !== reads.current) return;
    setRuns((shown) => (cursor ? [...shown, ...page.executions] : page.executions));
    setNext(page.next_cursor);
  };
  useEffect(() => void read().catch(() => undefined), [agent, status, finish, window, version]);
  const select = (label: string, value: string, set: (v: string) => void, options: string[]) => (
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
  return (
    <section aria-labelledby="runs-title">
      <h1 id="runs-title">Runs</h1>
      <PendingApprovals />
      <div class="filters">
        {select(
          'Agent',
          agent,
          setAgent,
          agents.value.map((a) => a.name),
        )}
        {select('Status', status, setStatus, [...RUN_STATUSES])}
        {select('Finish reason', finish, setFinish, [...FINISH_REASONS])}
        {select('Since', window, setWindow, Object.keys(WINDOWS))}
      </div>
      {open && <RunDetail id={open} open={setOpen} onClose={() => setOpen(undefined)} />}
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
                  <button type="button" class="link" onClick={() => setOpen(r.id)}>
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
      {next && (
        <button type="button" onClick={() => void read(next).catch(() => undefined)}>
          Load more
        </button>
      )}
    </section>
  );
}
