/**
 * Whole-database administration for `caxton db` (STORY-034 external backends, DIR-12 hosted database: move a
 * deployment between SQLite and PostgreSQL, and inspect a database offline): copy every table of one
 * store into another, and report what a database holds. Works on raw rows through `TableIO`, so
 * values move exactly as stored (ids, ms times, JSON text, 0/1 flags, REAL) on either backend.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { DomainError } from '../domain/errors.js';
import { isPostgresUrl, openStore, redactDatabaseUrl } from './open.js';
import { urlPasswords } from './database-url.js';
import type { TableIO } from './table-io.js';

export type { RowBatch, TableIO } from './table-io.js';

/**
 * The tables of the schema (after migration 14), in foreign-key order (a table comes after every
 * table it references), each with its primary key (the order rows are read in). SQLite's full-text
 * index of `memory_items` is no table of its own here: its triggers fill it as rows are copied in.
 */
export const TABLES: readonly { name: string; key: readonly string[] }[] = [
  { name: 'users', key: ['id'] },
  { name: 'api_keys', key: ['id'] },
  { name: 'refresh_tokens', key: ['id'] },
  { name: 'revoked_sessions', key: ['id'] },
  { name: 'conversations', key: ['id'] },
  { name: 'messages', key: ['id'] },
  { name: 'conversation_participants', key: ['conversation_id', 'agent'] },
  { name: 'conversation_summaries', key: ['conversation_id'] },
  { name: 'agent_executions', key: ['id'] },
  { name: 'memory', key: ['scope', 'key'] },
  { name: 'user_agents', key: ['id'] },
  { name: 'user_tools', key: ['id'] },
  { name: 'user_mcps', key: ['id'] },
  { name: 'ratings', key: ['user_id', 'agent_id'] },
  { name: 'user_agent_usage', key: ['agent_id', 'user_id', 'day'] },
  { name: 'budget_counters', key: ['scope', 'owner', 'period'] },
  { name: 'user_limits', key: ['user_id'] },
  { name: 'memory_items', key: ['id'] },
  { name: 'run_traces', key: ['execution_id'] },
  { name: 'tool_approvals', key: ['execution_id'] },
];

/** A database named on the command line or in the config: a SQLite file or a PostgreSQL URL. */
export type DatabaseLocation = { backend: 'sqlite'; path: string } | { backend: 'postgres'; url: string };

/**
 * Parse `sqlite:PATH`, a bare path ending in `.db`, or a `postgres://` / `postgresql://` URL
 * (relative paths resolve against `cwd`). @throws DomainError BAD_REQUEST naming the value and the accepted forms.
 */
export function parseDatabaseLocation(value: string, cwd = process.cwd()): DatabaseLocation {
  const url: string | undefined = value;
  if (isPostgresUrl(url)) return { backend: 'postgres', url };
  const path = value.startsWith('sqlite:') ? value.slice('sqlite:'.length) : value.endsWith('.db') ? value : '';
  if (!path) {
    const shown = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? redactDatabaseUrl(value) : value;
    throw new DomainError('BAD_REQUEST', `not a database: "${shown}"`, [
      { code: 'E_DATABASE', message: 'unknown database form', hint: 'use sqlite:PATH, a path ending in .db, or postgres://USER@HOST/DB' },
    ]);
  }
  return { backend: 'sqlite', path: resolve(cwd, path) };
}

/** The location for messages: the SQLite path, or the URL without its password. */
export function describeLocation(loc: DatabaseLocation): string {
  return loc.backend === 'sqlite' ? loc.path : redactDatabaseUrl(loc.url);
}

/** `err` with the password of each of `urls` (as written and decoded) replaced by `***` in its message; returns `err`. */
export function hidePasswords(err: unknown, urls: string[]): unknown {
  if (!(err instanceof Error)) return err;
  for (const password of urls.flatMap(urlPasswords)) err.message = err.message.split(password).join('***');
  return err;
}

/** Open raw table access to `loc` without migrating it (PostgreSQL's module and `pg` load only when asked for). */
export async function openTables(loc: DatabaseLocation): Promise<TableIO> {
  if (loc.backend === 'sqlite') {
    const { openSqliteTables } = await import('./sqlite/tables.js');
    return openSqliteTables(loc.path);
  }
  const { openPostgresTables } = await import('./postgres/tables.js');
  return openPostgresTables(loc.url);
}

/**
 * Open `loc` as a Store once, so it is migrated to this build's schema (a database newer than this
 * build is refused), then raw table access to it.
 * @throws DomainError NOT_FOUND when `mustExist` and the SQLite file is missing; UNAVAILABLE from `openStore`.
 */
export async function openMigratedTables(loc: DatabaseLocation, mustExist: boolean): Promise<TableIO> {
  if (loc.backend === 'sqlite' && mustExist && !existsSync(loc.path)) throw new DomainError('NOT_FOUND', `no database at ${loc.path}`);
  const store = await openStore(loc.backend === 'sqlite' ? { path: loc.path, poolSize: 1 } : { path: '', url: loc.url, poolSize: 1 });
  await store.close();
  return openTables(loc);
}

