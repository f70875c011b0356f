/**
 * Accounts and credentials (SPEC §5, §6): `POST /api/auth/register|login|refresh|logout`,
 * `POST|GET /api/keys`, `DELETE /api/keys/:id`, and the admin's `POST /api/users` (`caxton user create`).
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { DomainError } from '../../domain/errors.js';
import { HANDLE_PATTERN } from '../../domain/names.js';
import { hashPassword, verifyPassword, type AuthService } from '../auth.js';
import type { AppDeps, AppEnv } from '../deps.js';
import { op, type Registry } from '../openapi.js';
import { readJson } from '../validate.js';

const Email = z.string().trim().toLowerCase().pipe(z.email('must be an email address'));
const Password = z.string().min(8, 'must be at least 8 characters').max(1024);
/** A user handle (SPEC §4): optional; derived from the email's local part when absent. */
const Handle = z.string().regex(HANDLE_PATTERN, 'must start with a lowercase letter and contain only lowercase letters, digits, "_" or "-" (at most 32 characters)').describe('public name qualifying your shared entities as HANDLE/NAME; default: from the email');

const RegisterBody = z.object({ email: Email, password: Password, name: z.string().min(1).max(200).optional(), handle: Handle.optional() }).strict();
const LoginBody = z.object({ email: Email, password: z.string().min(1) }).strict();
const RefreshBody = z.object({ refresh_token: z.string().min(1, 'required') }).strict();
const KeyBody = z.object({ name: z.string().min(1).max(100).optional() }).strict();
const UserBody = z.object({ email: Email, handle: Handle.optional(), name: z.string().min(1).max(200).optional(), password: Password.optional(), is_admin: z.boolean().optional() }).strict();

const TokenPair = z.object({ access_token: z.string(), refresh_token: z.string(), token_type: z.literal('Bearer'), expires_in: z.number().describe('seconds') });
const UserOut = z.object({ id: z.string(), email: z.string().nullable(), handle: z.string().describe('qualifies your shared entities: HANDLE/NAME'), name: z.string().nullable(), is_admin: z.boolean(), created_at: z.number() });
const KeyOut = z.object({ id: z.string(), name: z.string().nullable(), prefix: z.string(), created_at: z.number(), last_used_at: z.number().nullable(), revoked_at: z.number().nullable() });

/** Auth, key and user routes. */
export function authRoutes(deps: AppDeps, registry: Registry, auth: AuthService): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  const users = deps.tenants.users;
  const tags = ['auth'];

  op(r, registry, { method: 'post', path: '/api/auth/register', summary: 'Create an account (password >= 8 chars)', tags, public: true, body: RegisterBody, responses: { 201: { description: 'created', schema: UserOut }, 409: { description: 'email or handle taken' } } }, async (c) => {
    const body = await readJson(c, RegisterBody);
    const user = users.create({ email: body.email, ...(body.handle ? { handle: body.handle } : {}), name: body.name ?? null, passwordHash: await hashPassword(body.password) });
    return c.json(user, 201);
  });

  op(r, registry, { method: 'post', path: '/api/auth/login', summary: 'Exchange email + password for tokens', tags, public: true, body: LoginBody, responses: { 200: { description: 'tokens', schema: TokenPair } } }, async (c) => {
    const body = await readJson(c, LoginBody);
    const user = users.byEmail(body.email);
    const hash = user ? users.passwordHash(user.id) : undefined;
    // Same answer for unknown email and wrong password (no account probing).
    if (!user || !hash || !(await verifyPassword(body.password, hash))) throw new DomainError('UNAUTHORIZED', 'wrong email or password');
    return c.json(await auth.issue(user.id));
  });

  op(r, registry, { method: 'post', path: '/api/auth/refresh', summary: 'Rotate a refresh token (single use) for a new pair', tags, public: true, body: RefreshBody, responses: { 200: { description: 'tokens', schema: TokenPair } } }, async (c) => {
    const body = await readJson(c, RefreshBody);
    return c.json(await auth.refresh(body.refresh_token));
  });

  op(r, registry, { method: 'post', path: '/api/auth/logout', summary: 'Invalidate a refresh token', tags, public: true, body: RefreshBody, responses: { 204: { description: 'logged out' } } }, async (c) => {
    const body = await readJson(c, RefreshBody);
    auth.revokeRefresh(body.refresh_token);
    return c.body(null, 204);
  });

  op(r, registry, { method: 'post', path: '/api/keys', summary: 'Create an API key (the key is shown once)', tags: ['keys'], body: KeyBody, responses: { 201: { description: 'the new key', schema: KeyOut.pick({ id: true, prefix: true, created_at: true }).extend({ key: z.string() }) } } }, async (c) => {
    const body = (await c.req.text()).trim() ? await readJson(c, KeyBody) : {};
    return c.json(auth.createKey(c.get('userId'), body.name ?? null), 201);
  });

  op(r, registry, { method: 'get', path: '/api/keys', summary: 'List your API keys by prefix', tags: ['keys'], responses: { 200: { description: 'keys', schema: z.object({ keys: z.array(KeyOut) }) } } }, (c) =>
    c.json({ keys: users.listApiKeys(c.get('userId')).map(({ user_id: _u, ...k }) => k) }),
  );

  op(r, registry, { method: 'delete', path: '/api/keys/{id}', summary: 'Revoke one of your API keys', tags: ['keys'], responses: { 204: { description: 'revoked' }, 404: { description: 'no such live key of yours' } } }, (c) => {
    if (!users.revokeApiKey(c.req.param('id')!, c.get('userId'))) throw new DomainError('NOT_FOUND', `API key ${c.req.param('id')} not found`);
    return c.body(null, 204);
  });

  op(r, registry, { method: 'post', path: '/api/users', summary: 'Create a user (admin only: `caxton user create`)', tags: ['users'], body: UserBody, responses: { 201: { description: 'created', schema: UserOut }, 403: { description: 'not the admin' }, 409: { description: 'email or handle taken' } } }, async (c) => {
    if (!c.get('isAdmin')) throw new DomainError('FORBIDDEN', 'only the admin may create users (use `caxton user create` on the daemon host)');
    const body = await readJson(c, UserBody);
    const user = users.create({ email: body.email, ...(body.handle ? { handle: body.handle } : {}), name: body.name ?? null, passwordHash: body.password ? await hashPassword(body.password) : null, isAdmin: body.is_admin ?? false });
    return c.json(user, 201);
  });

  op(r, registry, { method: 'get', path: '/api/me', summary: 'Who the request acts as', tags: ['users'], responses: { 200: { description: 'user', schema: UserOut.extend({ acting_admin: z.boolean() }) } } }, (c) => {
    const user = users.byId(c.get('userId'));
    return c.json({ ...user, acting_admin: c.get('isAdmin') });
  });
  return r;
}
