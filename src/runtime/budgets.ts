/**
 * Budgets checked before spending (src/domain/budgets.ts): every model call of a run first reserves
 * its worst case — the estimated prompt tokens plus the call's `max_tokens`, at the model's prices —
 * on every counter that applies (the user's, the API key's and the agent's, per UTC day and month),
 * atomically in the store, and settles with the real usage once the call ends (the unused part is
 * released). A run whose first call cannot be reserved is refused before it starts (HTTP 429 with
 * `Retry-After` at the reset); a later call that cannot be reserved ends the run with
 * `finish_reason: "budget_exceeded"`.
 */
import {
  BUDGET_KEYS,
  periodEnd,
  periodKey,
  type BudgetCharge,
  type BudgetCounter,
  type BudgetLimits,
  type UserLimits,
  type BudgetPeriod,
  type BudgetRefusal,
  type BudgetScope,
} from '../domain/budgets.js';
import type { Model } from '../domain/entities.js';
import type { ChatRequest } from '../llm/types.js';
import type { BudgetStore } from '../store/types.js';
import { estimateTokens } from './context.js';
import type { Usage } from './events.js';

/** Output tokens reserved (and sent as `max_tokens`) for a budgeted call whose model sets no `max_tokens`. */
export const DEFAULT_OUTPUT_RESERVE = 4096;

/** The budgets a daemon enforces: the store, the `[limits]` defaults and the clock. */
export interface BudgetDeps {
  store: BudgetStore;
  /** `[limits]` budget keys: every user's default budget. */
  userDefaults: BudgetLimits;
  /** `[limits.api_key]`: each API key's budget. */
  apiKeyDefaults: BudgetLimits;
  /** Clock, ms since epoch (default `Date.now`; injectable so tests can cross a period boundary). */
  now?: () => number;
}

/** Whose agent budget a run of agent `name` spends: a user-tier agent's by its row `rowId` (it survives a rename), a system agent's by name. */
export const agentBudgetKey = (name: string, rowId?: string): string => (rowId !== undefined ? `row:${rowId}` : `system:${name}`);

/** Who a run spends for. */
export interface Spender {
  userId: string;
  /** The API key the request authenticated with, if any. */
  apiKeyId?: string;
  /** Whose agent budget applies (`system:NAME`, or `row:ID` for a user-tier agent) and the agent's `budget`. */
  agentKey: string;
  agentBudget?: BudgetLimits;
}

/** One budget's state for `GET /api/usage`: USD or tokens. */
export interface BudgetState {
  scope: BudgetScope;
  owner: string;
  period: BudgetPeriod;
  limit_key: (typeof BUDGET_KEYS)[number];
  limit: number;
  used: number;
  remaining: number;
  /** ISO time of the period's end. */
  resets_at: string;
}

/** A reservation made for one model call, settled once with the call's real usage. */
export interface Reservation {
  /** Settle with the real usage of the call (undefined: the provider reported none; the reservation stays spent). */
  settle(real: Usage | undefined): Promise<void>;
}

/** The budgets of one run. */
export interface RunBudget {
  /** True when any limit applies (else reservations are skipped). */
  readonly limited: boolean;
  /**
   * Reserve the worst case of `request` (the request gets `max_tokens` when it has none, so the
   * reservation holds). @returns the reservation, or the refusal naming the budget.
   */
  reserve(request: ChatRequest, model: Model): Promise<Reservation | BudgetRefusal>;
  /**
   * Whether a first call of `promptTokens` estimated tokens, bounded to `replyTokens` (the request's
   * `max_tokens`; absent: the model's, else `DEFAULT_OUTPUT_RESERVE`), could be reserved now (a read,
   * not a reservation): the refusal naming the budget it would not fit, or undefined.
   */
  precheck(promptTokens: number, model: Model, replyTokens?: number): Promise<BudgetRefusal | undefined>;
}

