/**
 * Who a request acts as (SPEC §5, §6), as one Hono middleware that sets the `userId` and `isAdmin`
 * variables (and `apiKeyId` for an API key):
 * - over the control socket: the admin `local`, or with `X-Caxton-As: EMAIL` (the CLI's `--as`)
 *   that user, without admin rights;
 * - over TCP with `Authorization: Bearer <access JWT or API key>`: that credential's user (admin
 *   rights only for a real admin account, never for `local`);
 * - over TCP without credentials: `local` without admin rights, unless auth is required and the
 *   route is not public (then 401). When auth is not required, a bearer that is no Caxton credential
 *   (neither a `cxk_` key nor a JWT, e.g. `sk-anything`) counts as none, so OpenAI clients that insist
 *   on a key work with a placeholder, as with Ollama.
 * Bad Caxton credentials (a malformed, unknown, revoked or expired key or JWT) are always 401, on
 * public routes too.
 */
import type { MiddlewareHandler } from 'hono';
import { DomainError } from '../../domain/errors.js';
import { LOCAL_USER_ID } from '../../domain/users.js';
import type { UserStore } from '../../store/types.js';
import { isCaxtonCredential, type AuthService } from '../auth.js';
import type { AppEnv } from '../deps.js';

/** What the middleware needs. */
export interface AuthMiddlewareOptions {
  /** Resolves Bearer credentials. */
  auth: Pick<AuthService, 'authenticate'>;
  /** Finds the user named by `X-Caxton-As`. */
  users: Pick<UserStore, 'byEmail'>;
  /** When true, TCP requests without credentials get 401 except on public routes (`[auth] required`). */
  required: boolean;
  /** True for the paths anyone may call (derived from the route specs, src/api/openapi.ts). */
  isPublic: (path: string) => boolean;
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * The authentication middleware.
 * @throws DomainError NOT_FOUND for an unknown `X-Caxton-As` user; UNAUTHORIZED for a malformed
 *   Authorization header, bad credentials, or none when required.
 */
export function authMiddleware(opts: AuthMiddlewareOptions): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.env?.transport === 'socket') {
      const as = c.req.header('x-caxton-as');
      const user = as ? await opts.users.byEmail(as) : undefined;
      if (as && !user)
        throw new DomainError('NOT_FOUND', `no user with email ${as}`, [
          { field: '--as', message: 'unknown user', hint: 'create it with `caxton user create EMAIL`' },
        ]);
      c.set('userId', user?.id ?? LOCAL_USER_ID);
      c.set('isAdmin', !user);
      return next();
    }
    const header = c.req.header('authorization');
    const m = header ? BEARER.exec(header) : null;
    if (header && !m) throw new DomainError('UNAUTHORIZED', 'malformed Authorization header; expected `Bearer <token>`');
    // A placeholder key on a daemon that does not require auth is no credential (module comment).
    const token = m && (opts.required || isCaxtonCredential(m[1]!)) ? m[1]! : undefined;
    if (token) {
      const who = await opts.auth.authenticate(token);
      c.set('userId', who.userId);
      c.set('isAdmin', who.isAdmin && who.userId !== LOCAL_USER_ID);
      if (who.apiKeyId) c.set('apiKeyId', who.apiKeyId);
      return next();
    }
    if (opts.required && !opts.isPublic(c.req.path)) {
      throw new DomainError('UNAUTHORIZED', 'authentication required', [
        { field: 'authorization', message: 'send `Authorization: Bearer <access token or API key>`', hint: 'get a token with POST /api/auth/login' },
      ]);
    }
    c.set('userId', LOCAL_USER_ID);
    c.set('isAdmin', false);
    return next();
  };
}