/** Rows a migrated, otherwise untouched database holds: the built-in `local` user. */
async function seededOnly(io: TableIO): Promise<boolean> {
  for (const t of TABLES) {
    const n = await io.count(t.name);
    if (t.name !== 'users' ? n > 0 : n > 1) return false;
    if (t.name === 'users' && n === 1) {
      const { columns, rows } = await io.read('users', ['id'], undefined, 1);
      if (rows[0]?.[columns.indexOf('id')] !== 'local') return false;
    }
  }
  return true;
}

/** Per-table progress of a copy: `done` of `total` rows of `table` written. */
export type CopyProgress = (table: string, done: number, total: number) => void;

/** Rows per read and per insert. */
const BATCH_ROWS = 500;

/** Copy `table` in key order, `BATCH_ROWS` at a time. @returns rows written. */
async function copyTable(source: TableIO, target: TableIO, table: (typeof TABLES)[number], onProgress: CopyProgress): Promise<number> {
  const total = await source.count(table.name);
  onProgress(table.name, 0, total);
  let after: unknown[] | undefined;
  let done = 0;
  for (;;) {
    const { columns, rows } = await source.read(table.name, table.key, after, BATCH_ROWS);
    if (rows.length === 0) return done;
    await target.insertMany(table.name, columns, rows);
    done += rows.length;
    onProgress(table.name, done, Math.max(total, done));
    const last = rows[rows.length - 1]!;
    after = table.key.map((k) => last[columns.indexOf(k)]);
  }
}

/** Rows per table in source and target after a copy. */
export interface CopiedTable {
  table: string;
  rows: number;
}

/**
 * Copy every table of `source` into `target` in foreign-key order, in ONE transaction on the target
 * (the target's tables are emptied first in it), reset the target's identities and compare row
 * counts table by table before committing, so a failed copy leaves the target's rows as they were. Both must be at this build's schema (`openMigratedTables`).
 * Without `force` a target holding more than the seeded `local` user is refused and left unchanged.
 * @throws DomainError CONFLICT when the target has rows and `force` is false; INTERNAL naming the
 *   first table whose counts differ; the database's own error when a write fails.
 */
export async function copyDatabase(source: TableIO, target: TableIO, o: { force: boolean; onProgress?: CopyProgress }): Promise<CopiedTable[]> {
  if (!o.force && !(await seededOnly(target))) {
    throw new DomainError('CONFLICT', 'the target database already holds data; nothing was written', [
      { code: 'E_TARGET_NOT_EMPTY', message: 'the target has rows beyond the built-in local user', hint: 'pass --force to empty it and copy over it' },
    ]);
  }
  const onProgress = o.onProgress ?? (() => undefined);
  return target.transaction(async () => {
    await target.clear(TABLES.map((t) => t.name));
    for (const t of TABLES) await copyTable(source, target, t, onProgress);
    await target.resetIdentities();
    return verifyCounts(source, target);
  });
}

/** Row counts of every table in `source` and `target`. @throws DomainError INTERNAL naming the first table whose counts differ. */
async function verifyCounts(source: TableIO, target: TableIO): Promise<CopiedTable[]> {
  const copied: CopiedTable[] = [];
  for (const t of TABLES) {
    const [from, to] = [await source.count(t.name), await target.count(t.name)];
    if (from !== to) throw new DomainError('INTERNAL', `row counts differ in table ${t.name}: source ${from}, target ${to}; nothing was written`);
    copied.push({ table: t.name, rows: to });
  }
  return copied;
}

/** What `caxton db status` reports. Sizes in bytes; `tables` maps each schema table to its rows (null when absent). */
export interface DatabaseStatus {
  backend: 'sqlite' | 'postgres';
  /** SQLite file path, or the URL without its password. */
  location: string;
  schema_version: number;
  size_bytes: number;
  tables: Record<string, number | null>;
}

/**
 * Inspect `loc` without migrating or writing it. @throws DomainError NOT_FOUND when the SQLite file
 * is missing; the database's error when it cannot be read.
 */
export async function databaseStatus(loc: DatabaseLocation): Promise<DatabaseStatus> {
  if (loc.backend === 'sqlite' && !(existsSync(loc.path) && statSync(loc.path).isFile())) {
    throw new DomainError('NOT_FOUND', `no database at ${loc.path}`, [
      { message: 'the file does not exist', hint: 'the daemon creates it when it first starts' },
    ]);
  }
  const io = await openTables(loc);
  try {
    const existing = new Set(await io.existingTables());
    const tables: Record<string, number | null> = {};
    for (const t of TABLES) tables[t.name] = existing.has(t.name) ? await io.count(t.name) : null;
    return { backend: io.backend, location: describeLocation(loc), schema_version: await io.schemaVersion(), size_bytes: await io.sizeBytes(), tables };
  } finally {
    await io.close();
  }
}
