/**
 * `caxton limits show [--user EMAIL]` and `caxton limits set --user EMAIL --usd-per-day N ...`: the
 * admin's per-user budget and request rate overrides (`GET|PUT /api/users/:id/limits`, over the control socket, which
 * is the admin). `set` changes only the limits it names (`--clear` removes every override first);
 * `show` prints each budget that applies with its use, what remains and when it resets.
 */
import Table from 'cli-table3';
import { requestJson } from '../../client/http.js';
import { homePaths, type GlobalOptions } from '../context.js';
import { printJson } from '../output.js';

/** A budget as `GET /api/users/:id/limits` lists it (USD or tokens). */
interface BudgetRow {
  scope: string;
  period: string;
  limit_key: string;
  limit: number;
  used: number;
  remaining: number;
  resets_at: string;
}

/** The answer of `GET|PUT /api/users/:id/limits`. */
interface LimitsAnswer {
  user_id: string;
  overrides: Record<string, number>;
  budgets: BudgetRow[];
}

/** `limits show` options. */
interface ShowOptions extends GlobalOptions {
  user?: string;
}

/** `limits set` options: the four budget limits and the request rate (already parsed as numbers >= 0) and `--clear`. */
interface SetOptions extends ShowOptions {
  usdPerDay?: number;
  usdPerMonth?: number;
  tokensPerDay?: number;
  tokensPerMonth?: number;
  requestsPerMinute?: number;
  clear?: boolean;
}

const pathOf = (user: string | undefined) => `/api/users/${encodeURIComponent(user ?? 'local')}/limits`;

/** An amount as printed: USD with 4 decimals, tokens whole. */
export const amount = (key: string, n: number): string => (key.startsWith('usd') ? `$${n.toFixed(4)}` : String(Math.round(n)));

/** Print the answer as a table (or JSON). */
function print(answer: LimitsAnswer, json: boolean | undefined): void {
  if (json) return printJson(answer);
  const table = new Table({ head: ['SCOPE', 'LIMIT', 'VALUE', 'USED', 'REMAINING', 'RESETS'], style: { head: [], border: [] } });
  for (const b of answer.budgets)
    table.push([b.scope, b.limit_key, amount(b.limit_key, b.limit), amount(b.limit_key, b.used), amount(b.limit_key, b.remaining), b.resets_at]);
  const overrides = Object.entries(answer.overrides).map(([k, v]) => `${k}=${v}`);
  process.stdout.write(`user ${answer.user_id}: overrides ${overrides.length ? overrides.join(', ') : 'none (the [limits] defaults apply)'}\n`);
  process.stdout.write(answer.budgets.length ? `${table.toString()}\n` : 'no budget applies (unlimited)\n');
}

/** `limits show`. */
export async function show(_args: string[], opts: ShowOptions): Promise<number> {
  print(await requestJson<LimitsAnswer>(homePaths(opts).socket, pathOf(opts.user)), opts.json);
  return 0;
}

/** `limits set`. */
export async function run(_args: string[], opts: SetOptions): Promise<number> {
  const socket = homePaths(opts).socket;
  const current = opts.clear ? {} : (await requestJson<LimitsAnswer>(socket, pathOf(opts.user))).overrides;
  const given = {
    usd_per_day: opts.usdPerDay,
    usd_per_month: opts.usdPerMonth,
    tokens_per_day: opts.tokensPerDay,
    tokens_per_month: opts.tokensPerMonth,
    requests_per_minute: opts.requestsPerMinute,
  };
  const body = { ...current, ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) };
  print(await requestJson<LimitsAnswer>(socket, pathOf(opts.user), { method: 'PUT', body }), opts.json);
  return 0;
}
