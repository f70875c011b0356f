/**
 * A node on PostgreSQL without `ARES_JWT_SECRET` generates its own token key, which the other nodes
 * sharing the database do not have (docs/deploy.md "Everything every node must agree on"): it warns
 * at start, naming the variable; with the variable set, or on SQLite, it does not.
 */
import { describe, expect, it } from 'vitest';
import { backendTimeout, storeBackends } from '../helpers/store-backends.js';
import { makeApp } from './fixture.js';

const postgres = storeBackends().find((b) => b.name === 'postgres')!;

/** The start-up warnings about the token key of an app built with `opts`. */
async function keyWarnings(opts: Parameters<typeof makeApp>[0]): Promise<Record<string, unknown>[]> {
  const t = await makeApp(opts);
  await t.close();
  return t.warnings.filter((w) => String(w.msg).includes('ARES_JWT_SECRET'));
}

describe('the token key of a node sharing a database', () => {
  it.skipIf(postgres.skip)(
    `warns on PostgreSQL without ARES_JWT_SECRET, not with it${postgres.skip ? ` (${postgres.skip})` : ''}`,
    async () => {
      const warned = await keyWarnings({ databaseUrl: await postgres.create(), noJwtSecret: true });
      expect(warned.map((w) => [w.env, w.msg])).toEqual([
        ['ARES_JWT_SECRET', expect.stringContaining("other nodes sharing this database refuse this node's login tokens")],
      ]);
      expect(await keyWarnings({ databaseUrl: await postgres.create() })).toEqual([]);
    },
    backendTimeout(postgres),
  );

  it('does not warn on SQLite without ARES_JWT_SECRET', async () => {
    expect(await keyWarnings({ noJwtSecret: true })).toEqual([]);
  });
});
