/**
 * `caxton usage [--user U] [--by agent|model|day|user] [--period day|month]`: runs, tokens and cost
 * (USD) of the current UTC day or month from `GET /api/usage`, and what remains of each budget. Over
 * the control socket (the admin) without `--user` it covers every user.
 */
import Table from 'cli-table3';
import { requestJson } from '../../client/http.js';
import { homePaths, type GlobalOptions } from '../context.js';
import { printJson } from '../output.js';
import { amount } from './limits.js';

/** `usage` options. */
interface UsageOptions extends GlobalOptions {
  user?: string;
  by?: string;
  period?: string;
}

/** The answer of `GET /api/usage`. */
interface UsageAnswer {
  user: string | null;
  period: string;
  since: string;
  by: string;
  rows: { key: string; runs: number; tokens_input: number; tokens_output: number; cost_usd: number }[];
  budgets: { scope: string; limit_key: string; limit: number; used: number; remaining: number; resets_at: string }[];
}

/** Print usage. */
export async function run(_args: string[], opts: UsageOptions): Promise<number> {
  const query = new URLSearchParams({ by: opts.by ?? 'agent', period: opts.period ?? 'month', ...(opts.user ? { user: opts.user } : {}) });
  const answer = await requestJson<UsageAnswer>(homePaths(opts).socket, `/api/usage?${query.toString()}`);
  if (opts.json) {
    printJson(answer);
    return 0;
  }
  const style = { head: [], border: [] };
  const table = new Table({ head: [answer.by.toUpperCase(), 'RUNS', 'TOKENS IN', 'TOKENS OUT', 'COST USD'], style });
  for (const r of answer.rows) table.push([r.key, r.runs, r.tokens_input, r.tokens_output, r.cost_usd.toFixed(4)]);
  process.stdout.write(`${answer.user ?? 'every user'}, since ${answer.since} (this UTC ${answer.period})\n${table.toString()}\n`);
  if (answer.budgets.length) {
    const budgets = new Table({ head: ['SCOPE', 'BUDGET', 'LIMIT', 'USED', 'REMAINING', 'RESETS'], style });
    for (const b of answer.budgets)
      budgets.push([b.scope, b.limit_key, amount(b.limit_key, b.limit), amount(b.limit_key, b.used), amount(b.limit_key, b.remaining), b.resets_at]);
    process.stdout.write(`${budgets.toString()}\n`);
  }
  return 0;
}
