/**
 * `caxton db migrate` across backends with the real built CLI: SQLite -> PostgreSQL -> SQLite on a
 * throwaway server gives back every row and value; new messages written on PostgreSQL after the
 * copy get ids past the copied ones; `db status` reads PostgreSQL from CAXTON_DATABASE_URL without
 * showing the password. Needs the PostgreSQL store (src/store/postgres/database.ts).
 */
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TABLES } from '../../src/store/copy.js';
import { requireBuild, runCli } from '../helpers/cli.js';
import { dumpDatabase, populateDatabase } from '../helpers/db-fixture.js';
import { freshDatabase, pgSkipReason, startPgCluster, type PgCluster } from '../helpers/pg-cluster.js';
import { tempDir } from '../helpers/tmp.js';

requireBuild();
const skip = pgSkipReason();

describe.skipIf(skip)(`caxton db migrate SQLite <-> PostgreSQL${skip ? ` (${skip})` : ''}`, () => {
  let cluster: PgCluster;
  const dir = tempDir('cx-dbpg-');
  const source = join(dir, 'source.db');

  beforeAll(async () => {
    cluster = startPgCluster();
    await populateDatabase(source);
  }, 30_000);
  afterAll(() => cluster?.destroy());

  it('round-trips every table with identical rows and values', async () => {
    const url = await freshDatabase(cluster);
    const there = await runCli(['db', 'migrate', '--from', source, '--to', url, '--json'], { timeoutMs: 60_000 });
    expect(there.stderr).toBe('');
    expect(there.exitCode).toBe(0);
    const back = join(dir, 'back.db');
    const again = await runCli(['db', 'migrate', '--from', url, '--to', back], { timeoutMs: 60_000 });
    expect(again.exitCode).toBe(0);
    const dump = dumpDatabase(source);
    expect(dumpDatabase(back)).toEqual(dump);

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const conv = dump.conversations![0]!.id as string;
      const { rows } = await client.query(
        "INSERT INTO messages (conversation_id, role, content, created_at) VALUES ($1, 'user', 'after the copy', 1) RETURNING id",
        [conv],
      );
      expect(Number(rows[0].id)).toBe(Math.max(...dump.messages!.map((m) => m.id as number)) + 1);
    } finally {
      await client.end();
    }
  }, 120_000);

  it('db status reads PostgreSQL from CAXTON_DATABASE_URL and never shows the password', async () => {
    const url = await freshDatabase(cluster);
    await runCli(['db', 'migrate', '--from', source, '--to', url], { timeoutMs: 60_000 });
    const withPassword = new URL(url);
    withPassword.password = 'not-needed-pw';
    const home = tempDir('cx-dbpgh-');
    const r = await runCli(['--home', home, 'db', 'status', '--json'], { env: { CAXTON_DATABASE_URL: withPassword.toString() } });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).not.toContain('not-needed-pw');
    const status = JSON.parse(r.stdout) as { backend: string; location: string; schema_version: number; size_bytes: number; tables: Record<string, number> };
    const dump = dumpDatabase(source);
    expect(status).toMatchObject({ backend: 'postgres', schema_version: 11 });
    expect(status.location).toContain(new URL(url).pathname);
    expect(status.tables).toEqual(Object.fromEntries(TABLES.map((t) => [t.name, dump[t.name]!.length])));
    expect(status.size_bytes).toBeGreaterThan(0);
  }, 120_000);
});
