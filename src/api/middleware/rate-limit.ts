/**
 * Request rate limits (issue requirement "rate limits": requests per minute per user, per API key and
 * per client address), in memory per daemon node: token buckets that hold one minute's worth of
 * requests (`[limits] requests_per_minute`) and refill continuously, so a client may burst up to the
 * quota and then goes at the quota's pace. A user's own quota replaces the default for that user's
 * bucket: the admin's override (`PUT /api/users/:id/limits` `requests_per_minute`, read through the
 * budget service's cache) first, else `[limits.users."EMAIL"] requests_per_minute`. A bucket's quota
 * is read when the bucket is made; `forgetUser` drops a user's bucket when their override changes.
 *
 * Two middlewares share the buckets: `byAddress` runs before authentication (so requests with bad
 * credentials count too) and `byPrincipal` after it (the user, unless anonymous, and the API key). A
 * request takes one unit from each of its buckets only when all have one; else it is refused with 429
 * `TOO_MANY_REQUESTS`, `Retry-After` (seconds until the emptiest bucket has a unit) and a body naming
 * the limit. Every limited response, successful or not, carries the headers of the IETF draft
 * "RateLimit header fields for HTTP" (draft-ietf-httpapi-ratelimit-headers-10): `RateLimit-Policy`
 * (`"address";q=60;w=60`: quota q per w seconds) and `RateLimit` (`"address";r=59;t=1`: r units
 * remaining, t seconds until the bucket is full again), one list member per bucket.
 *
 * Exempt: the control socket (the local admin), and the probes `/health*` and `/metrics`.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { DomainError } from '../../domain/errors.js';
import { LOCAL_USER_ID } from '../../domain/users.js';
import type { UserStore } from '../../store/types.js';
import type { ClientAddressOf } from '../client-address.js';
import type { AppEnv, RateLimitSettings } from '../deps.js';

/** What the limiter reads besides its settings. */
export interface RateLimitDeps {
  addressOf: ClientAddressOf;
  /** Finds a user's email for its per-user quota (asked once per bucket, only when per-user quotas exist). */
  users: Pick<UserStore, 'byId'>;
  /** The admin's `requests_per_minute` override of a user, if any (asked once per bucket). */
  overrideOf?: (userId: string) => Promise<number | undefined>;
}

/** One bucket after refill: `quota` units per minute, `tokens` now (fractional). */
interface Bucket {
  quota: number;
  tokens: number;
  at: number;
}

/** One bucket as the headers describe it. Seconds. */
interface PolicyState {
  name: 'address' | 'user' | 'key';
  bucket: Bucket;
}

const WINDOW_SECS = 60;
const EXEMPT = /^\/(health(\/.*)?|metrics)$/;

/** True for the paths no rate limit applies to: the probes `/health*` and `/metrics` (module comment). */
export const exemptFromRateLimit = (path: string): boolean => EXEMPT.test(path);

/** Seconds until `bucket` holds `units` (0 when it already does). */
const secsUntil = (b: Bucket, units: number): number => Math.max(0, Math.ceil(((units - b.tokens) * WINDOW_SECS) / b.quota));

/** The `RateLimit-Policy` and `RateLimit` headers of `states` (module comment). */
function setHeaders(c: Context<AppEnv>, states: readonly PolicyState[]): void {
  if (states.length === 0) return;
  c.header('RateLimit-Policy', states.map((s) => `"${s.name}";q=${s.bucket.quota};w=${WINDOW_SECS}`).join(', '));
  c.header('RateLimit', states.map((s) => `"${s.name}";r=${Math.floor(s.bucket.tokens)};t=${secsUntil(s.bucket, s.bucket.quota)}`).join(', '));
}

/**
 * Token buckets by key, at most `maxKeys`: when a new one would pass that, the buckets full by now
 * are dropped (a full bucket is the same as none), and if none is, the oldest one.
 */
class Buckets {
  private readonly map = new Map<string, Bucket>();

  constructor(
    private readonly maxKeys: number,
    private readonly now: () => number,
  ) {}

  /** The bucket of `key` refilled to now, or undefined when unknown. */
  get(key: string): Bucket | undefined {
    const b = this.map.get(key);
    if (b) refill(b, this.now());
    return b;
  }

  /** Drop the bucket of `key` (undefined: every bucket whose key starts with `prefix`). */
  drop(key: string | undefined, prefix: string): void {
    if (key !== undefined) this.map.delete(key);
    else for (const k of this.map.keys()) if (k.startsWith(prefix)) this.map.delete(k);
  }

  /** A new full bucket of `quota` under `key`. */
  add(key: string, quota: number): Bucket {
    if (this.map.size >= this.maxKeys) this.prune();
    const b = { quota, tokens: quota, at: this.now() };
    this.map.set(key, b);
    return b;
  }

