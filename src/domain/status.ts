/**
 * The daemon status report (SPEC §5 `server status`): what `GET /api/status` returns and what
 * `caxton server status [--json]` prints. Shared by the daemon and the CLI.
 */

/** One model alias and the provider that serves it right now. */
export interface ModelStatus {
  name: string;
  provider: string;
  provider_type: string;
  /** Model id at the provider (e.g. `gpt-4o-mini`). */
  model: string;
  /** `ready`, `offline` (answered by the offline provider) or `checking` (probe in flight). */
  state: 'ready' | 'offline' | 'checking';
  reason?: string;
}

/** Last config (re)load: when, and the problems it found (located, SPEC §3). */
export interface ConfigStatus {
  /** ms since epoch. */
  loaded_at: number;
  errors: number;
  warnings: number;
  diagnostics: { code: string; file?: string; line?: number; col?: number; message: string; hint?: string }[];
}

/** Full status report. Times: ms since epoch; uptime in ms. */
export interface StatusReport {
  running: true;
  pid: number;
  version: string;
  node: string;
  /** TCP URL of the HTTP API, e.g. http://127.0.0.1:8080. */
  url: string;
  socket: string;
  home: string;
  started_at: number;
  uptime_ms: number;
  agents: number;
  counts: Record<'agents' | 'models' | 'tools' | 'workflows' | 'mcps', number>;
  models: ModelStatus[];
  database: { ok: boolean; path: string; journal_mode: string; schema_version: number; error?: string };
  config: ConfigStatus;
}