/** The budget service the runtime and the API use. */
export interface Budgets {
  /**
   * The budgets that apply to a run of `who`. The user's admin override is read from the store at
   * most once per `OVERRIDE_RECHECK_MS` per user (cached; `forgetOverrides` drops it at once).
   */
  forRun(who: Spender): Promise<RunBudget>;
  /**
   * Forget the cached admin override of `userId` (every user's when absent): it was changed here or
   * on another node. The watchers (`watchOverrides`) are told.
   */
  forgetOverrides(userId?: string): void;
  /** The admin's overrides of `userId` (budgets and request rate), cached as for `forRun`. */
  userOverride(userId: string): Promise<UserLimits | undefined>;
  /** Call `watcher` with the user id (undefined: every user) whenever overrides are forgotten (e.g. the request rate limiter). */
  watchOverrides(watcher: (userId?: string) => void): void;
  /** Every limited budget of the user (and optionally one API key) as it stands now. */
  states(userId: string, apiKeyId?: string): Promise<BudgetState[]>;
  /** The agent budget `budget` of `agentKey` (`system:NAME` or `row:ID`, as in `Spender`) as it stands now. */
  agentStates(agentKey: string, budget: BudgetLimits): Promise<BudgetState[]>;
  /** The clock budgets are kept by (ms since epoch). */
  now(): number;
}

/** How long a user's admin override is served from the cache before it is read again (ms). */
const OVERRIDE_RECHECK_MS = 5_000;
/** Cached overrides kept at most (the cache is emptied when full: it refills from active users). */
const OVERRIDES_MAX = 10_000;

/** One scope's owner and limits, resolved once per run. */
type Limited = { scope: BudgetScope; owner: string; limits: BudgetLimits };

/** The periods every scope is counted in. */
const PERIODS: BudgetPeriod[] = ['day', 'month'];

/** The counters of `scopes` at `now`: one per scope and period that has a USD or token limit. */
function countersAt(scopes: readonly Limited[], now: number): BudgetCounter[] {
  const out: BudgetCounter[] = [];
  for (const { scope, owner, limits } of scopes) {
    for (const period of PERIODS) {
      const usd = limits[`usd_per_${period}`];
      const tokens = limits[`tokens_per_${period}`];
      if (usd === undefined && tokens === undefined) continue;
      out.push({
        scope,
        owner,
        period,
        periodKey: periodKey(period, now),
        ...(usd !== undefined ? { limitUsd: usd } : {}),
        ...(tokens !== undefined ? { limitTokens: tokens } : {}),
      });
    }
  }
  return out;
}

/** USD of `tokens` in and out under `model`'s prices (USD per million tokens). */
const priceOf = (model: Model, input: number, output: number) =>
  ((model.input_cost_per_mtok ?? 0) * input + (model.output_cost_per_mtok ?? 0) * output) / 1_000_000;

/** Estimated prompt tokens of a request: messages (with tool calls) and offered tools, ~4 characters each. */
export function promptTokens(request: ChatRequest): number {
  let n = 0;
  for (const m of request.messages) {
    n += 4 + estimateTokens(m.content ?? '');
    if (m.role === 'assistant' && m.tool_calls) n += estimateTokens(JSON.stringify(m.tool_calls));
  }
  if (request.tools) n += estimateTokens(JSON.stringify(request.tools));
  return n;
}

/** True when `charge` on top of `used` passes a limit of `c`. */
const exceeds = (c: BudgetCounter, used: BudgetCharge, charge: BudgetCharge) =>
  (c.limitUsd !== undefined && used.usd + charge.usd > c.limitUsd + 1e-9) || (c.limitTokens !== undefined && used.tokens + charge.tokens > c.limitTokens);

/** The refusal of `counter` holding `used`, for the limit that does not fit `charge`. */
function refusalOf(c: BudgetCounter, used: BudgetCharge, charge: BudgetCharge): BudgetRefusal {
  const byUsd = c.limitUsd !== undefined && used.usd + charge.usd > c.limitUsd + 1e-9;
  const resets_at = periodEnd(c.period, Date.parse(c.periodKey.length === 7 ? `${c.periodKey}-01` : c.periodKey));
  return byUsd || c.limitTokens === undefined
    ? { scope: c.scope, period: c.period, limit_key: `usd_per_${c.period}`, limit: c.limitUsd ?? 0, used: used.usd, resets_at }
    : { scope: c.scope, period: c.period, limit_key: `tokens_per_${c.period}`, limit: c.limitTokens, used: used.tokens, resets_at };
}

