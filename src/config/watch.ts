/**
 * Hot reload of `config/` (SPEC §2 "hot-reloaded"): chokidar watches the five kind
 * directories; after a quiet period (debounce) the whole tree is loaded again and validated, then
 * either swapped in with one reference assignment or rejected as a whole, so the last good snapshot
 * keeps serving. Runs that already resolved their agent keep it; new lookups see the new snapshot.
 *
 * Directories replaced under the watcher (`mv agents agents.old; mv agents.new agents`, or
 * `rm -rf agents && mkdir agents`) leave chokidar watching the old inode or nothing, silently. So the
 * identity (device, inode, birth time) of `config/` and each kind directory is checked on every
 * event and every `checkMs`; when one changed, chokidar is replaced by a fresh watcher over the
 * tree, and the tree is reloaded once it is ready. A watcher failure is kept in
 * `status().watch_error` until watching again succeeds.
 */
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { ENTITY_KINDS } from '../domain/entities.js';
import type { ReloadStatus } from '../domain/status.js';
import { isWarning, type Diagnostic } from './diagnostics.js';
import type { ConfigSnapshot } from './snapshot.js';

/** Structured log sink (a pino logger fits). */
export interface WatchLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Options of `watchConfig`. */
export interface WatchOptions {
  /** The `config/` directory; its kind subdirectories are created when missing. */
  configDir: string;
  /** Builds a snapshot of the whole tree (e.g. `loadConfigTree` bound to ares.toml's options). */
  load: () => ConfigSnapshot;
  /**
   * Quiet period after the last file event before reloading, ms (default 75, at least 60: chokidar
   * drops a file's change events for 50 ms after one it emits, so a shorter wait could miss the last write).
   */
  debounceMs?: number;
  /** How often the watched directories' identity is checked, ms (default 500). */
  checkMs?: number;
  /** Called after a reload was rejected; `errors` are its error diagnostics (warnings left out). */
  onReject?: (errors: readonly Diagnostic[], status: ReloadStatus) => void;
  log?: WatchLog;
}

/** A running watcher. */
export interface ConfigWatcher {
  /** The snapshot being served (the last good one). */
  current(): ConfigSnapshot;
  /** Reload history (a copy). */
  status(): ReloadStatus;
  /**
   * Call `listener` after each later swap of a new snapshot (in subscription order); the snapshot
   * served when subscribing is `current()`. @returns a function that unsubscribes.
   */
  onSwap(listener: (snapshot: ConfigSnapshot, status: ReloadStatus) => void): () => void;
  /** Resolves once chokidar watches every directory; file changes before that may be missed. */
  ready: Promise<void>;
  /** Stop watching; no reload happens after it resolves. */
  close(): Promise<void>;
}

/** A burst of events longer than this many quiet periods reloads anyway, so steady writes cannot starve it. */
const MAX_WAIT_PERIODS = 4;
/** chokidar's per-file change throttle (50 ms) plus timer slack: the shortest safe quiet period. */
const MIN_DEBOUNCE_MS = 60;

/**
 * Size and mtime of every file in the kind directories, as one string. A reload compares it before and
 * shortly after loading: a file still being written when it was read (its last change event can be
 * throttled away) changes the fingerprint and triggers one more reload, so the final content is loaded.
 */
function fingerprint(configDir: string): string {
  const parts: string[] = [];
  for (const kind of ENTITY_KINDS) {
    let names: string[];
    try {
      names = readdirSync(join(configDir, kind));
    } catch {
      continue;
    }
    for (const name of names) {
      try {
        const st = statSync(join(configDir, kind, name));
        parts.push(`${kind}/${name}:${st.size}:${st.mtimeMs}`);
      } catch {
        // removed between readdir and stat: its removal has its own event
      }
    }
  }
  return parts.join('|');
}

/**
 * Device, inode and birth time of `config/` and of each kind directory (`-` when missing), as one
 * string. The birth time tells a directory recreated under a reused inode number (rm -rf + mkdir).
 */
function identity(configDir: string): string {
  return [configDir, ...ENTITY_KINDS.map((kind) => join(configDir, kind))]
    .map((dir) => {
      try {
        const st = statSync(dir);
        return `${st.dev}:${st.ino}:${st.birthtimeMs}`;
      } catch {
        return '-';
      }
    })
    .join('|');
}

