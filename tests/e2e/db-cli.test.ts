/**
 * `caxton db migrate` and `caxton db status` with the real built CLI on real SQLite files: a database
 * filled through the store API is copied table by table with every value intact; a target holding
 * data is refused (and left as it was) unless --force; status reports what the configured database
 * holds; usage errors exit 2 and a URL's password never shows.
 */
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { TABLES } from '../../src/store/copy.js';
import { requireBuild, runCli } from '../helpers/cli.js';
import { dumpDatabase, populateDatabase } from '../helpers/db-fixture.js';
import { tempDir } from '../helpers/tmp.js';

requireBuild();

const dir = tempDir('cx-db-');
const source = join(dir, 'source.db');

beforeAll(async () => await populateDatabase(source));

describe('caxton db migrate (SQLite -> SQLite)', () => {
  it('copies every table with identical rows and values, and verifies the counts', async () => {
    const target = join(dir, 'copy.db');
    const r = await runCli(['db', 'migrate', '--from', `sqlite:${source}`, '--to', target, '--json'], { timeoutMs: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const dump = dumpDatabase(source);
    for (const t of TABLES) expect(dump[t.name]!.length, `source rows in ${t.name}`).toBeGreaterThan(0);
    expect(dumpDatabase(target)).toEqual(dump);
    const out = JSON.parse(r.stdout) as { ok: boolean; tables: { table: string; rows: number }[]; rows: number };
    expect(out.ok).toBe(true);
    expect(out.tables).toEqual(TABLES.map((t) => ({ table: t.name, rows: dump[t.name]!.length })));
  }, 30_000);

  it('prints one line per table on a non-terminal stderr', async () => {
    const r = await runCli(['db', 'migrate', '--from', source, '--to', join(dir, 'lines.db')], { timeoutMs: 30_000 });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain('copied users: 3 rows\n');
    expect(r.stderr.trim().split('\n')).toHaveLength(TABLES.length);
    expect(r.stdout).toMatch(/row counts match/);
  }, 30_000);

  it('refuses a target that holds data without --force, leaving it unchanged; --force replaces it', async () => {
    const target = join(dir, 'busy.db');
    await runCli(['db', 'migrate', '--from', source, '--to', target], { timeoutMs: 30_000 });
    const db = new Database(target);
    db.prepare("INSERT INTO memory (scope, key, value, updated_at) VALUES ('global', 'extra', 'target only', 1)").run();
    db.close();
    const before = dumpDatabase(target);

    const refused = await runCli(['db', 'migrate', '--from', source, '--to', target], { timeoutMs: 30_000 });
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/already holds data/);
    expect(refused.stderr).toMatch(/--force/);
    expect(dumpDatabase(target)).toEqual(before);

    const forced = await runCli(['db', 'migrate', '--from', source, '--to', target, '--force'], { timeoutMs: 30_000 });
    expect(forced.exitCode).toBe(0);
    expect(dumpDatabase(target)).toEqual(dumpDatabase(source));
  }, 60_000);

  it('exits 2 on a bad database form or the same database twice, 1 on a missing source (not created)', async () => {
    const bad = await runCli(['db', 'migrate', '--from', 'mysql://root:hunter2@db/x', '--to', join(dir, 'x.db')]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/not a database/);
    expect(bad.stderr).not.toContain('hunter2');
    const same = await runCli(['db', 'migrate', '--from', source, '--to', `sqlite:${source}`]);
    expect(same.exitCode).toBe(2);
    expect(same.stderr).toMatch(/same database/);
    const missing = await runCli(['db', 'migrate', '--from', join(dir, 'missing.db'), '--to', join(dir, 'y.db'), '--json']);
    expect(missing.exitCode).toBe(1);
    expect(JSON.parse(missing.stdout).error.message).toMatch(/no database at/);
    expect(existsSync(join(dir, 'missing.db'))).toBe(false);
  }, 30_000);

  it('refuses a source whose schema is newer than this build', async () => {
    const newer = join(dir, 'newer.db');
    copyFileSync(source, newer);
    const db = new Database(newer);
    db.pragma('user_version = 999');
    db.close();
    const target = join(dir, 'from-newer.db');
    const r = await runCli(['db', 'migrate', '--from', newer, '--to', target]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/schema version 999 is newer than this caxton build/);
    expect(existsSync(target)).toBe(false);
  }, 30_000);
});

describe('caxton db status', () => {
  const home = tempDir('cx-dbh-');
  const file = join(home, 'data', 'ares.db');

  beforeAll(() => {
    mkdirSync(join(home, 'data'));
    copyFileSync(source, file);
    writeFileSync(join(home, 'ares.toml'), '[database]\npath = "data/ares.db"\n');
  });

  it('reports backend, location, schema version, rows per table and size, in text and JSON', async () => {
    const dump = dumpDatabase(file);
    const json = await runCli(['--home', home, 'db', 'status', '--json']);
    expect(json.exitCode).toBe(0);
    const status = JSON.parse(json.stdout) as { backend: string; location: string; schema_version: number; size_bytes: number; tables: Record<string, number> };
    expect(status).toMatchObject({ backend: 'sqlite', location: file, schema_version: 11 });
    expect(status.tables).toEqual(Object.fromEntries(TABLES.map((t) => [t.name, dump[t.name]!.length])));
    expect(status.size_bytes).toBeGreaterThan(0);

    const text = await runCli(['--home', home, 'db', 'status']);
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toMatch(/backend: +sqlite/);
    expect(text.stdout).toContain(file);
    expect(text.stdout).toMatch(/schema version: 11/);
    expect(text.stdout).toMatch(new RegExp(`messages +│? *${dump.messages!.length}\\b`));
  }, 30_000);

  it('fails with exit 1 when the configured SQLite file does not exist, and creates nothing', async () => {
    const empty = tempDir('cx-dbe-');
    const r = await runCli(['--home', empty, 'db', 'status']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`no database at ${join(empty, 'data', 'ares.db')}`);
    expect(existsSync(join(empty, 'data'))).toBe(false);
  }, 30_000);

  it('fails with exit 1 and no password when CAXTON_DATABASE_URL names an unreachable server', async () => {
    const r = await runCli(['--home', home, 'db', 'status'], { env: { CAXTON_DATABASE_URL: 'postgres://app:s3cret-pw@127.0.0.1:1/caxton' } });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^error: /);
    expect(r.stdout + r.stderr).not.toContain('s3cret-pw');
  }, 30_000);
});