/** Build the budget service. */
export function createBudgets(deps: BudgetDeps): Budgets {
  const now = deps.now ?? Date.now;
  const overrides = new Map<string, { limits: UserLimits | undefined; readAt: number }>();
  const watchers: ((userId?: string) => void)[] = [];
  const overrideOf = async (userId: string): Promise<UserLimits | undefined> => {
    const hit = overrides.get(userId);
    if (hit && Date.now() - hit.readAt < OVERRIDE_RECHECK_MS) return hit.limits;
    const limits = await deps.store.userLimits(userId);
    if (overrides.size >= OVERRIDES_MAX) overrides.clear();
    overrides.set(userId, { limits, readAt: Date.now() });
    return limits;
  };
  const scopesOf = async (who: Omit<Spender, 'agentKey'> & { agentKey?: string }): Promise<Limited[]> => {
    const own = await overrideOf(who.userId);
    const scopes: Limited[] = [{ scope: 'user', owner: who.userId, limits: { ...deps.userDefaults, ...own } }];
    if (who.apiKeyId) scopes.push({ scope: 'api_key', owner: who.apiKeyId, limits: deps.apiKeyDefaults });
    if (who.agentKey && who.agentBudget) scopes.push({ scope: 'agent', owner: who.agentKey, limits: who.agentBudget });
    return scopes;
  };
  /** Each limit of `scopes` as it stands now: limit, use, what remains and the reset. */
  const statesOf = async (scopes: readonly Limited[]): Promise<BudgetState[]> => {
    const at = now();
    const counters = countersAt(scopes, at);
    const usage = await deps.store.usage(counters);
    return counters.flatMap((c, i) => {
      const u = usage[i]!;
      const resets_at = new Date(periodEnd(c.period, at)).toISOString();
      const base = { scope: c.scope, owner: c.owner, period: c.period, resets_at };
      const out: BudgetState[] = [];
      if (c.limitUsd !== undefined)
        out.push({ ...base, limit_key: `usd_per_${c.period}`, limit: c.limitUsd, used: u.usd, remaining: Math.max(0, c.limitUsd - u.usd) });
      if (c.limitTokens !== undefined)
        out.push({ ...base, limit_key: `tokens_per_${c.period}`, limit: c.limitTokens, used: u.tokens, remaining: Math.max(0, c.limitTokens - u.tokens) });
      return out;
    });
  };
  return {
    now,
    forgetOverrides(userId) {
      if (userId === undefined) overrides.clear();
      else overrides.delete(userId);
      for (const w of watchers) w(userId);
    },
    userOverride: overrideOf,
    watchOverrides: (watcher) => void watchers.push(watcher),
    async forRun(who) {
      const scopes = await scopesOf(who);
      const limited = countersAt(scopes, now()).length > 0;
      const outputOf = (request: ChatRequest | undefined, model: Model) => request?.sampling?.max_tokens ?? model.max_tokens ?? DEFAULT_OUTPUT_RESERVE;
      return {
        limited,
        async precheck(input, model, replyTokens) {
          const counters = countersAt(scopes, now());
          if (counters.length === 0) return undefined;
          const output = replyTokens ?? outputOf(undefined, model);
          const charge = { usd: priceOf(model, input, output), tokens: input + output };
          const usage = await deps.store.usage(counters);
          const i = counters.findIndex((c, k) => exceeds(c, usage[k]!, charge));
          return i < 0 ? undefined : refusalOf(counters[i]!, usage[i]!, charge);
        },
        async reserve(request, model) {
          const counters = countersAt(scopes, now());
          if (counters.length === 0) return { settle: async () => undefined };
          const output = outputOf(request, model);
          if (request.sampling?.max_tokens === undefined) request.sampling = { ...request.sampling, max_tokens: output };
          const input = promptTokens(request);
          const charge = { usd: priceOf(model, input, output), tokens: input + output };
          const refused = await deps.store.reserve(counters, charge);
          if (refused) return refusalOf(counters[refused.refused]!, refused.usage, charge);
          return {
            async settle(real) {
              if (!real) return;
              const delta = {
                usd: priceOf(model, real.input_tokens, real.output_tokens) - charge.usd,
                tokens: real.input_tokens + real.output_tokens - charge.tokens,
              };
              if (delta.usd !== 0 || delta.tokens !== 0) await deps.store.adjust(counters, delta);
            },
          };
        },
      };
    },
    states: async (userId, apiKeyId) => statesOf(await scopesOf({ userId, ...(apiKeyId ? { apiKeyId } : {}) })),
    agentStates: (agentKey, budget) => statesOf([{ scope: 'agent', owner: agentKey, limits: budget }]),
  };
}
