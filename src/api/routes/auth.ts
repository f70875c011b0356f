/**
 * Accounts and credentials (SPEC §5, §6): `POST /api/auth/register|login|refresh|logout`,
 * `POST|GET /api/keys`, `DELETE /api/keys/:id`, and the admin's `POST /api/users` (`caxton user create`).
 *
 * Abuse limits (src/api/throttle.ts): login attempts are counted per account (email) and per client
 * address (the TCP peer, or the client a trusted proxy forwards for: src/api/client-address.ts);
 * after 10 failed ones further attempts get 429 with `Retry-After`, waiting 1 s, then twice as long
 * after each further failure, at most 15 min; a successful login clears the account's count
 * and gives back the address's attempt. Every failed login is logged (email, client address, counts;
 * never the password). Registration is limited per client address the same way (10, then 1 min
 * doubling up to 1 h) and answers the same for new and taken emails, so neither route tells who has
 * an account.
 */
import { z } from 'zod';
import { ApiKeyListingSchema, NewApiKeySchema, UserInfoSchema } from '../../domain/api-types.js';
import { DomainError, isDomainError } from '../../domain/errors.js';
import { HANDLE_PATTERN } from '../../domain/names.js';
import { hashPassword, type AuthService } from '../auth.js';
import { clientAddressResolver, type ClientAddressOf } from '../client-address.js';
import type { AppDeps } from '../deps.js';
import { ErrorSchema, Routes, type OpContext, type OpSpec } from '../openapi.js';
import { createThrottle, type Throttle, type ThrottleOptions } from '../throttle.js';
import { API_LINE } from '../middleware/request-log.js';

/** Failed logins per account and per client address (times in ms). */
const LOGIN_LIMITS: ThrottleOptions = { free: 10, baseDelayMs: 1_000, maxDelayMs: 15 * 60_000, forgetAfterMs: 60 * 60_000, maxKeys: 10_000 };
/** Registrations per client address, whatever their outcome (times in ms). */
const REGISTER_LIMITS: ThrottleOptions = { free: 10, baseDelayMs: 60_000, maxDelayMs: 60 * 60_000, forgetAfterMs: 24 * 60 * 60_000, maxKeys: 10_000 };

/** The one answer to every accepted registration, whether or not the email had an account already. */
const REGISTERED =
  'registration accepted: log in with this email and password (POST /api/auth/login); an email that was already registered keeps its account and password';

/** @throws DomainError TOO_MANY_REQUESTS (429 with `Retry-After` in seconds) when any key must still wait in its throttle; `what` names what was too many. */
function refuseWhileWaiting(what: string, checks: ReadonlyArray<readonly [Throttle, string]>): void {
  const waitMs = Math.max(...checks.map(([t, key]) => t.wait(key)));
  if (waitMs <= 0) return;
  const secs = Math.ceil(waitMs / 1000);
  throw new DomainError(
    'TOO_MANY_REQUESTS',
    `too many ${what}; try again in ${secs} s`,
    [{ field: 'Retry-After', message: `${secs} seconds`, hint: 'the wait doubles with each further attempt counted' }],
    { retryAfterSecs: secs },
  );
}

/** An email address (RFC 5321 caps a path at 254 characters, which keeps it within every store's index limits). */
const Email = z.string().trim().toLowerCase().max(254, 'at most 254 characters').pipe(z.email('must be an email address')).openapi({ format: 'email' });
const Password = z.string().min(8, 'must be at least 8 characters').max(1024);
/** A user handle (SPEC §4): optional; derived from the email's local part when absent. */
const Handle = z
  .string()
  .regex(HANDLE_PATTERN, 'must start with a lowercase letter and contain only lowercase letters, digits, "_" or "-" (at most 32 characters)')
  .describe('public name qualifying your shared entities as HANDLE/NAME; default: from the email');

const RegisterBody = z.object({ email: Email, password: Password, name: z.string().min(1).max(200).optional(), handle: Handle.optional() }).strict();
const LoginBody = z.object({ email: Email, password: z.string().min(1) }).strict();
const RefreshBody = z.object({ refresh_token: z.string().min(1, 'required') }).strict();
const KeyBody = z.object({ name: z.string().min(1).max(100).optional() }).strict();
const UserBody = z
  .object({
    email: Email,
    handle: Handle.optional(),
    name: z.string().min(1).max(200).optional(),
    password: Password.optional(),
    is_admin: z.boolean().optional(),
  })
  .strict();

const TokenPair = z.object({
  access_token: z.string(),
  refresh_token: z.string(),
  token_type: z.literal('Bearer'),
  expires_in: z.number().describe('seconds'),
});
const RegisteredOut = z.object({ status: z.literal('accepted'), message: z.string() });

