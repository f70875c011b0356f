/**
 * `caxton doctor`, the install half (issue requirement "caxton doctor": file modes of home, socket
 * and secrets; disk space; plus the Node.js version, the config, the database and the daemon). Reads
 * only: nothing is created, migrated or chmod-ed; each failure names the command that fixes it.
 */
import { existsSync, statSync, statfsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { AresConfig } from '../../config/ares-toml.js';
import { formatDiagnostic, isWarning, type Diagnostic } from '../../config/diagnostics.js';
import { validatePaths } from '../../config/validate.js';
import { isDomainError } from '../../domain/errors.js';
import type { Paths } from '../../ipc/paths.js';
import { readLivePid } from '../../ipc/pidfile.js';
import { supportedNodeRange } from '../../ipc/version.js';
import { fetchStatus } from '../../client/daemon.js';
import { databaseStatus, describeLocation, hidePasswords, type DatabaseLocation } from '../../store/copy.js';
import { isPostgresUrl } from '../../store/open.js';
import { messageOf, result, type CheckResult } from './check.js';

/** Free space in the home below which the check fails (bytes): SQLite and the logs stop working soon after. */
export const DISK_FAIL_BYTES = 100 * 1024 * 1024;
/** Free space in the home below which the check warns (bytes). */
export const DISK_WARN_BYTES = 1024 * 1024 * 1024;

/** `major.minor.patch` of a version such as `v20.19.1` or `20.19`; missing parts are 0. */
function versionParts(v: string): number[] {
  const [major = 0, minor = 0, patch = 0] = v
    .replace(/^v/, '')
    .split('.')
    .map((n) => Number.parseInt(n, 10) || 0);
  return [major, minor, patch];
}

/** True when version `a` >= version `b` (numeric parts compared in order). */
function atLeast(a: string, b: string): boolean {
  const [pa, pb] = [versionParts(a), versionParts(b)];
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i]! > pb[i]!;
  return true;
}

/** The running Node.js against `engines.node` of package.json (a `>=X.Y.Z` range; any other form is reported, not judged). */
export function checkNode(version = process.version, range = supportedNodeRange()): CheckResult {
  const min = range?.match(/^>=\s*v?(\d+(?:\.\d+){0,2})$/)?.[1];
  if (!min) return result('node', 'skip', `Node.js ${version}; package.json states no ">=X.Y" engine range to compare with (${range ?? 'none'})`);
  return atLeast(version, min)
    ? result('node', 'ok', `Node.js ${version} (needs ${range})`)
    : result(
        'node',
        'fail',
        `Node.js ${version} is older than this build needs (${range})`,
        `install Node.js ${min} or newer (e.g. \`nvm install ${min.split('.')[0]}\`)`,
      );
}

/** One path whose mode must not give the group or others any access (`0700` directories, `0600` files). */
interface PrivatePath {
  path: string;
  label: string;
}

/** Check that `p`, when it exists, is owner-only; the fix is the `chmod` that makes it so. */
function checkPrivate(p: PrivatePath): CheckResult | undefined {
  if (!existsSync(p.path)) return undefined;
  const st = statSync(p.path);
  const mode = st.mode & 0o777;
  const want = st.isDirectory() ? 0o700 : 0o600;
  const shown = `${p.path} is ${mode.toString(8).padStart(4, '0')}`;
  if ((mode & 0o077) === 0) return result(`mode ${p.label}`, 'ok', shown);
  return result(`mode ${p.label}`, 'fail', `${shown}: group or others may read it`, `chmod ${want.toString(8)} ${p.path}`);
}

/**
 * File modes of the home and what it keeps private: the home, `run/` and the control socket, the data
 * and log directories, ares.toml (it may hold keys), the generated JWT key, the SQLite files and the log.
 * Paths that do not exist yet are not reported; a missing home is one failure.
 */
export function checkModes(paths: Paths, config: AresConfig | undefined): CheckResult[] {
  if (!existsSync(paths.home)) {
    return [result('home', 'fail', `no home at ${paths.home}`, `caxton init --home ${paths.home} (or caxton server start, which initialises it)`)];
  }
  const db = resolve(paths.home, config?.database.path ?? 'data/ares.db');
  const usesSqlite = !isPostgresUrl(config?.database.url);
  const list: PrivatePath[] = [
    { path: paths.home, label: 'home' },
    { path: paths.aresToml, label: 'ares.toml' },
    { path: paths.runDir, label: 'run directory' },
    { path: paths.socket, label: 'control socket' },
    { path: paths.dataDir, label: 'data directory' },
    { path: resolve(paths.dataDir, 'jwt-secret'), label: 'JWT key' },
    ...(usesSqlite ? [db, `${db}-wal`, `${db}-shm`].map((path) => ({ path, label: `database ${path.slice(dirname(db).length + 1)}` })) : []),
    { path: paths.logsDir, label: 'log directory' },
    { path: paths.logFile, label: 'log file' },
  ];
  return list.map(checkPrivate).filter((r): r is CheckResult => r !== undefined);
}

