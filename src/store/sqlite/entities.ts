/**
 * SQLite store of user-tier entities (DIR-12 Part 2; SPEC §4 community tier): agents, tools and MCP
 * servers per user, plus the per-day usage rows and star ratings that rank agents. Each entity row
 * keeps the DIR-12 columns for queries plus the whole validated value as JSON (`config`) so nothing
 * the user wrote is lost. Every statement is prepared once and parameterized.
 */
import type Database from 'better-sqlite3';
import { DomainError } from '../../domain/errors.js';
import { newId } from '../../domain/names.js';
import type { UserEntity, UserEntityKind } from '../../domain/users.js';
import { columnsOf, duplicate, TABLE, toEntity, type EntityRow } from '../rows.js';
import type { UserEntityStore } from '../types.js';
import { isUnique } from './users.js';

type KindStatements = Record<'own' | 'published' | 'visible' | 'insert' | 'update' | 'remove', Database.Statement>;

/**
 * The statements of one kind's table. Every read joins the owner's handle (`owner_handle`), which
 * qualifies the row for others; `visible` ranks by usage (agents: then by mean rating), then age.
 */
function prepareKind(db: Database.Database, kind: UserEntityKind): KindStatements {
  const t = TABLE[kind];
  const cols = [
    'id',
    'user_id',
    'name',
    'config',
    'is_public',
    'usage_count',
    ...(kind === 'agents' ? ['rating_sum', 'rating_count'] : []),
    'created_at',
    'updated_at',
  ]
    .map((c) => `e.${c}`)
    .join(', ');
  const select = `SELECT ${cols}, u.handle AS owner_handle FROM ${t} e JOIN users u ON u.id = e.user_id`;
  const order =
    kind === 'agents'
      ? 'e.usage_count DESC, (CAST(e.rating_sum AS REAL) / NULLIF(e.rating_count, 0)) DESC NULLS LAST, e.created_at, e.rowid'
      : 'e.usage_count DESC, e.created_at, e.rowid';
  const extra = Object.keys(columnsOf(kind, { system_prompt: '' }));
  return {
    own: db.prepare(`${select} WHERE e.user_id = ? AND e.name = ?`),
    published: db.prepare(`${select} WHERE u.handle = ? AND e.name = ? AND e.is_public = 1`),
    visible: db.prepare(`${select} WHERE e.user_id = ? OR e.is_public = 1 ORDER BY ${order}`),
    insert: db.prepare(
      `INSERT INTO ${t} (id, user_id, name, config, is_public, created_at, updated_at, ${extra.join(', ')})
       VALUES (@id, @user_id, @name, @config, @is_public, @created_at, @updated_at, ${extra.map((c) => `@${c}`).join(', ')})`,
    ),
    update: db.prepare(
      `UPDATE ${t} SET name = @new_name, config = @config, is_public = @is_public, updated_at = @updated_at, ${extra.map((c) => `${c} = @${c}`).join(', ')}
       WHERE user_id = @user_id AND name = @name`,
    ),
    remove: db.prepare(`DELETE FROM ${t} WHERE user_id = ? AND name = ?`),
  };
}

/** Reads and writes of the entity tables (everything of UserEntityStore but the ranking). */
function createEntityTables(db: Database.Database): Omit<UserEntityStore, 'countUse' | 'rate'> {
  const ent = Object.fromEntries((Object.keys(TABLE) as UserEntityKind[]).map((kind) => [kind, prepareKind(db, kind)])) as Record<
    UserEntityKind,
    KindStatements
  >;
  const ownerHandle = db.prepare('SELECT handle FROM users WHERE id = ?');
  const own = <K extends UserEntityKind>(kind: K, userId: string, name: string): UserEntity<K> | undefined => {
    const r = ent[kind].own.get(userId, name) as EntityRow | undefined;
    return r && toEntity(r);
  };
  return {
    own: async (kind, userId, name) => own(kind, userId, name),
    async published(kind, handle, name) {
      const r = ent[kind].published.get(handle, name) as EntityRow | undefined;
      return r && toEntity(r);
    },
    visible: async (kind, userId) => (ent[kind].visible.all(userId) as EntityRow[]).map((r) => toEntity(r)),
    async insert(kind, userId, value, isPublic) {
      const now = Date.now();
      const id = newId(kind === 'agents' ? 'agent' : kind === 'tools' ? 'tool' : 'mcp');
      const v = value as unknown as Record<string, unknown>;
      try {
        ent[kind].insert.run({
          id,
          user_id: userId,
          name: v.name,
          config: JSON.stringify(value),
          is_public: isPublic ? 1 : 0,
          created_at: now,
          updated_at: now,
          ...columnsOf(kind, v),
        });
      } catch (err) {
        if (isUnique(err)) throw duplicate(kind, v.name, 'pick another name or update the existing one');
        throw err;
      }
      const owner_handle = (ownerHandle.get(userId) as { handle: string } | undefined)?.handle ?? userId;
      return {
        id,
        user_id: userId,
        owner_handle,
        name: String(v.name),
        value,
        is_public: isPublic,
        usage_count: 0,
        rating_sum: 0,
        rating_count: 0,
        created_at: now,
        updated_at: now,
      };
    },
    async update(kind, userId, name, value, isPublic) {
      const current = own(kind, userId, name);
      if (!current) throw new DomainError('NOT_FOUND', `${kind.slice(0, -1)} ${name} not found`);
      const v = value as unknown as Record<string, unknown>;
      const now = Date.now();
      const pub = isPublic ?? current.is_public;
      try {
        ent[kind].update.run({
          user_id: userId,
          name,
          new_name: v.name,
          config: JSON.stringify(value),
          is_public: pub ? 1 : 0,
          updated_at: now,
          ...columnsOf(kind, v),
        });
      } catch (err) {
        if (isUnique(err)) throw duplicate(kind, v.name);
        throw err;
      }
      return { ...current, name: String(v.name), value, is_public: pub, updated_at: now };
    },
    remove: async (kind, userId, name) => ent[kind].remove.run(userId, name).changes > 0,
  };
}

