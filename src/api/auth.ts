/**
 * Authentication (SPEC §6): scrypt password hashes (node:crypto), HS256 access JWTs (jose), single-use
 * refresh tokens and API keys stored as SHA-256 hashes. Secrets never appear in errors or logs: every
 * failure is the same `UNAUTHORIZED` with a generic message.
 *
 * Login sessions: a login starts a session; its access tokens carry the session id (`sid` claim) and its
 * refresh tokens are stored with it, so every token of one refresh chain shares it. Logout revokes the
 * session, which refuses its access tokens at once (not only when they expire) and its refresh tokens.
 * Presenting a refresh token that was already used revokes its session too (a rotated token seen
 * again means the chain may have been copied). Password checks cost one scrypt whether or not the
 * email exists, so response times do not tell which accounts exist.
 */
import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { DomainError } from '../domain/errors.js';
import { newId } from '../domain/names.js';
import type { User } from '../domain/users.js';
import type { ChangeFeed, UserStore } from '../store/types.js';
import type { AuthSettings } from './deps.js';

/** The identity a request acts as. */
export interface Principal {
  userId: string;
  isAdmin: boolean;
  /** The API key's id when the credential is an API key (budgets and per-key rate limits). */
  apiKeyId?: string;
}

/** Tokens answered by login and refresh. `expires_in` is the access token lifetime in seconds. */
export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

/** API keys start with this; anything else in `Authorization: Bearer` is taken for a JWT. */
export const API_KEY_PREFIX = 'cxk_';

/** A compact JWS (a JWT): three base64url segments separated by dots (RFC 7515 §7.1). */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * True when `token` claims to be a Caxton credential: an API key (`cxk_` prefix) or a JWT (its shape).
 * Anything else (`sk-anything`, `ollama`) is a placeholder an OpenAI client sends because it insists on a key.
 */
export const isCaxtonCredential = (token: string): boolean => token.startsWith(API_KEY_PREFIX) || JWT_SHAPE.test(token);
const REFRESH_PREFIX = 'cxr_';
const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 } as const;
/** How long a looked-up API key is trusted before the store is asked again (ms); revocation through the API is immediate. */
const KEY_RECHECK_MS = 1000;
/** Most API keys remembered at once (the cache is emptied when full). */
const KEY_CACHE_MAX = 1024;

function scryptAsync(password: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((res, rej) => scrypt(password, salt, keylen, opts, (err, key) => (err ? rej(err) : res(key))));
}

/** Hash a password as `scrypt$N$r$p$salt$hash` (base64url parts). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, SCRYPT.keylen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p });
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/**
 * A hash no password matches (random salt and key), with the parameters of real hashes: checking a
 * password against it costs what checking a real one does.
 */
const DUMMY_HASH = ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, randomBytes(16).toString('base64url'), randomBytes(SCRYPT.keylen).toString('base64url')].join('$');

