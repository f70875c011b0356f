/**
 * SQLite user store (SPEC §6 "Auth"): users with unique handles and scrypt password
 * hashes, hashed API keys, and refresh tokens grouped in login sessions (revoked sessions stay listed
 * until their access tokens expire). Every statement is prepared once and parameterized.
 */
import type Database from 'better-sqlite3';
import { DomainError } from '../../domain/errors.js';
import { handleFromEmail, newId, uniqueHandle } from '../../domain/names.js';
import type { ApiKeyInfo, User } from '../../domain/users.js';
import { toUser, type UserRow } from '../rows.js';
import type { RefreshTokenUse, UserStore } from '../types.js';

/** True when `err` is SQLite's unique-constraint violation (a taken name, email or handle). */
export const isUnique = (err: unknown): boolean => (err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE';

/** Users, their password hashes and API keys over the `users` and `api_keys` tables. */
function createAccounts(
  db: Database.Database,
): Pick<UserStore, 'byId' | 'byEmail' | 'byHandle' | 'create' | 'passwordHash' | 'createApiKey' | 'listApiKeys' | 'useApiKey' | 'revokeApiKey'> {
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
  };
  return {
    byId: async (id) => toUser(s.userById.get(id) as UserRow | undefined),
    byEmail: async (email) => toUser(s.userByEmail.get(email) as UserRow | undefined),
    byHandle: async (handle) => toUser(s.userByHandle.get(handle) as UserRow | undefined),
    async create({ email, handle, name = null, passwordHash = null, isAdmin = false }) {
      const taken = (h: string) => s.userByHandle.get(h) !== undefined;
      if (handle !== undefined && taken(handle)) {
        throw new DomainError('CONFLICT', `the handle ${handle} is taken`, [
          { field: 'handle', message: 'already in use', hint: 'pick another handle, or leave it out to get one derived from the email' },
        ]);
      }
      const user: User = {
        id: newId('usr'),
        email,
        handle: handle ?? uniqueHandle(handleFromEmail(email), taken),
        name,
        is_admin: isAdmin,
        created_at: Date.now(),
      };
      try {
        s.insertUser.run(user.id, email, user.handle, name, isAdmin ? 1 : 0, passwordHash, user.created_at);
      } catch (err) {
        if (isUnique(err)) throw new DomainError('CONFLICT', `a user with email ${email} already exists`, [{ field: 'email', message: 'already registered' }]);
        throw err;
      }
      return user;
    },
    passwordHash: async (userId) => (s.passwordHash.get(userId) as { password_hash: string | null } | undefined)?.password_hash ?? undefined,
    async createApiKey({ userId, name = null, prefix, keyHash }) {
      const info: ApiKeyInfo = { id: newId('key'), user_id: userId, name, prefix, created_at: Date.now(), last_used_at: null, revoked_at: null };
      s.insertKey.run(info.id, userId, name, prefix, keyHash, info.created_at);
      return info;
    },
    listApiKeys: async (userId) => s.listKeys.all(userId) as ApiKeyInfo[],
    async useApiKey(keyHash) {
      const k = s.keyByHash.get(keyHash) as ApiKeyInfo | undefined;
      if (!k) return undefined;
      const now = Date.now();
      // Coarse (1 s) so a busy key does not write on every request.
      if (k.last_used_at === null || now - k.last_used_at > 1000) s.touchKey.run(now, k.id);
      return k;
    },
    revokeApiKey: async (id, userId) => s.revokeKey.run(Date.now(), id, userId).changes > 0,
  };
}

/** Refresh tokens and login sessions over the `refresh_tokens` and `revoked_sessions` tables. */
function createSessions(
  db: Database.Database,
): Pick<UserStore, 'addRefreshToken' | 'consumeRefreshToken' | 'refreshTokenSession' | 'revokeSession' | 'isSessionRevoked'> {
  const s = {
    addRefresh: db.prepare('INSERT INTO refresh_tokens (id, user_id, token_hash, expires_at, created_at, session_id) VALUES (?, ?, ?, ?, ?, ?)'),
    useRefresh: db.prepare('UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ? RETURNING user_id, session_id'),
    refreshSession: db.prepare('SELECT user_id, session_id, used_at FROM refresh_tokens WHERE token_hash = ?'),
    useSessionTokens: db.prepare('UPDATE refresh_tokens SET used_at = ? WHERE session_id = ? AND used_at IS NULL'),
    revokeSession: db.prepare('INSERT OR IGNORE INTO revoked_sessions (id, user_id, revoked_at, expires_at) VALUES (?, ?, ?, ?)'),
    pruneRevoked: db.prepare('DELETE FROM revoked_sessions WHERE expires_at < ?'),
    isRevoked: db.prepare('SELECT 1 FROM revoked_sessions WHERE id = ?'),
  };
  const revokeSession = db.transaction((sessionId: string, userId: string, now: number, keepUntil: number) => {
    s.useSessionTokens.run(now, sessionId);
    s.revokeSession.run(sessionId, userId, now, keepUntil);
    s.pruneRevoked.run(now);
  });
  return {
    async addRefreshToken(userId, tokenHash, expiresAt, sessionId) {
      s.addRefresh.run(newId('rt'), userId, tokenHash, expiresAt, Date.now(), sessionId);
    },
    async consumeRefreshToken(tokenHash, now): Promise<RefreshTokenUse | undefined> {
      const r = s.useRefresh.get(now, tokenHash, now) as { user_id: string; session_id: string | null } | undefined;
      return r && { userId: r.user_id, sessionId: r.session_id };
    },
    async refreshTokenSession(tokenHash) {
      const r = s.refreshSession.get(tokenHash) as { user_id: string; session_id: string | null; used_at: number | null } | undefined;
      return r && { userId: r.user_id, sessionId: r.session_id, used: r.used_at !== null };
    },
    revokeSession: async (sessionId, userId, now, keepUntil) => revokeSession(sessionId, userId, now, keepUntil),
    isSessionRevoked: async (sessionId) => s.isRevoked.get(sessionId) !== undefined,
  };
}

/** Build the user store over an open, migrated database. */
export function createUserStore(db: Database.Database): UserStore {
  return { ...createAccounts(db), ...createSessions(db) };
}
