/**
 * Authentication (SPEC §6): scrypt password hashes (node:crypto), HS256 access JWTs (jose), single-use
 * refresh tokens and API keys stored as SHA-256 hashes. Secrets never appear in errors or logs: every
 * failure is the same `UNAUTHORIZED` with a generic message.
 */
import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { DomainError } from '../domain/errors.js';
import type { UserStore } from '../store/types.js';
import type { AuthSettings } from './deps.js';

/** The identity a request acts as. */
export interface Principal {
  userId: string;
  isAdmin: boolean;
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
const REFRESH_PREFIX = 'cxr_';
const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 } as const;

function scryptAsync(password: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((res, rej) => scrypt(password, salt, keylen, opts, (err, key) => (err ? rej(err) : res(key))));
}

/** Hash a password as `scrypt$N$r$p$salt$hash` (base64url parts). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, SCRYPT.keylen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p });
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

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
  /** Issue an access + refresh token pair for `userId`. */
  issue(userId: string): Promise<TokenPair>;
  /** Exchange a refresh token (single use) for a new pair. @throws DomainError UNAUTHORIZED. */
  refresh(refreshToken: string): Promise<TokenPair>;
  /** Invalidate a refresh token (logout); unknown tokens are ignored. */
  revokeRefresh(refreshToken: string): void;
  /** Create an API key; the key is returned once and stored only as a hash. */
  createKey(userId: string, name: string | null): { key: string; id: string; prefix: string; created_at: number };
  /** Who `Authorization: Bearer <credential>` is. @throws DomainError UNAUTHORIZED (expired, tampered, revoked, unknown). */
  authenticate(credential: string): Promise<Principal>;
}

/** jose, imported on first use: it adds ~50 ms to daemon start-up otherwise (the daemon preloads it once ready). */
const loadJose = () => import('jose');

/** Build the auth service. `now` (ms) is injectable for tests. */
export function createAuthService(users: UserStore, settings: AuthSettings, now: () => number = Date.now): AuthService {
  const accessTtl = settings.accessTtlSecs ?? 900;
  const refreshTtl = settings.refreshTtlSecs ?? 30 * 24 * 3600;

  async function issue(userId: string): Promise<TokenPair> {
    const { SignJWT } = await loadJose();
    const iat = Math.floor(now() / 1000);
    const access = await new SignJWT({ typ: 'access' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(userId)
      .setIssuedAt(iat)
      .setExpirationTime(iat + accessTtl)
      .setIssuer('caxton')
      .sign(settings.jwtSecret);
    const refresh = REFRESH_PREFIX + randomBytes(32).toString('base64url');
    users.addRefreshToken(userId, tokenHash(refresh), now() + refreshTtl * 1000);
    return { access_token: access, refresh_token: refresh, token_type: 'Bearer', expires_in: accessTtl };
  }

  return {
    issue,
    async refresh(refreshToken) {
      const userId = users.consumeRefreshToken(tokenHash(refreshToken), now());
      if (!userId || !users.byId(userId)) throw unauthorized('refresh token is invalid, expired or already used');
      return issue(userId);
    },
    revokeRefresh(refreshToken) {
      users.consumeRefreshToken(tokenHash(refreshToken), now());
    },
    createKey(userId, name) {
      const key = API_KEY_PREFIX + randomBytes(32).toString('base64url');
      const prefix = key.slice(0, API_KEY_PREFIX.length + 8);
      const info = users.createApiKey({ userId, name, prefix, keyHash: tokenHash(key) });
      return { key, id: info.id, prefix, created_at: info.created_at };
    },
    async authenticate(credential) {
      let userId: string | undefined;
      if (credential.startsWith(API_KEY_PREFIX)) {
        userId = users.useApiKey(tokenHash(credential))?.user_id;
      } else {
        try {
          const { jwtVerify } = await loadJose();
          const { payload } = await jwtVerify(credential, settings.jwtSecret, {
            algorithms: ['HS256'],
            issuer: 'caxton',
            currentDate: new Date(now()),
          });
          if (payload.typ === 'access' && typeof payload.sub === 'string') userId = payload.sub;
        } catch {
          userId = undefined;
        }
      }
      const user = userId ? users.byId(userId) : undefined;
      if (!user) throw unauthorized();
      return { userId: user.id, isAdmin: user.is_admin };
    },
  };
}