  private prune(): void {
    const t = this.now();
    for (const [key, b] of this.map) if (refill(b, t).tokens >= b.quota) this.map.delete(key);
    if (this.map.size >= this.maxKeys) this.map.delete(this.map.keys().next().value!);
  }
}

/** Refill `b` to time `t` (ms): `quota` units per minute, never above `quota`. */
function refill(b: Bucket, t: number): Bucket {
  b.tokens = Math.min(b.quota, b.tokens + ((t - b.at) * b.quota) / (WINDOW_SECS * 1000));
  b.at = t;
  return b;
}

/** The two middlewares sharing the buckets, and how to drop a user's bucket. */
export interface RateLimiter {
  byAddress: MiddlewareHandler<AppEnv>;
  byPrincipal: MiddlewareHandler<AppEnv>;
  /** Drop the bucket of `userId` (every user's when undefined): its next request reads its quota again. */
  forgetUser(userId?: string): void;
}

/**
 * Build the two middlewares (module comment). With no quota anywhere both just pass requests on.
 * @throws DomainError TOO_MANY_REQUESTS (429, with `retryAfterSecs`) from either middleware.
 */
export function rateLimiter(settings: RateLimitSettings, deps: RateLimitDeps): RateLimiter {
  const perUser = new Map(Object.entries(settings.users ?? {}).map(([email, q]) => [email.toLowerCase(), q]));
  const quota = settings.requestsPerMinute;
  if (quota === 0 && perUser.size === 0 && !deps.overrideOf)
    return { byAddress: (_c, next) => next(), byPrincipal: (_c, next) => next(), forgetUser: () => undefined };
  const buckets = new Buckets(settings.maxKeys ?? 100_000, settings.now ?? Date.now);
  const states = new WeakMap<Context<AppEnv>, PolicyState[]>();
  const exempt = (c: Context<AppEnv>) => c.env?.transport === 'socket' || exemptFromRateLimit(c.req.path);

  const userQuota = async (userId: string): Promise<number> => {
    const override = await deps.overrideOf?.(userId);
    if (override !== undefined) return override;
    if (perUser.size === 0) return quota;
    const email = (await deps.users.byId(userId))?.email?.toLowerCase();
    return (email !== undefined ? perUser.get(email) : undefined) ?? quota;
  };
  /** Take one unit from each of `mine` (added to the request's states), or refuse naming the emptiest. */
  const take = (c: Context<AppEnv>, mine: PolicyState[]): void => {
    const all = [...(states.get(c) ?? []), ...mine];
    states.set(c, all);
    const empty = mine.filter((s) => s.bucket.tokens < 1);
    if (empty.length === 0) for (const s of mine) s.bucket.tokens -= 1;
    setHeaders(c, all);
    if (empty.length === 0) return;
    const worst = empty.reduce((a, b) => (secsUntil(a.bucket, 1) >= secsUntil(b.bucket, 1) ? a : b));
    const wait = Math.max(1, secsUntil(worst.bucket, 1));
    throw new DomainError(
      'TOO_MANY_REQUESTS',
      `rate limit reached: at most ${worst.bucket.quota} requests per minute per ${worst.name === 'key' ? 'API key' : worst.name === 'user' ? 'user' : 'client address'}`,
      [{ field: worst.name, message: `${worst.bucket.quota} requests per minute`, hint: `retry in ${wait} s (Retry-After)` }],
      { retryAfterSecs: wait },
    );
  };
  const state = async (name: PolicyState['name'], key: string, quotaOf: () => number | Promise<number>): Promise<PolicyState[]> => {
    let bucket = buckets.get(key);
    if (!bucket) {
      const q = await quotaOf();
      // Looked up again after the await: a concurrent first request may have made the bucket meanwhile.
      bucket = buckets.get(key) ?? buckets.add(key, q);
    }
    return bucket.quota > 0 ? [{ name, bucket }] : [];
  };

  return {
    forgetUser: (userId) => buckets.drop(userId === undefined ? undefined : `u:${userId}`, 'u:'),
    byAddress: async (c, next) => {
      if (!exempt(c) && quota > 0) take(c, await state('address', `a:${deps.addressOf(c)}`, () => quota));
      return next();
    },
    byPrincipal: async (c, next) => {
      if (!exempt(c)) {
        const userId = c.get('userId');
        const keyId = c.get('apiKeyId');
        const mine = [
          ...(userId !== LOCAL_USER_ID ? await state('user', `u:${userId}`, () => userQuota(userId)) : []),
          ...(keyId !== undefined && quota > 0 ? await state('key', `k:${keyId}`, () => quota) : []),
        ];
        take(c, mine);
      }
      return next();
    },
  };
}
