/**
 * Raw access to the tables of one database, below the Store interfaces, for whole-database
 * administration (`caxton db`, see copy.ts). SQLite implements it in sqlite/tables.ts, PostgreSQL in
 * postgres/tables.ts.
 */

/** One page of raw rows: column names as the database reports them, and each row's values in that order. */
export interface RowBatch {
  columns: string[];
  rows: unknown[][];
}

/**
 * Raw access to the tables of one database, below the Store interfaces. Table and column names come
 * from `TABLES` and from the source's own rows, never from user input.
 */
export interface TableIO {
  /** `sqlite` or `postgres`. */
  readonly backend: 'sqlite' | 'postgres';
  /** Names of the tables that exist (any schema version). */
  existingTables(): Promise<string[]>;
  /** Highest applied migration (0 for an empty database). */
  schemaVersion(): Promise<number>;
  /** Rows in `table`. */
  count(table: string): Promise<number>;
  /** Up to `limit` rows of `table` ordered by `key`, those after the key values `after` (all when undefined). */
  read(table: string, key: readonly string[], after: readonly unknown[] | undefined, limit: number): Promise<RowBatch>;
  /** Insert `rows` into `table`, values matched to `columns` by name. */
  insertMany(table: string, columns: readonly string[], rows: readonly unknown[][]): Promise<void>;
  /** Delete every row of `tables`, last table first (the reverse of foreign-key order). */
  clear(tables: readonly string[]): Promise<void>;
  /** Move identity/autoincrement counters past the largest copied ids, so new rows do not collide. */
  resetIdentities(): Promise<void>;
  /** Run `fn` in one transaction: committed when it resolves, rolled back when it rejects. */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  /** Size of the database on disk (bytes): SQLite file + WAL; PostgreSQL `pg_database_size`. */
  sizeBytes(): Promise<number>;
  close(): Promise<void>;
}
