/**
 * Agents: every agent the caller can use with source, state, model, tools, capabilities and last
 * activity (from the caller's runs); start / stop / restart for the admin; edit, delete and export
 * for the caller's own agents; a new agent and TOON import. States change live (`agent_state`).
 */
import { useEffect, useState } from 'preact/hooks';
import { api, apiText, ApiError } from '../api';
import { Link } from '../link';
import { agents, capabilities, loadAgents, me, navigate, runsVersion } from '../state';

interface RunRow {
  agent_name: string;
  created_at: number;
}

/** Latest run time (ms) per agent name among the caller's newest runs. */
function useLastActivity(): Record<string, number> {
  const [last, setLast] = useState<Record<string, number>>({});
  const version = runsVersion.value;
  useEffect(() => {
    void api<{ executions: RunRow[] }>('/api/executions?limit=200')
      .then(({ executions }) => {
        const out: Record<string, number> = {};
        for (const r of executions) out[r.agent_name] = Math.max(out[r.agent_name] ?? 0, r.created_at);
        setLast(out);
      })
      .catch(() => undefined);
  }, [version]);
  return last;
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
  const last = useLastActivity();
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
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Source</th>
              <th scope="col">State</th>
              <th scope="col">Model</th>
              <th scope="col">Tools</th>
              <th scope="col">Capabilities</th>
              <th scope="col">Last activity</th>
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
                <td>{a.source}</td>
                <td>
                  <span class={`state state-${a.state}`} data-testid="state">
                    {a.state}
                  </span>
                </td>
                <td>{a.model}</td>
                <td>{a.tools.join(', ') || '—'}</td>
                <td>{(capabilities.value[a.name] ?? []).join(', ') || '—'}</td>
                <td>{last[a.name] ? new Date(last[a.name]!).toLocaleString() : '—'}</td>
                <td>
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
