/**
 * The tenant tables of migrations 3 to 5 on a real SQLite file: users with unique handles, hashed
 * credentials, login sessions, user-tier rows, usage and ratings; foreign keys cascade; single-use
 * refresh tokens; names are data, never SQL; handles are backfilled for users created before migration 4.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { AgentSchema } from '../../src/domain/entities.js';
import { migrate, openSqliteStore } from '../../src/store/sqlite/database.js';
import { MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { tempDir } from '../helpers/tmp.js';

const file = join(tempDir('cx-ten-'), 'ares.db');
const store = openSqliteStore(file);
afterAll(() => store.close());
const { users, entities } = store.tenants;
const agent = (name: string) => AgentSchema.parse({ name, system_prompt: 'p' });

describe('tenant store', () => {
  it('applies migrations 3 and 5 with foreign keys on', () => {
    expect(store.health().schema_version).toBeGreaterThanOrEqual(3);
    const db = new Database(file, { readonly: true });
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name);
    db.close();
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

  it('emails are unique case-insensitively; lookups ignore case', () => {
    const u = users.create({ email: 'Case@Example.com' });
    expect(users.byEmail('case@example.com')?.id).toBe(u.id);
    expect(() => users.create({ email: 'case@example.com' })).toThrow(/already exists/);
  });

  it('API keys: found by hash while live, not after revocation; only the owner can revoke', () => {
    const a = users.create({ email: 'keys-a@example.com' });
    const b = users.create({ email: 'keys-b@example.com' });
    const k = users.createApiKey({ userId: a.id, prefix: 'cxk_abcdefgh', keyHash: 'h1' });
    expect(users.useApiKey('h1')?.user_id).toBe(a.id);
    expect(users.revokeApiKey(k.id, b.id)).toBe(false);
    expect(users.revokeApiKey(k.id, a.id)).toBe(true);
    expect(users.useApiKey('h1')).toBeUndefined();
    expect(users.revokeApiKey(k.id, a.id)).toBe(false);
  });

  it('refresh tokens are single use and expire', () => {
    const u = users.create({ email: 'rt@example.com' });
    users.addRefreshToken(u.id, 'r1', 2_000, 'ses_1');
    expect(users.consumeRefreshToken('r1', 1_000)).toEqual({ userId: u.id, sessionId: 'ses_1' });
    expect(users.consumeRefreshToken('r1', 1_000)).toBeUndefined();
    expect(users.refreshTokenSession('r1')).toEqual({ userId: u.id, sessionId: 'ses_1', used: true });
    users.addRefreshToken(u.id, 'r2', 2_000, 'ses_1');
    expect(users.consumeRefreshToken('r2', 3_000)).toBeUndefined();
  });

  it('a revoked session uses up its refresh tokens and stays listed until its access tokens expire', () => {
    const u = users.create({ email: 'ses@example.com' });
    users.addRefreshToken(u.id, 's1', 10_000, 'ses_a');
    users.addRefreshToken(u.id, 'other', 10_000, 'ses_b');
    users.revokeSession('ses_a', u.id, 1_000, 5_000);
    expect(users.isSessionRevoked('ses_a')).toBe(true);
    expect(users.isSessionRevoked('ses_b')).toBe(false);
    expect(users.consumeRefreshToken('s1', 1_500)).toBeUndefined();
    expect(users.consumeRefreshToken('other', 1_500)?.sessionId).toBe('ses_b');
    // A later revocation drops the listed sessions whose access tokens have all expired.
    users.revokeSession('ses_b', u.id, 6_000, 9_000);
    expect(users.isSessionRevoked('ses_a')).toBe(false);
    expect(users.isSessionRevoked('ses_b')).toBe(true);
  });

  it('names with SQL in them are stored as data', () => {
    const u = users.create({ email: "o'brien@example.com", name: "Robert'); DROP TABLE users;--" });
    expect(users.byId(u.id)?.name).toBe("Robert'); DROP TABLE users;--");
    expect(entities.own('agents', u.id, "x' OR '1'='1")).toBeUndefined();
    expect(users.byEmail("o'brien@example.com")?.id).toBe(u.id);
  });

  it('one name per user and kind; ratings are one per user and agent; deleting rows cascades', () => {
    const owner = users.create({ email: 'owner@example.com' });
    const rater = users.create({ email: 'rater@example.com' });
    const second = users.create({ email: 'rater2@example.com' });
    const row = entities.insert('agents', owner.id, agent('dup'), true);
    expect(() => entities.insert('agents', owner.id, agent('dup'), false)).toThrow(/already have agent dup/);
    expect(entities.insert('agents', rater.id, agent('dup'), false).name).toBe('dup'); // another user may reuse it
    entities.countUse(row.id, rater.id, '2026-03-01');
    entities.countUse(row.id, second.id, '2026-03-01');
    entities.rate(rater.id, row.id, 5);
    expect(entities.rate(rater.id, row.id, 3)).toEqual({ rating_sum: 3, rating_count: 1 });
    expect(entities.rate(second.id, row.id, 5)).toEqual({ rating_sum: 8, rating_count: 2 });
    expect(entities.published('agents', owner.handle, 'dup')).toMatchObject({ rating_sum: 8, rating_count: 2, owner_handle: 'owner' });
    expect(entities.remove('agents', owner.id, 'dup')).toBe(true);
    const db = new Database(file, { readonly: true });
    expect((db.prepare('SELECT COUNT(*) AS n FROM ratings WHERE agent_id = ?').get(row.id) as { n: number }).n).toBe(0);
    expect((db.prepare('SELECT COUNT(*) AS n FROM user_agent_usage WHERE agent_id = ?').get(row.id) as { n: number }).n).toBe(0);
    db.close();
  });

  it('usage counts one completed run per user, agent and day, never the owner; ratings need one and never come from the owner', () => {
    const owner = users.create({ email: 'rank-owner@example.com' });
    const fan = users.create({ email: 'rank-fan@example.com' });
    const stranger = users.create({ email: 'rank-stranger@example.com' });
    const row = entities.insert('agents', owner.id, agent('ranked'), true);
    const usage = () => entities.own('agents', owner.id, 'ranked')!.usage_count;
    expect(entities.countUse(row.id, owner.id, '2026-03-01')).toBe(false);
    expect(entities.countUse(row.id, fan.id, '2026-03-01')).toBe(true);
    expect(entities.countUse(row.id, fan.id, '2026-03-01')).toBe(false);
    expect(usage()).toBe(1);
    expect(entities.countUse(row.id, fan.id, '2026-03-02')).toBe(true);
    expect(entities.countUse('agent_gone', fan.id, '2026-03-02')).toBe(false);
    expect(usage()).toBe(2);
    expect(() => entities.rate(owner.id, row.id, 5)).toThrow(expect.objectContaining({ code: 'FORBIDDEN', message: 'you cannot rate your own agent ranked' }));
    expect(() => entities.rate(stranger.id, row.id, 5)).toThrow(
      expect.objectContaining({ code: 'CONFLICT', message: `rate agent ${owner.handle}/ranked after a completed run of it` }),
    );
    expect(entities.rate(fan.id, row.id, 4)).toEqual({ rating_sum: 4, rating_count: 1 });
  });
});

describe('user handles (SPEC §4: OWNER/NAME)', () => {
  it('come from the email, with a numeric suffix on collision, or as given; unique; local is the built-in user', () => {
    expect(users.byId('local')?.handle).toBe('local');
    expect(users.create({ email: 'Jane.Doe+work@example.com' }).handle).toBe('jane-doe-work');
    expect(users.create({ email: 'jane.doe+work@other.example' }).handle).toBe('jane-doe-work2');
    expect(users.create({ email: 'local@example.com' }).handle).toBe('local2');
    expect(users.create({ email: '42@example.com' }).handle).toBe('user');
    const picked = users.create({ email: 'pick@example.com', handle: 'bob' });
    expect(users.byHandle('bob')?.id).toBe(picked.id);
    expect(() => users.create({ email: 'other@example.com', handle: 'bob' })).toThrow(/handle bob is taken/);
    expect(users.byEmail('other@example.com')).toBeUndefined();
    expect(users.create({ email: `${'x'.repeat(40)}@example.com` }).handle).toBe('x'.repeat(32));
    expect(users.create({ email: `${'x'.repeat(40)}@other.example` }).handle).toBe(`${'x'.repeat(31)}2`);
  });

  it('published() reaches a public row by owner handle, never a private one', () => {
    const owner = users.create({ email: 'pub-owner@example.com' });
    entities.insert('tools', owner.id, { name: 'shared', enabled: true, timeout_secs: 5, type: 'http', config: {} } as never, true);
    entities.insert('tools', owner.id, { name: 'hidden', enabled: true, timeout_secs: 5, type: 'http', config: {} } as never, false);
    expect(entities.published('tools', 'pub-owner', 'shared')).toMatchObject({ name: 'shared', owner_handle: 'pub-owner', user_id: owner.id });
    expect(entities.published('tools', 'pub-owner', 'hidden')).toBeUndefined();
    expect(entities.own('tools', owner.id, 'hidden')?.owner_handle).toBe('pub-owner');
  });

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
