/**
 * Querying the PostgreSQL pool (issue "PostgreSQL as the shared store"): named prepared statements
 * (each connection prepares a statement once, on first use), transactions on one pooled client, and
 * the translation of connection-class failures into `DomainError('UNAVAILABLE')`.
 */
import type pg from 'pg';
import { DomainError } from '../../domain/errors.js';

/** A statement with a name unique across the store, prepared once per connection by the driver. */
export interface Statement {
  name: string;
  text: string;
}

/** Run a named statement with positional parameters (`$1`...). */
export type Run = <R extends pg.QueryResultRow = Record<string, unknown>>(stmt: Statement, values?: unknown[]) => Promise<pg.QueryResult<R>>;

/** The store's access to the database: single statements on any pooled connection, or one transaction. */
export interface Db {
  run: Run;
  /** Run `fn` inside BEGIN/COMMIT on one connection; any rejection rolls back and is rethrown (translated). */
  tx<T>(fn: (run: Run) => Promise<T>): Promise<T>;
}

/** Connection-level error codes: PostgreSQL SQLSTATE classes 08 and 57P0x, and socket errors of Node. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOENT', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const DRIVER_MESSAGES = /timeout exceeded when trying to connect|Connection terminated|connection error|Client was closed|Cannot use a pool after calling end/i;

/** True when `err` says the server cannot be reached or dropped the connection (not a failed statement). */
export function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (code.startsWith('08') || /^57P0[1-3]$/.test(code) || SOCKET_CODES.has(code))) return true;
  return err instanceof Error && DRIVER_MESSAGES.test(err.message);
}

/** True when `err` is PostgreSQL's unique violation (SQLSTATE 23505). */
export const isUnique = (err: unknown): boolean => (err as { code?: unknown }).code === '23505';

/**
 * `err` as the store raises it: a connection-class failure becomes `DomainError('UNAVAILABLE',
 * 'database unavailable: REASON')` with `secret` (the URL's password) cut out of REASON; anything
 * else is returned unchanged.
 */
export function translate(err: unknown, secret: string): unknown {
  if (!isConnectionError(err)) return err;
  return new DomainError('UNAVAILABLE', `database unavailable: ${scrub((err as Error).message, secret)}`);
}

/** `text` with every occurrence of `secret` replaced by `***` (nothing to do when there is no secret). */
export const scrub = (text: string, secret: string): string => (secret ? text.split(secret).join('***') : text);

/** The password part of a connection URL (decoded), or '' when it has none or cannot be parsed. */
export function passwordOf(url: string): string {
  try {
    return decodeURIComponent(new URL(url).password);
  } catch {
    return '';
  }
}

/**
 * `values` as PostgreSQL can store them: TEXT cannot hold U+0000 (SQLSTATE 22021, "invalid byte
 * sequence"), which SQLite keeps, so a string parameter carries U+FFFD (the replacement character) in
 * its place; a user message, a model reply or a tool result holding one is stored instead of failing
 * the request. Other values are passed as they are.
 */
export const storable = (values: readonly unknown[]): unknown[] =>
  values.map((v) => (typeof v === 'string' && v.includes('\u0000') ? v.replaceAll('\u0000', '\uFFFD') : v));

/** A `Run` over `target` (the pool or one checked-out client), translating connection failures. */
function runner(target: pg.Pool | pg.PoolClient, secret: string): Run {
  return async (stmt, values = []) => {
    try {
      return await target.query({ name: stmt.name, text: stmt.text, values: storable(values) });
    } catch (err) {
      throw translate(err, secret);
    }
  };
}

/** The `Db` over `pool`; `secret` is the URL's password, removed from error messages. */
export function createDb(pool: pg.Pool, secret: string): Db {
  return {
    run: runner(pool, secret),
    async tx(fn) {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        throw translate(err, secret);
      }
      try {
        await client.query('BEGIN');
        const out = await fn(runner(client, secret));
        await client.query('COMMIT');
        client.release();
        return out;
      } catch (err) {
        // A connection that cannot roll back is broken: destroy it instead of returning it to the pool.
        await client.query('ROLLBACK').then(
          () => client.release(),
          (e: Error) => client.release(e),
        );
        throw translate(err, secret);
      }
    },
  };
}
