/**
 * `caxton db status [--json]` (STORY-034 external backends, DIR-12 hosted database): the configured database as it
 * is on disk or on the server, read directly (running daemon or not): backend, location (path, or the
 * URL without its password), schema version, rows per table and size. Reads `[database]` of ares.toml
 * and `CAXTON_DATABASE_URL`; never migrates or writes. Exit 0, or 1 when the database cannot be read.
 */
import { resolve } from 'node:path';
import Table from 'cli-table3';
import { loadAresConfig } from '../../config/ares-toml.js';
import { isPostgresUrl } from '../../store/open.js';
import { databaseStatus, hidePasswords, type DatabaseLocation } from '../../store/copy.js';
import { homePaths, type GlobalOptions } from '../context.js';
import { EXIT, printJson } from '../output.js';

/** The database the daemon of this home would open: `CAXTON_DATABASE_URL`, else `[database] url`, else the SQLite `[database] path`. */
function configuredLocation(opts: GlobalOptions): DatabaseLocation {
  const paths = homePaths(opts);
  const { url, path } = loadAresConfig(paths.aresToml).database;
  return isPostgresUrl(url) ? { backend: 'postgres', url } : { backend: 'sqlite', path: resolve(paths.home, path) };
}

/** Print the status; `--json` prints `{backend, location, schema_version, size_bytes, tables}`. */
export async function run(_args: string[], opts: GlobalOptions): Promise<number> {
  const location = configuredLocation(opts);
  const status = await databaseStatus(location).catch((err: unknown) => {
    throw hidePasswords(err, location.backend === 'postgres' ? [location.url] : []);
  });
  if (opts.json) {
    printJson(status);
    return EXIT.OK;
  }
  process.stdout.write(
    `backend:        ${status.backend}\nlocation:       ${status.location}\nschema version: ${status.schema_version}\nsize:           ${status.size_bytes} bytes\n`,
  );
  const table = new Table({ head: ['TABLE', 'ROWS'], style: { head: [], border: [], compact: true } });
  for (const [name, rows] of Object.entries(status.tables)) table.push([name, rows === null ? 'missing' : String(rows)]);
  process.stdout.write(`${table.toString()}\n`);
  return EXIT.OK;
}
