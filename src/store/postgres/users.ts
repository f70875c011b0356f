/**
 * PostgreSQL user store (SPEC §6 "Auth"), the same semantics as src/store/sqlite/users.ts: users with
 * unique handles and case-insensitive unique emails, hashed API keys, refresh tokens grouped in login
 * sessions. Every query is parameterized and named (prepared once per connection). A refresh token
 * is consumed by one `UPDATE ... RETURNING`, so of concurrent uses exactly one succeeds.
 */
import { DomainError } from '../../domain/errors.js';
import { HANDLE_MAX, handleFromEmail, newId, uniqueHandle } from '../../domain/names.js';
import type { ApiKeyInfo, User } from '../../domain/users.js';
import { toUser, type UserRow } from '../rows.js';
import type { RefreshTokenUse, UserStore } from '../types.js';
import { isUnique, type Db } from './client.js';

const USER_COLS = 'id, email, handle, name, is_admin, created_at';
const KEY_COLS = 'id, user_id, name, prefix, created_at, last_used_at, revoked_at';

const S = {
  userById: { name: 'cx_user_by_id', text: `SELECT ${USER_COLS} FROM users WHERE id = $1` },
  userByEmail: { name: 'cx_user_by_email', text: `SELECT ${USER_COLS} FROM users WHERE lower(email) = lower($1)` },
  userByHandle: { name: 'cx_user_by_handle', text: `SELECT ${USER_COLS} FROM users WHERE handle = $1` },
  handlesLike: { name: 'cx_user_handles_prefix', text: 'SELECT handle FROM users WHERE substr(handle, 1, $2) = $1' },
  insertUser: {
    name: 'cx_user_insert',
    text: 'INSERT INTO users (id, email, handle, name, is_admin, password_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
  },
  passwordHash: { name: 'cx_user_password', text: 'SELECT password_hash FROM users WHERE id = $1' },
  insertKey: { name: 'cx_key_insert', text: 'INSERT INTO api_keys (id, user_id, name, prefix, key_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)' },
  listKeys: { name: 'cx_key_list', text: `SELECT ${KEY_COLS} FROM api_keys WHERE user_id = $1 ORDER BY created_at, id` },
  keyByHash: { name: 'cx_key_by_hash', text: `SELECT ${KEY_COLS} FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL` },
  touchKey: { name: 'cx_key_touch', text: 'UPDATE api_keys SET last_used_at = $1 WHERE id = $2' },
  revokeKey: { name: 'cx_key_revoke', text: 'UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL' },
  addRefresh: {
    name: 'cx_rt_insert',
    text: 'INSERT INTO refresh_tokens (id, user_id, token_hash, expires_at, created_at, session_id) VALUES ($1, $2, $3, $4, $5, $6)',
  },
  useRefresh: {
    name: 'cx_rt_use',
    text: 'UPDATE refresh_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING user_id, session_id',
  },
  refreshSession: { name: 'cx_rt_session', text: 'SELECT user_id, session_id, used_at FROM refresh_tokens WHERE token_hash = $1' },
  useSessionTokens: { name: 'cx_rt_use_session', text: 'UPDATE refresh_tokens SET used_at = $1 WHERE session_id = $2 AND used_at IS NULL' },
  revokeSession: {
    name: 'cx_session_revoke',
    text: 'INSERT INTO revoked_sessions (id, user_id, revoked_at, expires_at) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING',
  },
  pruneRevoked: { name: 'cx_session_prune', text: 'DELETE FROM revoked_sessions WHERE expires_at < $1' },
  isRevoked: { name: 'cx_session_is_revoked', text: 'SELECT 1 FROM revoked_sessions WHERE id = $1' },
};

const handleTaken = (handle: string) =>
  new DomainError('CONFLICT', `the handle ${handle} is taken`, [
    { field: 'handle', message: 'already in use', hint: 'pick another handle, or leave it out to get one derived from the email' },
  ]);

/** How often `create` derives a handle for one user before giving up (each clash means another user got it). */
const DERIVE_ATTEMPTS = 10;

/**
 * A free handle derived from `email` (numeric suffix when taken; SPEC §4). Reads the handles sharing
 * the base's first characters once (a suffix of up to four digits keeps at least that prefix).
 */
async function deriveHandle(db: Db, email: string): Promise<string> {
  const base = handleFromEmail(email);
  const prefix = base.slice(0, HANDLE_MAX - 4);
  const taken = new Set((await db.run<{ handle: string }>(S.handlesLike, [prefix, prefix.length])).rows.map((r) => r.handle));
  return uniqueHandle(base, (h) => taken.has(h));
}

