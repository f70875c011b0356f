/**
 * Budgets (spending limits checked before the call): USD and token limits per UTC day and
 * per UTC month, for three scopes: a user, an API key and an agent. A limit that is absent is
 * unlimited. Counters are kept per scope and period (src/store/types.ts `BudgetStore`); a model call
 * reserves its worst case before it is made and settles with its real usage afterwards.
 */
import { z } from 'zod';

/** The four limits, any of them absent (unlimited). USD and tokens per UTC day / UTC month. */
export const BudgetLimitsSchema = z
  .object({
    /** Most USD spent per UTC day. */
    usd_per_day: z.number().min(0).optional(),
    /** Most USD spent per UTC month. */
    usd_per_month: z.number().min(0).optional(),
    /** Most tokens (input + output) per UTC day. */
    tokens_per_day: z.number().int().min(0).optional(),
    /** Most tokens (input + output) per UTC month. */
    tokens_per_month: z.number().int().min(0).optional(),
  })
  .strict();

/** Budget limits of one scope. */
export type BudgetLimits = z.infer<typeof BudgetLimitsSchema>;

/**
 * The admin's overrides for one user (`PUT /api/users/:id/limits`, `caxton limits set`): the budget
 * limits, and `requests_per_minute`, the user's request rate quota (0 = unlimited), which wins over
 * `[limits.users."EMAIL"]` and `[limits] requests_per_minute` (src/api/middleware/rate-limit.ts).
 */
export const UserLimitsSchema = BudgetLimitsSchema.extend({
  /** Requests per minute of this user (0: unlimited). */
  requests_per_minute: z.number().int().min(0).max(1_000_000).optional(),
}).strict();

/** A user's overrides: budget limits and request rate. */
export type UserLimits = z.infer<typeof UserLimitsSchema>;

/** The keys of `BudgetLimits`, in display order. */
export const BUDGET_KEYS = ['usd_per_day', 'usd_per_month', 'tokens_per_day', 'tokens_per_month'] as const;

/** What a budget is kept for: a user, an API key, or an agent (all its users together). */
export type BudgetScope = 'user' | 'api_key' | 'agent';

/** A budget period: the UTC day or the UTC month. */
export type BudgetPeriod = 'day' | 'month';

/** The period key of `now` (ms since epoch): `YYYY-MM-DD` for a day, `YYYY-MM` for a month (UTC). */
export function periodKey(period: BudgetPeriod, now: number): string {
  const iso = new Date(now).toISOString();
  return period === 'day' ? iso.slice(0, 10) : iso.slice(0, 7);
}

/** When the period holding `now` ends, ms since epoch (next UTC midnight, or the first of next month). */
export function periodEnd(period: BudgetPeriod, now: number): number {
  const d = new Date(now);
  return period === 'day' ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1) : Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/**
 * One counter a model call is charged to, with its limits for the current period: the store adds
 * the charge only when neither limit would be passed (an absent limit never refuses).
 */
export interface BudgetCounter {
  scope: BudgetScope;
  /** The user id, API key id or agent key the budget belongs to. */
  owner: string;
  period: BudgetPeriod;
  /** `periodKey(period, now)`. */
  periodKey: string;
  limitUsd?: number;
  limitTokens?: number;
}

/** An amount charged to counters: USD and tokens. */
export interface BudgetCharge {
  usd: number;
  tokens: number;
}

/** What a counter holds: spent plus reserved, in USD and tokens. */
export interface BudgetUsage {
  usd: number;
  tokens: number;
}

/** The budget that refused a charge, as said to the caller (HTTP 429 body, the run's last message). */
export interface BudgetRefusal {
  scope: BudgetScope;
  period: BudgetPeriod;
  /** `usd_per_day` ... : which limit. */
  limit_key: (typeof BUDGET_KEYS)[number];
  /** The limit (USD or tokens). */
  limit: number;
  /** Spent and reserved in this period (USD or tokens). */
  used: number;
  /** When the period resets, ms since epoch. */
  resets_at: number;
}

/** The human sentence naming a refused budget and when it resets. */
export function refusalMessage(r: BudgetRefusal): string {
  const unit = r.limit_key.startsWith('usd') ? 'USD' : 'tokens';
  const fmt = (n: number) => (unit === 'USD' ? n.toFixed(4) : String(Math.round(n)));
  const who = r.scope === 'api_key' ? 'API key' : r.scope;
  return (
    `budget exceeded: the ${who} budget ${r.limit_key} (limit ${fmt(r.limit)} ${unit}, used ${fmt(r.used)} ${unit}) ` +
    `has no room for this model call; it resets at ${new Date(r.resets_at).toISOString()}`
  );
}
