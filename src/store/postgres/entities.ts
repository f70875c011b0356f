/**
 * PostgreSQL store of user-tier entities (DIR-12 Part 2; SPEC §4 community tier), the same semantics
 * as src/store/sqlite/entities.ts: agents, tools and MCP servers per user with their DIR-12 columns
 * plus the whole value as JSON (`config`), per-day usage rows and star ratings. Usage counts once
 * per (agent, user, day) under concurrency (`INSERT ... ON CONFLICT DO NOTHING`); a rating locks the
 * agent row, so concurrent ratings of one agent keep its totals exact.
 */
import { DomainError } from '../../domain/errors.js';
import { newId } from '../../domain/names.js';
import type { UserEntity, UserEntityKind } from '../../domain/users.js';
import { columnsOf, duplicate, TABLE, toEntity, type EntityRow } from '../rows.js';
import type { UserEntityStore } from '../types.js';
import { isUnique, type Db, type Statement } from './client.js';

type KindStatements = Record<'own' | 'published' | 'visible' | 'insert' | 'update' | 'remove', Statement>;

/**
 * The statements of one kind's table. Every read joins the owner's handle (`owner_handle`);
 * `visible` ranks by usage (agents: then by mean rating), then age, then id.
 * Insert parameters: id, user_id, name, config, is_public, created_at, then the kind's columns.
 * Update parameters: user_id, name, new name, config, is_public, updated_at, then the kind's columns.
 */
function kindStatements(kind: UserEntityKind): KindStatements {
  const t = TABLE[kind];
  const base = ['id', 'user_id', 'name', 'config', 'is_public', 'usage_count', ...(kind === 'agents' ? ['rating_sum', 'rating_count'] : []), 'created_at'];
  const select = `SELECT ${[...base, 'updated_at'].map((c) => `e.${c}`).join(', ')}, u.handle AS owner_handle FROM ${t} e JOIN users u ON u.id = e.user_id`;
  const order =
    kind === 'agents'
      ? 'e.usage_count DESC, (CAST(e.rating_sum AS DOUBLE PRECISION) / NULLIF(e.rating_count, 0)) DESC NULLS LAST, e.created_at, e.id'
      : 'e.usage_count DESC, e.created_at, e.id';
  const extra = Object.keys(columnsOf(kind, { system_prompt: '' }));
  const p = (from: number, n: number) => Array.from({ length: n }, (_, i) => `$${from + i}`);
  return {
    own: { name: `cx_${kind}_own`, text: `${select} WHERE e.user_id = $1 AND e.name = $2` },
    published: { name: `cx_${kind}_published`, text: `${select} WHERE u.handle = $1 AND e.name = $2 AND e.is_public = 1` },
    visible: { name: `cx_${kind}_visible`, text: `${select} WHERE e.user_id = $1 OR e.is_public = 1 ORDER BY ${order}` },
    insert: {
      name: `cx_${kind}_insert`,
      text: `INSERT INTO ${t} (id, user_id, name, config, is_public, created_at, updated_at, ${extra.join(', ')})
        VALUES ($1, $2, $3, $4, $5, $6, $6, ${p(7, extra.length).join(', ')})`,
    },
    update: {
      name: `cx_${kind}_update`,
      text: `UPDATE ${t} SET name = $3, config = $4, is_public = $5, updated_at = $6, ${extra.map((c, i) => `${c} = $${7 + i}`).join(', ')}
        WHERE user_id = $1 AND name = $2`,
    },
    remove: { name: `cx_${kind}_remove`, text: `DELETE FROM ${t} WHERE user_id = $1 AND name = $2` },
  };
}

const STATEMENTS = Object.fromEntries((Object.keys(TABLE) as UserEntityKind[]).map((k) => [k, kindStatements(k)])) as Record<UserEntityKind, KindStatements>;

const OWNER_HANDLE = { name: 'cx_entity_owner_handle', text: 'SELECT handle FROM users WHERE id = $1' };