/** Users, their password hashes and API keys. */
function createAccounts(db: Db): Omit<UserStore, keyof ReturnType<typeof createSessions>> {
  const userBy = async (stmt: { name: string; text: string }, v: string) => toUser((await db.run<UserRow>(stmt, [v])).rows[0]);
  return {
    byId: (id) => userBy(S.userById, id),
    byEmail: (email) => userBy(S.userByEmail, email),
    byHandle: (handle) => userBy(S.userByHandle, handle),
    async create({ email, handle, name = null, passwordHash = null, isAdmin = false }) {
      if (handle !== undefined && (await userBy(S.userByHandle, handle))) throw handleTaken(handle);
      // A derived handle can be taken meanwhile by a user created at once (here or on another node): derive it again.
      for (let attempt = 1; ; attempt++) {
        const user: User = { id: newId('usr'), email, handle: handle ?? (await deriveHandle(db, email)), name, is_admin: isAdmin, created_at: Date.now() };
        try {
          await db.run(S.insertUser, [user.id, email, user.handle, name, isAdmin ? 1 : 0, passwordHash, user.created_at]);
          return user;
        } catch (err) {
          const handleClash = isUnique(err) && (err as { constraint?: string }).constraint === 'idx_users_handle';
          if (handleClash && handle === undefined && attempt < DERIVE_ATTEMPTS) continue;
          if (handleClash) throw handleTaken(user.handle);
          if (isUnique(err))
            throw new DomainError('CONFLICT', `a user with email ${email} already exists`, [{ field: 'email', message: 'already registered' }]);
          throw err;
        }
      }
    },
    passwordHash: async (userId) => (await db.run<{ password_hash: string | null }>(S.passwordHash, [userId])).rows[0]?.password_hash ?? undefined,
    async createApiKey({ userId, name = null, prefix, keyHash }) {
      const info: ApiKeyInfo = { id: newId('key'), user_id: userId, name, prefix, created_at: Date.now(), last_used_at: null, revoked_at: null };
      await db.run(S.insertKey, [info.id, userId, name, prefix, keyHash, info.created_at]);
      return info;
    },
    listApiKeys: async (userId) => (await db.run<ApiKeyInfo>(S.listKeys, [userId])).rows,
    async useApiKey(keyHash) {
      const k = (await db.run<ApiKeyInfo>(S.keyByHash, [keyHash])).rows[0];
      if (!k) return undefined;
      const now = Date.now();
      // Coarse (1 s) so a busy key does not write on every request.
      if (k.last_used_at === null || now - k.last_used_at > 1000) await db.run(S.touchKey, [now, k.id]);
      return k;
    },
    revokeApiKey: async (id, userId) => ((await db.run(S.revokeKey, [Date.now(), id, userId])).rowCount ?? 0) > 0,
  };
}

/** Refresh tokens and login sessions over `refresh_tokens` and `revoked_sessions`. */
function createSessions(db: Db): Pick<UserStore, 'addRefreshToken' | 'consumeRefreshToken' | 'refreshTokenSession' | 'revokeSession' | 'isSessionRevoked'> {
  return {
    async addRefreshToken(userId, tokenHash, expiresAt, sessionId) {
      await db.run(S.addRefresh, [newId('rt'), userId, tokenHash, expiresAt, Date.now(), sessionId]);
    },
    async consumeRefreshToken(tokenHash, now): Promise<RefreshTokenUse | undefined> {
      const r = (await db.run<{ user_id: string; session_id: string | null }>(S.useRefresh, [now, tokenHash])).rows[0];
      return r && { userId: r.user_id, sessionId: r.session_id };
    },
    async refreshTokenSession(tokenHash) {
      const r = (await db.run<{ user_id: string; session_id: string | null; used_at: number | null }>(S.refreshSession, [tokenHash])).rows[0];
      return r && { userId: r.user_id, sessionId: r.session_id, used: r.used_at !== null };
    },
    revokeSession: (sessionId, userId, now, keepUntil) =>
      db.tx(async (run) => {
        await run(S.useSessionTokens, [now, sessionId]);
        await run(S.revokeSession, [sessionId, userId, now, keepUntil]);
        await run(S.pruneRevoked, [now]);
      }),
    isSessionRevoked: async (sessionId) => (await db.run(S.isRevoked, [sessionId])).rows.length > 0,
  };
}

/** Build the user store over a migrated database. */
export function createUserStore(db: Db): UserStore {
  return { ...createAccounts(db), ...createSessions(db) };
}