/** Constant-time check of `password` against a `hashPassword` result. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [alg, n, r, p, salt, hash] = stored.split('$');
  if (alg !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await scryptAsync(password, Buffer.from(salt, 'base64url'), expected.length, { N: Number(n), r: Number(r), p: Number(p) });
  return timingSafeEqual(key, expected);
}

/** SHA-256 hex of a high-entropy token (API key, refresh token); such tokens need no slow hash. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

const unauthorized = (message = 'invalid or expired credentials') =>
  new DomainError('UNAUTHORIZED', message, [{ field: 'authorization', message: 'send `Authorization: Bearer <access token or API key>`' }]);

/** Auth operations over the user store. */
export interface AuthService {
  /**
   * The user whose email and password these are, else undefined. Costs one scrypt check whether or
   * not the email exists (or has a password), so its duration does not reveal accounts.
   */
  verifyLogin(email: string, password: string): Promise<User | undefined>;
  /** Start a login session for `userId` and issue its first access + refresh token pair. */
  issue(userId: string): Promise<TokenPair>;
  /**
   * Exchange a refresh token (single use) for a new pair in the same session. A token used before
   * revokes its session. @throws DomainError UNAUTHORIZED (unknown, expired, used, revoked).
   */
  refresh(refreshToken: string): Promise<TokenPair>;
  /** Logout: revoke the session of a refresh token (its access and refresh tokens stop working); unknown tokens are ignored. */
  logout(refreshToken: string): Promise<void>;
  /** Create an API key; the key is returned once and stored only as a hash. */
  createKey(userId: string, name: string | null): Promise<{ key: string; id: string; prefix: string; created_at: number }>;
  /** Revoke the live key `id` of `userId`; it stops working at once. False when there is no such key. */
  revokeKey(id: string, userId: string): Promise<boolean>;
  /**
   * Who `Authorization: Bearer <credential>` is. An access token must carry a session (`sid`) that
   * is not revoked. @throws DomainError UNAUTHORIZED (expired, tampered, revoked, logged out, unknown);
   * the store's errors as they are (UNAVAILABLE while the database is down: 503, not a 401).
   */
  authenticate(credential: string): Promise<Principal>;
}

/** jose, imported on first use: it adds ~50 ms to daemon start-up otherwise (the daemon preloads it once ready). */
const loadJose = () => import('jose');

/** What the auth service works with besides the users and settings. */
export interface AuthServiceOptions {
  /** Clock, ms since the epoch (default `Date.now`; injectable for tests). */
  now?: () => number;
  /**
   * The nodes sharing the database: a revocation is published as `api_keys` (the key id), and a
   * revocation elsewhere (or `all`) drops the key (or every key) from this node's API-key cache.
   */
  changes?: ChangeFeed;
}

