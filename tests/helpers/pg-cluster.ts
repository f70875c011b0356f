/**
 * Throwaway PostgreSQL clusters for tests (STORY-034 external backends). A cluster lives in a temp
 * directory, listens on a Unix socket only (no TCP port to collide on), runs with fsync off, and is
 * removed when stopped. As root the server runs as the `postgres` system user (PostgreSQL refuses to
 * run as root); otherwise as the current user. Debian's `postgresql` package provides the binaries
 * (`/usr/lib/postgresql/VERSION/bin`); where they are missing `pgSkipReason` says what to install.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A running throwaway cluster. */
export interface PgCluster {
  /** Connection URL of the `postgres` database over the cluster's Unix socket. */
  url: string;
  /** Directory holding the data directory and the socket. */
  dir: string;
  /** Stop the server, keeping the data (for "database goes away" tests); `start()` brings it back. */
  pause(): void;
  /** Start the server again after `pause()`. */
  start(): void;
  /** Stop the server and delete everything. Idempotent. */
  destroy(): void;
}

/** The newest installed PostgreSQL `bin` directory, or undefined. */
function binDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] && join(root, versions[0], 'bin');
}

/** Why PostgreSQL tests cannot run here (undefined when they can). */
export function pgSkipReason(): string | undefined {
  if (!binDir()) return 'PostgreSQL tests skipped: install the Debian package "postgresql" (initdb and pg_ctl not found under /usr/lib/postgresql)';
  if (process.getuid?.() === 0 && !existsSync('/usr/sbin/runuser')) return 'PostgreSQL tests skipped: running as root without runuser';
  return undefined;
}

/** Run a PostgreSQL binary as the cluster's owner. */
function runAs(owner: string | undefined, bin: string, args: string[]): void {
  const cmd = owner ? ['/usr/sbin/runuser', ['-u', owner, '--', bin, ...args]] : [bin, args];
  execFileSync(cmd[0] as string, cmd[1] as string[], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * Create and start a cluster (about 2-3 s). @throws Error with initdb's or pg_ctl's output when it
 * cannot start; call `pgSkipReason()` first.
 */
export function startPgCluster(): PgCluster {
  const bin = binDir();
  if (!bin) throw new Error(pgSkipReason());
  const dir = mkdtempSync(join(tmpdir(), 'cx-pg-'));
  const owner = process.getuid?.() === 0 ? 'postgres' : undefined;
  if (owner) {
    const pw = execFileSync('id', ['-u', owner]).toString().trim();
    const gr = execFileSync('id', ['-g', owner]).toString().trim();
    chownSync(dir, Number(pw), Number(gr));
  }
  chmodSync(dir, 0o755);
  const data = join(dir, 'data');
  const pgCtl = join(bin, 'pg_ctl');
  const start = () =>
    runAs(owner, pgCtl, [
      '-w',
      '-D',
      data,
      '-l',
      join(dir, 'server.log'),
      'start',
      '-o',
      `-c listen_addresses='' -k ${dir} -c fsync=off -c max_connections=200`,
    ]);
  runAs(owner, join(bin, 'initdb'), ['-D', data, '-A', 'trust', '--no-sync', '-U', 'postgres', '-E', 'UTF8', '--locale=C.UTF-8']);
  start();
  let destroyed = false;
  const onExit = () => cluster.destroy();
  const stop = () => {
    try {
      runAs(owner, pgCtl, ['-w', '-D', data, '-m', 'fast', 'stop']);
    } catch {
      // already stopped
    }
  };
  const cluster: PgCluster = {
    url: `postgres://postgres@localhost/postgres?host=${encodeURIComponent(dir)}`,
    dir,
    pause: stop,
    start,
    destroy() {
      if (destroyed) return;
      destroyed = true;
      process.off('exit', onExit);
      stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  process.once('exit', onExit);
  return cluster;
}

/** The URL of database `name` on the same server as `url`. */
export function databaseUrl(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

let counter = 0;

/**
 * Create an empty database on the cluster and return its URL; each test gets its own, so tests
 * sharing one cluster never see each other's rows.
 */
export async function freshDatabase(cluster: PgCluster): Promise<string> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: cluster.url });
  await client.connect();
  const name = `t_${process.pid}_${++counter}_${Date.now().toString(36)}`;
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  return databaseUrl(cluster.url, name);
}
