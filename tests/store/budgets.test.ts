/**
 * The budget store contract on every backend: a reservation is all or none across its counters,
 * concurrent reservations never pass a limit (also from two stores on one database: two daemons),
 * settling adjusts without limits, per-user overrides round-trip, and reports group executions.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { periodKey, type BudgetCounter } from '../../src/domain/budgets.js';
import type { Store } from '../../src/store/types.js';
import { backendTimeout, backendTitle, storeBackends } from '../helpers/store-backends.js';

const NOW = Date.parse('2026-11-30T12:00:00Z');
const counter = (scope: BudgetCounter['scope'], owner: string, limits: { limitUsd?: number; limitTokens?: number }): BudgetCounter => ({
  scope,
  owner,
  period: 'day',
  periodKey: periodKey('day', NOW),
  ...limits,
});

for (const backend of storeBackends()) {
  describe.skipIf(backend.skip)(`budget store on the ${backendTitle(backend)}`, () => {
    const open: Store[] = [];
    afterAll(async () => {
      for (const s of open) await s.close();
    });
    const openAt = async (location: string) => {
      const s = await backend.open(location);
      open.push(s);
      return s;
    };

    it(
      'reserves on every counter or on none, and names the counter that refused',
      async () => {
        const store = await openAt(await backend.create());
        const user = counter('user', 'u1', { limitTokens: 100 });
        const agent = counter('agent', 'a1', { limitUsd: 1 });
        expect(await store.budgets.reserve([user, agent], { usd: 0.5, tokens: 60 })).toBeUndefined();
        expect(await store.budgets.reserve([user, agent], { usd: 0.1, tokens: 60 })).toEqual({ refused: 0, usage: { usd: 0.5, tokens: 60 } });
        expect(await store.budgets.reserve([user, agent], { usd: 0.6, tokens: 10 })).toEqual({ refused: 1, usage: { usd: 0.5, tokens: 60 } });
        expect(await store.budgets.usage([user, agent])).toEqual([
          { usd: 0.5, tokens: 60 },
          { usd: 0.5, tokens: 60 },
        ]);
        // A charge larger than the limit alone is refused on a counter without a row yet.
        expect(await store.budgets.reserve([counter('api_key', 'k1', { limitTokens: 5 })], { usd: 0, tokens: 6 })).toMatchObject({ refused: 0 });
        await store.budgets.adjust([user, agent], { usd: -0.25, tokens: -50 });
        expect(await store.budgets.usage([user])).toEqual([{ usd: 0.25, tokens: 10 }]);
      },
      backendTimeout(backend),
    );

    it(
      'never passes a limit under 64 concurrent reservations from two stores on one database',
      async () => {
        const location = await backend.create();
        const [a, b] = [await openAt(location), await openAt(location)];
        const counters = [counter('user', 'u1', { limitTokens: 1000 }), counter('agent', 'a1', { limitUsd: 10 })];
        const results = await Promise.all(Array.from({ length: 64 }, (_, i) => (i % 2 ? a : b).budgets.reserve(counters, { usd: 0.1, tokens: 30 })));
        expect(results.filter((r) => r === undefined)).toHaveLength(33);
        expect(await a.budgets.usage(counters)).toEqual([
          { usd: expect.closeTo(3.3, 9), tokens: 990 },
          { usd: expect.closeTo(3.3, 9), tokens: 990 },
        ]);
      },
      backendTimeout(backend),
    );

    it(
      "keeps the admin's limits per user and reports executions grouped",
      async () => {
        const store = await openAt(await backend.create());
        expect(await store.budgets.userLimits('local')).toBeUndefined();
        await store.budgets.setUserLimits('local', { usd_per_day: 5, tokens_per_month: 1000 });
        expect(await store.budgets.userLimits('local')).toEqual({ usd_per_day: 5, tokens_per_month: 1000 });
        const row = { agent_source: 'system', user_id: 'local', input: 'hi', duration_ms: 1, status: 'success' as const };
        await store.executions.record({ ...row, id: 'e1', agent_name: 'a', model: 'fast', tokens_input: 10, tokens_output: 5, cost_usd: 0.5, created_at: NOW });
        await store.executions.record({
          ...row,
          id: 'e2',
          agent_name: 'b',
          model: 'fast',
          tokens_input: 1,
          tokens_output: 1,
          cost_usd: 0.25,
          created_at: NOW + 86_400_000,
        });
        await store.executions.record({ ...row, id: 'e3', agent_name: 'a', model: 'fast', tokens_input: 100, created_at: NOW - 86_400_000 });
        expect(await store.budgets.report({ by: 'agent', since: NOW })).toEqual([
          { key: 'a', runs: 1, tokens_input: 10, tokens_output: 5, cost_usd: 0.5 },
          { key: 'b', runs: 1, tokens_input: 1, tokens_output: 1, cost_usd: 0.25 },
        ]);
        expect((await store.budgets.report({ by: 'day', since: 0, userId: 'local' })).map((r) => [r.key, r.runs])).toEqual([
          ['2026-11-29', 1],
          ['2026-11-30', 1],
          ['2026-12-01', 1],
        ]);
        expect(await store.budgets.report({ by: 'model', since: 0, userId: 'nobody' })).toEqual([]);
      },
      backendTimeout(backend),
    );
  });
}