/** Usage counting and star ratings of agents (the community ranking of SPEC §4). */
function createRanking(db: Database.Database): Pick<UserEntityStore, 'countUse' | 'rate'> {
  const s = {
    // A new (agent, user, day) row counts once; the owner's runs and deleted agents insert nothing.
    addUsage: db.prepare(
      'INSERT OR IGNORE INTO user_agent_usage (agent_id, user_id, day) SELECT id, @user, @day FROM user_agents WHERE id = @agent AND user_id <> @user',
    ),
    countUse: db.prepare('UPDATE user_agents SET usage_count = usage_count + 1 WHERE id = ?'),
    agentOwner: db.prepare('SELECT e.user_id, e.name, u.handle FROM user_agents e JOIN users u ON u.id = e.user_id WHERE e.id = ?'),
    hasUsed: db.prepare('SELECT 1 FROM user_agent_usage WHERE agent_id = ? AND user_id = ? LIMIT 1'),
    upsertRating: db.prepare(
      'INSERT INTO ratings (user_id, agent_id, stars, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (user_id, agent_id) DO UPDATE SET stars = excluded.stars',
    ),
    ratingTotals: db.prepare('SELECT COALESCE(SUM(stars), 0) AS rating_sum, COUNT(*) AS rating_count FROM ratings WHERE agent_id = ?'),
    storeTotals: db.prepare('UPDATE user_agents SET rating_sum = ?, rating_count = ? WHERE id = ?'),
  };
  const countUse = db.transaction((agentId: string, userId: string, day: string): boolean => {
    if (s.addUsage.run({ agent: agentId, user: userId, day }).changes === 0) return false;
    s.countUse.run(agentId);
    return true;
  });
  const rate = db.transaction((userId: string, agentId: string, stars: number) => {
    const agent = s.agentOwner.get(agentId) as { user_id: string; name: string; handle: string } | undefined;
    if (!agent) throw new DomainError('NOT_FOUND', `agent ${agentId} not found`);
    if (agent.user_id === userId) {
      throw new DomainError('FORBIDDEN', `you cannot rate your own agent ${agent.name}`, [
        { field: 'name', message: 'ratings come from other users of the agent' },
      ]);
    }
    if (!s.hasUsed.get(agentId, userId)) {
      const name = `${agent.handle}/${agent.name}`;
      throw new DomainError('CONFLICT', `rate agent ${name} after a completed run of it`, [
        {
          field: 'name',
          message: 'you have no completed run of this agent',
          hint: `chat with it first (POST /api/agents/${encodeURIComponent(name)}/chat), then rate it`,
        },
      ]);
    }
    s.upsertRating.run(userId, agentId, stars, Date.now());
    const totals = s.ratingTotals.get(agentId) as { rating_sum: number; rating_count: number };
    s.storeTotals.run(totals.rating_sum, totals.rating_count, agentId);
    return totals;
  });
  return {
    countUse: async (agentId, userId, day) => countUse(agentId, userId, day),
    rate: async (userId, agentId, stars) => rate(userId, agentId, stars),
  };
}

/** Build the user-tier entity store over an open, migrated database. */
export function createEntityStore(db: Database.Database): UserEntityStore {
  return { ...createEntityTables(db), ...createRanking(db) };
}
