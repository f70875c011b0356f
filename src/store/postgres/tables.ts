/**
 * Raw table access to a PostgreSQL database for `caxton db` (see `TableIO` in ../copy.ts), on one
 * dedicated client so a copy is one transaction. BIGINT values (ms times, counters, message ids) are
 * returned as numbers, like SQLite's, so values compare and copy exactly across backends (except
 * U+0000 in text, which PostgreSQL cannot hold: it is written as U+FFFD, see `storable`); `pg` is
 * imported only when a PostgreSQL database is opened.
 */
import type { RowBatch, TableIO } from '../table-io.js';
import { storable } from './client.js';

/** `"name"`: an identifier quoted for SQL (names come from the schema, never from user input). */
const q = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** PostgreSQL's type id of BIGINT (int8). */
const INT8_OID = 20;

/** Parse a BIGINT as a number. @throws RangeError when it does not fit a double exactly. */
function parseBigint(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new RangeError(`BIGINT ${text} does not fit a JavaScript number exactly`);
  return n;
}

/** `($1, $2), ($3, $4)`: placeholders for `rows` rows of `width` values. */
function placeholders(rows: number, width: number): string {
  const out: string[] = [];
  for (let r = 0; r < rows; r++) out.push(`(${Array.from({ length: width }, (_, c) => `$${r * width + c + 1}`).join(', ')})`);
  return out.join(', ');
}

/**
 * Connect to `url` and return raw table access on that one connection.
 * @throws the driver's error when the server cannot be reached or refuses the login.
 */
export async function openPostgresTables(url: string): Promise<TableIO> {
  const { default: pg } = await import('pg');
  const types = { getTypeParser: (oid: number, format?: string) => (oid === INT8_OID ? parseBigint : pg.types.getTypeParser(oid, format as 'text')) };
  const client = new pg.Client({ connectionString: url, types: types as never, connectionTimeoutMillis: 5000 });
  await client.connect().catch(async (err: unknown) => {
    await client.end().catch(() => undefined);
    throw err;
  });
  const rows = async (sql: string, params: unknown[] = []) => (await client.query({ text: sql, values: params, rowMode: 'array' })).rows as unknown[][];
  return {
    backend: 'postgres',
    async existingTables() {
      return (await rows('SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()')).map((r) => r[0] as string);
    },
    async schemaVersion() {
      const exists = await rows("SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'schema_version'");
      if (exists.length === 0) return 0;
      return Number((await rows('SELECT MAX(version) FROM schema_version'))[0]?.[0] ?? 0);
    },
    async count(table) {
      return Number((await rows(`SELECT COUNT(*) FROM ${q(table)}`))[0]![0]);
    },
    async read(table, key, after, limit): Promise<RowBatch> {
      const keys = key.map(q).join(', ');
      const where = after ? `WHERE (${keys}) > (${key.map((_, i) => `$${i + 1}`).join(', ')})` : '';
      const params = [...(after ?? []), limit];
      const res = await client.query({ text: `SELECT * FROM ${q(table)} ${where} ORDER BY ${keys} LIMIT $${params.length}`, values: params, rowMode: 'array' });
      return { columns: res.fields.map((f) => f.name), rows: res.rows as unknown[][] };
    },
    async insertMany(table, columns, batch) {
      if (batch.length === 0) return;
      const sql = `INSERT INTO ${q(table)} (${columns.map(q).join(', ')}) VALUES ${placeholders(batch.length, columns.length)}`;
      await client.query(sql, storable(batch.flat()));
    },
    async clear(tables) {
      for (const t of [...tables].reverse()) await client.query(`DELETE FROM ${q(t)}`);
    },
    async resetIdentities() {
      const identities = await rows(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() AND is_identity = 'YES'",
      );
      for (const [table, column] of identities as [string, string][]) {
        await client.query(`SELECT setval(pg_get_serial_sequence($1, $2), COALESCE((SELECT MAX(${q(column)}) FROM ${q(table)}), 0) + 1, false)`, [
          q(table),
          column,
        ]);
      }
    },
    async transaction(fn) {
      await client.query('BEGIN');
      try {
        const result = await fn();
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    },
    async sizeBytes() {
      return Number((await rows('SELECT pg_database_size(current_database())'))[0]![0]);
    },
    async close() {
      await client.end();
    },
  };
}