/** Reload history and its copy for callers (`status()`). */
function createStatus(first: ConfigSnapshot) {
  const state: ReloadStatus = {
    last_success_at: first.loadedAt,
    last_attempt_at: first.loadedAt,
    reloads: 0,
    rejected: 0,
    last_errors: [],
    last_reload_ms: 0,
    rewatches: 0,
  };
  const copy = (): ReloadStatus => ({ ...state, last_errors: state.last_errors.map((d) => ({ ...d })) });
  return { state, copy };
}
type Status = ReturnType<typeof createStatus>;

/**
 * Trailing debounce of file events: the last reload of a burst always starts a full quiet period after
 * its last event, so it reads every write; a long burst also reloads every MAX_WAIT_PERIODS quiet periods.
 * `idle()` is true when no reload is pending.
 */
function createScheduler(debounceMs: number, reload: () => void, isClosed: () => boolean) {
  let timer: NodeJS.Timeout | undefined;
  let burstStart = 0;
  let lastEventAt = 0;
  const fire = () => {
    timer = undefined;
    if (isClosed()) return;
    const now = Date.now();
    const quietFor = now - lastEventAt;
    if (quietFor >= debounceMs) {
      reload();
      return;
    }
    if (now - burstStart >= debounceMs * MAX_WAIT_PERIODS) {
      reload();
      burstStart = now;
    }
    timer = setTimeout(fire, debounceMs - quietFor);
  };
  const schedule = () => {
    if (isClosed()) return;
    lastEventAt = Date.now();
    if (timer !== undefined) return;
    burstStart = lastEventAt;
    timer = setTimeout(fire, debounceMs);
  };
  const cancel = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  return { schedule, cancel, idle: () => timer === undefined };
}
type Scheduler = ReturnType<typeof createScheduler>;

/**
 * Loading, validating and swapping snapshots (policy at `watchConfig`). Each reload fingerprints the
 * tree first and compares again `debounceMs * 2` later (see `fingerprint`), scheduling one more
 * reload when a file changed without an event.
 */
function createReloader(opts: WatchOptions, first: ConfigSnapshot, debounceMs: number, status: Status, scheduler: Scheduler, isClosed: () => boolean) {
  const { state, copy } = status;
  let snapshot = first;
  const swapListeners = new Set<(snapshot: ConfigSnapshot, status: ReloadStatus) => void>();
  let verifyTimer: NodeJS.Timeout | undefined;

  const reject = (errors: Diagnostic[], started: number) => {
    state.rejected++;
    state.last_errors = errors;
    state.last_reload_ms = Date.now() - started;
    opts.log?.error(
      { errors, reload_ms: state.last_reload_ms },
      `config reload rejected, last good config keeps serving: ${errors.map((d) => `${d.file}:${d.line}:${d.col}: ${d.code} ${d.message}`).join('; ')}`,
    );
    opts.onReject?.(errors, copy());
  };
  const verifyLater = () => {
    const before = fingerprint(opts.configDir);
    if (verifyTimer !== undefined) clearTimeout(verifyTimer);
    verifyTimer = setTimeout(() => {
      verifyTimer = undefined;
      if (!isClosed() && scheduler.idle() && fingerprint(opts.configDir) !== before) scheduler.schedule();
    }, debounceMs * 2);
    verifyTimer.unref();
  };
  const reload = () => {
    const started = Date.now();
    state.last_attempt_at = started;
    verifyLater();
    let next: ConfigSnapshot;
    try {
      next = opts.load();
    } catch (err) {
      reject([{ code: 'E_SYNTAX', file: opts.configDir, line: 1, col: 1, message: `cannot read config: ${(err as Error).message}` }], started);
      return;
    }
    const errors = next.diagnostics.filter((d) => !isWarning(d));
    if (errors.length > 0) {
      reject(errors, started);
      return;
    }
    snapshot = next; // the swap: one reference assignment
    state.reloads++;
    state.last_success_at = next.loadedAt;
    state.last_errors = [];
    state.last_reload_ms = Date.now() - started;
    opts.log?.info(
      { reload_ms: state.last_reload_ms, agents: next.agents.size, models: next.models.size, warnings: next.diagnostics.length },
      'config reloaded',
    );
    for (const listener of [...swapListeners]) listener(next, copy());
  };
  return {
    current: () => snapshot,
    reload,
    onSwap(listener: (snapshot: ConfigSnapshot, status: ReloadStatus) => void) {
      swapListeners.add(listener);
      return () => void swapListeners.delete(listener);
    },
    cancel() {
      if (verifyTimer !== undefined) clearTimeout(verifyTimer);
    },
  };
}

