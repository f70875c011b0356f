/**
 * The store contract suite runs on every backend: real SQLite files, and, unless `pgSkipReason()`
 * says why not, PostgreSQL on a throwaway cluster (one per test file, started on first use and
 * destroyed after the file; one fresh database per `create()`).
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll } from 'vitest';
import { openPostgresStore } from '../../src/store/postgres/database.js';
import { openSqliteStore } from '../../src/store/sqlite/database.js';
import type { Store } from '../../src/store/types.js';
import { freshDatabase, pgSkipReason, startPgCluster, type PgCluster } from './pg-cluster.js';
import { tempDir } from './tmp.js';

/** One backend of the contract suite. A location is a SQLite file path or a PostgreSQL URL. */
export interface StoreBackend {
  name: 'sqlite' | 'postgres';
  /** Why this backend's tests are skipped here (PostgreSQL binaries missing), if they are. */
  skip?: string;
  /** A new empty location. */
  create(): Promise<string>;
  /** Open (migrating) the store at `location`. */
  open(location: string): Promise<Store>;
  /** Rows of a read-only SQL query (no parameters) run directly on the database at `location`. */
  query(location: string, sql: string): Promise<Record<string, unknown>[]>;
  /** Names of the tables at `location`. */
  tables(location: string): Promise<string[]>;
}

const sqlite: StoreBackend = {
  name: 'sqlite',
  create: async () => join(tempDir('cx-st-'), 'ares.db'),
  open: async (path) => openSqliteStore(path),
  async query(path, sql) {
    const db = new Database(path, { readonly: true });
    try {
      return db.prepare(sql).all() as Record<string, unknown>[];
    } finally {
      db.close();
    }
  },
  tables: async (path) => (await sqlite.query(path, "SELECT name FROM sqlite_master WHERE type = 'table'")).map((r) => String(r.name)),
};

/** BIGINT columns as numbers, as the store reads them. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 ? Number : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

/** Run `sql` on the database at `url` with a plain client (BIGINT read as numbers). */
export async function pgQuery(url: string, sql: string, values: unknown[] = []): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url, types });
  await client.connect();
  try {
    return (await client.query(sql, values)).rows as Record<string, unknown>[];
  } finally {
    await client.end();
  }
}

/** The PostgreSQL backend over `cluster()` (the file's one cluster, started on first use). */
function postgres(cluster: () => PgCluster): StoreBackend {
  return {
    name: 'postgres',
    create: () => freshDatabase(cluster()),
    open: (url) => openPostgresStore(url, { poolSize: 4 }),
    query: (url, sql) => pgQuery(url, sql),
    tables: async (url) =>
      (await pgQuery(url, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")).map((r) => String(r.table_name)),
  };
}

/**
 * The backends for one test file; call once at the file's top level (it registers the cleanup of
 * the file's PostgreSQL cluster).
 */
export function storeBackends(): StoreBackend[] {
  const reason = pgSkipReason();
  if (reason) {
    const unavailable = (): PgCluster => {
      throw new Error(reason);
    };
    return [sqlite, { ...postgres(unavailable), skip: reason }];
  }
  let running: PgCluster | undefined;
  afterAll(() => running?.destroy());
  return [sqlite, postgres(() => (running ??= startPgCluster()))];
}

/** Test title of `b`: its name, plus the skip reason when it is skipped. */
export const backendTitle = (b: StoreBackend): string => `${b.name} store${b.skip ? ` (${b.skip})` : ''}`;

/** Per-test timeout (ms) for `b`: PostgreSQL tests create a database and open a pool. */
export const backendTimeout = (b: StoreBackend): number => (b.name === 'postgres' ? 30_000 : 5_000);
