/**
 * Usage and budgets (src/runtime/budgets.ts): `GET /api/usage` (runs, tokens and USD of the current
 * UTC day or month, grouped by agent, model, day or user, with what remains of every budget that
 * applies), and the admin's per-user budget overrides `GET|PUT /api/users/:id/limits`. A user sees
 * only their own usage; the admin sees everyone's (`?user=` picks one user by id or email).
 */
import type { Context } from 'hono';
import { z } from 'zod';
import { periodKey, UserLimitsSchema } from '../../domain/budgets.js';
import { DomainError } from '../../domain/errors.js';
import type { User } from '../../domain/users.js';
import type { AppDeps, AppEnv } from '../deps.js';
import { ErrorSchema, Routes, type OpContext, type OpSpec } from '../openapi.js';

const UsageQuery = z.object({
  user: z.string().min(1).optional(),
  by: z.enum(['agent', 'model', 'day', 'user']).default('agent'),
  period: z.enum(['day', 'month']).default('month'),
});

const BudgetStateSchema = z.object({
  scope: z.enum(['user', 'api_key', 'agent']),
  owner: z.string(),
  period: z.enum(['day', 'month']),
  limit_key: z.string(),
  limit: z.number(),
  used: z.number(),
  remaining: z.number(),
  resets_at: z.string(),
});

const UsageSchema = z.object({
  user: z.string().nullable().describe('the user reported on; null: every user (admin)'),
  period: z.enum(['day', 'month']),
  since: z.string().describe('start of the current UTC period (ISO time)'),
  by: z.string(),
  rows: z.array(z.object({ key: z.string(), runs: z.number(), tokens_input: z.number(), tokens_output: z.number(), cost_usd: z.number() })),
  budgets: z.array(BudgetStateSchema),
});

const LimitsSchema = z.object({ user_id: z.string(), overrides: UserLimitsSchema, budgets: z.array(BudgetStateSchema) });

/** The budget dependencies, or NOT_FOUND when the daemon keeps none. */
function budgetsOf(deps: AppDeps): NonNullable<AppDeps['budgets']> {
  if (!deps.budgets) throw new DomainError('NOT_FOUND', 'budgets are not available on this daemon');
  return deps.budgets;
}

/** The user named by `ref` (an id or an email). @throws DomainError NOT_FOUND naming the field. */
async function userOf(deps: AppDeps, ref: string, field: string): Promise<User> {
  const users = deps.tenants.users;
  const user = (await users.byId(ref)) ?? (ref.includes('@') ? await users.byEmail(ref) : undefined);
  if (!user) throw new DomainError('NOT_FOUND', `no user ${ref}`, [{ field, message: 'unknown user id or email' }]);
  return user;
}

/** @throws DomainError FORBIDDEN unless the caller is the admin. */
function adminOnly(c: Context<AppEnv>, what: string): void {
  if (!c.get('isAdmin')) throw new DomainError('FORBIDDEN', `only the admin may ${what}`, [{ field: 'user', message: 'admin only' }]);
}

const tags = ['usage'];

/** `GET /api/usage`. */
const usageSpec = {
  method: 'get',
  path: '/usage',
  summary: 'Runs, tokens and cost (USD) of the current UTC day or month, and what remains of each budget',
  tags,
  query: UsageQuery,
  responses: {
    200: { description: 'usage', schema: UsageSchema },
    403: { description: "another user's usage, asked by someone who is not the admin", schema: ErrorSchema },
    404: { description: 'unknown user', schema: ErrorSchema },
  },
} satisfies OpSpec;

/** The answers of both `/api/users/{id}/limits` routes. */
const limitsResponses = {
  200: { description: "the user's overrides and budgets", schema: LimitsSchema },
  400: { description: 'a limit is not a number >= 0 (tokens: an integer), or an unknown key', schema: ErrorSchema },
  403: { description: 'not the admin', schema: ErrorSchema },
  404: { description: 'unknown user', schema: ErrorSchema },
} satisfies OpSpec['responses'];

/** `GET /api/users/{id}/limits`. */
const getLimitsSpec = {
  method: 'get',
  path: '/users/{id}/limits',
  summary: "A user's budget overrides and budgets (admin; id or email)",
  tags,
  responses: limitsResponses,
} satisfies OpSpec;

/** `PUT /api/users/{id}/limits`. */
const putLimitsSpec = {
  method: 'put',
  path: '/users/{id}/limits',
  summary:
    "Replace a user's overrides (admin): usd_per_day, usd_per_month, tokens_per_day, tokens_per_month and requests_per_minute (0 = unlimited); {} removes them. Applied at once, on every node",
  tags,
  body: UserLimitsSchema,
  responses: limitsResponses,
} satisfies OpSpec;

/**
 * The usage report of the current UTC day or month, grouped as `by` asks, with the budgets of the
 * user reported on. A user sees their own; the admin everyone's, or one user's with `?user=`.
 * @throws DomainError FORBIDDEN (another user's usage, not the admin), NOT_FOUND (unknown user, or no budgets).
 */
async function usage(deps: AppDeps, c: OpContext<typeof usageSpec>): Promise<Response> {
  const { service, store } = budgetsOf(deps);
  const q = c.req.valid('query');
  const self = c.get('userId');
  const isAdmin = c.get('isAdmin');
  // Others are never looked up for a non-admin, so the answer does not tell which users exist.
  const own = async (ref: string) => ref === self || ref.toLowerCase() === (await deps.tenants.users.byId(self))?.email?.toLowerCase();
  if (!isAdmin && (q.by === 'user' || (q.user !== undefined && !(await own(q.user))))) adminOnly(c, "see other users' usage");
  const target = isAdmin ? (q.user ? (await userOf(deps, q.user, 'user')).id : null) : self;
  const now = service.now();
  const since = Date.parse(q.period === 'day' ? periodKey('day', now) : `${periodKey('month', now)}-01`);
  const rows = await store.report({ by: q.by, since, ...(target ? { userId: target } : {}) });
  const apiKeyId = target === self ? c.get('apiKeyId') : undefined;
  const budgets = await service.states(target ?? self, apiKeyId);
  return c.json({ user: target, period: q.period, since: new Date(since).toISOString(), by: q.by, rows, budgets }, 200);
}

/** A user's overrides (`{}` when none) and the states of the budgets that apply to them. @throws DomainError NOT_FOUND (no budgets). */
async function limitsOf(deps: AppDeps, userId: string) {
  const { service, store } = budgetsOf(deps);
  return { user_id: userId, overrides: (await store.userLimits(userId)) ?? {}, budgets: await service.states(userId) };
}

/** Usage routes under `/api`. */
export function usageRoutes(deps: AppDeps): Routes {
  const r = new Routes('/api');
  r.op(usageSpec, (c) => usage(deps, c));
  r.op(getLimitsSpec, async (c) => {
    adminOnly(c, "read a user's limits");
    const user = await userOf(deps, c.req.param('id')!, 'id');
    return c.json(await limitsOf(deps, user.id), 200);
  });
  r.op(putLimitsSpec, async (c) => {
    adminOnly(c, "set a user's limits");
    const user = await userOf(deps, c.req.param('id')!, 'id');
    const budgets = budgetsOf(deps);
    await budgets.store.setUserLimits(user.id, c.req.valid('json'));
    budgets.service.forgetOverrides(user.id);
    void deps.changes?.publish('user_limits', user.id);
    return c.json(await limitsOf(deps, user.id), 200);
  });
  return r;
}