const tags = ['auth'];

/** `POST /api/auth/register`. */
const registerSpec = {
  method: 'post',
  path: '/auth/register',
  summary: 'Create an account (password >= 8 chars); the answer is the same whether or not the email was registered already',
  tags,
  public: true,
  body: RegisterBody,
  responses: {
    201: { description: 'accepted: the same body for a new and a taken email (a taken one keeps its account and password)', schema: RegisteredOut },
    409: { description: 'handle taken (handles are public; a taken email is not revealed)', schema: ErrorSchema },
    429: { description: 'too many registrations from this address (Retry-After: seconds)', schema: ErrorSchema },
  },
} satisfies OpSpec;

/** `POST /api/auth/login`. */
const loginSpec = {
  method: 'post',
  path: '/auth/login',
  summary: 'Exchange email + password for tokens (401 alike for an unknown email and a wrong password; 429 after 10 failures per account or address)',
  tags,
  public: true,
  body: LoginBody,
  responses: {
    200: { description: 'tokens', schema: TokenPair },
    401: { description: 'wrong email or password (the same answer for both)', schema: ErrorSchema },
    429: { description: 'too many failed logins for this email or from this address (Retry-After: seconds)', schema: ErrorSchema },
  },
} satisfies OpSpec;

/** `POST /api/auth/refresh`. */
const refreshSpec = {
  method: 'post',
  path: '/auth/refresh',
  summary: 'Rotate a refresh token (single use) for a new pair of the same session; presenting a used one ends its session',
  tags,
  public: true,
  body: RefreshBody,
  responses: { 200: { description: 'tokens', schema: TokenPair } },
} satisfies OpSpec;

/** `POST /api/auth/logout`. */
const logoutSpec = {
  method: 'post',
  path: '/auth/logout',
  summary: "End the refresh token's login session: its access and refresh tokens stop working at once",
  tags,
  public: true,
  body: RefreshBody,
  responses: { 204: { description: 'logged out (also for an unknown token)' } },
} satisfies OpSpec;

/** `POST /api/keys`. */
const createKeySpec = {
  method: 'post',
  path: '/keys',
  summary: 'Create an API key (the key is shown once)',
  tags: ['keys'],
  body: KeyBody,
  bodyOptional: true,
  responses: { 201: { description: 'the new key', schema: NewApiKeySchema } },
} satisfies OpSpec;

/** `GET /api/keys`. */
const listKeysSpec = {
  method: 'get',
  path: '/keys',
  summary: 'List your API keys by prefix',
  tags: ['keys'],
  responses: { 200: { description: 'keys', schema: z.object({ keys: z.array(ApiKeyListingSchema) }) } },
} satisfies OpSpec;

/** `DELETE /api/keys/{id}`. */
const revokeKeySpec = {
  method: 'delete',
  path: '/keys/{id}',
  summary: 'Revoke one of your API keys',
  tags: ['keys'],
  responses: { 204: { description: 'revoked' }, 404: { description: 'no such live key of yours' } },
} satisfies OpSpec;

/** `POST /api/users`. */
const createUserSpec = {
  method: 'post',
  path: '/users',
  summary: 'Create a user (admin only: `caxton user create`)',
  tags: ['users'],
  body: UserBody,
  responses: {
    201: { description: 'created', schema: UserInfoSchema },
    403: { description: 'not the admin' },
    409: { description: 'email or handle taken' },
  },
} satisfies OpSpec;

/** `GET /api/me`. */
const meSpec = {
  method: 'get',
  path: '/me',
  summary: 'Who the request acts as',
  tags: ['users'],
  responses: { 200: { description: 'user', schema: UserInfoSchema.extend({ acting_admin: z.boolean() }) } },
} satisfies OpSpec;

/**
 * The throttles of one app: failed logins per account (email) and per client address, registrations per
 * address; `addressOf` gives the address a request counts under (src/api/client-address.ts).
 */
interface AuthThrottles {
  loginsPerAccount: Throttle;
  loginsPerAddress: Throttle;
  registrations: Throttle;
  addressOf: ClientAddressOf;
}

/**
 * Register an account, answering the same for a new and a taken email (module comment).
 * @throws DomainError TOO_MANY_REQUESTS (address throttle), CONFLICT (handle taken).
 */
