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
import { agents, finishedVersion, loadAgents, me, navigate } from '../state';

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

function download(name: string, text: string) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([text], { type: 'text/x-toon' }));
  a.download = `${name}.toon`;
  a.click();
  URL.revokeObjectURL(a.href);
}

export function AgentsPage() {
  const [error, setError] = useState('');
  const hour = useHourStats();
  const admin = me.value?.acting_admin === true;
  const act = async (f: () => Promise<unknown>) => {
    setError('');
    try {
      await f();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    }
  };
  const lifecycle = (name: string, action: string) => act(() => api(`/api/agents/${encodeURIComponent(name)}/${action}`, { method: 'POST' }));
  const remove = (name: string) =>
    act(async () => {
      if (!confirm(`Delete agent ${name}?`)) return;
      await api(`/api/agents/${encodeURIComponent(name)}`, { method: 'DELETE' });
      await loadAgents();
    });
  const importFile = (file: File | undefined) =>
    act(async () => {
      if (!file) return;
      await api('/api/agents/import', { method: 'POST', text: await file.text(), type: 'text/x-toon' });
      await loadAgents();
    });
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
            onChange={(e) => void importFile((e.currentTarget as HTMLInputElement).files?.[0])}
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
              <th scope="col">Name</th>
              <th scope="col">Source</th>
              <th scope="col">State</th>
              <th scope="col">Model</th>
              <th scope="col">Tools</th>
              <th scope="col">Capabilities</th>
              <th scope="col">Last activity</th>
              <th scope="col">Last hour</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {agents.value.map((a) => (
              <tr key={a.name} data-agent={a.name}>
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
                  {lastRunAt.value[a.name] ? new Date(lastRunAt.value[a.name]!).toLocaleString() : '—'}
                </td>
                <td data-label="Last hour" data-testid="hour">
                  <Hour s={hour[a.name]} />
                </td>
                <td data-label="Actions">
                  <div class="actions">
                    <button type="button" onClick={() => navigate(`/chat?agent=${encodeURIComponent(a.name)}`)}>
                      Chat
                    </button>
                    {admin && (
                      <>
                        {a.state === 'running' || a.state === 'loaded' ? (
                          <button type="button" onClick={() => void lifecycle(a.name, 'stop')}>
                            Stop
                          </button>
                        ) : (
                          <button type="button" onClick={() => void lifecycle(a.name, a.state === 'failed' ? 'restart' : 'start')}>
                            Start
                          </button>
                        )}
                        <button type="button" onClick={() => void lifecycle(a.name, 'restart')}>
                          Restart
                        </button>
                      </>
                    )}
                    <button
                      type="button"
                      onClick={() => void act(async () => download(a.name, await apiText(`/api/agents/${encodeURIComponent(a.name)}/export`)))}
                    >
                      Export
                    </button>
                    {a.source === 'user' && (
                      <>
                        <Link href={`/edit/${encodeURIComponent(a.name)}`} class="button">
                          Edit
                        </Link>
                        <button type="button" onClick={() => void remove(a.name)}>
                          Delete
                        </button>
                      </>
                    )}
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
