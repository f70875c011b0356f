/**
 * `caxton db migrate --from SRC --to DST [--force] [--json]` (STORY-034 external backends, DIR-12 hosted database:
 * move a deployment between SQLite and PostgreSQL). Opens both databases directly (no daemon), migrates
 * both to this build's schema, copies every table in one transaction on the target and verifies the
 * row counts. Progress goes to stderr (a bar on a terminal, a line per table otherwise, none with
 * --json); the result to stdout. Exit 0 copied, 1 failed (nothing written), 2 usage error.
 */
import {
  copyDatabase,
  describeLocation,
  hidePasswords,
  openMigratedTables,
  parseDatabaseLocation,
  type CopiedTable,
  type DatabaseLocation,
  type TableIO,
} from '../../store/copy.js';
import type { GlobalOptions } from '../context.js';
import { EXIT, fail, printJson } from '../output.js';

/** Options of `db migrate` (commander makes --from and --to required). */
interface MigrateOptions extends GlobalOptions {
  from: string;
  to: string;
  force?: boolean;
}

/** Width of the terminal progress bar (characters). */
const BAR_WIDTH = 24;

/** Progress reporter writing to stderr: a redrawn bar on a terminal, one line per finished table otherwise. */
function progressPrinter(tty: boolean) {
  return (table: string, done: number, total: number) => {
    if (tty) {
      const filled = total === 0 ? BAR_WIDTH : Math.round((done / total) * BAR_WIDTH);
      process.stderr.write(`\r\x1b[K[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${table} ${done}/${total}`);
      if (done === total) process.stderr.write('\n');
    } else if (done === total) {
      process.stderr.write(`copied ${table}: ${total} row${total === 1 ? '' : 's'}\n`);
    }
  };
}

/** Parse --from and --to; undefined (after reporting a usage error) when either is invalid or both are the same. */
function parseLocations(opts: MigrateOptions): { from: DatabaseLocation; to: DatabaseLocation } | undefined {
  try {
    const [from, to] = [parseDatabaseLocation(opts.from), parseDatabaseLocation(opts.to)];
    if (describeLocation(from) === describeLocation(to)) throw new Error(`--from and --to name the same database (${describeLocation(from)})`);
    return { from, to };
  } catch (err) {
    fail(err, opts.json === true);
    return undefined;
  }
}

/** Open both databases, copy, close both. */
async function copy(from: DatabaseLocation, to: DatabaseLocation, opts: MigrateOptions): Promise<CopiedTable[]> {
  const source = await openMigratedTables(from, true);
  let target: TableIO | undefined;
  try {
    target = await openMigratedTables(to, false);
    const onProgress = opts.json ? undefined : progressPrinter(process.stderr.isTTY === true);
    return await copyDatabase(source, target, { force: opts.force === true, ...(onProgress ? { onProgress } : {}) });
  } finally {
    await target?.close();
    await source.close();
  }
}

/** Copy SRC into DST; `--json` prints `{ok, from, to, tables: [{table, rows}], rows}`. */
export async function run(_args: string[], opts: MigrateOptions): Promise<number> {
  const locations = parseLocations(opts);
  if (!locations) return EXIT.USAGE;
  const { from, to } = locations;
  let tables: CopiedTable[];
  try {
    tables = await copy(from, to, opts);
  } catch (err) {
    throw hidePasswords(err, [opts.from, opts.to]);
  }
  const rows = tables.reduce((sum, t) => sum + t.rows, 0);
  if (opts.json) printJson({ ok: true, from: describeLocation(from), to: describeLocation(to), tables, rows });
  else process.stdout.write(`copied ${rows} rows in ${tables.length} tables from ${describeLocation(from)} to ${describeLocation(to)}; row counts match\n`);
  return EXIT.OK;
}
