/**
 * The tenant tables of migrations 3 to 5 on every backend (a real SQLite file; PostgreSQL): users with unique handles, hashed
 * credentials, login sessions, user-tier rows, usage and ratings; foreign keys cascade; single-use
 * refresh tokens; names are data, never SQL; handles are backfilled for users created before migration 4.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentSchema } from '../../src/domain/entities.js';
import { migrate } from '../../src/store/sqlite/database.js';
import { MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import type { Store, UserEntityStore, UserStore } from '../../src/store/types.js';
import { backendTimeout, backendTitle, storeBackends, type StoreBackend } from '../helpers/store-backends.js';
import { tempDir } from '../helpers/tmp.js';

const agent = (name: string) => AgentSchema.parse({ name, system_prompt: 'p' });
const BACKENDS = storeBackends();

for (const backend of BACKENDS) describe.skipIf(backend.skip)(backendTitle(backend), { timeout: backendTimeout(backend) }, () => tenantSuite(backend));

/** The tenant contract on one backend: one store shared by the tests, as a daemon shares it. */
function tenantSuite(backend: StoreBackend): void {
  let location: string;
  let store: Store;
  let users: UserStore;
  let entities: UserEntityStore;
  beforeAll(async () => {
    location = await backend.create();
    store = await backend.open(location);
    ({ users, entities } = store.tenants);
  });
  afterAll(async () => await store.close());
  const count = async (table: string, agentId: string) =>
    (await backend.query(location, `SELECT CAST(COUNT(*) AS INTEGER) AS n FROM ${table} WHERE agent_id = '${agentId}'`))[0]!.n;

  describe('tenant store', () => {
    it('applies migrations 3 and 5 with foreign keys on', async () => {
      expect((await store.health()).schema_version).toBeGreaterThanOrEqual(3);
      const tables = await backend.tables(location);
      expect(tables).toEqual(
        expect.arrayContaining([
          'users',
          'api_keys',
          'refresh_tokens',
          'user_agents',
          'user_tools',
          'user_mcps',
          'ratings',
          'agent_executions',
          'user_agent_usage',
          'revoked_sessions',
        ]),
      );
    });

    it('emails are unique case-insensitively; lookups ignore case', async () => {
      const u = await users.create({ email: 'Case@Example.com' });
      expect((await users.byEmail('case@example.com'))?.id).toBe(u.id);
      await expect(users.create({ email: 'case@example.com' })).rejects.toThrow(/already exists/);
    });

    it('API keys: found by hash while live, not after revocation; only the owner can revoke', async () => {
      const a = await users.create({ email: 'keys-a@example.com' });
      const b = await users.create({ email: 'keys-b@example.com' });
      const k = await users.createApiKey({ userId: a.id, prefix: 'cxk_abcdefgh', keyHash: 'h1' });
      expect((await users.useApiKey('h1'))?.user_id).toBe(a.id);
      expect(await users.revokeApiKey(k.id, b.id)).toBe(false);
      expect(await users.revokeApiKey(k.id, a.id)).toBe(true);
      expect(await users.useApiKey('h1')).toBeUndefined();
      expect(await users.revokeApiKey(k.id, a.id)).toBe(false);
    });

    it('refresh tokens are single use and expire', async () => {
      const u = await users.create({ email: 'rt@example.com' });
      await users.addRefreshToken(u.id, 'r1', 2_000, 'ses_1');
      expect(await users.consumeRefreshToken('r1', 1_000)).toEqual({ userId: u.id, sessionId: 'ses_1' });
      expect(await users.consumeRefreshToken('r1', 1_000)).toBeUndefined();
      expect(await users.refreshTokenSession('r1')).toEqual({ userId: u.id, sessionId: 'ses_1', used: true });
      await users.addRefreshToken(u.id, 'r2', 2_000, 'ses_1');
      expect(await users.consumeRefreshToken('r2', 3_000)).toBeUndefined();
    });

    it('a revoked session uses up its refresh tokens and stays listed until its access tokens expire', async () => {
      const u = await users.create({ email: 'ses@example.com' });
      await users.addRefreshToken(u.id, 's1', 10_000, 'ses_a');
      await users.addRefreshToken(u.id, 'other', 10_000, 'ses_b');
      await users.revokeSession('ses_a', u.id, 1_000, 5_000);
      expect(await users.isSessionRevoked('ses_a')).toBe(true);
      expect(await users.isSessionRevoked('ses_b')).toBe(false);
      expect(await users.consumeRefreshToken('s1', 1_500)).toBeUndefined();
      expect((await users.consumeRefreshToken('other', 1_500))?.sessionId).toBe('ses_b');
      // A later revocation drops the listed sessions whose access tokens have all expired.
      await users.revokeSession('ses_b', u.id, 6_000, 9_000);
      expect(await users.isSessionRevoked('ses_a')).toBe(false);
      expect(await users.isSessionRevoked('ses_b')).toBe(true);
    });

    it('names with SQL in them are stored as data', async () => {
      const u = await users.create({ email: "o'brien@example.com", name: "Robert'); DROP TABLE users;--" });
      expect((await users.byId(u.id))?.name).toBe("Robert'); DROP TABLE users;--");
      expect(await entities.own('agents', u.id, "x' OR '1'='1")).toBeUndefined();
      expect((await users.byEmail("o'brien@example.com"))?.id).toBe(u.id);
    });

    it('one name per user and kind; ratings are one per user and agent; deleting rows cascades', async () => {
      const owner = await users.create({ email: 'owner@example.com' });
      const rater = await users.create({ email: 'rater@example.com' });
      const second = await users.create({ email: 'rater2@example.com' });
      const row = await entities.insert('agents', owner.id, agent('dup'), true);
      await expect(entities.insert('agents', owner.id, agent('dup'), false)).rejects.toThrow(/already have agent dup/);
      expect((await entities.insert('agents', rater.id, agent('dup'), false)).name).toBe('dup'); // another user may reuse it
      await entities.countUse(row.id, rater.id, '2026-03-01');
      await entities.countUse(row.id, second.id, '2026-03-01');
      await entities.rate(rater.id, row.id, 5);
      expect(await entities.rate(rater.id, row.id, 3)).toEqual({ rating_sum: 3, rating_count: 1 });
      expect(await entities.rate(second.id, row.id, 5)).toEqual({ rating_sum: 8, rating_count: 2 });
      expect(await entities.published('agents', owner.handle, 'dup')).toMatchObject({ rating_sum: 8, rating_count: 2, owner_handle: 'owner' });
      expect(await entities.remove('agents', owner.id, 'dup')).toBe(true);
      expect(await count('ratings', row.id)).toBe(0);
      expect(await count('user_agent_usage', row.id)).toBe(0);
    });

    it('usage counts one completed run per user, agent and day, never the owner; ratings need one and never come from the owner', async () => {
      const owner = await users.create({ email: 'rank-owner@example.com' });
      const fan = await users.create({ email: 'rank-fan@example.com' });
      const stranger = await users.create({ email: 'rank-stranger@example.com' });
      const row = await entities.insert('agents', owner.id, agent('ranked'), true);
      const usage = async () => (await entities.own('agents', owner.id, 'ranked'))!.usage_count;
      expect(await entities.countUse(row.id, owner.id, '2026-03-01')).toBe(false);
      expect(await entities.countUse(row.id, fan.id, '2026-03-01')).toBe(true);
      expect(await entities.countUse(row.id, fan.id, '2026-03-01')).toBe(false);
      expect(await usage()).toBe(1);
      expect(await entities.countUse(row.id, fan.id, '2026-03-02')).toBe(true);
      expect(await entities.countUse('agent_gone', fan.id, '2026-03-02')).toBe(false);
      expect(await usage()).toBe(2);
      await expect(entities.rate(owner.id, row.id, 5)).rejects.toThrow(
        expect.objectContaining({ code: 'FORBIDDEN', message: 'you cannot rate your own agent ranked' }),
      );
      await expect(entities.rate(stranger.id, row.id, 5)).rejects.toThrow(
        expect.objectContaining({ code: 'CONFLICT', message: `rate agent ${owner.handle}/ranked after a completed run of it` }),
      );
      expect(await entities.rate(fan.id, row.id, 4)).toEqual({ rating_sum: 4, rating_count: 1 });
    });
  });

  describe('user handles (SPEC §4: OWNER/NAME)', () => {
    it('come from the email, with a numeric suffix on collision, or as given; unique; local is the built-in user', async () => {
      expect((await users.byId('local'))?.handle).toBe('local');
      expect((await users.create({ email: 'Jane.Doe+work@example.com' })).handle).toBe('jane-doe-work');
      expect((await users.create({ email: 'jane.doe+work@other.example' })).handle).toBe('jane-doe-work2');
      expect((await users.create({ email: 'local@example.com' })).handle).toBe('local2');
      expect((await users.create({ email: '42@example.com' })).handle).toBe('user');
      const picked = await users.create({ email: 'pick@example.com', handle: 'bob' });
      expect((await users.byHandle('bob'))?.id).toBe(picked.id);
      await expect(users.create({ email: 'other@example.com', handle: 'bob' })).rejects.toThrow(/handle bob is taken/);
      expect(await users.byEmail('other@example.com')).toBeUndefined();
      expect((await users.create({ email: `${'x'.repeat(40)}@example.com` })).handle).toBe('x'.repeat(32));
      expect((await users.create({ email: `${'x'.repeat(40)}@other.example` })).handle).toBe(`${'x'.repeat(31)}2`);
    });

    it('users created at once whose emails give the same handle all get one (distinct), as a handle-less registration on several nodes does', async () => {
      const created = await Promise.all(Array.from({ length: 8 }, (_, i) => users.create({ email: `same.name@host${i}.example` })));
      const handles = created.map((u) => u.handle);
      expect(new Set(handles).size).toBe(8);
      expect(handles).toContain('same-name');
      for (const u of created) expect((await users.byEmail(u.email!))?.handle).toBe(u.handle);
    });

    it('published() reaches a public row by owner handle, never a private one', async () => {
      const owner = await users.create({ email: 'pub-owner@example.com' });
      await entities.insert('tools', owner.id, { name: 'shared', enabled: true, timeout_secs: 5, type: 'http', config: {} } as never, true);
      await entities.insert('tools', owner.id, { name: 'hidden', enabled: true, timeout_secs: 5, type: 'http', config: {} } as never, false);
      expect(await entities.published('tools', 'pub-owner', 'shared')).toMatchObject({ name: 'shared', owner_handle: 'pub-owner', user_id: owner.id });
      expect(await entities.published('tools', 'pub-owner', 'hidden')).toBeUndefined();
      expect((await entities.own('tools', owner.id, 'hidden'))?.owner_handle).toBe('pub-owner');
    });
  });
}

describe('SQLite user handles', () => {
  it('migration 4 backfills handles of existing users, oldest first, without collisions', () => {
    const db = new Database(join(tempDir('cx-mig4-'), 'ares.db'));
    for (const m of MIGRATIONS.filter((x) => x.version <= 3)) db.exec(m.sql!);
    db.pragma('user_version = 3');
    const add = db.prepare('INSERT INTO users (id, email, name, is_admin, created_at) VALUES (?, ?, NULL, 0, ?)');
    add.run('u1', 'Sam@example.com', 1);
    add.run('u2', 'sam@other.example', 2);
    add.run('u3', 'a.b@example.com', 3);
    migrate(db);
    const handles = db.prepare('SELECT id, handle FROM users ORDER BY id').all();
    db.close();
    expect(handles).toEqual([
      { id: 'local', handle: 'local' },
      { id: 'u1', handle: 'sam' },
      { id: 'u2', handle: 'sam2' },
      { id: 'u3', handle: 'a-b' },
    ]);
  });
});
