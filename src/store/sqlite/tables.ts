/**
 * Raw table access to a SQLite database file for `caxton db` (see `TableIO` in ../copy.ts): rows are
 * read and written as stored, on a connection of its own (WAL lets it run beside a daemon).
 */
import { existsSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { RowBatch, TableIO } from '../table-io.js';

/** `"name"`: an identifier quoted for SQL (names come from the schema, never from user input). */
const q = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Bytes of `file`, 0 when it does not exist. */
const fileBytes = (file: string) => (existsSync(file) ? statSync(file).size : 0);

/**
 * Open raw access to the SQLite file `path` (created if missing; foreign keys enforced).
 * @throws the driver's error when the file cannot be opened.
 */
export function openSqliteTables(path: string): TableIO {
  const db = new Database(path);
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  return {
    backend: 'sqlite',
    async existingTables() {
      return db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
    },
    async schemaVersion() {
      return db.pragma('user_version', { simple: true }) as number;
    },
    async count(table) {
      return db
        .prepare(`SELECT COUNT(*) FROM ${q(table)}`)
        .pluck()
        .get() as number;
    },
    async read(table, key, after, limit): Promise<RowBatch> {
      const keys = key.map(q).join(', ');
      const where = after ? `WHERE (${keys}) > (${key.map(() => '?').join(', ')})` : '';
      const stmt = db.prepare(`SELECT * FROM ${q(table)} ${where} ORDER BY ${keys} LIMIT ?`).raw(true);
      const rows = stmt.all(...(after ?? []), limit) as unknown[][];
      return { columns: stmt.columns().map((c) => c.name), rows };
    },
    async insertMany(table, columns, rows) {
      const insert = db.prepare(`INSERT INTO ${q(table)} (${columns.map(q).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`);
      for (const row of rows) insert.run(...row);
    },
    async clear(tables) {
      for (const t of [...tables].reverse()) db.exec(`DELETE FROM ${q(t)}`);
    },
    // AUTOINCREMENT keeps its counter in sqlite_sequence, which explicit ids already advance.
    async resetIdentities() {},
    async transaction(fn) {
      db.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn();
        db.exec('COMMIT');
        return result;
      } catch (err) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw err;
      }
    },
    async sizeBytes() {
      return fileBytes(path) + fileBytes(`${path}-wal`);
    },
    async close() {
      db.close();
    },
  };
}
