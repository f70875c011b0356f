/**
 * Throwaway PostgreSQL clusters for the benchmarks: the same recipe as the tests' cluster helper
 * (tests/helpers/pg-cluster.ts), in plain Node so bench/ does not import tests/. A cluster lives in
 * a temp directory, listens on a Unix socket only (no TCP port to collide on) and is removed by
 * `destroy()` (also at process exit). As root the server runs as the `postgres` system user
 * (PostgreSQL refuses to run as root). Binaries: the newest `/usr/lib/postgresql/VERSION/bin`
 * (Debian: `apt-get install -y --no-install-recommends postgresql`). Not a benchmark itself.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** The newest installed PostgreSQL `bin` directory, or undefined. */
function binDir() {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] && join(root, versions[0], 'bin');
}

/** Why no cluster can be started here (undefined when it can). */
export function pgMissingReason() {
  if (!binDir()) return 'PostgreSQL not found under /usr/lib/postgresql (Debian: apt-get install -y --no-install-recommends postgresql)';
  if (process.getuid?.() === 0 && !existsSync('/usr/sbin/runuser')) return 'running as root without /usr/sbin/runuser (PostgreSQL refuses to run as root)';
  return undefined;
}

/** Run a PostgreSQL binary as the cluster's owner (the `postgres` user when we are root). */
function runAs(owner, bin, args) {
  const [cmd, argv] = owner ? ['/usr/sbin/runuser', ['-u', owner, '--', bin, ...args]] : [bin, args];
  execFileSync(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * Create and start a cluster (about 1-3 s). `fsync` (default true): durable commits as in a real
 * deployment (`fsync = on`, `synchronous_commit = on`: every COMMIT waits for its WAL flush);
 * false turns fsync off, as the tests do. Returns `{url, dir, fsync, destroy()}`; `url` names the
 * `postgres` database over the cluster's socket. @throws Error with initdb's or pg_ctl's output.
 */
export function startPgCluster({ fsync = true } = {}) {
  const missing = pgMissingReason();
  if (missing) throw new Error(missing);
  const bin = binDir();
  const dir = mkdtempSync(join('/tmp', 'cxb-pg-'));
  const owner = process.getuid?.() === 0 ? 'postgres' : undefined;
  if (owner) {
    const id = (flag) => Number(execFileSync('id', [flag, owner]).toString().trim());
    chownSync(dir, id('-u'), id('-g'));
  }
  chmodSync(dir, 0o755);
  const data = join(dir, 'data');
  const pgCtl = join(bin, 'pg_ctl');
  runAs(owner, join(bin, 'initdb'), ['-D', data, '-A', 'trust', '--no-sync', '-U', 'postgres', '-E', 'UTF8', '--locale=C.UTF-8']);
  const opts = `-c listen_addresses='' -k ${dir} -c fsync=${fsync ? 'on' : 'off'} -c max_connections=200`;
  runAs(owner, pgCtl, ['-w', '-D', data, '-l', join(dir, 'server.log'), 'start', '-o', opts]);
  let destroyed = false;
  const cluster = {
    url: `postgres://postgres@localhost/postgres?host=${encodeURIComponent(dir)}`,
    dir,
    fsync,
    destroy() {
      if (destroyed) return;
      destroyed = true;
      process.off('exit', cluster.destroy);
      try {
        runAs(owner, pgCtl, ['-w', '-D', data, '-m', 'fast', 'stop']);
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  process.once('exit', cluster.destroy);
  return cluster;
}

/**
 * Create the empty database `name` on `cluster` and return its URL, with the server settings that
 * decide commit cost (`fsync`, `synchronous_commit`, `wal_sync_method`, `shared_buffers`, version)
 * read back from the server so the benchmark can print what it really ran against.
 */
export async function createDatabase(cluster, name) {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: cluster.url });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
    const settings = {};
    for (const s of ['server_version', 'fsync', 'synchronous_commit', 'wal_sync_method', 'shared_buffers']) {
      settings[s] = (await client.query(`SHOW ${s}`)).rows[0][s];
    }
    const u = new URL(cluster.url);
    u.pathname = `/${name}`;
    return { url: u.toString(), settings };
  } finally {
    await client.end();
  }
}
