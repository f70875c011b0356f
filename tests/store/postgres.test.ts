/**
 * What only the PostgreSQL store has to get right: nodes opening one database together migrate it
 * once, single-use and count-once writes hold under concurrency, the LISTEN/NOTIFY change feed
 * reaches other nodes (and says `all` after a reconnect), and a database that goes away makes calls
 * fail as UNAVAILABLE without leaking the URL's password, then serve again once it is back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentSchema } from '../../src/domain/entities.js';
import { openPostgresStore } from '../../src/store/postgres/database.js';
import { LATEST_VERSION, PG_MIGRATIONS } from '../../src/store/postgres/migrations.js';
import type { ChangeTopic, Store } from '../../src/store/types.js';
import { freshDatabase, pgSkipReason, startPgCluster, type PgCluster } from '../helpers/pg-cluster.js';
import { pgQuery } from '../helpers/store-backends.js';

const reason = pgSkipReason();
const open = (url: string) => openPostgresStore(url, { poolSize: 4 });

/** Resolves with the first change `store` receives that `match` accepts. */
function nextChange(store: Store, match: (topic: ChangeTopic, detail: string) => boolean): Promise<[ChangeTopic, string]> {
  return new Promise((resolve) => {
    const off = store.changes.subscribe((topic, detail) => {
      if (!match(topic, detail)) return;
      off();
      resolve([topic, detail]);
    });
  });
}

describe.skipIf(reason)(`PostgreSQL store${reason ? ` (${reason})` : ''}`, { timeout: 30_000 }, () => {
  let cluster: PgCluster;
  beforeAll(() => {
    cluster = startPgCluster();
  });
  afterAll(() => cluster?.destroy());

  it('nodes opening an empty database at once all succeed, and it is migrated once', async () => {
    const url = await freshDatabase(cluster);
    const [a, b, ...more] = await Promise.all([open(url), open(url), open(url), open(url)]);
    expect((await a.health()).schema_version).toBe(LATEST_VERSION);
    expect((await b.health()).schema_version).toBe(LATEST_VERSION);
    expect(await pgQuery(url, 'SELECT version FROM schema_version')).toEqual([{ version: LATEST_VERSION }]);
    expect(await pgQuery(url, 'SELECT id, handle FROM users')).toEqual([{ id: 'local', handle: 'local' }]);
    await Promise.all([a.close(), b.close(), ...more.map((n) => n.close())]);
  });

  it('refuses a database written by a newer caxton', async () => {
    const url = await freshDatabase(cluster);
    await (await open(url)).close();
    await pgQuery(url, 'UPDATE schema_version SET version = 999');
    await expect(open(url)).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/schema version 999 is newer/) });
  });

  it('upgrades an older database in place: handles backfilled oldest first (4), agent memory keyed by row (7)', async () => {
    const url = await freshDatabase(cluster);
    const upToV3 = PG_MIGRATIONS.filter((m) => m.version <= 3)
      .map((m) => m.sql)
      .join(';');
    await pgQuery(url, `${upToV3}; CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (3)`);
    await pgQuery(
      url,
      `INSERT INTO users (id, email, created_at) VALUES ('u1', 'Sam@example.com', 1), ('u2', 'sam@other.example', 2);
       INSERT INTO user_agents (id, user_id, name, system_prompt, config, created_at, updated_at) VALUES ('agent_1', 'u1', 'helper', 'hi', '{}', 0, 0);
       INSERT INTO memory (scope, key, value, user_id, updated_at) VALUES ('agent:helper:u1', 'plan', 'ship it', 'u1', 0)`,
    );
    const store = await open(url);
    expect(await pgQuery(url, 'SELECT id, handle FROM users ORDER BY id')).toEqual([
      { id: 'local', handle: 'local' },
      { id: 'u1', handle: 'sam' },
      { id: 'u2', handle: 'sam2' },
    ]);
    expect((await store.memory.get('user-agent:agent_1:u1', 'plan'))?.value).toBe('ship it');
    expect((await store.health()).schema_version).toBe(LATEST_VERSION);
    await store.close();
  });

  it('of 20 concurrent uses of one refresh token exactly one succeeds; concurrent countUse counts once', async () => {
    const store = await open(await freshDatabase(cluster));
    const { users, entities } = store.tenants;
    const owner = await users.create({ email: 'owner@example.com' });
    const fan = await users.create({ email: 'fan@example.com' });
    await users.addRefreshToken(fan.id, 'rt', Date.now() + 60_000, 'ses');
    const uses = await Promise.all(Array.from({ length: 20 }, () => users.consumeRefreshToken('rt', Date.now())));
    expect(uses.filter((u) => u !== undefined)).toEqual([{ userId: fan.id, sessionId: 'ses' }]);

    const row = await entities.insert('agents', owner.id, AgentSchema.parse({ name: 'popular', system_prompt: 'p' }), true);
    const counted = await Promise.all(Array.from({ length: 10 }, () => entities.countUse(row.id, fan.id, '2026-03-01')));
    expect(counted.filter(Boolean)).toHaveLength(1);
    expect((await entities.own('agents', owner.id, 'popular'))!.usage_count).toBe(1);
    await store.close();
  });

  it('a change published on one node reaches the other, not itself; and unsubscribing stops delivery', async () => {
    const url = await freshDatabase(cluster);
    const [a, b] = await Promise.all([open(url), open(url)]);
    const seenByA: string[] = [];
    const offA = a.changes.subscribe((topic, detail) => seenByA.push(`${topic}:${detail}`));
    const atB = nextChange(b, () => true);
    await a.changes.publish('api_keys', 'key_1');
    expect(await atB).toEqual(['api_keys', 'key_1']);
    // B's notice reaches A after A's own would have: A saw only B's.
    const atA = nextChange(a, () => true);
    await b.changes.publish('user_tools', 'usr_b');
    expect(await atA).toEqual(['user_tools', 'usr_b']);
    expect(seenByA).toEqual(['user_tools:usr_b']);
    offA();
    const again = nextChange(a, () => true);
    await b.changes.publish('user_mcps', 'usr_b');
    await again;
    expect(seenByA).toEqual(['user_tools:usr_b']);
    await Promise.all([a.close(), b.close()]);
  });

  it('while the server is down calls fail as UNAVAILABLE and health says so without the password; then it serves again', async () => {
    const u = new URL(await freshDatabase(cluster));
    u.password = 's3cret-pw';
    const store = await open(u.toString());
    await store.memory.set('s', 'k', 'before');
    const reconnected = nextChange(store, (topic) => topic === 'all');
    cluster.pause();
    try {
      const err = await store.memory.get('s', 'k').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/^database unavailable: /) });
      expect(String((err as Error).message)).not.toContain('s3cret-pw');
      const health = await store.health();
      expect(health).toMatchObject({ ok: false, backend: 'postgres', schema_version: LATEST_VERSION, error: expect.any(String) });
      expect(health.path).toMatch(/^postgres:\/\/postgres@localhost\//);
      expect(JSON.stringify(health)).not.toContain('s3cret-pw');
    } finally {
      cluster.start();
    }
    expect(await reconnected).toEqual(['all', '']);
    expect((await store.memory.get('s', 'k'))?.value).toBe('before');
    expect(await store.health()).toMatchObject({ ok: true });
    await store.close();
  });
});
