/**
 * Agents: every agent the caller can use with source, state, model, tools, capabilities, last
 * activity (its latest run's start, activity.ts) and the last hour's runs, errors, p50 latency,
 * tokens and cost (`GET /api/executions/stats`: the caller's runs, the admin's: everyone's); start / stop / restart
 * for the admin; edit, delete and export for the caller's own agents; a new agent and TOON import.
 * States change live (`agent_state`); the hour's figures are re-read on each `run_finished`. Under
 * 600 px wide the table shows each agent as a card (style.css), each cell labelled by `data-label`.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, apiText, ApiError } from '../api';
import { Link } from '../link';
import { lastRunAt, noteRuns } from '../activity';
import { agents, finishedVersion, loadAgents, me, navigate, type AgentSummary } from '../state';

/** One agent's figures over the window, as `GET /api/executions/stats` reports them (ms, tokens, USD). */
interface HourStats {
  agent: string;
  runs: number;
  errors: number;
  p50_ms: number | null;
  tokens: number;
  cost_usd: number;
}

/** The last hour's stats per agent name, re-read whenever a run finishes; also records each agent's latest run start (activity.ts). */
function useHourStats(): Record<string, HourStats> {
  const [stats, setStats] = useState<Record<string, HourStats>>({});
  const version = finishedVersion.value;
  useEffect(() => {
    void api<{ agents: HourStats[]; last_run_at: Record<string, number> }>('/api/executions/stats?window=3600')
      .then((r) => {
        setStats(Object.fromEntries(r.agents.map((a) => [a.agent, a])));
        noteRuns(r.last_run_at);
      })
      .catch(() => undefined);
  }, [version]);
  return stats;
}

/** The hour's figures of one agent, each in its own labelled span (tests and screen readers read them apart). */
function Hour({ s }: { s: HourStats | undefined }) {
  if (!s) return <span data-stat="runs">0 runs</span>;
  return (
    <span class="hour">
      <span data-stat="runs">
        {s.runs} run{s.runs === 1 ? '' : 's'}
      </span>
      <span data-stat="errors" class={s.errors ? 'bad' : ''}>
        {s.errors} error{s.errors === 1 ? '' : 's'}
      </span>
      <span data-stat="p50">p50 {s.p50_ms === null ? '—' : `${Math.round(s.p50_ms)} ms`}</span>
      <span data-stat="tokens">{s.tokens.toLocaleString()} tokens</span>
      <span data-stat="cost">${s.cost_usd.toFixed(4)}</span>
    </span>
  );
}

/** Offers `text` as the download `NAME.toon`. */
function download(name: string, text: string) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([text], { type: 'text/x-toon' }));
  a.download = `${name}.toon`;
  a.click();
  URL.revokeObjectURL(a.href);
}

/** Starts, stops or restarts agent `name` (`POST /api/agents/NAME/start|stop|restart`; admin only). */
function lifecycle(name: string, action: string) {
  return api(`/api/agents/${encodeURIComponent(name)}/${action}`, { method: 'POST' });
}

/** Deletes agent `name` (`DELETE /api/agents/NAME`) once the user confirms, then re-reads the list. */
async function removeAgent(name: string) {
  if (!confirm(`Delete agent ${name}?`)) return;
  await api(`/api/agents/${encodeURIComponent(name)}`, { method: 'DELETE' });
  await loadAgents();
}

/** Imports a TOON agent file (`POST /api/agents/import`), then re-reads the list; no file, nothing. */
async function importFile(file: File | undefined) {
  if (!file) return;
  await api('/api/agents/import', { method: 'POST', text: await file.text(), type: 'text/x-toon' });
  await loadAgents();
}

/** Downloads agent `name` as NAME.toon (`GET /api/agents/NAME/export`). */
async function exportAgent(name: string) {
  download(name, await apiText(`/api/agents/${encodeURIComponent(name)}/export`));
}

