/**
 * The dashboard's execution queries on every backend: per-agent stats over a window (runs, errors,
 * p50 latency, tokens, cost; one user's runs or everyone's; a run in flight counts as a run but not
 * as an error nor in the p50), each agent's latest run start, and a user's executions filtered by status, finish reason, agent and
 * time and paged by keyset, never another user's rows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecutionRecord, Store } from '../../src/store/types.js';
import { backendTimeout, backendTitle, storeBackends, type StoreBackend } from '../helpers/store-backends.js';

for (const backend of storeBackends()) describe.skipIf(backend.skip)(backendTitle(backend), { timeout: backendTimeout(backend) }, () => suite(backend));

const T0 = Date.UTC(2026, 10, 30, 12);

function suite(backend: StoreBackend): void {
  let store: Store;
  let alice: string;
  let bob: string;
  let n = 0;
  const row = (over: Partial<ExecutionRecord>): ExecutionRecord => ({
    id: `exec_${String(++n).padStart(3, '0')}`,
    agent_name: 'helper',
    agent_source: 'system',
    user_id: alice,
    input: 'hi',
    tokens_input: 10,
    tokens_output: 2,
    cost_usd: 0.5,
    duration_ms: 100,
    status: 'success',
    finish_reason: 'stop',
    created_at: T0 + n * 1000,
    ...over,
  });

  beforeAll(async () => {
    store = await backend.open(await backend.create());
    alice = (await store.tenants.users.create({ email: 'alice@example.com' })).id;
    bob = (await store.tenants.users.create({ email: 'bob@example.com' })).id;
    const rows = [
      row({ created_at: T0 - 3_600_001, duration_ms: 1 }), // before the window
      row({ duration_ms: 300 }),
      row({ duration_ms: 100 }),
      row({ duration_ms: 200, status: 'error', finish_reason: 'error', tokens_input: 0, tokens_output: 0, cost_usd: 0 }),
      row({ duration_ms: 9000, status: 'timeout', finish_reason: 'timeout' }),
      row({ duration_ms: 5, status: 'error', finish_reason: 'stop', error_message: 'interrupted' }), // in flight
      row({ agent_name: 'writer', duration_ms: 50, finish_reason: 'length' }),
      row({ user_id: bob, duration_ms: 1000 }),
    ];
    for (const r of rows) await store.executions.record(r);
  });
  afterAll(async () => await store?.close());

  describe('agent stats over a window', () => {
    it("sums one user's runs per agent, with errors and the p50 of the ended runs", async () => {
      const stats = await store.tenants.history.agentStats({ userId: alice, since: T0 });
      expect(stats).toEqual([
        { agent: 'helper', runs: 5, errors: 2, p50_ms: 200, tokens: 48, cost_usd: 2 },
        { agent: 'writer', runs: 1, errors: 0, p50_ms: 50, tokens: 12, cost_usd: 0.5 },
      ]);
    });

    it("covers everyone's runs without a user, and nothing outside the window", async () => {
      const stats = await store.tenants.history.agentStats({ since: T0 });
      expect(stats.find((s) => s.agent === 'helper')).toMatchObject({ runs: 6, p50_ms: 300, tokens: 60 });
      expect(await store.tenants.history.agentStats({ userId: bob, since: T0 })).toEqual([
        { agent: 'helper', runs: 1, errors: 0, p50_ms: 1000, tokens: 12, cost_usd: 0.5 },
      ]);
      expect(await store.tenants.history.agentStats({ since: T0 + 3_600_000 })).toEqual([]);
    });

    it("gives each agent's latest run start over all time: one user's, or everyone's", async () => {
      expect(await store.tenants.history.lastRunAt({ userId: alice })).toEqual({ helper: T0 + 6000, writer: T0 + 7000 });
      expect(await store.tenants.history.lastRunAt({})).toEqual({ helper: T0 + 8000, writer: T0 + 7000 });
      expect(await store.tenants.history.lastRunAt({ userId: 'nobody' })).toEqual({});
    });
  });

  describe('filtered executions', () => {
    const ids = (rows: ExecutionRecord[]) => rows.map((r) => r.id);
    const list = (q: Partial<Parameters<Store['tenants']['history']['executions']>[1]>) =>
      store.tenants.history.executions(alice, { limit: 100, ...q }).then(ids);

    it('filters by status, finish reason, agent and time, newest first', async () => {
      expect(await list({ status: 'timeout' })).toEqual(['exec_005']);
      expect(await list({ status: 'error' })).toEqual(['exec_006', 'exec_004']);
      expect(await list({ finish_reason: 'length' })).toEqual(['exec_007']);
      expect(await list({ agent: 'writer', status: 'success' })).toEqual(['exec_007']);
      expect(await list({ since: T0 + 3000, until: T0 + 5000 })).toEqual(['exec_004', 'exec_003']);
      expect(await list({ until: T0 })).toEqual(['exec_001']);
      expect(await store.tenants.history.executions(bob, { limit: 100, status: 'timeout' })).toEqual([]);
    });

    it('pages by keyset without repeating or skipping rows, equal times included', async () => {
      await store.executions.record(row({ id: 'exec_tie_a', created_at: T0 + 50_000 }));
      await store.executions.record(row({ id: 'exec_tie_b', created_at: T0 + 50_000 }));
      const all = await list({});
      const seen: string[] = [];
      let after: { created_at: number; id: string } | undefined;
      for (;;) {
        const page = await store.tenants.history.executions(alice, { limit: 2, ...(after ? { after } : {}) });
        seen.push(...ids(page));
        if (page.length < 2) break;
        const last = page[page.length - 1]!;
        after = { created_at: last.created_at, id: last.id };
      }
      expect(all.slice(0, 2)).toEqual(['exec_tie_a', 'exec_tie_b']);
      expect(seen).toEqual(all);
    });
  });
}
