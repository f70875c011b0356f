/**
 * The PostgreSQL pool across a server restart (src/store/postgres/client.ts): a connection the
 * server ends in the middle of a transaction rejects that transaction as UNAVAILABLE and rolls it
 * back (it never ends the process), and the connections a restart leaves idle in the pool cost no
 * request: a read and a transaction are retried once on a fresh connection, while a single write is
 * repeated only when the failure proves it never reached the server, so nothing is written twice.
 */
import { once } from 'node:events';
import type { Socket } from 'node:net';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../src/store/postgres/client.js';
import { freshDatabase, pgSkipReason, startPgCluster, type PgCluster } from '../helpers/pg-cluster.js';

const reason = pgSkipReason();
const INSERT = { name: 't_insert', text: 'INSERT INTO t (v) VALUES ($1)' };
const COUNT = { name: 't_count', text: 'SELECT count(*)::int AS n FROM t WHERE v = $1' };

describe.skipIf(reason)(`PostgreSQL pool across a server restart${reason ? ` (${reason})` : ''}`, { timeout: 30_000 }, () => {
  let cluster: PgCluster;
  let pool: pg.Pool;
  let db: Db;
  beforeAll(() => {
    cluster = startPgCluster();
  });
  afterAll(() => cluster?.destroy());
  afterEach(async () => {
    await pool?.end().catch(() => undefined);
  });

  /** A pool like the store's over a fresh database holding table `t (v TEXT)`, with `open` connections opened and idle. */
  async function setup(open: number): Promise<void> {
    pool = new pg.Pool({ connectionString: await freshDatabase(cluster), max: open, connectionTimeoutMillis: 2000 });
    pool.on('error', () => undefined);
    db = createDb(pool, []);
    await pool.query('CREATE TABLE t (v TEXT)');
    await Promise.all(Array.from({ length: open }, () => pool.query('SELECT pg_sleep(0.05)')));
    expect(pool.idleCount).toBe(open);
  }
  const count = async (v: string) => (await db.run<{ n: number }>(COUNT, [v])).rows[0]!.n;

  it('a transaction whose connection the server ends between statements is rejected as UNAVAILABLE and rolled back', async () => {
    await setup(1);
    let socket: Socket | undefined;
    pool.once('acquire', (client: pg.PoolClient) => {
      socket = (client as unknown as { connection: { stream: Socket } }).connection.stream;
    });
    let resume = () => {};
    const gate = new Promise<void>((r) => (resume = r));
    let begun = () => {};
    const inside = new Promise<void>((r) => (begun = r));
    const tx = db.tx(async (run) => {
      await run(INSERT, ['first']);
      begun();
      await gate;
      await run(INSERT, ['second']);
    });
    const outcome = tx.then(
      () => undefined,
      (e: unknown) => e,
    );
    await inside;
    const closed = once(socket!, 'close');
    cluster.pause();
    await closed; // the server's goodbye arrived while no statement was running
    cluster.start();
    resume();
    expect(await outcome).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/^database unavailable: /) });
    expect(await count('first')).toBe(0);
  });

  it('after a restart, a read and a transaction on connections left from before succeed at once', async () => {
    await setup(1);
    await db.run(INSERT, ['before']);
    cluster.pause();
    cluster.start();
    expect(await count('before')).toBe(1);

    cluster.pause();
    cluster.start();
    await db.tx(async (run) => void (await run(INSERT, ['in a transaction'])));
    expect(await count('in a transaction')).toBe(1);
  });

  it('after a restart, a single write on a connection left from before is written once or not at all', async () => {
    await setup(1);
    cluster.pause();
    cluster.start();
    const outcome = await db.run(INSERT, ['once']).then(
      () => 'written',
      (e: unknown) => e,
    );
    const n = await count('once');
    if (outcome === 'written') expect(n).toBe(1);
    else {
      expect(outcome).toMatchObject({ code: 'UNAVAILABLE' });
      expect(n).toBe(0);
    }
  });
});