/** A chokidar watcher over `configDir` calling `onEvent` on every event (editor swap/backup files left out). */
function openChokidar(configDir: string, onEvent: () => void, onError: (err: unknown) => void): FSWatcher {
  const w = watch(configDir, {
    ignoreInitial: true,
    // Debounce instead of waiting for sizes to settle (awaitWriteFinish polls and adds ~100 ms+).
    awaitWriteFinish: false,
    // Editor swap/backup files (.x.swp, x~) are not config; the loader skips them too.
    ignored: (path: string) => {
      const name = basename(path);
      return path !== configDir && (name.startsWith('.') || name.endsWith('~'));
    },
  });
  w.on('all', onEvent);
  w.on('error', onError);
  return w;
}

/**
 * Watch `configDir` and call `schedule` on every change. The directories' identity is checked on
 * every event and every `checkMs`; when it changed, chokidar is replaced by a fresh watcher (module
 * comment) and `schedule` is called once it is ready. Failures go to `status().watch_error`.
 */
function watchDirs(opts: WatchOptions, state: ReloadStatus, schedule: () => void, isClosed: () => boolean) {
  const onError = (err: unknown) => {
    state.watch_error = `the config watcher failed (${(err as Error)?.message ?? String(err)}); edits may not be reloaded until the daemon restarts`;
    opts.log?.error({ err }, 'config watcher error');
  };
  const open = () =>
    openChokidar(
      opts.configDir,
      () => {
        schedule();
        check();
      },
      onError,
    );
  let watched = identity(opts.configDir);
  let rewatching = false;
  const rewatch = async () => {
    rewatching = true;
    watched = identity(opts.configDir);
    const old = watcher;
    try {
      watcher = open();
      const fresh = watcher;
      await Promise.all([old.close(), new Promise<void>((res) => fresh.once('ready', () => res()))]);
      delete state.watch_error;
      state.rewatches++;
      opts.log?.warn({ config_dir: opts.configDir }, 'config: a watched directory was replaced or removed; watching it again');
    } catch (err) {
      onError(err);
    }
    rewatching = false;
    if (isClosed()) return;
    schedule();
    check(); // changed again meanwhile
  };
  const check = () => {
    if (!isClosed() && !rewatching && identity(opts.configDir) !== watched) void rewatch();
  };
  const poll = setInterval(check, opts.checkMs ?? 500);
  poll.unref();

  let watcher = open();
  const first = watcher;
  return {
    ready: new Promise<void>((res) => first.once('ready', () => res())),
    async close() {
      clearInterval(poll);
      await watcher.close();
    },
  };
}

/**
 * Load the tree once and serve it, then reload on every change under `configDir`.
 *
 * Policy: a reloaded snapshot with any error diagnostic (non-`W_` code) is rejected whole, and its
 * errors (FILE:LINE:COL) are kept in `status().last_errors`. The FIRST load is accepted even with
 * errors (entities with errors are left out of it) so the daemon can start and show them.
 * @throws whatever `load()` throws on the first load (I/O errors other than a missing file).
 */
export function watchConfig(opts: WatchOptions): ConfigWatcher {
  const debounceMs = Math.max(opts.debounceMs ?? 75, MIN_DEBOUNCE_MS);
  for (const kind of ENTITY_KINDS) mkdirSync(join(opts.configDir, kind), { recursive: true });

  let closed = false;
  const isClosed = () => closed;
  const first = opts.load();
  const status = createStatus(first);
  // The scheduler runs reloads; a reload may schedule one more (see createReloader), hence the arrow.
  const scheduler = createScheduler(debounceMs, () => reloader.reload(), isClosed);
  const reloader = createReloader(opts, first, debounceMs, status, scheduler, isClosed);
  const dirs = watchDirs(opts, status.state, scheduler.schedule, isClosed);
  return {
    current: reloader.current,
    status: status.copy,
    onSwap: reloader.onSwap,
    ready: dirs.ready,
    async close() {
      closed = true;
      scheduler.cancel();
      reloader.cancel();
      await dirs.close();
    },
  };
}