/** Reads and writes of the entity tables (everything of UserEntityStore but the ranking). */
function createEntityTables(db: Db): Omit<UserEntityStore, 'countUse' | 'rate'> {
  const own = async <K extends UserEntityKind>(kind: K, userId: string, name: string): Promise<UserEntity<K> | undefined> => {
    const r = (await db.run<EntityRow>(STATEMENTS[kind].own, [userId, name])).rows[0];
    return r && toEntity(r);
  };
  return {
    own,
    async published(kind, handle, name) {
      const r = (await db.run<EntityRow>(STATEMENTS[kind].published, [handle, name])).rows[0];
      return r && toEntity(r);
    },
    visible: async (kind, userId) => (await db.run<EntityRow>(STATEMENTS[kind].visible, [userId])).rows.map((r) => toEntity(r)),
    async insert(kind, userId, value, isPublic) {
      const now = Date.now();
      const id = newId(kind === 'agents' ? 'agent' : kind === 'tools' ? 'tool' : 'mcp');
      const v = value as unknown as Record<string, unknown>;
      try {
        await db.run(STATEMENTS[kind].insert, [id, userId, v.name, JSON.stringify(value), isPublic ? 1 : 0, now, ...Object.values(columnsOf(kind, v))]);
      } catch (err) {
        if (isUnique(err)) throw duplicate(kind, v.name, 'pick another name or update the existing one');
        throw err;
      }
      const owner_handle = (await db.run<{ handle: string }>(OWNER_HANDLE, [userId])).rows[0]?.handle ?? userId;
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
      const current = await own(kind, userId, name);
      if (!current) throw new DomainError('NOT_FOUND', `${kind.slice(0, -1)} ${name} not found`);
      const v = value as unknown as Record<string, unknown>;
      const now = Date.now();
      const pub = isPublic ?? current.is_public;
      try {
        await db.run(STATEMENTS[kind].update, [userId, name, v.name, JSON.stringify(value), pub ? 1 : 0, now, ...Object.values(columnsOf(kind, v))]);
      } catch (err) {
        if (isUnique(err)) throw duplicate(kind, v.name);
        throw err;
      }
      return { ...current, name: String(v.name), value, is_public: pub, updated_at: now };
    },
    remove: async (kind, userId, name) => ((await db.run(STATEMENTS[kind].remove, [userId, name])).rowCount ?? 0) > 0,
  };
}

const R = {
  /**
   * A new (agent, user, day) row counts once, in one statement: `added` inserts the row (the owner's
   * runs and deleted agents insert nothing), the UPDATE bumps the counter only when it did.
   */
  countUse: {
    name: 'cx_usage_count',
    text: `WITH added AS (
        INSERT INTO user_agent_usage (agent_id, user_id, day)
        SELECT id, $2, $3 FROM user_agents WHERE id = $1 AND user_id <> $2
        ON CONFLICT DO NOTHING RETURNING agent_id
      )
      UPDATE user_agents SET usage_count = usage_count + 1 WHERE id IN (SELECT agent_id FROM added)`,
  },
  lockAgent: {
    name: 'cx_rating_lock_agent',
    text: 'SELECT e.user_id, e.name, (SELECT handle FROM users u WHERE u.id = e.user_id) AS handle FROM user_agents e WHERE e.id = $1 FOR UPDATE',
  },
  hasUsed: { name: 'cx_usage_has', text: 'SELECT 1 FROM user_agent_usage WHERE agent_id = $1 AND user_id = $2 LIMIT 1' },
  upsertRating: {
    name: 'cx_rating_upsert',
    text: 'INSERT INTO ratings (user_id, agent_id, stars, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, agent_id) DO UPDATE SET stars = EXCLUDED.stars',
  },
  ratingTotals: {
    name: 'cx_rating_totals',
    text: 'SELECT CAST(COALESCE(SUM(stars), 0) AS BIGINT) AS rating_sum, COUNT(*) AS rating_count FROM ratings WHERE agent_id = $1',
  },
  storeTotals: { name: 'cx_rating_store', text: 'UPDATE user_agents SET rating_sum = $1, rating_count = $2 WHERE id = $3' },
};

/** Usage counting and star ratings of agents (the community ranking of SPEC §4). */
function createRanking(db: Db): Pick<UserEntityStore, 'countUse' | 'rate'> {
  return {
    countUse: async (agentId, userId, day) => ((await db.run(R.countUse, [agentId, userId, day])).rowCount ?? 0) > 0,
    rate: (userId, agentId, stars) =>
      db.tx(async (run) => {
        const agent = (await run<{ user_id: string; name: string; handle: string }>(R.lockAgent, [agentId])).rows[0];
        if (!agent) throw new DomainError('NOT_FOUND', `agent ${agentId} not found`);
        if (agent.user_id === userId) {
          throw new DomainError('FORBIDDEN', `you cannot rate your own agent ${agent.name}`, [
            { field: 'name', message: 'ratings come from other users of the agent' },
          ]);
        }
        if ((await run(R.hasUsed, [agentId, userId])).rows.length === 0) {
          const name = `${agent.handle}/${agent.name}`;
          throw new DomainError('CONFLICT', `rate agent ${name} after a completed run of it`, [
            {
              field: 'name',
              message: 'you have no completed run of this agent',
              hint: `chat with it first (POST /api/agents/${encodeURIComponent(name)}/chat), then rate it`,
            },
          ]);
        }
        await run(R.upsertRating, [userId, agentId, stars, Date.now()]);
        const totals = (await run<{ rating_sum: number; rating_count: number }>(R.ratingTotals, [agentId])).rows[0]!;
        await run(R.storeTotals, [totals.rating_sum, totals.rating_count, agentId]);
        return totals;
      }),
  };
}

/** Build the user-tier entity store over a migrated database. */
export function createEntityStore(db: Db): UserEntityStore {
  return { ...createEntityTables(db), ...createRanking(db) };
}
