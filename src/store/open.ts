/**
 * Choosing the store backend (STORY-034 external backends, DIR-12 hosted database): a `postgres://` or
 * `postgresql://` URL opens the shared PostgreSQL store, anything else the embedded SQLite file.
 * The PostgreSQL module (and the `pg` driver) is imported only when a URL asks for it, so SQLite
 * users never load it.
 */
import { openSqliteStore } from './sqlite/database.js';
import type { Store } from './types.js';

/** Where the store lives and how to reach it. */
export interface StoreOptions {
  /** SQLite database file (absolute), used when `url` is absent. */
  path: string;
  /** PostgreSQL connection URL (`postgres://USER:PASSWORD@HOST:PORT/DB`, or `?host=/socket/dir`). */
  url?: string;
  /** PostgreSQL connections per daemon. */
  poolSize: number;
  /** Where the store reports background trouble (a lost change-feed connection); never given secrets. */
  log?: (msg: string, err?: unknown) => void;
}

/** True when `url` names a PostgreSQL server. */
export const isPostgresUrl = (url: string | undefined): url is string => url !== undefined && /^postgres(ql)?:\/\//i.test(url);

export { redactDatabaseUrl } from './database-url.js';

/**
 * Open the store `o` names, migrating it to this build's schema.
 * @throws DomainError UNAVAILABLE when the database cannot be opened or reached, or is newer than this build.
 */
export async function openStore(o: StoreOptions): Promise<Store> {
  if (!isPostgresUrl(o.url)) return openSqliteStore(o.path);
  const { openPostgresStore } = await import('./postgres/database.js');
  return openPostgresStore(o.url, { poolSize: o.poolSize, ...(o.log ? { log: o.log } : {}) });
}
