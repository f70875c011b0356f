/**
 * SQLite tenant store (migrations 3 to 5): users with unique handles and scrypt password hashes,
 * hashed API keys and refresh tokens grouped in login sessions (revoked sessions listed until their
 * access tokens expire), the user-tier entity tables of DIR-12 Part 2, and the per-day usage rows
 * that rank agents. Every statement is prepared once and
 * parameterized; each entity row keeps the DIR-12 columns for queries plus the whole validated value
 * as JSON (`config`) so nothing the user wrote is lost.
 */
import type Database from 'better-sqlite3';
import { DomainError } from '../../domain/errors.js';
import { handleFromEmail, newId, uniqueHandle } from '../../domain/names.js';
import type { ApiKeyInfo, User, UserEntity, UserEntityKind, UserEntityValue } from '../../domain/users.js';
import type { Conversation, ExecutionRecord, RefreshTokenUse, TenantStore } from '../types.js';

interface UserRow {
  id: string;
  email: string | null;
  handle: string;
  name: string | null;
  is_admin: number;
  created_at: number;
}

interface EntityRow {
  id: string;
  user_id: string;
  owner_handle: string;
  name: string;
  config: string;
  is_public: number;
  usage_count: number;
  rating_sum?: number;
  rating_count?: number;
  created_at: number;
  updated_at: number;
}

const toUser = (r: UserRow): User => ({ id: r.id, email: r.email, handle: r.handle, name: r.name, is_admin: r.is_admin === 1, created_at: r.created_at });

const TABLE: Record<UserEntityKind, string> = { agents: 'user_agents', tools: 'user_tools', mcps: 'user_mcps' };

/** Columns written per kind besides id/user_id/name/config/is_public/times (DIR-12 layout). */
function columnsOf(kind: UserEntityKind, v: Record<string, unknown>): Record<string, unknown> {
  const json = (x: unknown) => JSON.stringify(x ?? null);
  switch (kind) {
    case 'agents':
      return {
        display_name: v.display_name ?? null,
        description: v.description ?? null,
        model: v.model ?? null,
        system_prompt: v.system_prompt,
        tools: json(v.tools ?? []),
        max_tool_iterations: v.max_tool_iterations ?? 10,
        parallel_tools: v.parallel_tools ? 1 : 0,
        extra: json(v.extra ?? {}),
      };
    case 'tools':
      return { description: v.description ?? null, enabled: v.enabled === false ? 0 : 1, timeout_secs: v.timeout_secs ?? 30, tool_type: v.type ?? 'builtin' };
    case 'mcps':
      return { enabled: v.enabled === false ? 0 : 1, command: v.command ?? null, url: v.url ?? null, timeout_secs: v.timeout_secs ?? 30 };
  }
}

