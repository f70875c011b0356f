/**
 * SQLite budget store (src/store/types.ts `BudgetStore`): counters in `budget_counters`, admin limits
 * in `user_limits`, reports over `agent_executions`. A reservation is one better-sqlite3 transaction
 * of one conditional upsert per counter (`ON CONFLICT DO UPDATE ... WHERE` under the limit), so it
 * is all or none and cannot interleave with another one.
 */
import type Database from 'better-sqlite3';
import type { BudgetCharge, BudgetCounter, BudgetUsage, UserLimits } from '../../domain/budgets.js';
import type { BudgetStore, UsageGrouping, UsageRow } from '../types.js';

/** Room for floating-point error when comparing USD sums with a limit. */
const EPSILON_USD = 1e-9;

/** Thrown inside the reservation transaction to roll it back. */
class Refused {
  constructor(
    readonly index: number,
    readonly usage: BudgetUsage,
  ) {}
}

/** The SQL expression each report grouping selects as `key`. */
const GROUP_KEY: Record<UsageGrouping, string> = {
  agent: 'agent_name',
  model: "COALESCE(model, '')",
  day: "strftime('%Y-%m-%d', created_at / 1000, 'unixepoch')",
  user: 'user_id',
};

/** Build the budget store over an open database with every migration applied. */
export function createBudgetStore(db: Database.Database): BudgetStore {
  const s = {
    charge: db.prepare(`
      INSERT INTO budget_counters (scope, owner, period, usd, tokens) VALUES (@scope, @owner, @period, @usd, @tokens)
      ON CONFLICT (scope, owner, period) DO UPDATE SET usd = usd + excluded.usd, tokens = tokens + excluded.tokens
      WHERE (@limitUsd IS NULL OR usd + excluded.usd <= @limitUsd + ${EPSILON_USD})
        AND (@limitTokens IS NULL OR tokens + excluded.tokens <= @limitTokens)
      RETURNING usd`),
    get: db.prepare('SELECT usd, tokens FROM budget_counters WHERE scope = ? AND owner = ? AND period = ?'),
    limits: db.prepare('SELECT limits FROM user_limits WHERE user_id = ?').pluck(),
    setLimits: db.prepare('INSERT OR REPLACE INTO user_limits (user_id, limits, updated_at) VALUES (?, ?, ?)'),
    report: Object.fromEntries(
      Object.entries(GROUP_KEY).map(([by, key]) => [
        by,
        db.prepare(`
          SELECT ${key} AS key, COUNT(*) AS runs, COALESCE(SUM(tokens_input), 0) AS tokens_input,
            COALESCE(SUM(tokens_output), 0) AS tokens_output, COALESCE(SUM(cost_usd), 0) AS cost_usd
          FROM agent_executions WHERE created_at >= @since AND (@user IS NULL OR user_id = @user) GROUP BY key ORDER BY key`),
      ]),
    ) as Record<UsageGrouping, Database.Statement>,
  };
  const read = (c: BudgetCounter): BudgetUsage => (s.get.get(c.scope, c.owner, c.periodKey) as BudgetUsage | undefined) ?? { usd: 0, tokens: 0 };
  const params = (c: BudgetCounter, d: BudgetCharge, limited: boolean) => ({
    scope: c.scope,
    owner: c.owner,
    period: c.periodKey,
    usd: d.usd,
    tokens: d.tokens,
    limitUsd: limited ? (c.limitUsd ?? null) : null,
    limitTokens: limited ? (c.limitTokens ?? null) : null,
  });
  const over = (c: BudgetCounter, d: BudgetCharge) =>
    (c.limitUsd !== undefined && d.usd > c.limitUsd + EPSILON_USD) || (c.limitTokens !== undefined && d.tokens > c.limitTokens);
  const reserve = db.transaction((counters: readonly BudgetCounter[], d: BudgetCharge) => {
    counters.forEach((c, i) => {
      // A new row is inserted without the WHERE: a charge larger than the limit alone is refused here.
      if (over(c, d) || s.charge.get(params(c, d, true)) === undefined) throw new Refused(i, read(c));
    });
  });
  const adjust = db.transaction((counters: readonly BudgetCounter[], d: BudgetCharge) => {
    for (const c of counters) s.charge.run(params(c, d, false));
  });
  return {
    async reserve(counters, charge) {
      try {
        reserve(counters, charge);
        return undefined;
      } catch (err) {
        if (err instanceof Refused) return { refused: err.index, usage: err.usage };
        throw err;
      }
    },
    adjust: async (counters, delta) => adjust(counters, delta),
    usage: async (counters) => counters.map(read),
    async userLimits(userId) {
      const text = s.limits.get(userId) as string | undefined;
      return text === undefined ? undefined : (JSON.parse(text) as UserLimits);
    },
    async setUserLimits(userId, limits) {
      s.setLimits.run(userId, JSON.stringify(limits), Date.now());
    },
    report: async ({ userId, by, since }) => s.report[by].all({ since, user: userId ?? null }) as UsageRow[],
  };
}
