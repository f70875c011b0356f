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

/** A located config problem (SPEC §3), as reported over the API. */
export interface ConfigDiagnostic {
  code: string;
  file?: string;
  line?: number;
  col?: number;
  message: string;
  hint?: string;
}

/**
 * The config snapshot being served and the hot-reload history (SPEC §2 "hot-reloaded"; hot-reload
 * issue): `GET /api/config/status`, the `config` part of `GET /api/status`. Times: ms since epoch.
 */
export interface ConfigStatus {
  /** When the snapshot being served was built. */
  loaded_at: number;
  /** Errors / warnings of the snapshot being served (only the first load may serve errors). */
  errors: number;
  warnings: number;
  diagnostics: ConfigDiagnostic[];
  /** When a snapshot was last swapped in (the first load counts). */
  last_success_at: number;
  /** When a reload was last attempted (accepted or rejected). */
  last_attempt_at: number;
  /** Reloads swapped in after the first load. */
  reloads: number;
  /** Reloads rejected because the new snapshot had errors (the last good one kept serving). */
  rejected: number;
  /** Errors of the last rejected attempt; empty once a later reload succeeds. */
  last_errors: ConfigDiagnostic[];
  /** Duration of the last reload attempt (load + validate), ms. */
  last_reload_ms: number;
  /** Times a watched directory (`config/` or a kind directory) was found replaced or removed and watched again. */
  rewatches: number;
  /**
   * Present while hot reload cannot be trusted: the file watcher failed (e.g. out of inotify
   * watches) and could not watch `config/` again, so edits may be missed until a restart.
   */
  watch_error?: string;
}

/** The hot-reload part of ConfigStatus, kept by the config watcher. */
export type ReloadStatus = Pick<
  ConfigStatus,
  'last_success_at' | 'last_attempt_at' | 'reloads' | 'rejected' | 'last_errors' | 'last_reload_ms' | 'rewatches' | 'watch_error'
>;

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
  database: DatabaseHealth;
  config: ConfigStatus;
  /** The global pool of runs (`[runtime] max_concurrent_runs`): runs in flight, runs waiting in the global queue, the pool's size. */
  runs: RunPoolStatus;
}

/** Runs of all agents against the global pool (counts). */
export interface RunPoolStatus {
  in_flight: number;
  queued: number;
  max_concurrent: number;
}

/** Database state reported by `/health` and `server status` (SPEC §6; the store fills it in). */
export interface DatabaseHealth {
  ok: boolean;
  /** Which implementation serves the store: embedded SQLite, or a shared PostgreSQL server. */
  backend: 'sqlite' | 'postgres';
  /** SQLite: the database file path (absolute). PostgreSQL: the connection URL with any password removed. */
  path: string;
  /** SQLite journal mode, `wal` in normal operation; absent for PostgreSQL. */
  journal_mode?: string;
  /** Highest applied migration number. */
  schema_version: number;
  /** PostgreSQL pool: open connections, idle ones, and queries waiting for one. */
  pool?: { total: number; idle: number; waiting: number };
  error?: string;
}

/** How much disk the database takes (`caxton_database_*` metrics, STORY-022 database statistics). Bytes. */
export interface DatabaseSize {
  backend: 'sqlite' | 'postgres';
  /** SQLite: the database file. PostgreSQL: `pg_database_size` of the current database. */
  database_bytes: number;
  /** SQLite: the `-wal` file (0 when absent). Absent for PostgreSQL (its WAL belongs to the whole server). */
  wal_bytes?: number;
}

/**
 * One configured provider as `/health/ready` sees it (the provider registry's state): `ready` sends
 * requests to the real server, `offline` answers with the offline provider (`reason` says why),
 * `checking` while the first probe runs. A provider of type `offline` never counts as usable.
 */
export interface ProviderHealth {
  name: string;
  /** `openai`, `openai-compatible`, `offline` or `scripted`. */
  type: string;
  state: 'ready' | 'offline' | 'checking';
  reason?: string;
}