async function register(c: OpContext<typeof registerSpec>, users: AppDeps['tenants']['users'], throttles: AuthThrottles): Promise<Response> {
  const { registrations } = throttles;
  const body = c.req.valid('json');
  const address = throttles.addressOf(c);
  refuseWhileWaiting('registrations from this address', [[registrations, address]]);
  registrations.take(address);
  // Handles are public (they qualify shared names), so a taken one may be said; a taken email may not.
  if (body.handle && (await users.byHandle(body.handle)))
    throw new DomainError('CONFLICT', `handle ${body.handle} is taken`, [
      { field: 'handle', message: 'taken', hint: 'pick another handle, or leave it out to get one derived from the email' },
    ]);
  // The password is hashed in both cases, so new and taken emails take the same time.
  const passwordHash = await hashPassword(body.password);
  try {
    await users.create({ email: body.email, ...(body.handle ? { handle: body.handle } : {}), name: body.name ?? null, passwordHash });
  } catch (err) {
    if (!isDomainError(err) || err.code !== 'CONFLICT') throw err;
  }
  return c.json({ status: 'accepted' as const, message: REGISTERED }, 201);
}

/**
 * Exchange email + password for a token pair; each failure is counted and logged (never the password).
 * @throws DomainError TOO_MANY_REQUESTS (account or address throttle), UNAUTHORIZED (wrong email or password).
 */
async function login(c: OpContext<typeof loginSpec>, auth: AuthService, throttles: AuthThrottles): Promise<Response> {
  const { loginsPerAccount, loginsPerAddress } = throttles;
  const body = c.req.valid('json');
  const address = throttles.addressOf(c);
  refuseWhileWaiting('failed logins for this email or from this address', [
    [loginsPerAccount, body.email],
    [loginsPerAddress, address],
  ]);
  // Counted before the (slow) check, so parallel attempts cannot pass the limit; a success gives it back.
  const failures = { account: loginsPerAccount.take(body.email), address: loginsPerAddress.take(address) };
  const user = await auth.verifyLogin(body.email, body.password);
  if (!user) {
    c.var.log.warn({ ...API_LINE, email: body.email, client: address, account_failures: failures.account, address_failures: failures.address }, 'login failed');
    throw new DomainError('UNAUTHORIZED', 'wrong email or password');
  }
  loginsPerAccount.clear(body.email);
  loginsPerAddress.refund(address);
  return c.json(await auth.issue(user.id));
}

/** Create a user (admin only). @throws DomainError FORBIDDEN (not the admin), CONFLICT (email or handle taken). */
async function createUser(c: OpContext<typeof createUserSpec>, users: AppDeps['tenants']['users']): Promise<Response> {
  if (!c.get('isAdmin')) throw new DomainError('FORBIDDEN', 'only the admin may create users (use `caxton user create` on the daemon host)');
  const body = c.req.valid('json');
  const user = await users.create({
    email: body.email,
    ...(body.handle ? { handle: body.handle } : {}),
    name: body.name ?? null,
    passwordHash: body.password ? await hashPassword(body.password) : null,
    isAdmin: body.is_admin ?? false,
  });
  return c.json(user, 201);
}

/** Auth, key and user routes. */
export function authRoutes(deps: AppDeps, auth: AuthService): Routes {
  const r = new Routes('/api');
  const users = deps.tenants.users;
  const throttles: AuthThrottles = {
    loginsPerAccount: createThrottle(LOGIN_LIMITS),
    loginsPerAddress: createThrottle(LOGIN_LIMITS),
    registrations: createThrottle(REGISTER_LIMITS),
    addressOf: clientAddressResolver(deps.trustedProxies ?? []),
  };
  r.op(registerSpec, (c) => register(c, users, throttles));
  r.op(loginSpec, (c) => login(c, auth, throttles));
  r.op(refreshSpec, async (c) => c.json(await auth.refresh(c.req.valid('json').refresh_token)));
  r.op(logoutSpec, async (c) => {
    await auth.logout(c.req.valid('json').refresh_token);
    return c.body(null, 204);
  });
  r.op(createKeySpec, async (c) => c.json(await auth.createKey(c.get('userId'), c.req.valid('json').name ?? null), 201));
  r.op(listKeysSpec, async (c) => c.json({ keys: (await users.listApiKeys(c.get('userId'))).map(({ user_id: _u, ...k }) => k) }));
  r.op(revokeKeySpec, async (c) => {
    if (!(await auth.revokeKey(c.req.param('id')!, c.get('userId')))) throw new DomainError('NOT_FOUND', `API key ${c.req.param('id')} not found`);
    return c.body(null, 204);
  });
  r.op(createUserSpec, (c) => createUser(c, users));
  r.op(meSpec, async (c) => c.json({ ...(await users.byId(c.get('userId'))), acting_admin: c.get('isAdmin') }));
  return r;
}