/** Build the auth service. */
export function createAuthService(users: UserStore, settings: AuthSettings, opts: AuthServiceOptions = {}): AuthService {
  const now = opts.now ?? Date.now;
  const accessTtl = settings.accessTtlSecs ?? 900;
  const refreshTtl = settings.refreshTtlSecs ?? 30 * 24 * 3600;

  /** A new access + refresh pair of session `sessionId`. */
  async function issue(userId: string, sessionId: string): Promise<TokenPair> {
    const { SignJWT } = await loadJose();
    const iat = Math.floor(now() / 1000);
    const access = await new SignJWT({ typ: 'access', sid: sessionId })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(userId)
      .setIssuedAt(iat)
      .setExpirationTime(iat + accessTtl)
      .setIssuer('caxton')
      .sign(settings.jwtSecret);
    const refresh = REFRESH_PREFIX + randomBytes(32).toString('base64url');
    // A logout while this pair was being signed must not leave a live refresh token in the ended session.
    if (await users.isSessionRevoked(sessionId)) throw unauthorized('this login session has ended; log in again');
    await users.addRefreshToken(userId, tokenHash(refresh), now() + refreshTtl * 1000, sessionId);
    return { access_token: access, refresh_token: refresh, token_type: 'Bearer', expires_in: accessTtl };
  }

  /**
   * API keys already looked up, by hash: who they are and when the store was last asked (ms). A hit
   * younger than KEY_RECHECK_MS skips SQLite; an older one asks again (which also bumps the key's
   * coarse `last_used_at`). Revoking through `revokeKey` (or on another node, told through
   * `opts.changes`) drops the key's entry at once, and a lookup that was in flight while any key was
   * revoked (`revocations` moved) answers without caching.
   */
  const keyCache = new Map<string, { principal: Principal; keyId: string; checkedAt: number }>();
  let revocations = 0;
  const keyPrincipal = async (hash: string): Promise<Principal | undefined> => {
    const hit = keyCache.get(hash);
    if (hit && now() - hit.checkedAt < KEY_RECHECK_MS) return hit.principal;
    keyCache.delete(hash);
    const seen = revocations;
    const key = await users.useApiKey(hash);
    const user = key && (await users.byId(key.user_id));
    if (!key || !user) return undefined;
    const principal = { userId: user.id, isAdmin: user.is_admin, apiKeyId: key.id };
    if (seen !== revocations) return principal;
    if (keyCache.size >= KEY_CACHE_MAX) keyCache.clear();
    keyCache.set(hash, { principal, keyId: key.id, checkedAt: now() });
    return principal;
  };

  /** The subject and session of a valid access JWT, or undefined (bad signature, expired, not an access token). */
  const accessClaims = async (credential: string): Promise<{ sub: string; sid: string } | undefined> => {
    try {
      const { jwtVerify } = await loadJose();
      const { payload } = await jwtVerify(credential, settings.jwtSecret, { algorithms: ['HS256'], issuer: 'caxton', currentDate: new Date(now()) });
      const { sub, sid } = payload;
      return payload.typ === 'access' && typeof sub === 'string' && typeof sid === 'string' ? { sub, sid } : undefined;
    } catch {
      return undefined;
    }
  };

  /** Forget the cached lookups of key `id` (every key when undefined). */
  const forgetKey = (id: string | undefined) => {
    revocations++;
    for (const [hash, entry] of keyCache) if (id === undefined || entry.keyId === id) keyCache.delete(hash);
  };
  opts.changes?.subscribe((topic, id) => {
    if (topic === 'api_keys' || topic === 'all') forgetKey(topic === 'all' ? undefined : id);
  });

  /** Revoke a session until every access token it issued has expired. */
  const revoke = (sessionId: string, userId: string) => users.revokeSession(sessionId, userId, now(), now() + accessTtl * 1000);

  return {
    async verifyLogin(email, password) {
      const user = await users.byEmail(email);
      const hash = user ? await users.passwordHash(user.id) : undefined;
      const ok = await verifyPassword(password, hash ?? DUMMY_HASH);
      return ok && user && hash ? user : undefined;
    },
    issue: (userId) => issue(userId, newId('ses')),
    async refresh(refreshToken) {
      const hash = tokenHash(refreshToken);
      const use = await users.consumeRefreshToken(hash, now());
      if (!use) {
        const seen = await users.refreshTokenSession(hash);
        if (seen?.used && seen.sessionId) await revoke(seen.sessionId, seen.userId);
      }
      if (!use || !(await users.byId(use.userId))) throw unauthorized('refresh token is invalid, expired or already used');
      // Tokens stored before sessions existed start one.
      return issue(use.userId, use.sessionId ?? newId('ses'));
    },
    async logout(refreshToken) {
      const hash = tokenHash(refreshToken);
      const seen = await users.refreshTokenSession(hash);
      if (seen?.sessionId) await revoke(seen.sessionId, seen.userId);
      else await users.consumeRefreshToken(hash, now());
    },
    async createKey(userId, name) {
      const key = API_KEY_PREFIX + randomBytes(32).toString('base64url');
      const prefix = key.slice(0, API_KEY_PREFIX.length + 8);
      const info = await users.createApiKey({ userId, name, prefix, keyHash: tokenHash(key) });
      return { key, id: info.id, prefix, created_at: info.created_at };
    },
    async revokeKey(id, userId) {
      revocations++;
      const revoked = await users.revokeApiKey(id, userId);
      forgetKey(id); // moves `revocations`: a lookup that began while the revocation was being written may have read the key live
      if (revoked) await opts.changes?.publish('api_keys', id);
      return revoked;
    },
    async authenticate(credential) {
      if (credential.startsWith(API_KEY_PREFIX)) {
        const principal = await keyPrincipal(tokenHash(credential));
        if (!principal) throw unauthorized();
        return principal;
      }
      const claims = await accessClaims(credential);
      // Store errors (DomainError UNAVAILABLE while the database is down) propagate: not a 401.
      const live = claims && !(await users.isSessionRevoked(claims.sid));
      const user = live ? await users.byId(claims.sub) : undefined;
      if (!user) throw unauthorized();
      return { userId: user.id, isAdmin: user.is_admin };
    },
  };
}
