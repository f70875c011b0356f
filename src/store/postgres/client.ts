/**
 * Querying the PostgreSQL pool (STORY-034 external backends, DIR-12 hosted database): named prepared statements
 * (each connection prepares a statement once, on first use), transactions on one pooled client, one
 * retry where a lost connection provably changed nothing, and the translation of connection-class
 * failures into `DomainError('UNAVAILABLE')`.
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
  /** One statement on any pooled connection; a read repeats once when its connection turns out broken. */
  run: Run;
  /**
   * Run `fn` inside BEGIN/COMMIT on one connection; any rejection rolls back and is rethrown
   * (translated). Started once more on another connection when BEGIN met a broken one.
   */
  tx<T>(fn: (run: Run) => Promise<T>): Promise<T>;
}

/** Connection-level error codes: PostgreSQL SQLSTATE classes 08 and 57P0x, and socket errors of Node. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOENT', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const DRIVER_MESSAGES =
  /timeout exceeded when trying to connect|Connection terminated|connection error|Client was closed|not queryable|Cannot use a pool after calling end/i;
/** Failures to open a new connection (or a closing pool): the pool already tried afresh, so a retry would only wait again. */
const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOENT', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', '57P03']);
const CONNECT_MESSAGES = /timeout exceeded when trying to connect|due to connection timeout|Cannot use a pool after calling end/i;
/** Failures that prove the statement never reached the server: a write to a closed socket, a client pg refuses to use. */
const NOT_SENT = (err: unknown) =>
  (err as { code?: unknown }).code === 'EPIPE' || (err instanceof Error && /not queryable|Client was closed/i.test(err.message));

/** True when `err` says the server cannot be reached or dropped the connection (not a failed statement). */
export function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (code.startsWith('08') || /^57P0[1-3]$/.test(code) || SOCKET_CODES.has(code))) return true;
  return err instanceof Error && DRIVER_MESSAGES.test(err.message);
}

/** True when `err` is a connection-class failure on a connection that was already open (one that broke, not one that could not be made). */
function brokenConnection(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && CONNECT_CODES.has(code)) return false;
  return isConnectionError(err) && !(err instanceof Error && CONNECT_MESSAGES.test(err.message));
}

/**
 * True when `stmt`, having failed with `err`, may run once more without changing what it does: the
 * pooled connection it used was already open and broke (a server restart leaves such idle
 * connections behind), and either the statement is a SELECT (a read; `pg_notify` only repeats a
 * cache drop) or the failure proves it was never sent. A write whose fate is unknown is not retried:
 * that includes every statement starting with WITH (the store's data-modifying CTEs, such as a run
 * step written as one statement), since only a leading SELECT counts as a read.
 */
function retryable(stmt: Statement, err: unknown): boolean {
  return brokenConnection(err) && (/^\s*SELECT\b/i.test(stmt.text) || NOT_SENT(err));
}

/** True when `err` is PostgreSQL's unique violation (SQLSTATE 23505). */
export const isUnique = (err: unknown): boolean => (err as { code?: unknown }).code === '23505';

/**
 * `err` as the store raises it: a connection-class failure becomes `DomainError('UNAVAILABLE',
 * 'database unavailable: REASON')` with `secrets` (the URL's password forms) cut out of REASON; anything
 * else is returned unchanged.
 */
export function translate(err: unknown, secrets: readonly string[]): unknown {
  if (!isConnectionError(err)) return err;
  return new DomainError('UNAVAILABLE', `database unavailable: ${scrub((err as Error).message, secrets)}`);
}

/** `text` with every occurrence of each of `secrets` (the URL's password forms, `urlPasswords`) replaced by `***`. */
export const scrub = (text: string, secrets: readonly string[]): string => secrets.reduce((t, secret) => t.split(secret).join('***'), text);

/**
 * `values` as PostgreSQL can store them: TEXT cannot hold U+0000 (SQLSTATE 22021, "invalid byte
 * sequence"), which SQLite keeps, so a string parameter carries U+FFFD (the replacement character) in
 * its place; a user message, a model reply or a tool result holding one is stored instead of failing
 * the request. Arrays (the message columns of a run step) are mapped element by element; other
 * values are passed as they are.
 */
export const storable = (values: readonly unknown[]): unknown[] => values.map((v) => (Array.isArray(v) ? v.map(storableOne) : storableOne(v)));

/** One value as PostgreSQL can store it (see `storable`). */
const storableOne = (v: unknown): unknown => (typeof v === 'string' && v.includes('\u0000') ? v.replaceAll('\u0000', '\uFFFD') : v);

/** A `Run` over `target` (the pool or one checked-out client), translating connection failures. */
function runner(target: pg.Pool | pg.PoolClient, secrets: readonly string[], retry: boolean): Run {
  return async (stmt, values = []) => {
    const query = { name: stmt.name, text: stmt.text, values: storable(values) };
    try {
      return await target.query(query);
    } catch (err) {
      if (!retry || !retryable(stmt, err)) throw translate(err, secrets);
      try {
        return await target.query(query); // the pool dropped the broken connection: another one serves
      } catch (again) {
        throw translate(again, secrets);
      }
    }
  };
}

/**
 * A client checked out of `pool`, guarded while it is out: the pool listens for errors of idle
 * clients only, and an error event nobody listens to (the server ending the connection between two
 * statements of a transaction) would end the process. The client's next query fails instead.
 */
export async function checkout(pool: pg.Pool): Promise<{ client: pg.PoolClient; release(err?: Error): void }> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const guard = (err: Error) => void (broken ??= err);
  client.on('error', guard);
  return {
    client,
    release(err) {
      client.off('error', guard);
      client.release(err ?? broken);
    },
  };
}

/**
 * The `Db` over `pool`; `secrets` are the URL's password forms, removed from error messages. A single
 * statement is retried once when `retryable` allows it. A transaction is retried once when its BEGIN
 * failed on a broken connection, since nothing of it ran; a failure after BEGIN rolls back and is raised.
 */
export function createDb(pool: pg.Pool, secrets: readonly string[]): Db {
  const attempt = async <T>(fn: (run: Run) => Promise<T>, retry: boolean): Promise<T> => {
    let out: Awaited<ReturnType<typeof checkout>>;
    try {
      out = await checkout(pool);
    } catch (err) {
      throw translate(err, secrets);
    }
    const { client, release } = out;
    try {
      await client.query('BEGIN');
    } catch (err) {
      release(err as Error);
      if (retry && brokenConnection(err)) return attempt(fn, false);
      throw translate(err, secrets);
    }
    try {
      const result = await fn(runner(client, secrets, false));
      await client.query('COMMIT');
      release();
      return result;
    } catch (err) {
      // A connection that cannot roll back is broken: destroy it instead of returning it to the pool.
      await client.query('ROLLBACK').then(
        () => release(),
        (e: Error) => release(e),
      );
      throw translate(err, secrets);
    }
  };
  return { run: runner(pool, secrets, true), tx: (fn) => attempt(fn, true) };
}