/** Build the tenant store over an open database that has migrations 3 to 5 applied. */
export function createTenantStore(db: Database.Database): TenantStore {
  const userCols = 'id, email, handle, name, is_admin, created_at';
  const keyCols = 'id, user_id, name, prefix, created_at, last_used_at, revoked_at';
  const s = {
    userById: db.prepare(`SELECT ${userCols} FROM users WHERE id = ?`),
    userByEmail: db.prepare(`SELECT ${userCols} FROM users WHERE email = ? COLLATE NOCASE`),
    userByHandle: db.prepare(`SELECT ${userCols} FROM users WHERE handle = ?`),
    insertUser: db.prepare('INSERT INTO users (id, email, handle, name, is_admin, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    passwordHash: db.prepare('SELECT password_hash FROM users WHERE id = ?'),
    insertKey: db.prepare('INSERT INTO api_keys (id, user_id, name, prefix, key_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)'),
    listKeys: db.prepare(`SELECT ${keyCols} FROM api_keys WHERE user_id = ? ORDER BY created_at, id`),
    keyByHash: db.prepare(`SELECT ${keyCols} FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL`),
    touchKey: db.prepare('UPDATE api_keys SET last_used_at = ? WHERE id = ?'),
    revokeKey: db.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL'),
    addRefresh: db.prepare('INSERT INTO refresh_tokens (id, user_id, token_hash, expires_at, created_at, session_id) VALUES (?, ?, ?, ?, ?, ?)'),
    useRefresh: db.prepare(
      'UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ? RETURNING user_id, session_id',
    ),
    refreshSession: db.prepare('SELECT user_id, session_id, used_at FROM refresh_tokens WHERE token_hash = ?'),
    useSessionTokens: db.prepare('UPDATE refresh_tokens SET used_at = ? WHERE session_id = ? AND used_at IS NULL'),
    revokeSession: db.prepare('INSERT OR IGNORE INTO revoked_sessions (id, user_id, revoked_at, expires_at) VALUES (?, ?, ?, ?)'),
    pruneRevoked: db.prepare('DELETE FROM revoked_sessions WHERE expires_at < ?'),
    isRevoked: db.prepare('SELECT 1 FROM revoked_sessions WHERE id = ?'),
    // A new (agent, user, day) row counts once; the owner's runs and deleted agents insert nothing.
    addUsage: db.prepare('INSERT OR IGNORE INTO user_agent_usage (agent_id, user_id, day) SELECT id, @user, @day FROM user_agents WHERE id = @agent AND user_id <> @user'),
    countUse: db.prepare('UPDATE user_agents SET usage_count = usage_count + 1 WHERE id = ?'),
    agentOwner: db.prepare('SELECT e.user_id, e.name, u.handle FROM user_agents e JOIN users u ON u.id = e.user_id WHERE e.id = ?'),
    hasUsed: db.prepare('SELECT 1 FROM user_agent_usage WHERE agent_id = ? AND user_id = ? LIMIT 1'),
    upsertRating: db.prepare(
      'INSERT INTO ratings (user_id, agent_id, stars, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (user_id, agent_id) DO UPDATE SET stars = excluded.stars',
    ),
    ratingTotals: db.prepare('SELECT COALESCE(SUM(stars), 0) AS rating_sum, COUNT(*) AS rating_count FROM ratings WHERE agent_id = ?'),
    storeTotals: db.prepare('UPDATE user_agents SET rating_sum = ?, rating_count = ? WHERE id = ?'),
    executions: db.prepare(
      `SELECT * FROM agent_executions WHERE user_id = @user AND (@agent IS NULL OR agent_name = @agent) ORDER BY created_at DESC, id LIMIT @limit`,
    ),
    conversations: db.prepare('SELECT id, agent_name, user_id, created_at, updated_at FROM conversations WHERE user_id = ? ORDER BY updated_at DESC LIMIT ?'),
    deleteConversation: db.prepare('DELETE FROM conversations WHERE id = ? AND user_id = ?'),
  };

  // Entity statements per kind, prepared once.
  const order = (kind: UserEntityKind) =>
    kind === 'agents'
      ? 'e.usage_count DESC, (CAST(e.rating_sum AS REAL) / NULLIF(e.rating_count, 0)) DESC NULLS LAST, e.created_at, e.rowid'
      : 'e.usage_count DESC, e.created_at, e.rowid';
  const ent = Object.fromEntries(
    (Object.keys(TABLE) as UserEntityKind[]).map((kind) => {
      const t = TABLE[kind];
      // Every read joins the owner's handle (`owner_handle`), which qualifies the row for others.
      const cols = ['id', 'user_id', 'name', 'config', 'is_public', 'usage_count', ...(kind === 'agents' ? ['rating_sum', 'rating_count'] : []), 'created_at', 'updated_at']
        .map((c) => `e.${c}`)
        .join(', ');
      const from = `${t} e JOIN users u ON u.id = e.user_id`;
      const extra = Object.keys(columnsOf(kind, { system_prompt: '' }));
      return [
        kind,
        {
          own: db.prepare(`SELECT ${cols}, u.handle AS owner_handle FROM ${from} WHERE e.user_id = ? AND e.name = ?`),
          published: db.prepare(`SELECT ${cols}, u.handle AS owner_handle FROM ${from} WHERE u.handle = ? AND e.name = ? AND e.is_public = 1`),
          visible: db.prepare(`SELECT ${cols}, u.handle AS owner_handle FROM ${from} WHERE e.user_id = ? OR e.is_public = 1 ORDER BY ${order(kind)}`),
          insert: db.prepare(
            `INSERT INTO ${t} (id, user_id, name, config, is_public, created_at, updated_at, ${extra.join(', ')})
             VALUES (@id, @user_id, @name, @config, @is_public, @created_at, @updated_at, ${extra.map((c) => `@${c}`).join(', ')})`,
          ),
          update: db.prepare(
            `UPDATE ${t} SET name = @new_name, config = @config, is_public = @is_public, updated_at = @updated_at, ${extra.map((c) => `${c} = @${c}`).join(', ')}
             WHERE user_id = @user_id AND name = @name`,
          ),
          remove: db.prepare(`DELETE FROM ${t} WHERE user_id = ? AND name = ?`),
        },
      ];
    }),
  ) as Record<UserEntityKind, Record<'own' | 'published' | 'visible' | 'insert' | 'update' | 'remove', Database.Statement>>;

  const toEntity = <K extends UserEntityKind>(r: EntityRow): UserEntity<K> => ({
    id: r.id,
    user_id: r.user_id,
    owner_handle: r.owner_handle,
    name: r.name,
    value: JSON.parse(r.config) as UserEntityValue[K],
    is_public: r.is_public === 1,
    usage_count: r.usage_count,
    rating_sum: r.rating_sum ?? 0,
    rating_count: r.rating_count ?? 0,
    created_at: r.created_at,
    updated_at: r.updated_at,
  });

  const isUnique = (err: unknown) => (err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE';

  const countUse = db.transaction((agentId: string, userId: string, day: string): boolean => {
    if (s.addUsage.run({ agent: agentId, user: userId, day }).changes === 0) return false;
    s.countUse.run(agentId);
    return true;
  });

  const rate = db.transaction((userId: string, agentId: string, stars: number) => {
    const agent = s.agentOwner.get(agentId) as { user_id: string; name: string; handle: string } | undefined;
    if (!agent) throw new DomainError('NOT_FOUND', `agent ${agentId} not found`);
    if (agent.user_id === userId) {
      throw new DomainError('FORBIDDEN', `you cannot rate your own agent ${agent.name}`, [{ field: 'name', message: 'ratings come from other users of the agent' }]);
    }
    if (!s.hasUsed.get(agentId, userId)) {
      const name = `${agent.handle}/${agent.name}`;
      throw new DomainError('CONFLICT', `rate agent ${name} after a completed run of it`, [
        { field: 'name', message: 'you have no completed run of this agent', hint: `chat with it first (POST /api/agents/${encodeURIComponent(name)}/chat), then rate it` },
      ]);
    }
    s.upsertRating.run(userId, agentId, stars, Date.now());
    const totals = s.ratingTotals.get(agentId) as { rating_sum: number; rating_count: number };
    s.storeTotals.run(totals.rating_sum, totals.rating_count, agentId);
    return totals;
  });

  const revokeSession = db.transaction((sessionId: string, userId: string, now: number, keepUntil: number) => {
    s.useSessionTokens.run(now, sessionId);
    s.revokeSession.run(sessionId, userId, now, keepUntil);
    s.pruneRevoked.run(now);
  });

  return {
    users: {
      byId: (id) => {
        const r = s.userById.get(id) as UserRow | undefined;
        return r && toUser(r);
      },
      byEmail: (email) => {
        const r = s.userByEmail.get(email) as UserRow | undefined;
        return r && toUser(r);
      },
      byHandle: (handle) => {
        const r = s.userByHandle.get(handle) as UserRow | undefined;
        return r && toUser(r);
      },
      create({ email, handle, name = null, passwordHash = null, isAdmin = false }) {
        const taken = (h: string) => s.userByHandle.get(h) !== undefined;
        if (handle !== undefined && taken(handle)) {
          throw new DomainError('CONFLICT', `the handle ${handle} is taken`, [{ field: 'handle', message: 'already in use', hint: 'pick another handle, or leave it out to get one derived from the email' }]);
        }
        const user: User = { id: newId('usr'), email, handle: handle ?? uniqueHandle(handleFromEmail(email), taken), name, is_admin: isAdmin, created_at: Date.now() };
        try {
          s.insertUser.run(user.id, email, user.handle, name, isAdmin ? 1 : 0, passwordHash, user.created_at);
        } catch (err) {
          if (isUnique(err)) throw new DomainError('CONFLICT', `a user with email ${email} already exists`, [{ field: 'email', message: 'already registered' }]);
          throw err;
        }
        return user;
      },
      passwordHash: (userId) => (s.passwordHash.get(userId) as { password_hash: string | null } | undefined)?.password_hash ?? undefined,
      createApiKey({ userId, name = null, prefix, keyHash }) {
        const info: ApiKeyInfo = { id: newId('key'), user_id: userId, name, prefix, created_at: Date.now(), last_used_at: null, revoked_at: null };
        s.insertKey.run(info.id, userId, name, prefix, keyHash, info.created_at);
        return info;
      },
      listApiKeys: (userId) => s.listKeys.all(userId) as ApiKeyInfo[],
      useApiKey(keyHash) {
        const k = s.keyByHash.get(keyHash) as ApiKeyInfo | undefined;
        if (!k) return undefined;
        const now = Date.now();
        // Coarse (1 s) so a busy key does not write on every request.
        if (k.last_used_at === null || now - k.last_used_at > 1000) s.touchKey.run(now, k.id);
        return k;
      },
      revokeApiKey: (id, userId) => s.revokeKey.run(Date.now(), id, userId).changes > 0,
      addRefreshToken(userId, tokenHash, expiresAt, sessionId) {
        s.addRefresh.run(newId('rt'), userId, tokenHash, expiresAt, Date.now(), sessionId);
      },
      consumeRefreshToken(tokenHash, now): RefreshTokenUse | undefined {
        const r = s.useRefresh.get(now, tokenHash, now) as { user_id: string; session_id: string | null } | undefined;
        return r && { userId: r.user_id, sessionId: r.session_id };
      },
      refreshTokenSession(tokenHash) {
        const r = s.refreshSession.get(tokenHash) as { user_id: string; session_id: string | null; used_at: number | null } | undefined;
        return r && { userId: r.user_id, sessionId: r.session_id, used: r.used_at !== null };
      },
      revokeSession: (sessionId, userId, now, keepUntil) => revokeSession(sessionId, userId, now, keepUntil),
      isSessionRevoked: (sessionId) => s.isRevoked.get(sessionId) !== undefined,
    },
    entities: {
      own(kind, userId, name) {
        const r = ent[kind].own.get(userId, name) as EntityRow | undefined;
        return r && toEntity(r);
      },
      published(kind, handle, name) {
        const r = ent[kind].published.get(handle, name) as EntityRow | undefined;
        return r && toEntity(r);
      },
      visible: (kind, userId) => (ent[kind].visible.all(userId) as EntityRow[]).map((r) => toEntity(r)),
      insert(kind, userId, value, isPublic) {
        const now = Date.now();
        const id = newId(kind === 'agents' ? 'agent' : kind === 'tools' ? 'tool' : 'mcp');
        const v = value as unknown as Record<string, unknown>;
        try {
          ent[kind].insert.run({ id, user_id: userId, name: v.name, config: JSON.stringify(value), is_public: isPublic ? 1 : 0, created_at: now, updated_at: now, ...columnsOf(kind, v) });
        } catch (err) {
          if (isUnique(err)) throw new DomainError('CONFLICT', `you already have ${kind.slice(0, -1)} ${String(v.name)}`, [{ field: 'name', message: 'already exists', hint: 'pick another name or update the existing one' }]);
          throw err;
        }
        const owner_handle = (s.userById.get(userId) as UserRow | undefined)?.handle ?? userId;
        return { id, user_id: userId, owner_handle, name: String(v.name), value, is_public: isPublic, usage_count: 0, rating_sum: 0, rating_count: 0, created_at: now, updated_at: now };
      },
      update(kind, userId, name, value, isPublic) {
        const current = this.own(kind, userId, name);
        if (!current) throw new DomainError('NOT_FOUND', `${kind.slice(0, -1)} ${name} not found`);
        const v = value as unknown as Record<string, unknown>;
        const now = Date.now();
        const pub = isPublic ?? current.is_public;
        try {
          ent[kind].update.run({ user_id: userId, name, new_name: v.name, config: JSON.stringify(value), is_public: pub ? 1 : 0, updated_at: now, ...columnsOf(kind, v) });
        } catch (err) {
          if (isUnique(err)) throw new DomainError('CONFLICT', `you already have ${kind.slice(0, -1)} ${String(v.name)}`, [{ field: 'name', message: 'already exists' }]);
          throw err;
        }
        return { ...current, name: String(v.name), value, is_public: pub, updated_at: now };
      },
      remove: (kind, userId, name) => ent[kind].remove.run(userId, name).changes > 0,
      countUse: (agentId, userId, day) => countUse(agentId, userId, day),
      rate: (userId, agentId, stars) => rate(userId, agentId, stars),
    },
    history: {
      executions(userId, { limit, agent }) {
        const rows = s.executions.all({ user: userId, agent: agent ?? null, limit }) as Record<string, unknown>[];
        return rows.map((r) => {
          const out: Record<string, unknown> = {};
          for (const [k, v] of Object.entries(r)) if (v !== null) out[k] = k === 'tool_calls' ? JSON.parse(v as string) : v;
          return out as unknown as ExecutionRecord;
        });
      },
      conversations: (userId, { limit }) => s.conversations.all(userId, limit) as Conversation[],
      deleteConversation: (id, userId) => s.deleteConversation.run(id, userId).changes > 0,
    },
  };
}