/** Free space for this user in the file system of the home (statfs): fail under 100 MiB, warn under 1 GiB. */
export function checkDisk(home: string, statfs: typeof statfsSync = statfsSync): CheckResult {
  const where = existsSync(home) ? home : dirname(home);
  const st = statfs(where);
  const free = Number(st.bavail) * Number(st.bsize);
  const shown = `${(free / 1024 ** 3).toFixed(1)} GiB free in ${where}`;
  if (free < DISK_FAIL_BYTES)
    return result('disk space', 'fail', shown, `free space on that file system (logs rotate in ${resolve(home, 'logs')}; old data can be removed)`);
  if (free < DISK_WARN_BYTES) return result('disk space', 'warn', shown, 'free space on that file system before the database and logs run out of room');
  return result('disk space', 'ok', shown);
}

/** ares.toml and config/ through the validator (`caxton validate`): errors fail, warnings warn, each listed in the detail. */
export function checkConfig(home: string): CheckResult {
  const report = validatePaths([home], { cwd: home });
  const errors = report.diagnostics.filter((d) => !isWarning(d));
  const warnings = report.diagnostics.filter((d) => isWarning(d));
  const summary = `${report.files.length} files, ${report.errors} errors, ${report.warnings} warnings`;
  const first = (d: Diagnostic) => formatDiagnostic(d).split('\n')[0];
  if (errors.length > 0) {
    return result(
      'config',
      'fail',
      `${summary}: ${errors.slice(0, 3).map(first).join('; ')}`,
      `caxton validate --home ${home} lists every error with a hint; fix them in the files it names`,
    );
  }
  if (warnings.length > 0) return result('config', 'warn', `${summary}: ${first(warnings[0]!)}`, `caxton validate --home ${home}`);
  return result('config', 'ok', summary);
}

/**
 * The configured database opens and reports its schema version, read without migrating (a missing
 * SQLite file is fine: the daemon creates it). PostgreSQL URLs are shown and reported without their password.
 */
export async function checkDatabase(home: string, config: AresConfig): Promise<CheckResult> {
  const url = config.database.url;
  const loc: DatabaseLocation = isPostgresUrl(url) ? { backend: 'postgres', url } : { backend: 'sqlite', path: resolve(home, config.database.path) };
  const where = describeLocation(loc);
  try {
    const st = await databaseStatus(loc);
    return result('database', 'ok', `${st.backend} ${st.location}, schema version ${st.schema_version}, ${st.size_bytes} bytes`);
  } catch (err) {
    if (loc.backend === 'sqlite' && isDomainError(err) && err.code === 'NOT_FOUND') {
      return result('database', 'ok', `no database at ${where} yet: the daemon creates it when it first starts`);
    }
    const why = messageOf(hidePasswords(err, url ? [url] : []));
    const fix =
      loc.backend === 'postgres'
        ? 'check that the server runs and [database] url (or CAXTON_DATABASE_URL) names it with the right user and password'
        : `check the file and its directory are readable by you (ls -l ${dirname(loc.path)})`;
    return result('database', 'fail', `cannot open ${where}: ${why}`, fix);
  }
}

/** Whether a daemon of this home runs and answers on its control socket (not running is fine: doctor needs none). */
export async function checkDaemon(paths: Paths): Promise<CheckResult> {
  const pid = readLivePid(paths.pidFile);
  if (pid === undefined) return result('daemon', 'ok', 'not running (start it with `caxton server start`)');
  try {
    const st = await fetchStatus(paths);
    return result('daemon', 'ok', `running, pid ${st.pid}, ${st.url}`);
  } catch (err) {
    return result(
      'daemon',
      'fail',
      `pid ${pid} runs but does not answer on ${paths.socket}: ${messageOf(err)}`,
      `caxton server restart --home ${paths.home} (see caxton server logs)`,
    );
  }
}