/** The page's last failed action: `act(f)` clears `error`, runs `f` and sets `error` to the daemon's message when it fails. */
function useAct() {
  const [error, setError] = useState('');
  const act = async (f: () => Promise<unknown>) => {
    setError('');
    try {
      await f();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    }
  };
  return { error, act };
}

/** Runs an action with its failure shown on the page (`useAct`). */
type Act = (f: () => Promise<unknown>) => Promise<void>;

/** The buttons of one agent: Chat; Stop or Start, and Restart for the admin; Export; Edit and Delete for the caller's own agents. */
function RowActions({ a, act }: { a: AgentSummary; act: Act }) {
  const admin = me.value?.acting_admin === true;
  return (
    <div class="actions">
      <button type="button" onClick={() => navigate(`/chat?agent=${encodeURIComponent(a.name)}`)}>
        Chat
      </button>
      {admin && (
        <>
          {a.state === 'running' || a.state === 'loaded' ? (
            <button type="button" onClick={() => void act(() => lifecycle(a.name, 'stop'))}>
              Stop
            </button>
          ) : (
            <button type="button" onClick={() => void act(() => lifecycle(a.name, a.state === 'failed' ? 'restart' : 'start'))}>
              Start
            </button>
          )}
          <button type="button" onClick={() => void act(() => lifecycle(a.name, 'restart'))}>
            Restart
          </button>
        </>
      )}
      <button type="button" onClick={() => void act(() => exportAgent(a.name))}>
        Export
      </button>
      {a.source === 'user' && (
        <>
          <Link href={`/edit/${encodeURIComponent(a.name)}`} class="button">
            Edit
          </Link>
          <button type="button" onClick={() => void act(() => removeAgent(a.name))}>
            Delete
          </button>
        </>
      )}
    </div>
  );
}

/** One agent's row (a card under 600 px, each cell labelled by `data-label`). */
function AgentRow({ a, hour, act }: { a: AgentSummary; hour: HourStats | undefined; act: Act }) {
  const last = lastRunAt.value[a.name];
  return (
    <tr data-agent={a.name}>
      <th scope="row">
        <span title={a.description ?? ''}>{a.display_name ?? a.name}</span>
        <small>{a.name}</small>
      </th>
      <td data-label="Source">{a.source}</td>
      <td data-label="State">
        <span class={`state state-${a.state}`} data-testid="state">
          {a.state}
        </span>
      </td>
      <td data-label="Model">{a.model}</td>
      <td data-label="Tools">{a.tools.join(', ') || '—'}</td>
      <td data-label="Capabilities">{a.capabilities.join(', ') || '—'}</td>
      <td data-label="Last activity" data-testid="last-activity">
        {last ? new Date(last).toLocaleString() : '—'}
      </td>
      <td data-label="Last hour" data-testid="hour">
        <Hour s={hour} />
      </td>
      <td data-label="Actions">
        <RowActions a={a} act={act} />
      </td>
    </tr>
  );
}

/** The column headers of the agents table. */
const HEADERS = ['Name', 'Source', 'State', 'Model', 'Tools', 'Capabilities', 'Last activity', 'Last hour', 'Actions'];

/** The Agents page (module comment). */
export function AgentsPage() {
  const hour = useHourStats();
  const { error, act } = useAct();
  return (
    <section aria-labelledby="agents-title">
      <div class="toolbar">
        <h1 id="agents-title">Agents</h1>
        <Link href="/new" class="button">
          New agent
        </Link>
        <label class="button">
          Import TOON
          <input
            type="file"
            accept=".toon,text/x-toon"
            class="visually-hidden"
            onChange={(e) => void act(() => importFile((e.currentTarget as HTMLInputElement).files?.[0]))}
          />
        </label>
      </div>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <div class="table-wrap">
        <table class="cards">
          <thead>
            <tr>
              {HEADERS.map((h) => (
                <th key={h} scope="col">
                  {h}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {agents.value.map((a) => (
              <AgentRow key={a.name} a={a} hour={hour[a.name]} act={act} />
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
