/**
 * System: daemon version and uptime, models with their providers' health, MCP servers with state and
 * tools, the config snapshot and hot-reload status with the last errors at file:line (the admin sees
 * diagnostics; others a summary), and key figures (runs in flight and queued, database). Re-read on
 * every `config_reload` event.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, type ErrorDetail } from '../api';
import { configVersion } from '../state';

/** The daemon's status, as `GET /api/status` reports it (uptime in ms). */
interface Status {
  version: string;
  uptime_ms: number;
  agents: number;
  counts: Record<string, number>;
  models: { name: string; provider: string; model: string; state: string; reason?: string }[];
  mcp_servers: { name: string; state: string; transport: string; tools: number | string[]; last_error?: string | null }[];
  database: { ok: boolean; backend: string; schema_version?: number };
  runs?: { in_flight: number; queued: number; max_concurrent: number };
}

/** The config's hot-reload status, as `GET /api/config/status` reports it (`last_attempt_at` in ms since epoch). */
interface Config {
  reloads: number;
  rejected: number;
  errors: number;
  warnings: number;
  last_attempt_at: number;
  last_errors?: ErrorDetail[];
  last_error_count?: number;
}

/** `ms` as whole hours and minutes ("3 h 7 min"). */
const duration = (ms: number) => `${Math.floor(ms / 3_600_000)} h ${Math.floor(ms / 60_000) % 60} min`;

/** The daemon's status and the config's reload status, both re-read on each `config_reload` event; undefined until read. */
function useSystemStatus(): { status: Status | undefined; config: Config | undefined } {
  const [status, setStatus] = useState<Status | undefined>(undefined);
  const [config, setConfig] = useState<Config | undefined>(undefined);
  const version = configVersion.value;
  useEffect(() => {
    void api<Status>('/api/status').then(setStatus);
    void api<Config>('/api/config/status').then(setConfig);
  }, [version]);
  return { status, config };
}

/** Version, uptime, agent count, database state and (when reported) runs in flight and queued. */
function Figures({ status }: { status: Status }) {
  return (
    <dl class="figures">
      <dt>Version</dt>
      <dd>{status.version}</dd>
      <dt>Uptime</dt>
      <dd>{duration(status.uptime_ms)}</dd>
      <dt>Agents</dt>
      <dd>{status.agents}</dd>
      <dt>Database</dt>
      <dd>
        {status.database.backend} {status.database.ok ? 'ok' : 'down'}
      </dd>
      {status.runs && (
        <>
          <dt>Runs in flight</dt>
          <dd>
            {status.runs.in_flight} / {status.runs.max_concurrent} ({status.runs.queued} queued)
          </dd>
        </>
      )}
    </dl>
  );
}

/** Each model with its provider and the provider's health (and why, when it is not ok). */
function Models({ models }: { models: Status['models'] }) {
  return (
    <ul>
      {models.map((m) => (
        <li key={m.name}>
          <b>{m.name}</b>: {m.model} on {m.provider} — <span class={`state state-${m.state}`}>{m.state}</span> {m.reason ?? ''}
        </li>
      ))}
    </ul>
  );
}

/** Each MCP server with its transport, state, tools (names or a count) and last error; or "None configured.". */
function McpServers({ servers }: { servers: Status['mcp_servers'] }) {
  if (!servers.length) return <p>None configured.</p>;
  return (
    <ul>
      {servers.map((m) => (
        <li key={m.name}>
          <b>{m.name}</b> ({m.transport}): {m.state}, {Array.isArray(m.tools) ? m.tools.join(', ') : `${m.tools} tools`} {m.last_error ?? ''}
        </li>
      ))}
    </ul>
  );
}

/** The reload figures, then the last rejected reload's errors at file:line:col (the admin) or their count (others). */
function ReloadStatus({ config }: { config: Config }) {
  const errors = config.last_errors ?? [];
  return (
    <>
      <p data-testid="reload-status">
        Reloaded {config.reloads} times, rejected {config.rejected}; {config.errors} errors and {config.warnings} warnings in the config served
        {config.last_attempt_at ? `; last attempt ${new Date(config.last_attempt_at).toLocaleTimeString()}` : ''}.
      </p>
      {errors.length > 0 && (
        <ul class="diagnostics" aria-label="Last reload errors" data-testid="reload-errors">
          {errors.map((d, i) => (
            <li key={i} class="error">
              <code>
                {d.file}:{d.line}:{d.col}
              </code>{' '}
              {d.code} {d.message}
              {d.hint ? <em> — {d.hint}</em> : null}
            </li>
          ))}
        </ul>
      )}
      {errors.length === 0 && (config.last_error_count ?? 0) > 0 && (
        <p>{config.last_error_count} errors in the last rejected reload (details for the admin).</p>
      )}
    </>
  );
}

/** The System page (module comment). */
export function SystemPage() {
  const { status, config } = useSystemStatus();
  if (!status || !config) return <p role="status">Loading…</p>;
  return (
    <section aria-labelledby="system-title" class="system">
      <h1 id="system-title">System</h1>
      <Figures status={status} />
      <h2>Models and providers</h2>
      <Models models={status.models} />
      <h2>MCP servers</h2>
      <McpServers servers={status.mcp_servers} />
      <h2>Config reload</h2>
      <ReloadStatus config={config} />
    </section>
  );
}
