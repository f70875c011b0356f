/**
 * PostgreSQL budget store, the semantics of src/store/sqlite/budgets.ts. A reservation is one
 * transaction of one conditional upsert per counter (`ON CONFLICT DO UPDATE ... WHERE` under the
 * limit): the upsert locks the counter row and evaluates the limit on its latest committed value, so
 * reservations of every daemon sharing the database are serialized per counter and never overspend.
 * Counters are taken in a fixed order (scope, owner, period) so concurrent transactions cannot deadlock.
 */
import type { BudgetCharge, BudgetCounter, BudgetUsage } from '../../domain/budgets.js';
import type { BudgetStore, UsageGrouping, UsageRow } from '../types.js';
import type { Db, Run } from './client.js';

/** Room for floating-point error when comparing USD sums with a limit. */
const EPSILON_USD = 1e-9;

/** Thrown inside the reservation transaction to roll it back. */
class Refused {
  constructor(
    readonly index: number,
    readonly usage: BudgetUsage,
  ) {}
}

/** The SQL expression each report grouping selects as `key` (days in UTC). */
const GROUP_KEY: Record<UsageGrouping, string> = {
  agent: 'agent_name',
  model: "COALESCE(model, '')",
  day: "to_char(to_timestamp(created_at / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
  user: 'user_id',
};

/** The named statements: the conditional charge (limits as $6 USD, $7 tokens; NULL = none), reads, overrides, reports. */
const S = {
  charge: {
    name: 'cx_budget_charge',
    text: `INSERT INTO budget_counters (scope, owner, period, usd, tokens) VALUES ($1, $2, $3, $4, $5)
      ON CONFLICT (scope, owner, period) DO UPDATE SET usd = budget_counters.usd + EXCLUDED.usd, tokens = budget_counters.tokens + EXCLUDED.tokens
      WHERE ($6::float8 IS NULL OR budget_counters.usd + EXCLUDED.usd <= $6::float8 + ${EPSILON_USD})
        AND ($7::bigint IS NULL OR budget_counters.tokens + EXCLUDED.tokens <= $7::bigint)
      RETURNING usd`,
  },
  get: { name: 'cx_budget_get', text: 'SELECT usd, tokens FROM budget_counters WHERE scope = $1 AND owner = $2 AND period = $3' },
  limits: { name: 'cx_budget_limits', text: 'SELECT limits FROM user_limits WHERE user_id = $1' },
  setLimits: {
    name: 'cx_budget_set_limits',
    text: `INSERT INTO user_limits (user_id, limits, updated_at) VALUES ($1, $2, $3)
      ON CONFLICT (user_id) DO UPDATE SET limits = EXCLUDED.limits, updated_at = EXCLUDED.updated_at`,
  },
  report: Object.fromEntries(
    Object.entries(GROUP_KEY).map(([by, key]) => [
      by,
      {
        name: `cx_budget_report_${by}`,
        text: `SELECT ${key} AS key, COUNT(*)::bigint AS runs, COALESCE(SUM(tokens_input), 0)::bigint AS tokens_input,
            COALESCE(SUM(tokens_output), 0)::bigint AS tokens_output, COALESCE(SUM(cost_usd), 0)::float8 AS cost_usd
          FROM agent_executions WHERE created_at >= $1 AND ($2::text IS NULL OR user_id = $2) GROUP BY 1 ORDER BY 1`,
      },
    ]),
  ) as Record<UsageGrouping, { name: string; text: string }>,
};

/** Counters with their positions, in lock order. */
const ordered = (counters: readonly BudgetCounter[]) =>
  counters
    .map((c, i) => ({ c, i }))
    .sort((a, b) => a.c.scope.localeCompare(b.c.scope) || a.c.owner.localeCompare(b.c.owner) || a.c.periodKey.localeCompare(b.c.periodKey));

/** Build the budget store over the pool. */
export function createBudgetStore(db: Db): BudgetStore {
  const read = async (run: Run, c: BudgetCounter): Promise<BudgetUsage> =>
    (await run<BudgetUsage & Record<string, unknown>>(S.get, [c.scope, c.owner, c.periodKey])).rows[0] ?? { usd: 0, tokens: 0 };
  const charge = (run: Run, c: BudgetCounter, d: BudgetCharge, limited: boolean) =>
    run(S.charge, [c.scope, c.owner, c.periodKey, d.usd, d.tokens, limited ? (c.limitUsd ?? null) : null, limited ? (c.limitTokens ?? null) : null]);
  const over = (c: BudgetCounter, d: BudgetCharge) =>
    (c.limitUsd !== undefined && d.usd > c.limitUsd + EPSILON_USD) || (c.limitTokens !== undefined && d.tokens > c.limitTokens);
  return {
    async reserve(counters, d) {
      if (counters.length === 1) {
        // One counter: its one conditional upsert is atomic by itself (no transaction, one round trip).
        const c = counters[0]!;
        if (!over(c, d) && ((await charge(db.run, c, d, true)).rowCount ?? 0) > 0) return undefined;
        return { refused: 0, usage: await read(db.run, c) };
      }
      try {
        await db.tx(async (run) => {
          for (const { c, i } of ordered(counters)) {
            // A new row is inserted without the WHERE: a charge larger than the limit alone is refused here.
            if (over(c, d) || (await charge(run, c, d, true)).rowCount === 0) throw new Refused(i, await read(run, c));
          }
        });
        return undefined;
      } catch (err) {
        if (err instanceof Refused) return { refused: err.index, usage: err.usage };
        throw err;
      }
    },
    async adjust(counters, d) {
      if (counters.length === 1) return void (await charge(db.run, counters[0]!, d, false));
      await db.tx(async (run) => {
        for (const { c } of ordered(counters)) await charge(run, c, d, false);
      });
    },
    usage: (counters) => Promise.all(counters.map((c) => read(db.run, c))),
    async userLimits(userId) {
      const row = (await db.run<{ limits: string }>(S.limits, [userId])).rows[0];
      return row ? (JSON.parse(row.limits) as Record<string, number>) : undefined;
    },
    async setUserLimits(userId, limits) {
      await db.run(S.setLimits, [userId, JSON.stringify(limits), Date.now()]);
    },
    report: async ({ userId, by, since }) => (await db.run<UsageRow & Record<string, unknown>>(S.report[by], [since, userId ?? null])).rows,
  };
}
